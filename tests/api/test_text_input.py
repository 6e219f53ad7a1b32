"""Names and free text over HTTP: refused characters are a 422 naming the field, never a 500."""

import pytest

from core.clock import Semester, today
from core.services import iaps, needs, signals
from storage.models import AuditEvent, Consultation, RiskSignal, SchoolClass, Student
from tests.world import teacher_at

NUL = "Kavē\x00 pirmdienās"
OVERRIDE = "Kavē \u202epirmdienās"  # right-to-left override: shows otherwise than it is kept


async def _ready_plan(world, student, preparer):
    await signals.record_risk_signal(preparer, student.id, "low_achievement")
    iap = await iaps.open_iap(preparer, student.id)
    await iaps.add_measure(
        preparer,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=4,
        risk_factors=["low_achievement"],
    )
    await iaps.record_consent(preparer, iap.id, given=True, method="paper", signed_on=today())
    return await iaps.submit_for_approval(preparer, iap.id)


async def _class(world, text):
    return world.coordinator_a, f"/schools/{world.school_a.id}/classes", {"grade": 9, "name": text}


async def _note(world, text):
    body = {"student_id": world.student_a1.id, "factor": "low_motivation", "note": text}
    return world.teacher_a, "/risk-signals", body


async def _topic(world, text):
    body = {
        "student_id": world.student_a1.id,
        "held_on": str(today()),
        "minutes": 45,
        "mode": "in_person",
        "topic": text,
    }
    return world.psychologist_a, "/consultations", body


async def _route(world, text):
    need = await needs.ask_parent_about_need(
        world.teacher_a, world.student_a1.id, "transport_tickets"
    )
    months = Semester(need.school_year, need.semester).months()[:1]
    body = {"confirmed": True, "months": months, "details": text}
    return world.parent_a1, f"/support-needs/{need.id}/answer", body


async def _title(world, text):
    body = {
        "ngo_id": world.ngo.id,
        "title": text,
        "held_on": str(today()),
        "format": "workshop",
        "participants": 10,
        "at_risk_participants": 2,
        "hours": "2",
    }
    return world.volunteer, "/peer-activities", body


async def _description(world, text):
    actor, url, body = await _title(world, "Sporta diena")
    return actor, url, body | {"description": text}


async def _comment(world, text):
    iap = await _ready_plan(world, world.student_a1, world.teacher_a)
    return world.coordinator_a, f"/iaps/{iap.id}/return", {"comment": text}


async def _reason(world, text):
    preparer = await teacher_at(world.school_v, "Teacher V", 120)
    iap = await _ready_plan(world, world.student_v1, preparer)
    await iaps.approve_iap(world.coordinator_v, iap.id)
    return world.coordinator_v, f"/iaps/{iap.id}/move", {"status": "paused", "reason": text}


async def _evaluation(world, text):
    preparer = await teacher_at(world.school_v, "Teacher V", 120)
    iap = await _ready_plan(world, world.student_v1, preparer)
    await iaps.approve_iap(world.coordinator_v, iap.id)
    await iaps.move_iap(world.coordinator_v, iap.id, "in_progress")
    await iaps.move_iap(world.coordinator_v, iap.id, "under_review")
    body = {"evaluation": text, "risk_outcome": "unchanged", "continues": False}
    return world.coordinator_v, f"/iaps/{iap.id}/review", body


FIELDS = {
    "name": _class,
    "note": _note,
    "topic": _topic,
    "details": _route,
    "title": _title,
    "description": _description,
    "comment": _comment,
    "reason": _reason,
    "evaluation": _evaluation,
}


@pytest.mark.parametrize("text", [NUL, OVERRIDE], ids=["nul", "override"])
@pytest.mark.parametrize("field", list(FIELDS))
async def test_a_refused_character_is_a_422_naming_the_field(api, world, token_for, field, text):
    actor, url, body = await FIELDS[field](world, text)
    headers = await token_for(actor)
    events = await AuditEvent.all().count()
    answer = await api.post(url, headers=headers, json=body)
    assert answer.status_code == 422, answer.text
    refused = answer.json()
    assert refused["error"] == "invalid_input"
    assert (
        refused["detail"] == "Daži lauki nav aizpildīti vai ir aizpildīti nepareizi."
    )  # Latvian by default
    [problem] = refused["fields"]
    assert problem["field"] == f"body.{field}"
    code = "U+0000" if text == NUL else "U+202E"
    assert problem["problem"] == (
        f"The text contains a character that cannot be saved: {code} (a control or "
        "text-direction character). Please remove it and try again."
    )
    assert await AuditEvent.all().count() == events  # nothing saved


