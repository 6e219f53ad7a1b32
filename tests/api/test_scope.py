"""A record outside the caller's scope answers exactly as one that does not exist, everywhere."""

from datetime import timedelta

from core.clock import Semester, today
from core.services import iaps, signals
from core.services.people import create_api_token
from storage.models import ApiToken, Ngo, SchoolHoliday, SupportNeed

MISSING = 999_999_999  # a valid id (digest scopes take at most nine digits) that names nothing
ROLES = (
    "teacher_a",
    "psychologist_a",
    "teacher_b",
    "coordinator_a",
    "coordinator_v",
    "coordinator_m1",
    "coordinator_m2",
    "parent_a1",
    "volunteer",
    "outsider",
    "admin",
)
YESTERDAY = (today() - timedelta(days=1)).isoformat()

# (method, path as the OpenAPI document names it, path, JSON body); {kind} is a record's id
PROBES = [
    ("GET", "/schools/{school_id}/classes", "/schools/{school}/classes", None),
    (
        "POST",
        "/schools/{school_id}/classes",
        "/schools/{school}/classes",
        {"grade": 7, "name": "x"},
    ),
    ("POST", "/schools/{school_id}/roster", "/schools/{school}/roster", "csv"),
    ("POST", "/schools/{school_id}/attendance", "/schools/{school}/attendance", "csv"),
    (
        "POST",
        "/schools/{school_id}/attendance",
        "/schools/{school}/attendance?dry_run=true",
        "csv",
    ),
    ("GET", "/schools/{school_id}/iaps", "/schools/{school}/iaps", None),
    ("GET", "/students", "/students?school_id={school}", None),
    ("GET", "/students", "/students?class_id={class}", None),
    ("GET", "/students/{student_id}", "/students/{student}", None),
    (
        "POST",
        "/students/{student_id}/move",
        "/students/{student}/move",
        {"to_school_id": "{school}", "class_name": "7.a"},
    ),
    ("GET", "/students/{student_id}/risk-signals", "/students/{student}/risk-signals", None),
    ("GET", "/students/{student_id}/consultations", "/students/{student}/consultations", None),
    ("GET", "/students/{student_id}/support-needs", "/students/{student}/support-needs", None),
    ("GET", "/students/{student_id}/iap", "/students/{student}/iap", None),
    ("POST", "/risk-signals", "/risk-signals", {"student_id": "{student}", "factor": "health"}),
    ("POST", "/risk-signals", "/risk-signals", {"student_id": "{student}", "factor": "astrology"}),
    ("DELETE", "/risk-signals/{signal_id}", "/risk-signals/{signal}", None),
    (
        "POST",
        "/absences",
        "/absences",
        {"class_id": "{class}", "student_ids": ["{student}"], "lessons": 2},
    ),
    (  # a student not in the class: only a caller with access to the class may learn that
        "POST",
        "/absences",
        "/absences",
        {"class_id": "{class}", "student_ids": [MISSING], "lessons": 2},
    ),
    (
        "POST",
        "/consultations",
        "/consultations",
        {"student_id": "{student}", "held_on": YESTERDAY, "minutes": 45, "mode": "remote"},
    ),
    (
        "POST",
        "/support-needs",
        "/support-needs",
        {"student_id": "{student}", "support_type": "meals"},
    ),
    (
        "POST",
        "/support-needs/{need_id}/answer",
        "/support-needs/{need}/answer",
        {"confirmed": False},
    ),
    (
        "POST",
        "/peer-activities",
        "/peer-activities",
        {
            "ngo_id": "{ngo}",
            "title": "Board games",
            "held_on": YESTERDAY,
            "format": "event",
            "participants": 10,
            "at_risk_participants": 2,
            "hours": 2,
        },
    ),
    ("POST", "/iaps", "/iaps", {"student_id": "{student}"}),
    (
        "POST",
        "/iaps/{iap_id}/measures",
        "/iaps/{iap}/measures",
        {
            "kind": "consultation",
            "specialist_type": "psychologist",
            "planned_quantity": 2,
            "risk_factors": ["health"],
        },
    ),
    ("POST", "/iaps/{iap_id}/consent", "/iaps/{iap}/consent", {"given": True}),
    ("POST", "/iaps/{iap_id}/consent-request", "/iaps/{iap}/consent-request", None),
    ("POST", "/iaps/{iap_id}/submit", "/iaps/{iap}/submit", None),
    ("POST", "/iaps/{iap_id}/approve", "/iaps/{iap}/approve", None),
    ("POST", "/iaps/{iap_id}/return", "/iaps/{iap}/return", {"comment": "More hours"}),
    ("POST", "/iaps/{iap_id}/move", "/iaps/{iap}/move", {"status": "in_progress"}),
    (
        "POST",
        "/iaps/{iap_id}/review",
        "/iaps/{iap}/review",
        {"evaluation": "Went well", "risk_outcome": "reduced", "continues": False},
    ),
    ("GET", "/iaps/{iap_id}.pdf", "/iaps/{iap}.pdf", None),
    (
        "PATCH",
        "/iaps/{iap_id}/measures/{measure_id}",
        "/iaps/{iap}/measures/{measure}",
        {"planned_quantity": 3},
    ),
    ("DELETE", "/iaps/{iap_id}/measures/{measure_id}", "/iaps/{iap}/measures/{measure}", None),
    (
        "PUT",
        "/iaps/{iap_id}/measures/{measure_id}/evaluation",
        "/iaps/{iap}/measures/{measure}/evaluation",
        {"realised": "full"},
    ),
    ("PUT", "/iaps/{iap_id}/risks/{group}", "/iaps/{iap}/risks/learning", {"justification": "x"}),
    ("PUT", "/iaps/{iap_id}/risk-factors/{factor}", "/iaps/{iap}/risk-factors/health", None),
    ("DELETE", "/iaps/{iap_id}/risk-factors/{factor}", "/iaps/{iap}/risk-factors/health", None),
    ("GET", "/iaps/{iap_id}/blockers", "/iaps/{iap}/blockers", None),
    ("GET", "/students/{student_id}/access-log", "/students/{student}/access-log", None),
    ("GET", "/students/{student_id}/export", "/students/{student}/export", None),
    ("DELETE", "/tokens/{token_id}", "/tokens/{token}", None),
    ("POST", "/invites", "/invites", {"role": "teacher", "school_id": "{school}"}),
    ("POST", "/invites", "/invites", {"role": "parent", "student_id": "{student}"}),
    ("POST", "/invites", "/invites", {"role": "volunteer", "ngo_id": "{ngo}"}),
    (
        "POST",
        "/invites",
        "/invites",
        {"role": "municipality_coordinator", "municipality_id": "{municipality}"},
    ),
    (
        "PUT",
        "/students/{student_id}/outcome",
        "/students/{student}/outcome",
        {"outcome": "left_early", "reason": "health"},
    ),
    ("GET", "/digests/{scope}", "/digests/school-{school}", None),
    ("GET", "/digests/{scope}", "/digests/municipality-{municipality}", None),
    ("GET", "/digests/{scope}/chart.png", "/digests/school-{school}/chart.png", None),
    # Programme administration (the administrator's scope is national: see is_national)
    (
        "GET",
        "/municipalities/{municipality_id}/schools",
        "/municipalities/{municipality}/schools",
        None,
    ),
    (
        "PATCH",
        "/municipalities/{municipality_id}",
        "/municipalities/{municipality}",
        {"name": "Jaunais novads"},
    ),
    (
        "POST",
        "/schools",
        "/schools",
        {"municipality_id": "{municipality}", "name": "Jauna skola", "kind": "general"},
    ),
    ("PATCH", "/schools/{school_id}", "/schools/{school}", {"lessons_per_day": 5}),
    ("PATCH", "/schools/{school_id}", "/schools/{school}", {"name": "Cita skola"}),
    ("GET", "/schools/{school_id}/holidays", "/schools/{school}/holidays", None),
    (
        "POST",
        "/schools/{school_id}/holidays",
        "/schools/{school}/holidays",
        {"first_day": "2026-11-02", "last_day": "2026-11-03"},
    ),
    ("DELETE", "/holidays/{holiday_id}", "/holidays/{holiday}", None),
    ("POST", "/ngos", "/ngos", {"municipality_id": "{municipality}", "name": "Jauniesi"}),
    ("PATCH", "/ngos/{ngo_id}", "/ngos/{ngo}", {"name": "Jauniesu centrs"}),
    (
        "POST",
        "/schools/{school_id}/coordinator-invites",
        "/schools/{school}/coordinator-invites",
        None,
    ),
    (
        "POST",
        "/municipalities/{municipality_id}/coordinator-invites",
        "/municipalities/{municipality}/coordinator-invites",
        None,
    ),
    ("GET", "/effectiveness/{scope}", "/effectiveness/school-{school}", None),
    ("GET", "/effectiveness/{scope}", "/effectiveness/municipality-{municipality}", None),
    (
        "GET",
        "/effectiveness/{scope}",
        "/effectiveness/municipality-{municipality}?format=xlsx",
        None,
    ),
    ("GET", "/effectiveness/{scope}/chart", "/effectiveness/school-{school}/chart", None),
    ("GET", "/reports/{scope}", "/reports/school-{school}", None),
    ("GET", "/reports/{scope}", "/reports/municipality-{municipality}?format=xlsx", None),
]
NATIONAL_INVITES = ("school_coordinator", "municipality_coordinator", "volunteer")


