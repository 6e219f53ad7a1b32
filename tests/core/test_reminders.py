"""Daily reminders: to the right people, once each, in their windows, at a fixed query cost."""

from datetime import UTC, date, datetime, time

import pytest

from core import clock
from core.clock import RIGA, Semester
from core.services import iaps, outbox
from core.services.reminders import queue_reminders
from storage.models import Iap, IapApproval, OutboxItem, Person, RiskSignal, Student
from storage.query_counter import count_queries
from tests.core.test_plan_review import second_coordinator_of
from tests.world import submitted_plan

AUTUMN = Semester(2026, 1)


def morning(day: date) -> datetime:
    return datetime.combine(day, time(8, 30), tzinfo=RIGA).astimezone(UTC)


@pytest.fixture
def on_day(monkeypatch):
    """Set Riga's date (08:30) as core.clock tells it."""

    def set_day(day: date) -> None:
        monkeypatch.setattr(clock, "today", lambda: day)
        monkeypatch.setattr(clock, "now", lambda: morning(day))

    return set_day


async def recipients(kind: str) -> list[int]:
    return sorted(await OutboxItem.filter(kind=kind).values_list("recipient_id", flat=True))


async def signal(student, reporter, level: str, day: date) -> None:
    await RiskSignal.create(
        student_id=student.id,
        school_id=student.school_id,
        group="learning",
        factor="low_achievement",
        level=level,
        observed_from=day,
        observed_to=day,
        reporter_id=reporter.id,
    )


async def test_at_semester_start_teachers_hear_of_their_high_risk_students_without_a_plan(
    world, on_day
):
    spring = date(2026, 5, 20)  # last semester: still counts at this one's start
    await signal(world.student_a1, world.teacher_a, "high", spring)
    await signal(world.student_b1, world.teacher_b, "high", date(2026, 9, 1))
    await signal(world.student_a2, world.teacher_a, "high", spring)  # has a plan: no reminder
    await Iap.create(student_id=world.student_a2.id, school_year=2026, semester=1)
    await signal(world.student_a3, world.psychologist_a, "caution", spring)  # not high
    await signal(world.student_c1, world.teacher_b, "high", spring)  # not teacher_b's school now
    await signal(world.student_a3, world.coordinator_a, "high", date(2025, 12, 1))  # too old

    on_day(date(2026, 8, 31))  # the last day of the semester before
    assert (await queue_reminders())["plan_start"] == 0
    on_day(date(2026, 9, 3))
    assert (await queue_reminders())["plan_start"] == 2
    assert await recipients(outbox.PLAN_START_REMINDER) == [world.teacher_a.id, world.teacher_b.id]
    on_day(date(2026, 9, 10))
    await queue_reminders()  # once a semester
    assert len(await recipients(outbox.PLAN_START_REMINDER)) == 2
    on_day(date(2026, 9, 15))  # after the first two weeks a newcomer would not be reminded
    await signal(world.student_a3, world.psychologist_a, "high", date(2026, 9, 14))
    assert (await queue_reminders())["plan_start"] == 0


async def test_a_reminder_waits_for_the_end_of_its_recipients_quiet_hours(world, on_day):
    await signal(world.student_a1, world.teacher_a, "high", date(2026, 9, 1))
    await signal(world.student_b1, world.teacher_b, "high", date(2026, 9, 1))
    await Person.filter(id=world.teacher_b.id).update(quiet_start_minute=0, quiet_end_minute=600)
    on_day(date(2026, 9, 3))
    await queue_reminders(now=datetime.combine(date(2026, 9, 3), time(7), tzinfo=RIGA))
    due = {
        item.recipient_id: item.not_before.astimezone(RIGA).time()
        for item in await OutboxItem.filter(kind=outbox.PLAN_START_REMINDER)
    }
    assert due == {world.teacher_a.id: time(8), world.teacher_b.id: time(10)}


