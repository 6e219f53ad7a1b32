"""Did it work? For each measure type, the students who received it before and after it started,
against similar students without it over the same weeks (a difference in differences).

What is measured, per student:
- unexcused absences as lessons missed per 100 lessons: the lessons missed in a window over the
  window's school days times the school's lessons a day (`School.lessons_per_day`, else the
  programme's default); school days are weekdays less Latvia's public holidays, the national
  breaks and the school's own holidays (`core.school_calendar`);
- new risk signals (by the day observed, `observed_to`) per 20 school days, about a month.

Windows: the W weeks (default 6) before the day a measure started and as long from that day,
both kept inside the semester and before today (a window with no school day left is not used).
A measure starts on its first delivery: a consultation type on the first session of the semester
with that specialist; material support on the later of the day the parent confirmed the need and
the first day of its first month. NGO involvement has no link to a student in the data (youth
activities count participants only), so it cannot be evaluated: it is reported as such.

The comparison: students of the scope with a risk signal in the semester who did not receive the
measure, each given one pseudo start day, the Monday of the treated students' median start, so both
sides are measured over nearly the same calendar weeks. Students are matched exactly on the risk
group of their first signal of the semester and on their absence band before the start (under 5,
5 to 10, 10 or more per 100 lessons). Within each such stratum the change (after minus before) of
the treated students' mean is compared with the comparison's; the strata are weighted by their
treated students. The 95% interval uses the standard error of that weighted difference and
Welch-Satterthwaite's degrees of freedom (scipy.stats.t): with one stratum it is Welch's t
interval exactly. Strata with fewer than two students on a side are left out.

It is an observational comparison: it shows whether students with a measure changed differently
from similar students without it, not that the measure caused the difference.

Cost: three queries once the scope is resolved (students counted per measure and start day, the
outcomes counted per measure, the windows' aggregates; two when no measure started inside the
semester so far), whatever the number of schools and rows; resolving takes one query for a
school, one or two for a municipality, none for the country. School days, rates, changes and
strata are made in the database (core.effectiveness_sql); Python receives a row per measure
type, side and stratum, and does the statistics.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tortoise import connections

from core.access import Actor
from core.catalogues import PROGRAMME_ADMIN, SPECIALIST_TYPES, SUPPORT_TYPES
from core.clock import Semester, today
from core.digest import SCHOOL, Scope, resolve_scope
from core.effectiveness_sql import (
    CONSULTATION,
    MATERIAL,
    RATES,
    Sql,
    aggregates_sql,
    outcomes_sql,
    start_days_sql,
)
from core.errors import AccessDenied, InvalidInput, NotFound
from core.i18n import N_
from core.kept_results import KeptResults
from core.school_calendar import national_days_off
from storage.models import Municipality, School

COUNTRY = "country"
NGO = "ngo"
DEFAULT_WEEKS, MAX_WEEKS = 6, 12
MIN_STUDENTS = 20  # on each side, to draw any conclusion
SMALL_NUMBER = 5  # under this, municipality and country figures are not shown
CONTINUING = ("continues", "completed")
LEFT_EARLY = "left_early"
BAD_SCOPE = N_("Give the scope as school-<id>, municipality-<id> or country.")
BAD_WEEKS = N_("Give from 1 to {max} weeks.")

# Conclusions of one comparison.
TOO_FEW, NO_EVIDENCE, LOWER, HIGHER = "too_few", "no_evidence", "lower", "higher"
NOT_MEASURABLE = "not_measurable"


# --- the scope -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """A scope resolved: what it is called and which students are in it (by their school)."""

    scope: str  # school-3, municipality-2, country
    kind: str  # school | municipality | country
    id: int | None
    name: str | None  # None for the country: the view names it in the reader's language

    @property
    def exact(self) -> bool:
        """A school sees its own exact figures; larger scopes suppress small numbers."""
        return self.kind == SCHOOL


async def resolve_area(actor: Actor, text: str) -> Area:
    """`school-N`, `municipality-N` or `country`, if the actor may read it.

    The programme administrator reads every scope; a municipality coordinator their
    municipalities and their schools; a school coordinator their school. A scope outside the
    caller's is answered as missing (NotFound); the country, to anyone but the administrator, as
    not theirs (AccessDenied): it exists for everyone.
    """
    if text.strip() == COUNTRY:
        if PROGRAMME_ADMIN not in actor.roles:
            raise AccessDenied()
        return Area(COUNTRY, COUNTRY, None, None)
    try:
        scope = Scope.parse(text)
    except InvalidInput:
        raise InvalidInput(BAD_SCOPE) from None
    if PROGRAMME_ADMIN in actor.roles:
        model = School if scope.kind == SCHOOL else Municipality
        record = await model.get_or_none(id=scope.id)
        if record is None:
            raise NotFound()
        return Area(str(scope), scope.kind, scope.id, record.name)
    place = await resolve_scope(actor, scope)
    return Area(str(scope), scope.kind, scope.id, place.name)


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureType:
    kind: str  # consultation | material | ngo
    code: str  # the specialist or support type; "ngo" for NGO involvement
    label: str  # msgid

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"


MEASURE_TYPES = (
    *(MeasureType(CONSULTATION, entry.code, entry.label) for entry in SPECIALIST_TYPES),
    *(MeasureType(MATERIAL, entry.code, entry.label) for entry in SUPPORT_TYPES),
    MeasureType(NGO, NGO, N_("Youth NGO involvement")),
)


@dataclass
class Outcomes:
    """How the semester ended for a side's students, where it was recorded."""

    recorded: int = 0
    continuing: int = 0  # continues at the school or completed the level
    left_early: int = 0

    def share(self, count: int) -> float | None:
        return count / self.recorded if self.recorded else None


