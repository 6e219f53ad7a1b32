"""The effectiveness report's three queries, for PostgreSQL and SQLite.

Everything per student stays in the database: the start days, the windows' school days, each
student's rates and their changes. What comes back is aggregated: start days counted per measure
and day, outcomes counted per measure, and per measure type, side and stratum the count, sums and
sums of squares the statistics need.

School days: the weekdays of the semester so far, minus the days no school teaches (passed in as
a list: Latvia's public holidays and the Cabinet's breaks, `core.school_calendar`), minus each
school's own holidays (`school_holiday`, joined here). A calendar of the span is generated in the
query with a running count of teaching days, so a window's school days are a difference of two
counts, less the school's own holidays inside it.

The windows' sums are made in one pass: each anchor (a student and a start day) numbered, its
absences and signals joined to it and summed by that number alone (no join back, so a misjudged
row count cannot turn a join into a nested loop); the comparison leaves out a measure's own
students by the list of measures each student received, not by an anti-join.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING

from core.catalogues import ABSENCE_CAUTION_PERCENT, ABSENCE_HIGH_PERCENT, LESSONS_PER_SCHOOL_DAY
from core.clock import Semester
from core.digest import MUNICIPALITY, SCHOOL

if TYPE_CHECKING:
    from core.effectiveness import Area

CONSULTATION, MATERIAL = "consultation", "material"
SIGNAL_DAYS = 20  # signals are counted per 20 school days: about a month of school
RATES = ("absences_before", "absences_after", "signals_before", "signals_after")
CHANGES = ("absence_change", "signal_change")
# an anchor's columns (a student and a start day) that its sums carry on
CARRIED = ("risk_group", "received", "measure", "start_day", "lessons", "days_before", "days_after")


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

    def text(self, value: str) -> str:
        return f"CAST({self(value)} AS TEXT)"

    def shift(self, expression: str, days: int) -> str:
        """A date expression moved by a number of days."""
        if self.postgres:
            return f"({expression} + {int(days)})"
        return f"date({expression}, '{int(days):+d} days')"

    def later(self, first: str, second: str) -> str:
        return f"GREATEST({first}, {second})" if self.postgres else f"MAX({first}, {second})"

    def earlier(self, first: str, second: str) -> str:
        return f"LEAST({first}, {second})" if self.postgres else f"MIN({first}, {second})"

    def utc_day(self, moment: str) -> str:
        if self.postgres:
            return f"CAST(({moment} AT TIME ZONE 'UTC') AS DATE)"
        return f"date({moment})"

    def first_month(self, months: str) -> str:
        """The smallest month number in a JSON list."""
        if self.postgres:
            return f"(SELECT MIN(CAST(m AS INTEGER)) FROM jsonb_array_elements_text({months}) m)"
        return f"(SELECT MIN(CAST(value AS INTEGER)) FROM json_each({months}))"

    def joined(self, text: str) -> str:
        """An aggregate: the group's texts, each between bars (`|a|b|`)."""
        listed = f"string_agg({text}, '|')" if self.postgres else f"group_concat({text}, '|')"
        return f"'|' || {listed} || '|'"

    def lacks(self, texts: str, text: str) -> str:
        """A condition: `text` is not among the bar-separated `texts` (or they are NULL)."""
        find = "strpos" if self.postgres else "instr"
        return f"({texts} IS NULL OR {find}({texts}, '|' || {text} || '|') = 0)"

    def weekday(self, day: str) -> str:
        """A condition: the day is Monday to Friday."""
        if self.postgres:
            return f"EXTRACT(ISODOW FROM {day}) < 6"
        return f"strftime('%w', {day}) NOT IN ('0', '6')"

    def not_among(self, day: str, days: list[date]) -> str:
        """A condition: the day is none of `days` (one parameter: a date[] or a JSON list)."""
        if self.postgres:
            return f"{day} <> ALL(CAST({self(days)} AS DATE[]))"
        listed = json.dumps([value.isoformat() for value in days])
        return f"{day} NOT IN (SELECT value FROM json_each({self(listed)}))"


def _in_area(sql: Sql, area: Area, student: str = "st") -> str:
    """A condition on an alias with a `school_id` (a student, a school's holiday): in the area."""
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


def _first_day(semester: Semester, month: int) -> date:
    year = semester.school_year if month >= 9 else semester.school_year + 1
    return date(year, month, 1)


def starts_sql(sql: Sql, area: Area, semester: Semester) -> str:
    """Rows (student_id, measure, start_day): each student's first delivery of each measure.

    A consultation type starts on the semester's first session with that specialist; material
    support on the later of the day the parent confirmed it and the first day of its first month.
    """
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


def start_days_sql(sql: Sql, area: Area, semester: Semester) -> str:
    """Rows (measure, start_day, students): how many students started each measure each day."""
    return (
        "SELECT s.measure AS measure, s.start_day AS start_day, COUNT(*) AS students"
        f" FROM ({starts_sql(sql, area, semester)}) s GROUP BY s.measure, s.start_day"
    )


