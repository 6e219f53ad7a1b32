"""Reminders the bot sends on its own initiative, each once, queued by a daily job.

- In a semester's first two weeks: each teacher who logged a high-risk signal of a student who
  has no plan this semester (signals of this semester or the one before).
- Two weeks before a semester's teaching ends: each preparer of plans still in progress, to
  review them.
- Any day: a coordinator whose turn a plan has waited for more than five school days (again
  only when another plan's wait goes over the limit).

Queueing is a fixed number of queries whatever the number of students and plans; the outbox's
unique key keeps each reminder to once (a semester, or a plan's wait). A reminder carries no
names: its text is built when it goes out, from what is still true then.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from core import clock
from core.access import STAFF_ROLES, Actor
from core.catalogues import HIGH
from core.clock import RIGA, Semester, school_days
from core.services import outbox
from core.services.iaps import approvers, coordinators_over, iaps_waiting_for
from storage.columns import column
from storage.models import Iap, Membership, RiskSignal, School, Student

START_DAYS = 14
REVIEW_DAYS = 14
WAITING_SCHOOL_DAYS = 5
# When teaching ends (month, day). The Cabinet sets the dates each school year (2026/27:
# 18 December); until they are kept here, these are close enough for a two-week reminder.
TEACHING_ENDS = {1: (12, 18), 2: (5, 31)}


def teaching_end(semester: Semester) -> date:
    month, day = TEACHING_ENDS[semester.number]
    return date(semester.start.year, month, day)


def previous(semester: Semester) -> Semester:
    if semester.number == 2:
        return Semester(semester.school_year, 1)
    return Semester(semester.school_year - 1, 2)


def _label(semester: Semester) -> dict[str, int]:
    return {"school_year": semester.school_year, "semester": semester.number}


def semester_of(payload: Mapping[str, Any]) -> Semester:
    return Semester(payload["school_year"], payload["semester"])


# Semester start: students at high risk without a plan.


def _high_risk_without_plan(semester: Semester) -> QuerySet[RiskSignal]:
    """High-risk signals of this semester and the one before, of students with no plan now."""
    planned = Iap.filter(school_year=semester.school_year, semester=semester.number)
    return RiskSignal.filter(
        level=HIGH,
        observed_to__gte=previous(semester).start,
        student__erased_at__isnull=True,
        student__left_at__isnull=True,
    ).exclude(student_id__in=Subquery(planned.values("student_id")))


async def queue_plan_start_reminders(day: date, now: datetime) -> int:
    """In the semester's first two weeks: each teacher still at the school of a student they
    signalled at high risk, who has no plan; how many teachers (three queries)."""
    semester = Semester.of(day)
    if not semester.start <= day < semester.start + timedelta(days=START_DAYS):
        return 0
    reported = set(
        await _high_risk_without_plan(semester)
        .filter(reporter_id__isnull=False)
        .distinct()
        .values_list("reporter_id", "school_id")
    )
    staff = await Membership.filter(
        role__in=STAFF_ROLES, person_id__in=[person for person, _ in reported] or [-1]
    ).values_list("person_id", "school_id")
    teachers = sorted({person for person, school in set(staff) & reported})
    key = f"plan-start:{semester.label}"
    messages = [(person, outbox.PLAN_START_REMINDER, key) for person in teachers]
    await outbox.enqueue_many(messages, _label(semester), now=now)
    return len(teachers)


async def students_needing_plan(actor: Actor, semester: Semester) -> list[Student]:
    """The students this teacher signalled at high risk, of their school, still with no plan."""
    signalled = (
        _high_risk_without_plan(semester)
        .filter(reporter_id=actor.id, school_id__in=list(actor.staff_school_ids) or [-1])
        .values("student_id")
    )
    return (
        await Student.filter(id__in=Subquery(signalled))
        .select_related("school_class")
        .order_by("last_name", "first_name", "id")
    )


# Before the semester ends: plans in progress to review.


def _in_progress(semester: Semester) -> QuerySet[Iap]:
    return Iap.filter(
        status="in_progress",
        school_year=semester.school_year,
        semester=semester.number,
        student__erased_at__isnull=True,
    )


async def queue_review_reminders(day: date, now: datetime) -> int:
    """In the two weeks before teaching ends: each preparer of plans still in progress; how
    many preparers (two queries)."""
    semester = Semester.of(day)
    end = teaching_end(semester)
    if not end - timedelta(days=REVIEW_DAYS) <= day <= end:
        return 0
    preparers = sorted(
        set(await column(_in_progress(semester).filter(preparer_id__isnull=False), "preparer_id"))
    )
    key = f"review:{semester.label}"
    messages = [(person, outbox.REVIEW_REMINDER, key) for person in preparers]
    await outbox.enqueue_many(messages, _label(semester), now=now)
    return len(preparers)


async def plans_to_review(actor: Actor, semester: Semester) -> list[Iap]:
    """This preparer's plans still in progress in the semester, in schools they work with."""
    scope = Q(student__school_id__in=list(actor.staff_school_ids) or [-1]) | Q(
        student__school__municipality_id__in=list(actor.municipality_ids) or [-1]
    )
    return (
        await _in_progress(semester)
        .filter(scope, preparer_id=actor.id)
        .select_related("student__school_class")
        .order_by("student__last_name", "student__first_name", "id")
    )


