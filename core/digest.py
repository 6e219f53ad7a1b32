"""The coordinators' weekly digest: a school's or a municipality's week in figures.

Every figure comes for the week asked for and for the week before, so the digest can say what
changed. A week runs Monday to Sunday in Riga. New signals are those logged in the week
(`created_at`), sessions and youth activities those held in it (`held_on`), needs those the
parents confirmed in it (`answered_at`). Semester figures (students at risk without a plan, plans
by status, needs awaiting parents) are as they stood at the end of each week, for the semester
the week ends in.

Whatever the data size, a digest costs a fixed number of queries (12 for a school, 13 for a
municipality), grouped by school (or, for the students at risk, by student); the history behind
the chart costs three or four. A batch of digests (the outbox's) is read in a fixed number of
queries for the whole batch (`read_ahead`); each digest then only resolves its scope.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Max, Min, Sum
from tortoise.queryset import QuerySet

from core.access import STAFF_ROLES, Actor, coordinated_school
from core.catalogues import PARENT
from core.clock import RIGA, Semester, today
from core.errors import InvalidInput, NotFound
from core.formatting import hours_of
from core.i18n import N_
from core.services.iaps import may_sign, next_step
from storage.models import (
    Consultation,
    Iap,
    IapApproval,
    IapTransition,
    Membership,
    Municipality,
    PeerActivity,
    RiskSignal,
    School,
    SupportNeed,
)
from storage.one_of import one_of

SCHOOL, MUNICIPALITY = "school", "municipality"
HISTORY_WEEKS = 8
MAX_HISTORY_WEEKS = 52
BAD_SCOPE = N_("Give the scope as school-<id> or municipality-<id>.")
KEPT_BATCHES = 4  # batches read ahead kept for the digests still to build
FRESH_SECONDS = 60.0  # a digest read ahead longer ago is read again: its "now" figures aged


# --- weeks and scopes ----------------------------------------------------------------------


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def riga_midnight(day: date) -> datetime:
    """The moment a day starts on Riga's wall clock, in UTC (DST-aware)."""
    return datetime.combine(day, time(), tzinfo=RIGA).astimezone(UTC)


@dataclass(frozen=True, order=True)
class Week:
    """Monday to Sunday in Riga."""

    start: date  # always a Monday

    @classmethod
    def of(cls, day: date) -> Week:
        return cls(monday(day))

    @classmethod
    def current(cls) -> Week:
        return cls.of(today())

    @property
    def end(self) -> date:
        """The week's Sunday."""
        return self.start + timedelta(days=6)

    @property
    def since(self) -> datetime:
        return riga_midnight(self.start)

    @property
    def until(self) -> datetime:
        """The start of next week: the first moment not in this one."""
        return riga_midnight(self.start + timedelta(days=7))

    def previous(self, weeks: int = 1) -> Week:
        return Week(self.start - timedelta(days=7 * weeks))


