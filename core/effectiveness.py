"""Did it work? For each measure type, the students who received it before and after it started,
against similar students without it over the same weeks (a difference in differences).

What is measured, per student:
- unexcused absences as lessons missed per 100 lessons: the lessons missed in a window over the
  window's school days times the school's lessons a day (`School.lessons_per_day`, else the
  programme's default);
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

Cost: three queries once the scope is resolved (the involved students, the start days, the
windows' sums; two when nobody received any measure), whatever the number of schools and rows;
resolving takes one query for a school, one or two for a municipality, none for the country. The
sums per student and window are made in the database; Python sees one row per involved student,
per start and per window start with any absence or signal.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tortoise import connections

from core.access import Actor
from core.catalogues import (
    ABSENCE_CAUTION_PERCENT,
    ABSENCE_HIGH_PERCENT,
    LESSONS_PER_SCHOOL_DAY,
    PROGRAMME_ADMIN,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
)
from core.clock import Semester, school_days, today
from core.digest import MUNICIPALITY, SCHOOL, Scope, resolve_scope
from core.errors import AccessDenied, InvalidInput, NotFound
from core.i18n import N_
from storage.models import Municipality, School

COUNTRY = "country"
CONSULTATION, MATERIAL, NGO = "consultation", "material", "ngo"
DEFAULT_WEEKS, MAX_WEEKS = 6, 12
MIN_STUDENTS = 20  # on each side, to draw any conclusion
SMALL_NUMBER = 5  # under this, municipality and country figures are not shown
SIGNAL_DAYS = 20  # signals are counted per 20 school days: about a month of school
CAUTION_PERCENT = ABSENCE_CAUTION_PERCENT  # absence bands of the starting level, per 100 lessons
HIGH_PERCENT = ABSENCE_HIGH_PERCENT
CONTINUING = ("continues", "completed")
LEFT_EARLY = "left_early"
BAD_SCOPE = N_("Give the scope as school-<id>, municipality-<id> or country.")
BAD_WEEKS = N_("Give from 1 to {max} weeks.")

ABSENCE_SUMS, SIGNAL_SUMS = "absence", "signal"  # the kinds of rows the windows query gives

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


# --- per student ---------------------------------------------------------------------------


@dataclass
class Student:
    """An involved student of the scope: at risk this semester, or received a measure."""

    id: int
    lessons: int  # lessons a school day at their school
    risk_group: str | None  # the group of their first signal of the semester
    outcome: str | None


@dataclass(frozen=True)
class Window:
    """A student's sums in the weeks before and after one start day, and their rates."""

    absences_before: float
    absences_after: float
    signals_before: float
    signals_after: float

    @property
    def absence_change(self) -> float:
        return self.absences_after - self.absences_before

    @property
    def signal_change(self) -> float:
        return self.signals_after - self.signals_before

    @property
    def band(self) -> int:
        """The starting level: 0 under 5, 1 from 5 to under 10, 2 from 10 per 100 lessons."""
        if self.absences_before >= HIGH_PERCENT:
            return 2
        return 1 if self.absences_before >= CAUTION_PERCENT else 0


def count_school_days(first: date, last: date) -> int:
    """School days from first to last inclusive: the one place a holiday calendar plugs in."""
    return school_days(first, last) if first <= last else 0


class Periods:
    """The before and after windows of a start day, cut to the semester and to `until`."""

    def __init__(self, semester: Semester, weeks: int, until: date) -> None:
        self.semester, self.days, self.until = semester, weeks * 7, until
        self._school_days: dict[date, tuple[int, int]] = {}

    def school_days(self, start: date) -> tuple[int, int]:
        """School days in the window before the start and in the one from it."""
        if start not in self._school_days:
            first = max(start - timedelta(days=self.days), self.semester.start)
            last = min(start + timedelta(days=self.days), self.until) - timedelta(days=1)
            self._school_days[start] = (
                count_school_days(first, start - timedelta(days=1)),
                count_school_days(start, last),
            )
        return self._school_days[start]

    def window(self, start: date, lessons: int, sums: dict[str, tuple[int, int]]) -> Window | None:
        """A student's rates around a start, from their sums (before, after) of unexcused
        lessons and of new signals; None if a side has no school day."""
        before, after = self.school_days(start)
        if not before or not after:
            return None
        absent_before, absent_after = sums.get(ABSENCE_SUMS, (0, 0))
        signals_before, signals_after = sums.get(SIGNAL_SUMS, (0, 0))
        return Window(
            absences_before=100 * absent_before / (lessons * before),
            absences_after=100 * absent_after / (lessons * after),
            signals_before=SIGNAL_DAYS * signals_before / before,
            signals_after=SIGNAL_DAYS * signals_after / after,
        )