# Any day: plans waiting long for an approver.


def waiting_since(plan: Iap) -> datetime:
    """When the plan's last signature was given: since then it waits for the next."""
    return max(approval.at for approval in plan.approvals)


def waited_too_long(plan: Iap, day: date) -> bool:
    """More than five school days (weekdays) after the day of its last signature."""
    signed_on = waiting_since(plan).astimezone(RIGA).date()
    return school_days(signed_on + timedelta(days=1), day) > WAITING_SCHOOL_DAYS


async def queue_approval_reminders(day: date, now: datetime) -> int:
    """Each approver plans have waited for too long: once, and again only when another plan's
    wait goes over the limit; how many approvers (four queries)."""
    plans = (
        await Iap.filter(status="in_approval", student__erased_at__isnull=True)
        .select_related("student__school")
        .prefetch_related("approvals")
    )
    overdue = sorted(
        (plan for plan in plans if plan.approvals and waited_too_long(plan, day)),
        key=lambda plan: (waiting_since(plan), plan.id),
    )
    schools = {plan.student.school for plan in overdue}
    coordinators = await Membership.filter(
        coordinators_over(_ids(schools), (s.municipality_id for s in schools))
    )
    newest: dict[int, str] = {}  # the wait that last went over the limit, each approver's
    for plan in overdue:
        latest = max(approval.id for approval in plan.approvals)
        for person in approvers(plan, plan.student.school, list(plan.approvals), coordinators):
            newest[person] = f"waiting:{plan.id}:{latest}"
    messages = [(person, outbox.APPROVAL_REMINDER, key) for person, key in sorted(newest.items())]
    await outbox.enqueue_many(messages, {}, now=now)
    return len(messages)


def _ids(records: Iterable[School]) -> list[int]:
    return [record.id for record in records]


async def plans_waiting_too_long(actor: Actor, day: date | None = None) -> list[Iap]:
    """Plans waiting for this actor's signature for more than five school days."""
    day = day or clock.today()
    return [plan for plan in await iaps_waiting_for(actor) if waited_too_long(plan, day)]


async def queue_reminders(day: date | None = None, now: datetime | None = None) -> dict[str, int]:
    """The day's reminders (default: today in Riga, as `core.clock` tells); how many of each."""
    day = day or clock.today()
    now = now or clock.now()
    return {
        "plan_start": await queue_plan_start_reminders(day, now),
        "review": await queue_review_reminders(day, now),
        "approval": await queue_approval_reminders(day, now),
    }