@dataclass(frozen=True)
class Scope:
    """What a digest covers: one school, or a municipality with all its schools."""

    kind: str  # school | municipality
    id: int

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Read `school-12` or `municipality-3`; InvalidInput on anything else."""
        kind, _, number = text.strip().partition("-")
        digits = number.isascii() and number.isdigit()  # "²".isdigit() too, but int() refuses it
        if kind not in (SCHOOL, MUNICIPALITY) or not digits or len(number) > 9:
            raise InvalidInput(BAD_SCOPE)
        return cls(kind, int(number))

    def __str__(self) -> str:
        return f"{self.kind}-{self.id}"


@dataclass(frozen=True)
class Place:
    """A scope resolved: its name, its schools, and the municipality (for youth activities)."""

    name: str
    schools: tuple[School, ...]
    municipality_id: int


async def resolve_scope(actor: Actor, scope: Scope) -> Place:
    """The scope, if the actor coordinates it (one query for a school, two for a municipality)."""
    if scope.kind == SCHOOL:
        school = await coordinated_school(actor, scope.id)
        return Place(school.name, (school,), school.municipality_id)
    if scope.kind != MUNICIPALITY:
        raise InvalidInput(BAD_SCOPE)
    if scope.id not in actor.municipality_ids:
        raise NotFound()
    municipality = await Municipality.get_or_none(id=scope.id)
    if municipality is None:
        raise NotFound()
    schools = await School.filter(municipality_id=scope.id).order_by("name", "id")
    return Place(municipality.name, tuple(schools), scope.id)


# --- figures -------------------------------------------------------------------------------


@dataclass
class Sessions:
    sessions: int = 0
    minutes: int = 0

    @property
    def hours(self) -> Decimal:
        return hours_of(self.minutes)


@dataclass
class Activities:
    """Youth peer activities: counted, never naming a student."""

    activities: int = 0
    participants: int = 0
    at_risk_participants: int = 0
    hours: Decimal = Decimal(0)


@dataclass
class Figures:
    """One week's figures for one school, or summed over a municipality."""

    signals_by_group: dict[str, int] = field(default_factory=dict)
    newly_at_risk: int = 0  # students whose first signal ever was logged this week
    at_risk_without_plan: int = 0  # signals this semester, no plan this semester
    plans_by_status: dict[str, int] = field(default_factory=dict)
    sessions_by_specialist: dict[str, Sessions] = field(default_factory=dict)
    needs_confirmed: int = 0
    needs_awaiting_parents: int = 0
    activities: Activities = field(default_factory=Activities)  # the municipality's

    @property
    def signals(self) -> int:
        return sum(self.signals_by_group.values())

    @property
    def plans(self) -> int:
        return sum(self.plans_by_status.values())

    @property
    def sessions(self) -> int:
        return sum(line.sessions for line in self.sessions_by_specialist.values())

    @property
    def minutes(self) -> int:
        return sum(line.minutes for line in self.sessions_by_specialist.values())

    @property
    def hours(self) -> Decimal:
        return hours_of(self.minutes)

    def add(self, other: Figures) -> None:
        """Add a school's figures into these totals (youth activities are not per school)."""
        for group, n in other.signals_by_group.items():
            self.signals_by_group[group] = self.signals_by_group.get(group, 0) + n
        for status, n in other.plans_by_status.items():
            self.plans_by_status[status] = self.plans_by_status.get(status, 0) + n
        for specialist, line in other.sessions_by_specialist.items():
            total = self.sessions_by_specialist.setdefault(specialist, Sessions())
            total.sessions += line.sessions
            total.minutes += line.minutes
        self.newly_at_risk += other.newly_at_risk
        self.at_risk_without_plan += other.at_risk_without_plan
        self.needs_confirmed += other.needs_confirmed
        self.needs_awaiting_parents += other.needs_awaiting_parents


@dataclass
class SchoolLine:
    school_id: int
    name: str
    figures: Figures
    previous: Figures


@dataclass
class Digest:
    scope: Scope
    name: str
    week: Week
    semester: Semester
    figures: Figures
    previous: Figures  # the week before
    waiting_for_approval: list[int] = field(default_factory=list)  # IAP ids, now
    unreachable: list[str] = field(default_factory=list)  # names of staff and parents, now
    schools: list[SchoolLine] = field(default_factory=list)  # a municipality's, one per school


# Per school id: the week's figures and the previous week's.
Tally = dict[int, tuple[Figures, Figures]]


@dataclass
class WeekData:
    """A week's figures (and the week before's) per school, its municipalities' youth activities,
    and who is waiting or unreachable now: read for one scope or for many at once."""

    tally: Tally
    activities: dict[int, tuple[Activities, Activities]]  # per municipality
    in_approval: list[dict[str, Any]]  # plans in approval, oldest first
    signed: dict[int, set[str]]  # per plan in approval: the steps signed
    unreachable: list[dict[str, Any]]  # memberships of people the bot cannot reach

    def covers(self, place: Place) -> bool:
        return place.municipality_id in self.activities and all(
            school.id in self.tally for school in place.schools
        )