def as_date(value: date | str) -> date:
    """SQLite gives dates back as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- SQL -----------------------------------------------------------------------------------


class Sql:
    """Builds one parametrised query for the connection's dialect (PostgreSQL or SQLite).

    Fragments name their parameters (`:p0`); `finish` numbers them for PostgreSQL (`$1`) or
    lines the values up in the order SQLite's `?` are written, so fragments may be written in
    any order and used more than once.
    """

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.named: list[object] = []

    def __call__(self, value: object) -> str:
        self.named.append(value)
        return f":p{len(self.named) - 1}"

    def finish(self, text: str) -> tuple[str, list[object]]:
        """The query text with the dialect's placeholders, and its values."""
        values: list[object] = []
        numbers: dict[int, int] = {}

        def placeholder(match: re.Match[str]) -> str:
            name = int(match.group(1))
            if not self.postgres:
                values.append(self.named[name])
                return "?"
            if name not in numbers:
                values.append(self.named[name])
                numbers[name] = len(values)
            return f"${numbers[name]}"

        return re.sub(r":p(\d+)\b", placeholder, text), values

    def day(self, value: date) -> str:
        if self.postgres:
            return f"CAST({self(value)} AS DATE)"
        return self(value.isoformat())

    def shift(self, expression: str, days: int) -> str:
        """A date expression moved by a number of days."""
        if self.postgres:
            return f"({expression} + {int(days)})"
        return f"date({expression}, '{int(days):+d} days')"

    def later(self, first: str, second: str) -> str:
        return f"GREATEST({first}, {second})" if self.postgres else f"MAX({first}, {second})"

    def utc_day(self, moment: str) -> str:
        if self.postgres:
            return f"CAST(({moment} AT TIME ZONE 'UTC') AS DATE)"
        return f"date({moment})"

    def first_month(self, months: str) -> str:
        """The smallest month number in a JSON list."""
        if self.postgres:
            return f"(SELECT MIN(CAST(m AS INTEGER)) FROM jsonb_array_elements_text({months}) m)"
        return f"(SELECT MIN(CAST(value AS INTEGER)) FROM json_each({months}))"


def _in_area(sql: Sql, area: Area, student: str = "st") -> str:
    """A condition on a `student` alias: in the area."""
    if area.kind == SCHOOL:
        return f"{student}.school_id = {sql(area.id)}"
    if area.kind == MUNICIPALITY:
        schools = f"SELECT id FROM school WHERE municipality_id = {sql(area.id)}"
        return f"{student}.school_id IN ({schools})"
    return "1 = 1"


def _at_risk(sql: Sql, semester: Semester, student: str = "st") -> str:
    return (
        f"EXISTS (SELECT 1 FROM risk_signal r WHERE r.student_id = {student}.id"
        f" AND r.observed_to >= {sql.day(semester.start)}"
        f" AND r.observed_to <= {sql.day(semester.end)})"
    )


def starts_sql(sql: Sql, area: Area, semester: Semester) -> str:
    """Rows (student_id, measure, start_day): each student's first delivery of each measure."""
    first_month = sql.first_month("n.months")
    month_start = (
        "CASE "
        + " ".join(
            f"WHEN {first_month} = {month} THEN {sql.day(_first_day(semester, month))}"
            for month in semester.months()
        )
        + " END"
    )
    confirmed = sql.utc_day("n.answered_at")
    return (
        f"SELECT c.student_id AS student_id, '{CONSULTATION}:' || c.specialist_type AS measure,"
        f" MIN(c.held_on) AS start_day"
        f" FROM consultation c JOIN student st ON st.id = c.student_id"
        f" WHERE {_in_area(sql, area)} AND c.held_on >= {sql.day(semester.start)}"
        f" AND c.held_on <= {sql.day(semester.end)}"
        f" GROUP BY c.student_id, c.specialist_type"
        f" UNION ALL"
        f" SELECT n.student_id, '{MATERIAL}:' || n.support_type,"
        f" MIN({sql.later(confirmed, f'COALESCE({month_start}, {confirmed})')})"
        f" FROM support_need n JOIN student st ON st.id = n.student_id"
        f" WHERE {_in_area(sql, area)} AND n.status = 'confirmed'"
        f" AND n.school_year = {sql(semester.school_year)} AND n.semester = {sql(semester.number)}"
        f" AND n.answered_at IS NOT NULL"
        f" GROUP BY n.student_id, n.support_type"
    )


