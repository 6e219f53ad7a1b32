"""Students' absence levels, recomputed when attendance arrives; a rise is a risk signal, a rise
to high also a message to the school's coordinators and the teachers who logged the absences.

A level is the EWIMS rule (core.absence_rules) over the window ending on the day given: the
unexcused lessons a student missed in it, of the lessons of the school days it holds (the school's
calendar, core.school_calendar). Work is done in batches of students with a fixed number of
queries each, whatever the number of students or days.

When the level rises (none to caution, none to high, caution to high) one RiskSignal(factor
absences) is created, so the at-risk lists, digests and plans that read signals see it; a fall only
updates the level. A rise to high is queued once per student and day (the outbox's dedupe key)
for each of the school's coordinators and each teacher who logged an absence of the student in the
window (the schema has no class-teacher link: they are the class's teachers we know of).

A rise is decided with the students' rows locked (in a transaction of its own, or the caller's):
of two transactions raising one student at once, the second sees the first's level and absences,
so the rise is one signal and one message, not two.
"""

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import date

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core.absence_rules import AbsenceRules, rose, rules_of, share_tenths
from core.catalogues import ABSENCES, HIGH, RISK_FACTORS, SCHOOL_COORDINATOR, TEACHER
from core.missed_lessons import NONE_MISSED, Missed, missed_lessons
from core.school_calendar import SchoolCalendar, calendars
from core.services import outbox
from storage.models import Absence, AuditEvent, Membership, RiskSignal, School, Student
from storage.one_of import one_of
from storage.statements import ModelStatement

BATCH = 5000
ABSENCE_HIGH = "absence_high"  # the outbox kind


@dataclass(frozen=True)
class LevelChange:
    student_id: int
    school_id: int
    before: str | None
    after: str | None
    unexcused: int
    excused: int
    lessons: int  # of the window's school days
    window_from: date
    window_to: date

    @property
    def rose(self) -> bool:
        return rose(self.before, self.after)

    @property
    def share_tenths(self) -> int:
        return share_tenths(self.unexcused, self.lessons)


@dataclass
class LevelCount:
    """How many students are at each level after a recomputation, and who changed."""

    by_level: dict[str | None, int]
    changes: list[LevelChange]

    @property
    def rises(self) -> list[LevelChange]:
        return [change for change in self.changes if change.rose]


@dataclass(frozen=True)
class Windows:
    """Each school's rules, and its calendar and lessons over its window ending on `day`."""

    day: date
    rules: dict[int, AbsenceRules]
    calendars: dict[int, SchoolCalendar]  # from the earliest window's first day to `day`
    lessons: dict[int, int]


async def windows(schools: Iterable[School], day: date) -> Windows:
    """The schools' windows ending on `day` (one query: the schools' own holidays)."""
    rules = {school.id: rules_of(school) for school in schools}
    if not rules:
        return Windows(day, {}, {}, {})
    first = min(rule.window_start(day) for rule in rules.values())
    calendar = await calendars(rules, first, day)
    lessons = {
        school_id: calendar[school_id].school_days(rule.window_start(day), day)
        * rule.lessons_per_day
        for school_id, rule in rules.items()
    }
    return Windows(day, rules, calendar, lessons)


async def recompute_levels(
    school_ids: list[int],
    day: date,
    *,
    student_ids: list[int] | None = None,
    actor_id: int | None = None,
    known: Windows | None = None,
) -> LevelCount:
    """Recompute the level of these students (default: every current student of the schools)
    over each school's window ending on `day`; store it, signal the rises.

    `known`: the schools' windows ending on `day`, when the caller has read them already."""
    if known is None:
        known = await windows(await School.filter(id__in=school_ids), day)
    rules, lessons = known.rules, known.lessons
    if not rules:
        return LevelCount({None: 0}, [])
    count = LevelCount(defaultdict(int), [])
    query = _levels_kept(list(rules))
    if student_ids is not None:
        query = query.filter(id__in=student_ids)
    async for ids in _batches(query, student_ids):
        async with _transaction():
            batch = await _locked(list(rules), ids)
            changes = await _batch_levels(batch, rules, lessons, day)
            await _store(changes, actor_id)
        for _, _, before in batch:
            count.by_level[before] += 1
        for change in changes:
            count.by_level[change.before] -= 1
            count.by_level[change.after] += 1
        count.changes.extend(changes)
    count.by_level = dict(count.by_level)
    return count


async def _batches(
    query: QuerySet[Student], student_ids: list[int] | None
) -> AsyncIterator[list[int]]:
    """The students' ids a batch at a time, in id order (keyset paging: no OFFSET to rescan);
    a few students named by the caller are one batch, not read first."""
    if student_ids is not None and len(student_ids) <= BATCH:
        if student_ids:
            yield sorted(set(student_ids))
        return
    after = 0
    while True:
        ids = await query.filter(id__gt=after).order_by("id").limit(BATCH).values_list("id")
        if not ids:
            return
        after = ids[-1][0]
        yield [student_id for (student_id,) in ids]


def _transaction() -> AbstractAsyncContextManager[object]:
    """A transaction of its own, or the caller's when there is one: a savepoint inside it would
    cost two round trips and change nothing (no caller goes on after a failed recomputation)."""
    if isinstance(connections.get("default"), TransactionalDBClient):
        return nullcontext()
    return in_transaction()