async def build_digest(actor: Actor, scope: Scope, week_start: date) -> Digest:
    """The digest of the week containing `week_start`, for a coordinator of the scope."""
    place = await resolve_scope(actor, scope)
    week = Week.of(week_start)
    data = _read_ahead.get().week_data(week, place)
    if data is None:
        data = await read_week_data(place.schools, [place.municipality_id], week)
    return _assemble(actor, scope, place, week, data)


async def read_week_data(
    schools: Sequence[School], municipality_ids: Sequence[int], week: Week
) -> WeekData:
    """What the digests of these schools and municipalities say about `week`, in a fixed number
    of queries (11) however many they are."""
    weeks = (week, week.previous())
    semester = Semester.of(week.end)
    ids = [school.id for school in schools]
    tally: Tally = {school.id: (Figures(), Figures()) for school in schools}
    await _count_signals(tally, ids, weeks)
    await _count_students(tally, ids, weeks, semester)
    await _count_plans(tally, ids, weeks, semester)
    await _count_sessions(tally, ids, weeks)
    await _count_needs(tally, ids, weeks)
    in_approval, signed = await _in_approval(ids)
    return WeekData(
        tally,
        await _count_activities(sorted(set(municipality_ids)), weeks),
        in_approval,
        signed,
        await _unreachable_rows(ids),
    )


def _assemble(actor: Actor, scope: Scope, place: Place, week: Week, data: WeekData) -> Digest:
    """The scope's digest from the figures of its schools."""
    figures, previous = Figures(), Figures()
    for school in place.schools:
        this_week, week_before = data.tally[school.id]
        figures.add(this_week)
        previous.add(week_before)
    figures.activities, previous.activities = data.activities[place.municipality_id]
    return Digest(
        scope=scope,
        name=place.name,
        week=week,
        semester=Semester.of(week.end),
        figures=figures,
        previous=previous,
        waiting_for_approval=_waiting_for(actor, place, data),
        unreachable=_unreachable(place, data),
        schools=[
            SchoolLine(school.id, school.name, *data.tally[school.id])
            for school in place.schools
            if scope.kind == MUNICIPALITY
        ],
    )


def _in_week(field_name: str, week: Week) -> Q:
    """A filter: a DatetimeField within the week (Riga's Monday midnight to the next)."""
    bounds: dict[str, Any] = {f"{field_name}__gte": week.since, f"{field_name}__lt": week.until}
    return Q(**bounds)


def _on_days(field_name: str, week: Week) -> Q:
    """A filter: a DateField on one of the week's days."""
    bounds: dict[str, Any] = {f"{field_name}__gte": week.start, f"{field_name}__lte": week.end}
    return Q(**bounds)


async def _count_signals(tally: Tally, ids: list[int], weeks: tuple[Week, Week]) -> None:
    this, before = weeks
    rows = (
        await RiskSignal.filter(
            **one_of("school_id", ids), created_at__gte=before.since, created_at__lt=this.until
        )
        .annotate(
            signals_0=Count("id", _filter=_in_week("created_at", this)),
            signals_1=Count("id", _filter=_in_week("created_at", before)),
        )
        .group_by("school_id", "group")
        .values("school_id", "group", "signals_0", "signals_1")
    )
    for row in rows:
        for index, figures in enumerate(tally[row["school_id"]]):
            if row[f"signals_{index}"]:
                figures.signals_by_group[row["group"]] = row[f"signals_{index}"]