def is_national(name: str, body) -> bool:
    """What the programme administrator may reach everywhere: organisations and figures, never
    students."""
    if name == "/invites":
        return body["role"] in NATIONAL_INVITES
    if name.startswith(("/effectiveness", "/reports")):
        return True  # figures, never records: every scope is the administrator's
    return name.startswith(("/municipalities", "/ngos", "/holidays")) or name in (
        "/schools",
        "/schools/{school_id}",
        "/schools/{school_id}/holidays",
        "/schools/{school_id}/coordinator-invites",
    )


async def records_of(world, side: str) -> dict[str, int]:
    """One record of every kind in school B (municipality 1) or school C (municipality 2)."""
    if side == "b":
        student, staff, ngo = world.student_b1, world.teacher_b, world.ngo
        municipality = world.m1
    else:
        student, staff, municipality = world.student_c1, world.coordinator_m2, world.m2
        ngo = await Ngo.create(name="Priedaines jauniesi", municipality=world.m2)
    holiday = await SchoolHoliday.create(
        school_id=student.school_id, first_day=today(), last_day=today()
    )
    signal = await signals.record_risk_signal(staff, student.id, "health")
    iap = await iaps.open_iap(staff, student.id)
    measure = await iaps.add_measure(
        staff,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=2,
        risk_factors=["health"],
    )
    await create_api_token(staff.id)
    token = await ApiToken.filter(person_id=staff.id).order_by("-id").first()
    semester = Semester.current()
    need = await SupportNeed.create(
        student_id=student.id,
        support_type="meals",
        school_year=semester.school_year,
        semester=semester.number,
        asked_by_id=staff.id,
    )
    return {
        "school": student.school_id,
        "class": student.school_class_id,
        "student": student.id,
        "signal": signal.id,
        "iap": iap.id,
        "measure": measure.id,
        "token": token.id,
        "need": need.id,
        "ngo": ngo.id,
        "municipality": municipality.id,
        "holiday": holiday.id,
    }