async def test_two_weeks_before_teaching_ends_preparers_hear_of_plans_in_progress(world, on_day):
    teacher_v = await world_teacher_v(world)
    for student, preparer, status in (
        (world.student_a1, world.teacher_a, "in_progress"),
        (world.student_a2, world.teacher_a, "in_progress"),
        (world.student_b1, world.teacher_b, "paused"),
        (world.student_v1, teacher_v, "under_review"),
    ):
        await Iap.create(
            student_id=student.id,
            school_year=2026,
            semester=1,
            status=status,
            preparer_id=preparer.id,
        )
    on_day(date(2026, 12, 3))
    assert (await queue_reminders())["review"] == 0
    on_day(date(2026, 12, 4))
    assert (await queue_reminders())["review"] == 1
    on_day(date(2026, 12, 11))
    await queue_reminders()
    assert await recipients(outbox.REVIEW_REMINDER) == [world.teacher_a.id]
    on_day(date(2027, 5, 20))  # the spring semester's own reminder (no plans in progress there)
    assert (await queue_reminders())["review"] == 0


async def world_teacher_v(world):
    from tests.world import teacher_at

    return await teacher_at(world.school_v, "Teacher V", 120)


async def waiting_since(iap_id: int, day: date) -> None:
    """The plan's signatures were given on `day` (Riga)."""
    at = datetime.combine(day, time(15), tzinfo=RIGA)
    await IapApproval.filter(iap_id=iap_id).update(at=at)


async def test_an_approver_hears_once_of_plans_waiting_more_than_five_school_days(world, on_day):
    other = await second_coordinator_of(world.school_a, 130)
    a1 = await submitted_plan(world.student_a1, world.teacher_a)
    a2 = await submitted_plan(world.student_a2, world.teacher_a, consent_by=world.coordinator_a)
    await waiting_since(a1.id, date(2026, 3, 2))  # a Monday
    await waiting_since(a2.id, date(2026, 3, 2))

    on_day(date(2026, 3, 9))  # five school days: not yet
    assert (await queue_reminders())["approval"] == 0
    on_day(date(2026, 3, 10))
    assert (await queue_reminders())["approval"] == 2
    # coordinator_a recorded a2's consent: reminded for a1 only; the other coordinator once
    assert await recipients(outbox.APPROVAL_REMINDER) == [world.coordinator_a.id, other.id]
    on_day(date(2026, 3, 11))
    await queue_reminders()
    assert len(await recipients(outbox.APPROVAL_REMINDER)) == 2

    await iaps.approve_iap(world.coordinator_a, a1.id)  # on to the municipality: a new wait
    await waiting_since(a1.id, date(2026, 3, 2))
    await queue_reminders()
    assert await recipients(outbox.APPROVAL_REMINDER) == [
        world.coordinator_a.id,
        world.coordinator_m1.id,
        other.id,
    ]


async def test_reminders_cost_the_same_queries_for_many_students(world, on_day):
    async def queries() -> int:
        await OutboxItem.all().delete()
        on_day(date(2026, 12, 10))  # in no start window: the approval reminder runs alone
        with count_queries() as late:
            await queue_reminders()
        on_day(date(2026, 9, 3))
        with count_queries() as early:
            await queue_reminders()
        return late.queries + early.queries

    async def one_more(n: int) -> None:
        student = await Student.create(
            school_id=world.school_a.id,
            school_class_id=world.class_a7.id,
            first_name=f"Vards{n}",
            last_name="Paraugs",
        )
        reporter = world.teacher_a if n % 2 else world.psychologist_a
        await signal(student, reporter, "high", date(2026, 9, 1))
        if n % 3 == 0:
            return
        plan = await Iap.create(
            student_id=student.id,
            school_year=2026,
            semester=1,
            status="in_approval" if n % 3 == 1 else "in_progress",
            preparer_id=reporter.id,
        )
        await IapApproval.create(iap_id=plan.id, step="preparer", person_id=reporter.id)
        await waiting_since(plan.id, date(2026, 9, 1))

    for n in range(3):
        await one_more(n)
    few = await queries()
    assert await OutboxItem.exists(kind=outbox.APPROVAL_REMINDER)
    assert await OutboxItem.exists(kind=outbox.PLAN_START_REMINDER)
    for n in range(3, 40):
        await one_more(n)
    assert await queries() == few