async def _count_students(
    tally: Tally, ids: list[int], weeks: tuple[Week, Week], semester: Semester
) -> None:
    """Students newly at risk, and at risk without a plan, in two queries: a row per student.

    Newly at risk: their first signal ever was logged in the week. At risk without a plan at the
    end of a week: a signal of the semester logged by then, and no plan for it opened by then,
    and still on the school's lists. Students who left are not counted (their signals are).
    """
    this, _ = weeks
    in_semester = Q(observed_to__gte=semester.start, observed_to__lte=semester.end)
    students = (
        await RiskSignal.filter(
            **one_of("school_id", ids), created_at__lt=this.until, student__left_at__isnull=True
        )
        .annotate(
            first_logged=Min("created_at"), first_in_semester=Min("created_at", _filter=in_semester)
        )
        .group_by("student_id", "school_id", "student__school_id")
        .values(
            "student_id", "school_id", "student__school_id", "first_logged", "first_in_semester"
        )
    )
    plans = await Iap.filter(
        **one_of("student__school_id", ids),
        school_year=semester.school_year,
        semester=semester.number,
    ).values_list("student_id", "created_at")
    plan_opened = {student_id: _as_datetime(at) for student_id, at in plans}
    for row in students:
        first_logged = _as_datetime(row["first_logged"])
        first_in_semester = row["first_in_semester"] and _as_datetime(row["first_in_semester"])
        opened = plan_opened.get(row["student_id"])
        for week, figures in zip(weeks, tally[row["school_id"]], strict=True):
            if week.since <= first_logged < week.until:
                figures.newly_at_risk += 1
            at_risk = first_in_semester is not None and first_in_semester < week.until
            at_risk = at_risk and row["student__school_id"] == row["school_id"]  # not moved away
            if at_risk and (opened is None or opened >= week.until):
                figures.at_risk_without_plan += 1


async def _count_plans(
    tally: Tally, ids: list[int], weeks: tuple[Week, Week], semester: Semester
) -> None:
    """Plans of the semester by the status each had at the end of each week (its last move)."""
    for index, week in enumerate(weeks):
        last_moves = (
            IapTransition.filter(
                **one_of("iap__student__school_id", ids),
                iap__school_year=semester.school_year,
                iap__semester=semester.number,
                at__lt=week.until,
            )
            .annotate(last_id=Max("id"))
            .group_by("iap_id")
            .values("last_id")
        )
        rows = (
            await IapTransition.filter(id__in=Subquery(last_moves))
            .annotate(plans=Count("id"))
            .group_by("iap__student__school_id", "to_status")
            .values("iap__student__school_id", "to_status", "plans")
        )
        for row in rows:
            figures = tally[row["iap__student__school_id"]][index]
            figures.plans_by_status[row["to_status"]] = row["plans"]


async def _count_sessions(tally: Tally, ids: list[int], weeks: tuple[Week, Week]) -> None:
    this, before = weeks
    rows = (
        await Consultation.filter(
            **one_of("school_id", ids), held_on__gte=before.start, held_on__lte=this.end
        )
        .annotate(
            sessions_0=Count("id", _filter=_on_days("held_on", this)),
            minutes_0=Sum("minutes", _filter=_on_days("held_on", this)),
            sessions_1=Count("id", _filter=_on_days("held_on", before)),
            minutes_1=Sum("minutes", _filter=_on_days("held_on", before)),
        )
        .group_by("school_id", "specialist_type")
        .values(
            "school_id",
            "specialist_type",
            "sessions_0",
            "minutes_0",
            "sessions_1",
            "minutes_1",
        )
    )
    for row in rows:
        for index, figures in enumerate(tally[row["school_id"]]):
            if row[f"sessions_{index}"]:
                figures.sessions_by_specialist[row["specialist_type"]] = Sessions(
                    row[f"sessions_{index}"], int(row[f"minutes_{index}"] or 0)
                )


def _awaiting_at(moment: datetime) -> Q:
    """Needs asked before the moment and not yet answered at it."""
    return Q(created_at__lt=moment) & (Q(status="asked") | Q(answered_at__gte=moment))


