"""IAP assembly: risks, measures against what was realised, gaps, and a fixed query cost."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.clock import Semester, today
from core.iap import assemble_for_student, assemble_school, school_students_in_play
from core.services import consultations, iaps, needs, signals
from storage.models import Student
from storage.query_counter import count_queries

SEMESTER = Semester.current()


def in_semester(days_ago: int) -> date:
    """A day in the current semester, not after today."""
    return max(today() - timedelta(days=days_ago), SEMESTER.start)


async def test_risks_are_grouped_with_absences_summed(world):
    teacher = world.teacher_a
    a1 = world.student_a1.id
    await signals.record_risk_signal(teacher, a1, "unexcused_absences", value=3)
    await signals.record_risk_signal(teacher, a1, "unexcused_absences", value=4, level="high")
    await signals.record_risk_signal(teacher, a1, "low_motivation", note="fictional note")

    plan = await assemble_for_student(teacher, a1, SEMESTER)

    by_factor = {risk.factor: risk for risk in plan.risks}
    absences = by_factor["unexcused_absences"]
    assert (absences.signals, absences.lessons_missed, absences.level) == (2, 7, "high")
    assert absences.group == "learning"
    assert by_factor["low_motivation"].lessons_missed is None
    assert by_factor["low_motivation"].level == "caution"
    assert plan.iap_id is None
    assert [gap.kind for gap in plan.gaps] == ["no_plan"]


async def test_measures_show_what_was_realised_and_gaps(world):
    teacher, psychologist = world.teacher_a, world.psychologist_a
    a1 = world.student_a1.id
    await signals.record_risk_signal(teacher, a1, "unexcused_absences", value=6)
    await signals.record_risk_signal(teacher, a1, "material_conditions")
    await signals.record_risk_signal(teacher, a1, "family_crisis")
    iap = await iaps.open_iap(teacher, a1, SEMESTER)
    await iaps.add_measure(
        teacher,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=6,
        risk_factors=["unexcused_absences", "family_crisis"],
    )
    await iaps.add_measure(
        teacher,
        iap.id,
        kind="material",
        support_type="transport_tickets",
        planned_quantity=4,
        risk_factors=["material_conditions"],
    )
    await iaps.add_measure(
        teacher,
        iap.id,
        kind="consultation",
        specialist_type="social_pedagogue",
        planned_quantity=2,
        risk_factors=["family_crisis"],
    )
    for minutes in (45, 45):
        await consultations.log_consultation(
            psychologist, a1, held_on=in_semester(1), minutes=minutes, mode="in_person"
        )
    need = await needs.ask_parent_about_need(teacher, a1, "transport_tickets", SEMESTER)
    months = SEMESTER.months()[:2]
    await needs.answer_need(
        world.parent_a1, need.id, confirmed=True, months=months, details="Home - school"
    )

    plan = await assemble_for_student(world.coordinator_a, a1, SEMESTER)

    psych, transport, social = plan.measures
    assert (psych.sessions, psych.hours, psych.planned) == (2, Decimal("1.50"), Decimal("6.0"))
    assert transport.months_confirmed == months
    assert social.realised == 0
    assert plan.sessions[0].specialist_type == "psychologist"
    assert plan.needs[0].status == "confirmed"
    gaps = {(gap.kind, gap.code) for gap in plan.gaps}
    assert gaps == {
        ("consent_missing", None),
        ("measure_not_realised", "social_pedagogue"),
    }
    assert all(risk.addressed for risk in plan.risks)


async def test_a_risk_without_measure_is_a_gap(world):
    a1 = world.student_a1.id
    await signals.record_risk_signal(world.teacher_a, a1, "health")
    iap = await iaps.open_iap(world.teacher_a, a1, SEMESTER)
    await iaps.record_consent(world.parent_a1, iap.id, given=True)

    plan = await assemble_for_student(world.teacher_a, a1, SEMESTER)

    assert [(gap.kind, gap.code) for gap in plan.gaps] == [("risk_without_measure", "health")]
    assert plan.consent == "given"


async def _busy_history(world, student_id: int, signals_count: int) -> None:
    teacher = world.teacher_a
    iap = await iaps.open_iap(teacher, student_id, SEMESTER)
    await iaps.add_measure(
        teacher,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=5,
        risk_factors=["unexcused_absences"],
    )
    for n in range(signals_count):
        await signals.record_risk_signal(teacher, student_id, "unexcused_absences", value=1 + n % 3)
        await consultations.log_consultation(
            world.psychologist_a, student_id, held_on=in_semester(n % 5), minutes=30, mode="remote"
        )


async def test_assembly_costs_a_fixed_number_of_queries(world):
    await _busy_history(world, world.student_a1.id, 1)
    await _busy_history(world, world.student_a2.id, 25)
    actor = world.coordinator_a

    with count_queries() as small:
        await assemble_for_student(actor, world.student_a1.id, SEMESTER)
    with count_queries() as large:
        await assemble_for_student(actor, world.student_a2.id, SEMESTER)
    with count_queries() as school:
        plans = await assemble_school(actor, world.school_a.id, SEMESTER)

    assert small.queries == large.queries <= 13  # the plan, its parts, attendance, outcome
    assert school.queries <= small.queries + 2
    assert [p.student_id for p in plans] == [world.student_a1.id, world.student_a2.id]
    assert {p.student_id: p.measures[0].sessions for p in plans} == {
        world.student_a1.id: 1,
        world.student_a2.id: 25,
    }


async def test_students_in_play_in_one_query_a_leaver_by_their_plan_only(world):
    teacher = world.teacher_a
    a1, a2, a3 = world.student_a1.id, world.student_a2.id, world.student_a3.id
    await iaps.open_iap(teacher, a1, SEMESTER)
    await signals.record_risk_signal(teacher, a2, "health")
    await signals.record_risk_signal(teacher, a3, "health")
    await signals.record_risk_signal(world.teacher_b, world.student_b1.id, "health")

    with count_queries() as counted:
        before = await school_students_in_play(world.school_a.id, SEMESTER)
    await Student.filter(id__in=[a1, a2]).update(left_at=today())
    after = await school_students_in_play(world.school_a.id, SEMESTER)

    assert counted.queries == 1
    assert before == sorted([a1, a2, a3])
    assert after == [a1, a3]  # a leaver's plan stays listed, not their signals


async def test_signals_of_another_semester_stay_out(world):
    a1 = world.student_a1.id
    await signals.record_risk_signal(world.teacher_a, a1, "health")
    previous = Semester(SEMESTER.school_year - 1, SEMESTER.number)
    plan = await assemble_for_student(world.teacher_a, a1, previous)
    assert plan.risks == []
    assert plan.gaps == []


async def test_parent_reads_own_child_plan_only(world):
    plan = await assemble_for_student(world.parent_a1, world.student_a1.id, SEMESTER)
    assert plan.student_id == world.student_a1.id
    from core.errors import NotFound

    with pytest.raises(NotFound):  # another child: answered as if there were none
        await assemble_for_student(world.parent_a1, world.student_a2.id, SEMESTER)