@dataclass
class Side:
    """One side of a comparison: the students' mean rates before and after the start.

    `students` is None (shown as "<5") when the scope suppresses small numbers and there are 1 to
    4; the rates are None then too. Outcomes likewise, when any of their cells is 1 to 4.
    """

    students: int | None
    absences_before: float | None = None  # unexcused lessons per 100 lessons
    absences_after: float | None = None
    signals_before: float | None = None  # new risk signals per 20 school days
    signals_after: float | None = None
    outcomes: Outcomes | None = None

    @property
    def suppressed(self) -> bool:
        return self.students is None


@dataclass
class Estimate:
    """A difference in differences: the treated students' change minus the comparison's."""

    with_measure: int | None  # students in the strata compared, on each side (None: "<5")
    without_measure: int | None
    difference: float | None = None
    low: float | None = None  # the 95% interval
    high: float | None = None
    conclusion: str = TOO_FEW


@dataclass
class MeasureEffect:
    measure: MeasureType
    measurable: bool = True
    received: int | None = 0  # None: 1 to 4, suppressed
    start_day: date | None = None  # the comparison's start: the Monday of the treated median
    with_measure: Side | None = None
    without_measure: Side | None = None
    absences: Estimate | None = None
    signals: Estimate | None = None


@dataclass
class EffectivenessReport:
    area: Area
    semester: Semester
    weeks: int
    until: date  # the first day not measured: today, or the day after the semester
    measures: list[MeasureEffect] = field(default_factory=list)


# --- what the database gives back --------------------------------------------------------


Stratum = tuple[str | None, int]  # risk group (None: no signal), absence band before the start


@dataclass(frozen=True)
class Moments:
    """Count, sum and sum of squares of some values: enough for their mean and variance."""

    count: int
    total: float
    squares: float

    @property
    def mean(self) -> float:
        return self.total / self.count

    @property
    def variance(self) -> float:
        """The sample variance (over count - 1); never below zero from rounding."""
        return max(0.0, (self.squares - self.total**2 / self.count) / (self.count - 1))


@dataclass(frozen=True)
class Sums:
    """One side's windows in one stratum: how many, the sums of their rates (RATES) and the
    moments of their changes (absences, signals)."""

    students: int
    rates: tuple[float, ...]
    absences: Moments
    signals: Moments

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Sums:
        count = int(row["students"])

        def moments(name: str) -> Moments:
            return Moments(count, float(row[name]), float(row[f"{name}_squares"]))

        return cls(
            count,
            tuple(float(row[name]) for name in RATES),
            moments("absence_change"),
            moments("signal_change"),
        )


@dataclass
class MeasureData:
    """Everything the database said about one measure type."""

    received: int = 0
    days: dict[date, int] = field(default_factory=dict)  # students by start day
    treated: dict[Stratum, Sums] = field(default_factory=dict)
    comparison: dict[Stratum, Sums] = field(default_factory=dict)
    outcomes: Outcomes = field(default_factory=Outcomes)  # of its students
    at_risk_outcomes: Outcomes = field(default_factory=Outcomes)  # of its students at risk