async def _count_needs(tally: Tally, ids: list[int], weeks: tuple[Week, Week]) -> None:
    this, before = weeks
    rows = (
        await SupportNeed.filter(**one_of("student__school_id", ids), created_at__lt=this.until)
        .annotate(
            confirmed_0=Count("id", _filter=Q(status="confirmed") & _in_week("answered_at", this)),
            confirmed_1=Count(
                "id", _filter=Q(status="confirmed") & _in_week("answered_at", before)
            ),
            awaiting_0=Count("id", _filter=_awaiting_at(this.until)),
            awaiting_1=Count("id", _filter=_awaiting_at(before.until)),
        )
        .group_by("student__school_id")
        .values("student__school_id", "confirmed_0", "confirmed_1", "awaiting_0", "awaiting_1")
    )
    for row in rows:
        for index, figures in enumerate(tally[row["student__school_id"]]):
            figures.needs_confirmed = row[f"confirmed_{index}"]
            figures.needs_awaiting_parents = row[f"awaiting_{index}"]


async def _count_activities(
    municipality_ids: list[int], weeks: tuple[Week, Week]
) -> dict[int, tuple[Activities, Activities]]:
    """Youth peer activities held in each municipality in each week."""
    this, before = weeks
    sums: dict[str, Any] = {}
    for index, week in enumerate(weeks):
        held = _on_days("held_on", week)
        sums |= {
            f"activities_{index}": Count("id", _filter=held),
            f"participants_{index}": Sum("participants", _filter=held),
            f"at_risk_{index}": Sum("at_risk_participants", _filter=held),
            f"hours_{index}": Sum("hours", _filter=held),
        }
    rows = (
        await PeerActivity.filter(
            **one_of("municipality_id", municipality_ids),
            held_on__gte=before.start,
            held_on__lte=this.end,
        )
        .annotate(**sums)
        .group_by("municipality_id")
        .values("municipality_id", *sums)
    )
    by_municipality = {row["municipality_id"]: row for row in rows}
    return {
        municipality_id: _activities(by_municipality.get(municipality_id, {}))
        for municipality_id in municipality_ids
    }


def _activities(row: dict[str, Any]) -> tuple[Activities, Activities]:
    return tuple(  # type: ignore[return-value]
        Activities(
            activities=row.get(f"activities_{index}") or 0,
            participants=int(row.get(f"participants_{index}") or 0),
            at_risk_participants=int(row.get(f"at_risk_{index}") or 0),
            hours=Decimal(str(row.get(f"hours_{index}") or 0)).quantize(Decimal("0.01")),
        )
        for index in range(2)
    )


async def _in_approval(ids: list[int]) -> tuple[list[dict[str, Any]], dict[int, set[str]]]:
    """Plans in approval in these schools, oldest first, and the steps each has signed."""
    plans = (
        await Iap.filter(**one_of("student__school_id", ids), status="in_approval")
        .order_by("updated_at", "id")
        .values("id", "preparer_id", "student__school_id")
    )
    signed: dict[int, set[str]] = defaultdict(set)
    steps = IapApproval.filter(**one_of("iap__student__school_id", ids), iap__status="in_approval")
    for iap_id, step in await steps.values_list("iap_id", "step"):
        signed[iap_id].add(step)
    return plans, signed


def _waiting_for(actor: Actor, place: Place, data: WeekData) -> list[int]:
    """Plans in approval whose next signature is this coordinator's, oldest first.

    As `iaps.iaps_waiting_for` decides, within the scope only.
    """
    schools = {school.id: school for school in place.schools}
    waiting = []
    for plan in data.in_approval:
        school = schools.get(plan["student__school_id"])
        if school is None:
            continue
        step = next_step(school, data.signed[plan["id"]])
        if step is not None and may_sign(actor, step, school, plan["preparer_id"]):
            waiting.append(plan["id"])
    return waiting


async def _unreachable_rows(ids: list[int]) -> list[dict[str, Any]]:
    """Staff and parents in these schools whom the bot cannot reach (they blocked it)."""
    return (
        await Membership.filter(
            Q(role__in=STAFF_ROLES, **one_of("school_id", ids))
            | Q(role=PARENT, **one_of("student__school_id", ids)),
            person__unreachable=True,
        )
        .distinct()
        .values("role", "school_id", "student__school_id", "person_id", "person__display_name")
    )