def filled(template, ids: dict[str, int]):
    if isinstance(template, str):
        return template.format(**ids)
    if isinstance(template, list):
        return [filled(item, ids) for item in template]
    if isinstance(template, dict):
        return {key: filled(value, ids) for key, value in template.items()}
    return template


def as_id(value):
    """A body's "{student}" filled in is a number, as the API takes it."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, list):
        return [as_id(item) for item in value]
    if isinstance(value, dict):
        return {key: as_id(item) for key, item in value.items()}
    return value


async def probe(api, headers, method: str, path: str, body, ids: dict[str, int]):
    headers = headers | {"Accept-Language": "en"}
    if body == "csv":
        content = b"student_ref,class,first_name,last_name\nR-1,7.a,Zane,Roze\n"
        answer = await api.request(
            method,
            filled(path, ids),
            headers=headers | {"Content-Type": "text/csv"},
            content=content,
        )
    else:
        json = as_id(filled(body, ids)) if body is not None else None
        answer = await api.request(method, filled(path, ids), headers=headers, json=json)
    return answer.status_code, answer.json() if answer.content else None


async def test_out_of_scope_answers_as_missing_for_every_role_and_route(api, world, token_for):
    sides = {"b": await records_of(world, "b"), "c": await records_of(world, "c")}
    missing = dict.fromkeys(sides["b"], MISSING)
    for role in ROLES:
        actor = getattr(world, role)
        headers = await token_for(actor)
        outside = sides["b" if role == "coordinator_m2" else "c"]  # a side the role cannot see
        for method, name, path, body in PROBES:
            if role == "admin" and is_national(name, body):
                continue  # no side is beyond the administrator: tests/api/test_admin.py
            beyond = await probe(api, headers, method, path, body, outside)
            absent = await probe(api, headers, method, path, body, missing)
            assert beyond == absent, (role, method, path, body)
            if not path.startswith("/students?"):
                assert beyond[0] in (403, 404), (role, method, path, beyond)


async def test_every_route_that_takes_an_id_is_probed(api):
    operations = (await api.get("/openapi.json")).json()["paths"]
    probed = {(method.lower(), name) for method, name, _, _ in PROBES}
    for name, methods in operations.items():
        for method, operation in methods.items():
            schema = str(operation.get("requestBody", "")) + str(operation.get("parameters", ""))
            if "{" in name or "_id" in schema:
                assert (method, name) in probed, (method, name)


async def test_a_caller_with_the_class_learns_which_students_are_not_in_it(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    answer = await api.post(
        "/absences",
        headers=teacher | {"Accept-Language": "en"},
        json={
            "class_id": world.class_a7.id,
            "student_ids": [world.student_a1.id, world.student_a3.id, MISSING],
            "lessons": 2,
        },
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == (
        f"These students are not in this class: {world.student_a3.id}, {MISSING}."
    )
