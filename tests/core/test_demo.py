"""Demo data: a fictional term that loads through the services and assembles into real IAPs."""

from core.access import load_actor
from core.catalogues import ABSENCES, TRANSPORT_TICKETS
from core.clock import Semester
from core.demo import database_is_empty, load_demo_data
from core.iap import assemble_for_student, assemble_school, blockers
from storage.models import Student

SEMESTER = Semester.current()


async def test_demo_data_fills_an_empty_database(db):
    assert await database_is_empty()

    summary = await load_demo_data()

    assert not await database_is_empty()
    assert summary.students == await Student.all().count() == 60
    assert 12 <= summary.students_at_risk <= 18
    # absences and at least one other factor each, even on a semester's first day
    assert summary.risk_signals >= 2 * summary.students_at_risk
    assert summary.iaps >= 8 and summary.consultations > 0 and summary.peer_activities > 0
    assert await Student.filter(family_language="uk").count() == 1
    assert await Student.filter(family_language="ru").count() > 0


async def test_demo_people_hold_their_roles(db):
    summary = await load_demo_data()
    expected = {
        summary.teacher_id: "teacher",
        summary.psychologist_id: "specialist",
        summary.parent_id: "parent",
        summary.volunteer_id: "volunteer",
        summary.school_coordinator_id: "school_coordinator",
        summary.municipality_coordinator_id: "municipality_coordinator",
    }
    for person_id, role in expected.items():
        assert (await load_actor(person_id)).roles == {role}
    parent = await load_actor(summary.parent_id)
    assert parent.child_ids == {summary.example_student_id}


async def test_example_student_has_a_full_plan(db):
    summary = await load_demo_data()
    coordinator = await load_actor(summary.school_coordinator_id)

    plan = await assemble_for_student(coordinator, summary.example_student_id, SEMESTER)

    assert (plan.status, plan.consent) == ("in_progress", "given")
    assert [step for step, _ in plan.approvals] == ["preparer", "school", "municipality"]
    factors = {risk.factor for risk in plan.risks}
    assert ABSENCES in factors and len(factors) >= 3
    assert all(risk.addressed for risk in plan.risks)
    sessions = [m for m in plan.measures if m.kind == "consultation"]
    assert sessions and all(m.sessions > 0 and m.hours > 0 for m in sessions)
    transport = next(m for m in plan.measures if m.support_type == TRANSPORT_TICKETS)
    assert transport.realised == transport.planned
    assert {need.status for need in plan.needs} == {"confirmed", "asked"}
    assert any(need.details for need in plan.needs if need.support_type == TRANSPORT_TICKETS)


async def test_every_demo_school_assembles(db):
    summary = await load_demo_data()
    coordinator = await load_actor(summary.municipality_coordinator_id)

    plans = [
        plan
        for school_id in summary.school_ids
        for plan in await assemble_school(coordinator, school_id, SEMESTER)
    ]

    assert len(plans) == summary.students_at_risk
    statuses = {plan.status for plan in plans if plan.iap_id}
    assert statuses == {"draft", "in_approval", "approved", "in_progress", "paused", "under_review"}
    assert sum(1 for plan in plans if plan.iap_id) == summary.iaps
    paused = next(plan for plan in plans if plan.status == "paused")
    assert paused.pause_reason
    assert any(gap.kind == "no_plan" for plan in plans for gap in plan.gaps)


async def test_the_demo_teacher_has_a_student_at_risk_to_open_a_plan_for(db):
    summary = await load_demo_data()
    teacher = await load_actor(summary.teacher_id)
    school_id = next(iter(teacher.staff_school_ids))
    plans = await assemble_school(teacher, school_id, SEMESTER)
    assert any(plan.iap_id is None and plan.risks for plan in plans)
    drafts = [plan for plan in plans if plan.status in ("draft", "in_approval", "in_progress")]
    assert drafts and all(plan.justifications for plan in drafts)
    assert all(not has_amount_missing(plan) for plan in plans)


def has_amount_missing(plan) -> bool:
    return any(gap.kind == "amount_missing" for gap in blockers(plan))


async def test_demo_students_have_register_refs_a_roster_import_matches(db):
    from core.csv_import import chunks_of
    from core.services.rosters import import_roster
    from storage.models import SchoolClass, Student

    await load_demo_data()
    students = await Student.all().order_by("id")
    assert all(s.student_ref and s.student_ref.startswith("EK-") for s in students)
    school_id = students[0].school_id
    classes = {c.id: c.name for c in await SchoolClass.filter(school_id=school_id)}
    lines = [
        f"{s.student_ref},{classes[s.school_class_id]},{s.first_name},{s.last_name}"
        for s in students
        if s.school_id == school_id
    ]
    content = "\n".join(["student_ref,class,first_name,last_name", *lines]).encode()
    result = await import_roster(None, school_id, chunks_of(content))
    assert result.changes == 0 and result.unchanged == len(lines)


async def test_a_few_demo_students_are_at_risk_by_their_attendance_and_most_are_not(
    db, monkeypatch
):
    from datetime import date

    from core import clock, demo
    from storage.models import Absence

    friday = date(2026, 2, 27)  # eight weeks into the second semester
    monkeypatch.setattr(clock, "today", lambda: friday)
    monkeypatch.setattr(demo, "today", lambda: friday)
    await load_demo_data()
    levels = await Student.all().values_list("absence_level", flat=True)
    at_risk = [level for level in levels if level is not None]
    assert 1 <= len(at_risk) <= len(levels) // 5
    assert await Absence.filter(excused__gt=0).exists()  # sick days, counted apart
    example = await Student.get(id=1)  # the example student's bad spell is the last weeks
    assert example.absence_level == "high"