def _unreachable(place: Place, data: WeekData) -> list[str]:
    """The names of the unreachable staff and parents in the place."""
    ids = {school.id for school in place.schools}
    names = {
        row["person_id"]: row["person__display_name"]
        for row in data.unreachable
        if (row["role"] == PARENT and row["student__school_id"] in ids)
        or (row["role"] in STAFF_ROLES and row["school_id"] in ids)
    }
    return sorted(names.values())


def _as_datetime(value: datetime | str) -> datetime:
    """SQLite returns aggregated moments as text."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- history for the chart -----------------------------------------------------------------


@dataclass
class History:
    """Weekly series, oldest week first."""

    weeks: list[date]  # the Mondays
    signals: list[int]
    sessions: list[int]
    hours: list[Decimal]


async def digest_history(
    actor: Actor, scope: Scope, weeks: int = HISTORY_WEEKS, until: date | None = None
) -> History:
    """Signals logged, sessions held and their hours, week by week up to `until`'s week."""
    if not 1 <= weeks <= MAX_HISTORY_WEEKS:
        raise InvalidInput(N_("Give from 1 to {max} weeks."), max=MAX_HISTORY_WEEKS)
    place = await resolve_scope(actor, scope)
    last = Week.of(until or today())
    data = _read_ahead.get().history_data(last, weeks, place)
    if data is None:
        data = await read_history_data(place.schools, last, weeks)
    return data.history(place.schools)


@dataclass
class HistoryData:
    """The weekly series per school (signals, sessions, minutes), for one scope or many."""

    series: list[Week]
    per_school: dict[int, dict[str, int]]

    def covers(self, weeks: int, place: Place) -> bool:
        return len(self.series) == weeks and all(s.id in self.per_school for s in place.schools)

    def history(self, schools: Iterable[School]) -> History:
        """The series of these schools summed: a place's."""
        totals: dict[str, int] = defaultdict(int)
        for school in schools:
            for name, value in self.per_school[school.id].items():
                totals[name] += value
        count = range(len(self.series))
        return History(
            weeks=[week.start for week in self.series],
            signals=[totals[f"signals_{i}"] for i in count],
            sessions=[totals[f"sessions_{i}"] for i in count],
            hours=[hours_of(totals[f"minutes_{i}"]) for i in count],
        )


async def read_history_data(schools: Sequence[School], last: Week, weeks: int) -> HistoryData:
    """The series of these schools, `weeks` weeks up to `last`, in two queries however many."""
    series = [last.previous(back) for back in range(weeks - 1, -1, -1)]
    first = series[0]
    ids = [school.id for school in schools]
    in_weeks = list(enumerate(series))
    per_school: dict[int, dict[str, int]] = {school.id: {} for school in schools}
    await _weekly_rows(
        per_school,
        RiskSignal.filter(
            **one_of("school_id", ids), created_at__gte=first.since, created_at__lt=last.until
        ),
        {f"signals_{i}": Count("id", _filter=_in_week("created_at", w)) for i, w in in_weeks},
    )
    await _weekly_rows(
        per_school,
        Consultation.filter(
            **one_of("school_id", ids), held_on__gte=first.start, held_on__lte=last.end
        ),
        {f"sessions_{i}": Count("id", _filter=_on_days("held_on", w)) for i, w in in_weeks}
        | {f"minutes_{i}": Sum("minutes", _filter=_on_days("held_on", w)) for i, w in in_weeks},
    )
    return HistoryData(series, per_school)


async def _weekly_rows(
    per_school: dict[int, dict[str, int]], query: QuerySet[Any], aggregates: dict[str, Any]
) -> None:
    """The aggregates per school in one query, into `per_school`."""
    rows = await query.annotate(**aggregates).group_by("school_id").values("school_id", *aggregates)
    for row in rows:
        per_school[row["school_id"]] |= {name: int(row[name] or 0) for name in aggregates}