async def _locked(school_ids: list[int], ids: list[int]) -> list[tuple[int, int, str | None]]:
    """The stored levels of the students of a batch (those of these schools still on their
    lists), read once their rows are locked (until the transaction ends; in id order, so two
    recomputations never wait on each other in a circle).

    Two transactions recomputing one student at once (two imports, an import and a teacher's
    absences) take turns: the second reads the level, and the absences, the first committed, so
    a rise is signalled once. FOR NO KEY UPDATE: a lock that absences being written (whose
    foreign key shares the student's row) do not wait for, nor deadlock with."""
    locked = await _LOCKED.models(schools=school_ids, students=ids)
    return [(student.id, student.school_id, student.absence_level) for student in locked]


def _levels_kept(school_ids: list[int]) -> QuerySet[Student]:
    """The students whose level is kept: of these schools, still on their lists."""
    return Student.filter(
        **one_of("school_id", school_ids), erased_at__isnull=True, left_at__isnull=True
    )


_LOCKED = ModelStatement(
    Student,
    lambda v: (
        _levels_kept(v("schools"))
        .filter(**one_of("id", v("students")))
        .order_by("id")
        .select_for_update(no_key=True)
        .only("id", "school_id", "absence_level")
    ),
)


async def _batch_levels(
    batch: list[tuple[int, int, str | None]],
    rules: dict[int, AbsenceRules],
    lessons: dict[int, int],
    day: date,
) -> list[LevelChange]:
    """The students of the batch whose level is not what is stored (a query per window length)."""
    by_window: dict[int, list[int]] = defaultdict(list)
    for student_id, school_id, _ in batch:
        by_window[rules[school_id].window_days].append(student_id)
    missed: dict[int, Missed] = {}
    for window_days, ids in by_window.items():
        start = AbsenceRules(window_days=window_days).window_start(day)
        missed.update(await missed_lessons(ids, start, day))
    changes = []
    for student_id, school_id, before in batch:
        unexcused, excused = missed.get(student_id, NONE_MISSED)
        rule = rules[school_id]
        after = rule.level(unexcused, lessons[school_id])
        if after != before:
            changes.append(
                LevelChange(
                    student_id,
                    school_id,
                    before,
                    after,
                    unexcused,
                    excused,
                    lessons[school_id],
                    rule.window_start(day),
                    day,
                )
            )
    return changes


async def _store(changes: list[LevelChange], actor_id: int | None) -> None:
    """The new levels (a query per level), a signal for each rise, a message for each to high."""
    by_level: dict[str | None, list[int]] = defaultdict(list)
    for change in changes:
        by_level[change.after].append(change.student_id)
    for level, ids in by_level.items():
        await Student.filter(id__in=ids).update(absence_level=level)
    rises = [change for change in changes if change.rose]
    if not rises:
        return
    await RiskSignal.bulk_create(
        [
            RiskSignal(
                student_id=change.student_id,
                school_id=change.school_id,
                group=RISK_FACTORS[ABSENCES].group,
                factor=ABSENCES,
                level=change.after,
                value=change.unexcused,
                observed_from=change.window_from,
                observed_to=change.window_to,
                reporter_id=actor_id,
            )
            for change in rises
        ]
    )
    await AuditEvent.bulk_create(
        [
            AuditEvent(
                person_id=actor_id,
                action=f"absence_level.{change.after}",
                entity="student",
                entity_id=change.student_id,
            )
            for change in rises
        ]
    )
    await _tell_of_high([change for change in rises if change.after == HIGH])


async def _tell_of_high(rises: list[LevelChange]) -> None:
    """One message per rise to each coordinator of the school and each teacher who logged the
    student's absences in the window (three queries, then the outbox's two per payload)."""
    if not rises:
        return
    school_ids = {change.school_id for change in rises}
    coordinators: dict[int, set[int]] = defaultdict(set)
    for person_id, school_id in await Membership.filter(
        role=SCHOOL_COORDINATOR, school_id__in=school_ids
    ).values_list("person_id", "school_id"):
        coordinators[school_id].add(person_id)
    first = min(change.window_from for change in rises)
    last = max(change.window_to for change in rises)
    logged = await Absence.filter(
        student_id__in=[change.student_id for change in rises],
        day__gte=first,
        day__lte=last,
        reporter_id__isnull=False,
    ).values_list("student_id", "reporter_id", "day")
    teachers = set(
        await Membership.filter(role=TEACHER, school_id__in=school_ids).values_list(
            "person_id", "school_id"
        )
    )
    for change in rises:
        recipients = set(coordinators[change.school_id])
        recipients |= {
            reporter
            for student_id, reporter, logged_on in logged
            if student_id == change.student_id
            and change.window_from <= logged_on <= change.window_to
            and (reporter, change.school_id) in teachers
        }
        key = f"{change.student_id}:{change.window_to.isoformat()}"
        await outbox.enqueue_many(
            [(person_id, ABSENCE_HIGH, key) for person_id in sorted(recipients)],
            {
                "student_id": change.student_id,
                "unexcused": change.unexcused,
                "lessons": change.lessons,
                "share_tenths": change.share_tenths,
                "window_from": change.window_from.toordinal(),
                "window_to": change.window_to.toordinal(),
            },
        )