async def test_a_student_search_with_a_control_character_is_a_422(api, world, token_for):
    coordinator = await token_for(world.coordinator_a)
    answer = await api.get("/students", params={"search": "Kal\x00"}, headers=coordinator)
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"][0]["field"] == "query.search"


async def test_invisible_characters_are_dropped_and_text_normalised(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    decomposed = "Kalnin\u0327a"  # n + combining cedilla: the same letter as ņ
    answer = await api.post(
        "/risk-signals",
        headers=teacher,
        json={
            "student_id": world.student_a1.id,
            "factor": "low_motivation",
            "note": "\ufeff Kavē\u200b pirmdienās\r\nSaruna ar " + decomposed + " \u2060",
        },
    )
    assert answer.status_code == 201, answer.text
    signal = await RiskSignal.get(id=answer.json()["id"])
    assert signal.note == "Kavē pirmdienās\nSaruna ar Kalniņa"

    coordinator = await token_for(world.coordinator_a)
    found = await api.get("/students", params={"search": "Ann\u200ba"}, headers=coordinator)
    assert [s["last_name"] for s in found.json()] == ["Kalnina"]


async def test_a_topic_may_start_like_a_formula_but_a_class_name_may_not(api, world, token_for):
    _, url, body = await _topic(world, "-5 stundas kavētas; runājām par to")
    logged = await api.post(url, headers=await token_for(world.psychologist_a), json=body)
    assert logged.status_code == 201, logged.text
    assert (await Consultation.get(id=logged.json()["id"])).topic.startswith("-5 stundas")

    coordinator = await token_for(world.coordinator_a)
    formula = await api.post(
        f"/schools/{world.school_a.id}/classes",
        headers=coordinator,
        json={"grade": 9, "name": "=HYPERLINK(1)"},
    )
    assert formula.status_code == 422
    assert formula.json()["fields"][0]["problem"] == "A name must start with a letter or a digit."
    assert not await SchoolClass.filter(name__contains="HYPERLINK").exists()


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("Li\x00ga", "The text contains a character that cannot be saved: U+0000"),
        ("Li\u202ega", "The text contains a character that cannot be saved: U+202E"),
        ('"=HYPERLINK(""http://x"")"', "A name must start with a letter or a digit."),
        ("@Liga", "A name must start with a letter or a digit."),
    ],
)
async def test_a_roster_cell_that_cannot_be_kept_names_its_line(
    api, world, token_for, cell, problem
):
    coordinator = await token_for(world.coordinator_a)
    roster = (
        f"student_ref,class,first_name,last_name\nEK-1,9.c,Oleg,Sokolov\nEK-2,9.c,{cell},Zvaigzne\n"
    )
    answer = await api.post(
        f"/schools/{world.school_a.id}/roster?partial=true",
        headers={**coordinator, "Content-Type": "text/csv", "Accept-Language": "en"},
        content=roster.encode(),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(f"Line 3, column first_name: {problem}")
    assert not await SchoolClass.filter(name="9.c").exists()


async def test_a_roster_keeps_names_clean_and_in_nfc(api, world, token_for):
    coordinator = await token_for(world.coordinator_a)
    roster = "\ufeffstudent_ref,class,first_name,last_name\n"
    roster += "EK-1,9.c,\u200bLiga ,Zvaigzne\nEK-2,9.c,Oļegs,Kalnin\u0327a\u2060\n"
    answer = await api.post(
        f"/schools/{world.school_a.id}/roster?partial=true",
        headers={**coordinator, "Content-Type": "text/csv"},
        content=roster.encode(),
    )
    assert answer.status_code == 200, answer.text
    names = (
        await Student.filter(school_class__name="9.c")
        .order_by("id")
        .values_list("first_name", "last_name")
    )
    assert names == [("Liga", "Zvaigzne"), ("Oļegs", "Kalniņa")]