def outcomes_sql(sql: Sql, area: Area, semester: Semester) -> str:
    """Rows (measure, at_risk, outcome, students): the semester's outcomes of each measure's
    students, split by whether they were at risk; and with measure NULL, of every student at risk.
    A student without an outcome counts under outcome NULL."""
    outcome = (
        "LEFT JOIN student_outcome o ON o.student_id = st.id"
        f" AND o.school_year = {sql(semester.school_year)} AND o.semester = {sql(semester.number)}"
    )
    at_risk = f"CASE WHEN {_at_risk(sql, semester)} THEN 1 ELSE 0 END"
    return (
        "SELECT t.measure AS measure, t.at_risk AS at_risk, t.outcome AS outcome,"
        " COUNT(*) AS students FROM ("
        f"SELECT s.measure AS measure, {at_risk} AS at_risk, o.outcome AS outcome"
        f" FROM ({starts_sql(sql, area, semester)}) s JOIN student st ON st.id = s.student_id"
        f" {outcome}) t GROUP BY t.measure, t.at_risk, t.outcome"
        " UNION ALL"
        " SELECT NULL, 1, o.outcome, COUNT(*) FROM student st"
        f" {outcome} WHERE {_in_area(sql, area)} AND {_at_risk(sql, semester)}"
        " GROUP BY o.outcome"
    )


def _calendar(sql: Sql, area: Area, semester: Semester, until: date, closed: list[date]) -> str:
    """CTEs: `cal` (day, open, before: teaching days before it) from the semester's start to
    `until`, and `own` (school_id, day): the area's schools' own holidays on teaching days."""
    first, last = sql.day(semester.start), sql.day(until)
    teaching = f"{sql.weekday('d.day')} AND {sql.not_among('d.day', closed)}"
    return (
        f"days(day) AS (SELECT {first} UNION ALL"
        f" SELECT {sql.shift('day', 1)} FROM days WHERE day < {last}),"
        f" opened AS (SELECT d.day AS day, CASE WHEN {teaching} THEN 1 ELSE 0 END AS open"
        " FROM days d),"
        " cal AS (SELECT day, open, SUM(open) OVER (ORDER BY day) - open AS before FROM opened),"
        " own AS (SELECT DISTINCT h.school_id AS school_id, c.day AS day"
        " FROM school_holiday h JOIN cal c ON c.open = 1"
        " AND c.day >= h.first_day AND c.day <= h.last_day"
        f" WHERE {_in_area(sql, area, 'h')})"
    )


def _own_days(first: str, stop: str) -> str:
    """A school's own holidays from first to before stop (alias s: a span's school)."""
    return (
        "(SELECT COUNT(*) FROM own o WHERE o.school_id = s.school_id"
        f" AND o.day >= {first} AND o.day < {stop})"
    )