def as_date(value: date | str) -> date:
    """SQLite gives dates back as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def _query(build: Callable[[Sql], str]) -> list[dict[str, Any]]:
    connection = connections.get("default")
    sql = Sql(connection.capabilities.dialect == "postgres")
    rows: list[dict[str, Any]] = await connection.execute_query_dict(*sql.finish(build(sql)))
    return rows


def closed_days(semester: Semester, until: date) -> list[date]:
    """Weekdays from the semester's start to `until` on which no school teaches."""
    return sorted(national_days_off(semester.start, until))


def _count(outcomes: Outcomes, outcome: str | None, students: int) -> None:
    if outcome is None:
        return
    outcomes.recorded += students
    outcomes.continuing += students * (outcome in CONTINUING)
    outcomes.left_early += students * (outcome == LEFT_EARLY)


def _take_outcomes(rows: list[dict[str, Any]], data: dict[str, MeasureData]) -> Outcomes:
    """Each measure's outcomes into `data`; gives back those of every student at risk."""
    everyone = Outcomes()
    for row in rows:
        measure, outcome, students = row["measure"], row["outcome"], int(row["students"])
        if measure is None:
            _count(everyone, outcome, students)
            continue
        _count(data[measure].outcomes, outcome, students)
        if int(row["at_risk"]):
            _count(data[measure].at_risk_outcomes, outcome, students)
    return everyone


def _take_sums(rows: list[dict[str, Any]], data: dict[str, MeasureData]) -> None:
    for row in rows:
        measure = data[row["measure"]]
        side = measure.treated if int(row["treated"]) else measure.comparison
        side[(row["risk_group"], int(row["band"]))] = Sums.of(row)


# --- statistics ----------------------------------------------------------------------------


def difference_in_differences(
    treated: Mapping[Stratum, Moments], comparison: Mapping[Stratum, Moments]
) -> Estimate:
    """The treated students' mean change minus the comparison's, stratum by stratum, weighted by
    the treated students in each; with a 95% interval (Welch-Satterthwaite, scipy.stats.t)."""
    strata = [
        s for s in treated if treated[s].count >= 2 and s in comparison and comparison[s].count >= 2
    ]
    n_treated = sum(treated[s].count for s in strata)
    n_comparison = sum(comparison[s].count for s in strata)
    estimate = Estimate(n_treated, n_comparison)
    if n_treated < MIN_STUDENTS or n_comparison < MIN_STUDENTS:
        return estimate
    difference, variance, dof_denominator = 0.0, 0.0, 0.0
    for stratum in strata:
        weight = treated[stratum].count / n_treated
        difference += weight * (treated[stratum].mean - comparison[stratum].mean)
        for values in (treated[stratum], comparison[stratum]):
            term = weight**2 * values.variance / values.count
            variance += term
            dof_denominator += term**2 / (values.count - 1)
    margin = 0.0
    if variance > 0:
        dof = variance**2 / dof_denominator
        margin = _t_quantile(dof) * math.sqrt(variance)
    estimate.difference = difference
    estimate.low, estimate.high = difference - margin, difference + margin
    if estimate.low <= 0 <= estimate.high:
        estimate.conclusion = NO_EVIDENCE
    else:
        estimate.conclusion = LOWER if difference < 0 else HIGHER
    return estimate


def _side(strata: Collection[Sums], outcomes: Outcomes, exact: bool) -> Side:
    """Mean rates of a side's windows (over its strata), and the outcomes of its students (all
    of them)."""
    count = sum(part.students for part in strata)
    shown = _small(count, exact)
    side = Side(shown)
    if count and shown is not None:
        means = [sum(part.rates[i] for part in strata) / count for i in range(len(RATES))]
        side.absences_before, side.absences_after, side.signals_before, side.signals_after = means
    cells = (outcomes.continuing, outcomes.left_early, outcomes.recorded)
    others = outcomes.recorded - outcomes.continuing - outcomes.left_early
    if exact or not any(0 < cell < SMALL_NUMBER for cell in (*cells, others)):
        side.outcomes = outcomes
    return side


def _small(count: int, exact: bool) -> int | None:
    return count if exact or not 0 < count < SMALL_NUMBER else None


def median_day(days: Mapping[date, int]) -> date:
    """The middle start day of students counted by day (the earlier of the two middle ones)."""
    middle = (sum(days.values()) - 1) // 2
    seen = 0
    for day in sorted(days):
        seen += days[day]
        if seen > middle:
            return day
    raise ValueError("no start day")