def _first_day(semester: Semester, month: int) -> date:
    year = semester.school_year if month >= 9 else semester.school_year + 1
    return date(year, month, 1)


async def _query(build: Callable[[Sql], str]) -> list[dict[str, Any]]:
    connection = connections.get("default")
    sql = Sql(connection.capabilities.dialect == "postgres")
    rows: list[dict[str, Any]] = await connection.execute_query_dict(*sql.finish(build(sql)))
    return rows


def students_sql(sql: Sql, area: Area, semester: Semester) -> str:
    """Every involved student of the area (at risk in the semester, or given a measure): their
    school's lessons a day, their first signal's risk group, their outcome."""
    return (
        "SELECT st.id AS student_id, sc.lessons_per_day AS lessons, o.outcome AS outcome,"
        ' (SELECT rs."group" FROM risk_signal rs WHERE rs.student_id = st.id'
        f" AND rs.observed_to >= {sql.day(semester.start)}"
        f" AND rs.observed_to <= {sql.day(semester.end)}"
        " ORDER BY rs.observed_to, rs.id LIMIT 1) AS risk_group"
        " FROM student st JOIN school sc ON sc.id = st.school_id"
        " LEFT JOIN student_outcome o ON o.student_id = st.id"
        f" AND o.school_year = {sql(semester.school_year)}"
        f" AND o.semester = {sql(semester.number)}"
        f" WHERE {_in_area(sql, area)} AND ({_at_risk(sql, semester)}"
        " OR EXISTS (SELECT 1 FROM consultation c WHERE c.student_id = st.id"
        f" AND c.held_on >= {sql.day(semester.start)} AND c.held_on <= {sql.day(semester.end)})"
        " OR EXISTS (SELECT 1 FROM support_need n WHERE n.student_id = st.id"
        f" AND n.status = 'confirmed' AND n.school_year = {sql(semester.school_year)}"
        f" AND n.semester = {sql(semester.number)}))"
    )


def windows_sql(
    sql: Sql, area: Area, semester: Semester, weeks: int, until: date, pseudo: list[date]
) -> str:
    """Per student and start day with any, the unexcused lessons (`absence` rows) and the new
    signals (`signal` rows) in the weeks before and after it; a start with none has no row.

    The start days are each treated student's own, and for every student at risk the pseudo
    start days of the comparisons. Set-based: the semester's absences and signals are joined to
    the starts of their student and summed, in one pass over each table.
    """
    days = weeks * 7
    anchors = f"SELECT DISTINCT student_id, start_day FROM ({starts_sql(sql, area, semester)}) s"
    if pseudo:
        chosen = " UNION ALL ".join(f"SELECT {sql.day(day)} AS start_day" for day in pseudo)
        anchors += (
            f" UNION SELECT st.id, d.start_day FROM student st CROSS JOIN ({chosen}) d"
            f" WHERE {_in_area(sql, area)} AND {_at_risk(sql, semester)}"
        )

    def sums(kind: str, table: str, day: str, value: str) -> str:
        return (
            f"SELECT '{kind}' AS kind, x.student_id, x.start_day,"
            f" SUM(CASE WHEN {day} < x.start_day THEN {value} ELSE 0 END) AS before,"
            f" SUM(CASE WHEN {day} >= x.start_day THEN {value} ELSE 0 END) AS after"
            f" FROM anchors x JOIN {table} t ON t.student_id = x.student_id"
            f" AND {day} >= {sql.shift('x.start_day', -days)}"
            f" AND {day} < {sql.shift('x.start_day', days)}"
            f" WHERE {day} >= {sql.day(semester.start)} AND {day} < {sql.day(until)}"
            " GROUP BY x.student_id, x.start_day"
        )

    return (
        f"WITH anchors AS ({anchors}) "
        + sums(ABSENCE_SUMS, "absence", "t.day", "t.unexcused")
        + " UNION ALL "
        + sums(SIGNAL_SUMS, "risk_signal", "t.observed_to", "1")
    )