def aggregates_sql(
    sql: Sql,
    area: Area,
    semester: Semester,
    weeks: int,
    until: date,
    pseudo: dict[str, date],
    closed: list[date],
) -> str:
    """Rows (measure, treated, risk_group, band, students, the sums of RATES, and per change of
    CHANGES its sum and its sum of squares) per measure, side and stratum.

    The treated side: each student's window around their own start (if it falls inside the
    semester so far). The comparison: every student at risk without the measure, around the
    measure's pseudo start. A window is the `weeks` before the start and as long from it, cut to
    the semester and to `until`; one with no school day on a side is left out. The stratum is
    the student's first signal's risk group and their absence band before the start.
    """
    days = weeks * 7
    first, stop = sql.day(semester.start), sql.day(until)
    lessons = f"COALESCE(sc.lessons_per_day, {LESSONS_PER_SCHOOL_DAY})"
    risk_group = (
        'SELECT rs."group" FROM risk_signal rs WHERE rs.student_id = st.id'
        f" AND rs.observed_to >= {sql.day(semester.start)}"
        f" AND rs.observed_to <= {sql.day(semester.end)}"
        " ORDER BY rs.observed_to, rs.id LIMIT 1"
    )
    chosen = " UNION ALL ".join(
        f"SELECT {sql.text(key)} AS measure, {sql.day(day)} AS start_day"
        for key, day in sorted(pseudo.items())
    )
    nothing = ", ".join("NULL" for _ in CARRIED)

    def counted(table: str, day: str, value: str, absences: bool) -> str:
        """An anchor's row per absence or signal in its window: (before, after) in the columns
        of its kind, zeros in the other's."""
        split = (
            f"CASE WHEN {day} < x.start_day THEN {value} ELSE 0 END,"
            f" CASE WHEN {day} >= x.start_day THEN {value} ELSE 0 END"
        )
        values = f"{split}, 0, 0" if absences else f"0, 0, {split}"
        return (
            f"SELECT x.anchor, {nothing}, {values} FROM anchors x JOIN {table} t"
            f" ON t.student_id = x.student_id AND {day} >= {sql.shift('x.start_day', -days)}"
            f" AND {day} < {sql.shift('x.start_day', days)}"
            f" WHERE {day} >= {first} AND {day} < {stop}"
        )

    def rate(per: str, value: str, school_days: str) -> str:
        return f"CAST({per} * {value} AS DOUBLE PRECISION) / ({school_days})"

    window_start = sql.later(sql.shift("s.start_day", -days), first)
    window_stop = sql.earlier(sql.shift("s.start_day", days), stop)
    columns = ", ".join(f"w.{name}" for name in ("risk_group", "band", *RATES, *CHANGES))
    totals = ", ".join(
        [f"SUM({name}) AS {name}" for name in RATES]
        + [f"SUM({name}) AS {name}, SUM({name} * {name}) AS {name}_squares" for name in CHANGES]
    )
    return (
        f"WITH RECURSIVE {_calendar(sql, area, semester, until, closed)},"
        f" begun AS ({starts_sql(sql, area, semester)}),"
        f" pseudo AS ({chosen}),"
        # every student at risk or treated: where, their lessons a day, first risk group, and
        # the measures they received (`|a|b|`)
        " people AS (SELECT st.id AS student_id, st.school_id AS school_id,"
        f" {lessons} AS lessons, ({risk_group}) AS risk_group, r.received AS received"
        " FROM student st JOIN school sc ON sc.id = st.school_id"
        f" LEFT JOIN (SELECT student_id, {sql.joined('measure')} AS received FROM begun"
        " GROUP BY student_id) r ON r.student_id = st.id"
        f" WHERE {_in_area(sql, area)}"
        f" AND (r.student_id IS NOT NULL OR {_at_risk(sql, semester)})),"
        # a treated student's own start (measure set), every student at risk at each pseudo
        # start (measure NULL): shared by the comparisons starting that day
        " starts AS (SELECT p.*, b.measure AS measure, b.start_day AS start_day"
        " FROM begun b JOIN people p ON p.student_id = b.student_id"
        f" WHERE b.start_day > {first} AND b.start_day < {stop}"
        " UNION ALL SELECT p.*, NULL, q.start_day FROM people p"
        " CROSS JOIN (SELECT DISTINCT start_day FROM pseudo) q"
        " WHERE p.risk_group IS NOT NULL),"
        " anchors AS (SELECT ROW_NUMBER() OVER () AS anchor, s.*,"
        f" m.before - a.before - {_own_days('a.day', 's.start_day')} AS days_before,"
        f" b.before - m.before - {_own_days('s.start_day', 'b.day')} AS days_after"
        f" FROM starts s JOIN cal a ON a.day = {window_start}"
        " JOIN cal m ON m.day = s.start_day"
        f" JOIN cal b ON b.day = {window_stop}),"
        # grouped by the anchor's number alone: its other columns come from its own row
        " sums AS (SELECT "
        + ", ".join(f"MAX({name}) AS {name}" for name in CARRIED)
        + ", SUM(absent_before) AS absent_before, SUM(absent_after) AS absent_after,"
        " SUM(signals_before) AS signals_before, SUM(signals_after) AS signals_after"
        f" FROM (SELECT anchor, {', '.join(CARRIED)}, 0 AS absent_before, 0 AS absent_after,"
        " 0 AS signals_before, 0 AS signals_after FROM anchors"
        f" UNION ALL {counted('absence', 't.day', 't.unexcused', absences=True)}"
        f" UNION ALL {counted('risk_signal', 't.observed_to', '1', absences=False)}) c"
        " GROUP BY anchor),"
        " rates AS (SELECT risk_group, received, measure, start_day,"
        f" {rate('100', 'absent_before', 'lessons * days_before')} AS absences_before,"
        f" {rate('100', 'absent_after', 'lessons * days_after')} AS absences_after,"
        f" {rate(str(SIGNAL_DAYS), 'signals_before', 'days_before')} AS signals_before,"
        f" {rate(str(SIGNAL_DAYS), 'signals_after', 'days_after')} AS signals_after"
        " FROM sums WHERE days_before > 0 AND days_after > 0),"
        " windows AS (SELECT r.*,"
        " r.absences_after - r.absences_before AS absence_change,"
        " r.signals_after - r.signals_before AS signal_change,"
        f" CASE WHEN r.absences_before >= {ABSENCE_HIGH_PERCENT} THEN 2"
        f" WHEN r.absences_before >= {ABSENCE_CAUTION_PERCENT} THEN 1 ELSE 0 END AS band"
        " FROM rates r),"
        f" sides AS (SELECT w.measure AS measure, 1 AS treated, {columns}"
        " FROM windows w WHERE w.measure IS NOT NULL"
        f" UNION ALL SELECT q.measure, 0, {columns}"
        " FROM windows w JOIN pseudo q ON q.start_day = w.start_day"
        f" WHERE w.measure IS NULL AND {sql.lacks('w.received', 'q.measure')})"
        " SELECT measure, treated, risk_group, band, COUNT(*) AS students, "
        + totals
        + " FROM sides GROUP BY measure, treated, risk_group, band"
    )