def pseudo_starts(
    starts: Mapping[str, Mapping[date, int]], semester: Semester, until: date
) -> dict[str, date]:
    """Per measure, the comparison's start: the Monday of the week of its students' median start
    day (of those with school days on both sides; never the semester's first day). Comparisons
    start on a few Mondays, so their sums are shared and cheap."""
    pseudo = {}
    for key, days in starts.items():
        inside = {day: count for day, count in days.items() if semester.start < day < until}
        if inside:
            median = median_day(inside)
            week = median - timedelta(days=median.weekday())
            pseudo[key] = max(week, semester.start + timedelta(days=1))
    return pseudo


# --- building the report -------------------------------------------------------------------


# A report slower than this is kept for an hour: the country's, at the programme's scale. The
# comparison runs over weeks, so an hour's new records hardly move it.
KEPT: KeptResults[EffectivenessReport] = KeptResults(slow=5.0, keep=3600.0)


async def build_effectiveness(
    actor: Actor, scope: str, semester: Semester, weeks: int = DEFAULT_WEEKS
) -> EffectivenessReport:
    """The report for a scope the actor may read (see `resolve_area`)."""
    area = await resolve_area(actor, scope)
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(BAD_WEEKS, max=MAX_WEEKS)
    key = (area, semester, weeks, measured_until(semester))
    return await KEPT.get(key, lambda: effectiveness_of(area, semester, weeks))


def measured_until(semester: Semester) -> date:
    """The day after the last one measured: today, or the day after the semester ended."""
    return min(semester.end + timedelta(days=1), today())


async def effectiveness_of(area: Area, semester: Semester, weeks: int) -> EffectivenessReport:
    until = measured_until(semester)
    report = EffectivenessReport(area, semester, weeks, until)
    if semester.start >= until:
        report.measures = [_unmeasured(measure) for measure in MEASURE_TYPES]
        return report
    data: dict[str, MeasureData] = defaultdict(MeasureData)
    for row in await _query(lambda sql: start_days_sql(sql, area, semester)):
        started = data[row["measure"]]
        started.days[as_date(row["start_day"])] = int(row["students"])
        started.received += int(row["students"])
    at_risk = _take_outcomes(await _query(lambda sql: outcomes_sql(sql, area, semester)), data)
    pseudo = pseudo_starts({key: m.days for key, m in data.items()}, semester, until)
    if pseudo:
        closed = closed_days(semester, until)
        rows = await _query(
            lambda sql: aggregates_sql(sql, area, semester, weeks, until, pseudo, closed)
        )
        _take_sums(rows, data)
    for measure in MEASURE_TYPES:
        if measure.kind == NGO:
            report.measures.append(MeasureEffect(measure, measurable=False, received=None))
            continue
        found = data.get(measure.key, MeasureData())
        report.measures.append(
            _effect(measure, found, pseudo.get(measure.key), at_risk, area.exact)
        )
    return report


def _unmeasured(measure: MeasureType) -> MeasureEffect:
    return MeasureEffect(measure, measurable=measure.kind != NGO, received=0)


def _without(everyone: Outcomes, treated: Outcomes) -> Outcomes:
    """The outcomes of the students at risk who did not receive the measure."""
    return Outcomes(
        everyone.recorded - treated.recorded,
        everyone.continuing - treated.continuing,
        everyone.left_early - treated.left_early,
    )


def _effect(
    measure: MeasureType, data: MeasureData, pseudo: date | None, at_risk: Outcomes, exact: bool
) -> MeasureEffect:
    effect = MeasureEffect(measure, received=_small(data.received, exact), start_day=pseudo)
    matched = {s: sums for s, sums in data.comparison.items() if s in data.treated}
    effect.with_measure = _side(data.treated.values(), data.outcomes, exact)
    effect.without_measure = _side(
        matched.values(), _without(at_risk, data.at_risk_outcomes), exact
    )
    for name in ("absences", "signals"):
        estimate = difference_in_differences(
            {s: getattr(sums, name) for s, sums in data.treated.items()},
            {s: getattr(sums, name) for s, sums in data.comparison.items()},
        )
        estimate.with_measure = _small(estimate.with_measure or 0, exact)
        estimate.without_measure = _small(estimate.without_measure or 0, exact)
        setattr(effect, name, estimate)
    return effect


def _t_quantile(dof: float) -> float:
    """Student's t at 0.975: scipy (and numpy) loaded when an interval is first computed."""
    from scipy import stats

    return float(stats.t.ppf(0.975, dof))