async def _students(area: Area, semester: Semester) -> dict[int, Student]:
    rows = await _query(lambda sql: students_sql(sql, area, semester))
    return {
        row["student_id"]: Student(
            row["student_id"],
            int(row["lessons"] or LESSONS_PER_SCHOOL_DAY),
            row["risk_group"],
            row["outcome"],
        )
        for row in rows
    }


async def _start_days(area: Area, semester: Semester) -> dict[str, dict[int, date]]:
    """Per measure key, each treated student's start day."""
    rows = await _query(lambda sql: starts_sql(sql, area, semester))
    starts: dict[str, dict[int, date]] = defaultdict(dict)
    for row in rows:
        starts[row["measure"]][row["student_id"]] = as_date(row["start_day"])
    return starts


# --- statistics ----------------------------------------------------------------------------


Stratum = tuple[str, int]  # risk group, absence band before the start


def difference_in_differences(
    treated: dict[Stratum, list[float]], comparison: dict[Stratum, list[float]]
) -> Estimate:
    """The treated students' mean change minus the comparison's, stratum by stratum, weighted by
    the treated students in each; with a 95% interval (Welch-Satterthwaite, scipy.stats.t)."""
    strata = [s for s in treated if len(treated[s]) >= 2 and len(comparison.get(s, ())) >= 2]
    n_treated = sum(len(treated[s]) for s in strata)
    n_comparison = sum(len(comparison[s]) for s in strata)
    estimate = Estimate(n_treated, n_comparison)
    if n_treated < MIN_STUDENTS or n_comparison < MIN_STUDENTS:
        return estimate
    difference, variance, dof_denominator = 0.0, 0.0, 0.0
    for stratum in strata:
        weight = len(treated[stratum]) / n_treated
        difference += weight * (
            statistics.fmean(treated[stratum]) - statistics.fmean(comparison[stratum])
        )
        for values in (treated[stratum], comparison[stratum]):
            term = weight**2 * statistics.variance(values) / len(values)
            variance += term
            dof_denominator += term**2 / (len(values) - 1)
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


def _side(windows: list[Window], students: list[Student], exact: bool) -> Side:
    """Mean rates of the students' windows, and the outcomes of the students (all of them)."""
    shown = len(windows) if exact or not 0 < len(windows) < SMALL_NUMBER else None
    side = Side(shown)
    if windows and shown is not None:
        side.absences_before = statistics.fmean(w.absences_before for w in windows)
        side.absences_after = statistics.fmean(w.absences_after for w in windows)
        side.signals_before = statistics.fmean(w.signals_before for w in windows)
        side.signals_after = statistics.fmean(w.signals_after for w in windows)
    outcomes = Outcomes()
    for student in students:
        if student.outcome is None:
            continue
        outcomes.recorded += 1
        outcomes.continuing += student.outcome in CONTINUING
        outcomes.left_early += student.outcome == LEFT_EARLY
    cells = (outcomes.continuing, outcomes.left_early, outcomes.recorded)
    others = outcomes.recorded - outcomes.continuing - outcomes.left_early
    if exact or not any(0 < cell < SMALL_NUMBER for cell in (*cells, others)):
        side.outcomes = outcomes
    return side


def _small(count: int, exact: bool) -> int | None:
    return count if exact or not 0 < count < SMALL_NUMBER else None