# --- reading ahead for a batch of digests --------------------------------------------------


@dataclass
class Batch:
    """One batch's digests of a week, read together."""

    week: Week
    scopes: frozenset[Scope]
    read_at: float  # monotonic seconds
    data: WeekData
    history: HistoryData


@dataclass
class ReadAhead:
    """What `read_ahead` read for batches of digests: the last few, each used while fresh."""

    batches: deque[Batch] = field(default_factory=lambda: deque(maxlen=KEPT_BATCHES))

    def fresh(self, week: Week) -> list[Batch]:
        """This week's batches read less than FRESH_SECONDS ago, the newest first."""
        oldest = monotonic() - FRESH_SECONDS
        return [b for b in reversed(self.batches) if b.week == week and b.read_at > oldest]

    def week_data(self, week: Week, place: Place) -> WeekData | None:
        found = (batch.data for batch in self.fresh(week) if batch.data.covers(place))
        return next(found, None)

    def history_data(self, last: Week, weeks: int, place: Place) -> HistoryData | None:
        batches = self.fresh(last)
        return next((b.history for b in batches if b.history.covers(weeks, place)), None)


_OUTSIDE = ReadAhead()  # never filled: outside `digests_read_ahead`, nothing is kept
_read_ahead: ContextVar[ReadAhead] = ContextVar("digests_read_ahead", default=_OUTSIDE)


@contextmanager
def digests_read_ahead() -> Iterator[None]:
    """Within: `read_ahead` keeps what it reads for the digests built in this context (and in
    the tasks it starts); outside, nothing is kept."""
    token = _read_ahead.set(ReadAhead())
    try:
        yield
    finally:
        _read_ahead.reset(token)


async def read_ahead(scopes: Sequence[Scope], week: Week) -> None:
    """Read the digests of `week` for these scopes and their charts' histories in a fixed number
    of queries (14) however many scopes, kept for `build_digest` and `digest_history` within
    `digests_read_ahead` (each still checks its reader's access and resolves its scope). Scopes
    read for a fresh batch already are not read again."""
    ahead = _read_ahead.get()
    if ahead is _OUTSIDE:
        return
    read = {scope for batch in ahead.fresh(week) for scope in batch.scopes}
    scopes = [scope for scope in scopes if scope not in read]  # e.g. items still waiting
    if not scopes:
        return
    schools = await _schools_of(scopes)
    towns = {school.municipality_id for school in schools}
    towns |= {scope.id for scope in scopes if scope.kind == MUNICIPALITY}
    data = await read_week_data(schools, sorted(towns), week)
    history = await read_history_data(schools, week, HISTORY_WEEKS)
    ahead.batches.append(Batch(week, frozenset(scopes), monotonic(), data, history))


async def coordinators_histories(scopes: Sequence[Scope], until: date) -> dict[Scope, History]:
    """The charts' histories of these scopes up to `until`'s week, in three queries however
    many: for the weekly job, whose scopes are its coordinators' own (no reader to check)."""
    schools = await _schools_of(scopes)
    data = await read_history_data(schools, Week.of(until), HISTORY_WEEKS)
    return {scope: data.history(_schools_in(scope, schools)) for scope in scopes}


async def _schools_of(scopes: Sequence[Scope]) -> list[School]:
    """The schools of these scopes, in one query."""
    school_ids = [scope.id for scope in scopes if scope.kind == SCHOOL]
    municipality_ids = [scope.id for scope in scopes if scope.kind == MUNICIPALITY]
    return await School.filter(
        Q(**one_of("id", school_ids)) | Q(**one_of("municipality_id", municipality_ids))
    )


def _schools_in(scope: Scope, schools: Iterable[School]) -> list[School]:
    if scope.kind == SCHOOL:
        return [school for school in schools if school.id == scope.id]
    return [school for school in schools if school.municipality_id == scope.id]
