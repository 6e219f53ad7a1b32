"""Students at risk: who is listed for whom, the counts, and a fixed query cost."""

from datetime import timedelta

import pytest

from core.clock import Semester
from core.errors import AccessDenied
from core.services import iaps, signals
from core.services.overview import students_at_risk
from storage.models import RiskSignal, Student
from storage.query_counter import count_queries

SEMESTER = Semester.current()


async def _at_risk_everywhere(world) -> None:
    """a1: two signals; a3: a plan only; b1, v1, c1: one signal each; a2: nothing."""
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    await signals.record_risk_signal(
        world.teacher_a, world.student_a1.id, "unexcused_absences", value=4
    )
    await iaps.open_iap(world.teacher_a, world.student_a3.id, SEMESTER)
    await signals.record_risk_signal(world.teacher_b, world.student_b1.id, "health")
    await signals.record_risk_signal(world.coordinator_v, world.student_v1.id, "starting_work")
    await signals.record_risk_signal(world.coordinator_m2, world.student_c1.id, "family_crisis")


async def test_each_scope_sees_its_own_students_with_counts_and_plans(world):
    await _at_risk_everywhere(world)

    teacher = await students_at_risk(world.teacher_a, SEMESTER)
    assert [(s.first_name, s.class_name, s.signals, s.iap_status) for s in teacher] == [
        ("Anna", "7.a", 2, None),
        ("Marta", "8.b", 0, "draft"),
    ]
    m1 = await students_at_risk(world.coordinator_m1, SEMESTER)
    assert [(s.school_name, s.last_name) for s in m1] == [
        ("Ezerkalnes tehnikums", "Vitols"),
        ("Ezerkalnes vidusskola", "Kalnina"),
        ("Ezerkalnes vidusskola", "Liepa"),
        ("Liepu pamatskola", "Berzs"),
    ]
    assert [s.last_name for s in await students_at_risk(world.coordinator_m2, SEMESTER)] == ["Egle"]
    assert [s.last_name for s in await students_at_risk(world.teacher_b, SEMESTER)] == ["Berzs"]
    assert [s.last_name for s in await students_at_risk(world.coordinator_v, SEMESTER)] == [
        "Vitols"
    ]


async def test_signals_of_another_semester_do_not_count(world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    old = SEMESTER.start - timedelta(days=1)
    await RiskSignal.create(
        student_id=world.student_a2.id,
        school_id=world.student_a2.school_id,
        group="learning",
        factor="behaviour",
        level="caution",
        observed_from=old,
        observed_to=old,
    )
    listed = await students_at_risk(world.teacher_a, SEMESTER)
    assert [(s.last_name, s.signals) for s in listed] == [("Kalnina", 1)]
    assert await students_at_risk(world.teacher_a, SEMESTER.next()) == []


@pytest.mark.parametrize("who", ["parent_a1", "volunteer", "outsider"])
async def test_only_staff_and_coordinators_may_ask(world, who):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    with pytest.raises(AccessDenied):
        await students_at_risk(getattr(world, who), SEMESTER)


async def test_the_query_cost_does_not_grow_with_the_students(world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    with count_queries() as few:
        await students_at_risk(world.coordinator_m1, SEMESTER)
    for n in range(30):
        student = await Student.create(
            school_id=world.school_a.id,
            school_class_id=world.class_a7.id,
            first_name=f"Extra{n}",
            last_name="Student",
        )
        await signals.record_risk_signal(world.teacher_a, student.id, "low_motivation")
        await iaps.open_iap(world.teacher_a, student.id, SEMESTER)
    with count_queries() as many:
        listed = await students_at_risk(world.coordinator_m1, SEMESTER)
    assert len(listed) == 31
    assert few.queries == many.queries <= 3