def median_day(days: Iterable[date]) -> date:
    """The middle start day (the earlier of the two middle ones)."""
    ordered = sorted(days)
    return ordered[(len(ordered) - 1) // 2]


def pseudo_starts(
    starts: Mapping[str, Iterable[date]], semester: Semester, until: date
) -> dict[str, date]:
    """Per measure, the comparison's start: the Monday of the week of its students' median start
    day (of those with school days on both sides; never the semester's first day). Comparisons
    start on a few Mondays, so their sums are shared and cheap."""
    pseudo = {}
    for key, days in starts.items():
        inside = [day for day in days if semester.start < day < until]
        if inside:
            median = median_day(inside)
            week = median - timedelta(days=median.weekday())
            pseudo[key] = max(week, semester.start + timedelta(days=1))
    return pseudo


# --- building the report -------------------------------------------------------------------


async def build_effectiveness(
    actor: Actor, scope: str, semester: Semester, weeks: int = DEFAULT_WEEKS
) -> EffectivenessReport:
    """The report for a scope the actor may read (see `resolve_area`)."""
    area = await resolve_area(actor, scope)
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(BAD_WEEKS, max=MAX_WEEKS)
    return await effectiveness_of(area, semester, weeks)


async def effectiveness_of(area: Area, semester: Semester, weeks: int) -> EffectivenessReport:
    until = min(semester.end + timedelta(days=1), today())
    report = EffectivenessReport(area, semester, weeks, until)
    if semester.start >= until:
        report.measures = [_unmeasured(measure) for measure in MEASURE_TYPES]
        return report
    students = await _students(area, semester)
    starts = await _start_days(area, semester)
    periods = Periods(semester, weeks, until)
    pseudo = pseudo_starts({key: by.values() for key, by in starts.items()}, semester, until)
    rows = []
    if starts:
        chosen = sorted(set(pseudo.values()))
        rows = await _query(lambda sql: windows_sql(sql, area, semester, weeks, until, chosen))
    sums: dict[tuple[int, date], dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        anchor = (row["student_id"], as_date(row["start_day"]))
        sums[anchor][row["kind"]] = (int(row["before"]), int(row["after"]))

    def windows(student: Student, start: date) -> Window | None:
        return periods.window(start, student.lessons, sums.get((student.id, start), {}))

    at_risk = [student for student in students.values() if student.risk_group]
    for measure in MEASURE_TYPES:
        if measure.kind == NGO:
            report.measures.append(MeasureEffect(measure, measurable=False, received=None))
            continue
        report.measures.append(
            _effect(
                measure,
                starts.get(measure.key, {}),
                pseudo.get(measure.key),
                students,
                at_risk,
                windows,
                area.exact,
            )
        )
    return report


def _strata(
    windows: dict[int, Window], students: dict[int, Student]
) -> dict[Stratum, list[Window]]:
    """Windows by the student's risk group and starting absence band (none without a signal)."""
    strata: dict[Stratum, list[Window]] = defaultdict(list)
    for student_id, window in windows.items():
        if (group := students[student_id].risk_group) is not None:
            strata[(group, window.band)].append(window)
    return strata


def _unmeasured(measure: MeasureType) -> MeasureEffect:
    return MeasureEffect(measure, measurable=measure.kind != NGO, received=0)


def _effect(
    measure: MeasureType,
    starts: dict[int, date],
    pseudo: date | None,
    students: dict[int, Student],
    at_risk: list[Student],
    windows: Callable[[Student, date], Window | None],
    exact: bool,
) -> MeasureEffect:
    effect = MeasureEffect(measure, received=_small(len(starts), exact), start_day=pseudo)
    treated = [students[sid] for sid in starts if sid in students]
    untreated = [student for student in at_risk if student.id not in starts]
    found = {s.id: windows(s, starts[s.id]) for s in treated}
    treated_windows = {sid: w for sid, w in found.items() if w is not None}
    comparison_windows: dict[int, Window] = {}
    if pseudo is not None:
        for student in untreated:
            if (window := windows(student, pseudo)) is not None:
                comparison_windows[student.id] = window
    treated_strata = _strata(treated_windows, students)
    comparison_strata = _strata(comparison_windows, students)
    matched = [w for stratum in treated_strata for w in comparison_strata.get(stratum, ())]
    effect.with_measure = _side(list(treated_windows.values()), treated, exact)
    effect.without_measure = _side(matched, untreated, exact)
    for name, change in (("absences", "absence_change"), ("signals", "signal_change")):
        estimate = difference_in_differences(
            {s: [getattr(w, change) for w in ws] for s, ws in treated_strata.items()},
            {s: [getattr(w, change) for w in ws] for s, ws in comparison_strata.items()},
        )
        estimate.with_measure = _small(estimate.with_measure or 0, exact)
        estimate.without_measure = _small(estimate.without_measure or 0, exact)
        setattr(effect, name, estimate)
    return effect


def _t_quantile(dof: float) -> float:
    """Student's t at 0.975: scipy (and numpy) loaded when an interval is first computed."""
    from scipy import stats

    return float(stats.t.ppf(0.975, dof))
