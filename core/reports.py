"""The semester report: what happened in a school, a municipality or the whole country.

Figures are counted by the database (GROUP BY school, then summed per municipality here), so a
report costs a fixed number of queries whatever the number of schools: ten (eleven for a
municipality). Students, plans, their risks and needs count under the student's school;
sessions and outcomes under the school they were recorded for.

Involved students are those with a risk signal observed in the semester or a plan for it. A risk
is left unaddressed when the plan's student has a signal of that factor in the semester and no
measure of the plan names the factor. Approvals waiting are the semester's plans in approval,
counted from the day they were last sent. Youth activities are those of the scope's
municipality (for a school, its municipality's). Municipality and country figures are shared,
so their student counts pass small-number suppression (core/suppression.py); a school's own
report is exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from statistics import median
from typing import Any

from tortoise import connections

from core.access import Actor, coordinated_school
from core.catalogues import (
    CONSENT_STATES,
    EARLY_LEAVING_REASONS,
    IAP_STATUSES,
    MEASURE_REALISED,
    OUTCOMES,
    PROGRAMME_ADMIN,
    RISK_FACTORS,
    RISK_GROUPS,
    RISK_OUTCOMES,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
    Catalogue,
)
from core.clock import RIGA, Semester, today
from core.digest import MUNICIPALITY, SCHOOL, Scope
from core.errors import AccessDenied, InvalidInput, NotFound
from core.i18n import N_
from core.suppression import suppressed
from storage.models import Municipality, School

COUNTRY = "country"
LATVIA = N_("Latvia")
BAD_REPORT_SCOPE = N_("Give the scope as school-<id>, municipality-<id> or country.")
TOTAL = N_("Total")
CONSENTS = ("given", "refused", "missing")

Cell = int | Decimal | str | None


# --- scope and access ------------------------------------------------------------------------


def parse_scope(text: str) -> Scope:
    """`school-12`, `municipality-3` or `country`; InvalidInput on anything else."""
    if text.strip() == COUNTRY:
        return Scope(COUNTRY, 0)
    try:
        return Scope.parse(text)
    except InvalidInput:
        raise InvalidInput(BAD_REPORT_SCOPE) from None


def scope_name(scope: Scope) -> str:
    return COUNTRY if scope.kind == COUNTRY else str(scope)


def reads_country(actor: Actor) -> bool:
    """The national figures, and every municipality's and school's, are the programme's (IKVD)."""
    return PROGRAMME_ADMIN in actor.roles


async def report_scopes(actor: Actor) -> list[tuple[Scope, str]]:
    """The scopes whose report the actor may ask for, with their names (two queries)."""
    school_ids = sorted(actor.coordinated_school_ids)
    municipality_ids = sorted(actor.municipality_ids)
    scopes: list[tuple[Scope, str]] = [(Scope(COUNTRY, 0), LATVIA)] if reads_country(actor) else []
    for municipality in await Municipality.filter(id__in=municipality_ids or [-1]).order_by("name"):
        scopes.append((Scope(MUNICIPALITY, municipality.id), municipality.name))
    for school in await School.filter(id__in=school_ids or [-1]).order_by("name"):
        scopes.append((Scope(SCHOOL, school.id), school.name))
    return scopes


@dataclass(frozen=True)
class Unit:
    """A school or a municipality: one row of the report's tables."""

    id: int
    name: str
    school_ids: tuple[int, ...]


@dataclass(frozen=True)
class Area:
    """A scope resolved: its name, its rows (units), and how SQL picks its schools."""

    name: str
    units: tuple[Unit, ...]
    school_unit: dict[int, int]  # school id -> its row's unit id
    school_filter: str  # an SQL condition on the school id column named {column}
    school_params: tuple[int, ...]
    municipality_id: int | None  # whose youth activities count; None: every municipality's

    def schools_where(self, column: str) -> str:
        return self.school_filter.replace("{column}", column)

    def students_where(self, column: str) -> str:
        """A condition on a student id column: the scope's students (an index for a school)."""
        if not self.school_params:
            return "1 = 1"
        return f"{column} IN (SELECT id FROM student WHERE {self.schools_where('school_id')})"


async def resolve(actor: Actor, scope: Scope) -> Area:
    """The scope if the actor may read its report; NotFound (or AccessDenied) otherwise."""
    admin = reads_country(actor)
    if scope.kind == COUNTRY:
        if not admin:
            raise AccessDenied()
        rows = await School.all().values("id", "municipality_id", "municipality__name")
        grouped: dict[int, list[int]] = defaultdict(list)
        names: dict[int, str] = {}
        for row in rows:
            grouped[row["municipality_id"]].append(row["id"])
            names[row["municipality_id"]] = row["municipality__name"]
        ordered = sorted(names, key=lambda m: (names[m], m))
        units = tuple(Unit(m, names[m], tuple(grouped[m])) for m in ordered)
        school_unit = {s: unit.id for unit in units for s in unit.school_ids}
        return Area(LATVIA, units, school_unit, "1 = 1", (), None)
    if scope.kind == MUNICIPALITY:
        if scope.id not in actor.municipality_ids and not admin:
            raise NotFound()
        municipality = await Municipality.get_or_none(id=scope.id)
        if municipality is None:
            raise NotFound()
        schools = await School.filter(municipality_id=scope.id).order_by("name", "id")
        return Area(
            municipality.name,
            tuple(Unit(s.id, s.name, (s.id,)) for s in schools),
            {s.id: s.id for s in schools},
            "{column} IN (SELECT id FROM school WHERE municipality_id = %s)",
            (scope.id,),
            scope.id,
        )
    school = await School.get_or_none(id=scope.id) if admin else None
    if school is None:
        school = await coordinated_school(actor, scope.id)
    return Area(
        school.name,
        (Unit(school.id, school.name, (school.id,)),),
        {school.id: school.id},
        "{column} = %s",
        (school.id,),
        school.municipality_id,
    )


# --- the report ------------------------------------------------------------------------------


@dataclass
class Table:
    """One table: a header row of msgids and rows whose first cell is a label.

    `labels_translated`: the row labels are msgids (catalogue entries); otherwise proper names.
    """

    code: str
    title: str  # msgid
    columns: list[str]  # msgids, the first for the label column
    rows: list[list[Cell]] = field(default_factory=list)
    labels_translated: bool = False
    total_row: bool = False  # the last row sums the others; its label is the msgid TOTAL

    def whole(self) -> list[Cell]:
        """The whole scope's row: the total row, or the only row (blanks when there is none)."""
        return self.rows[-1] if self.rows else [None] * len(self.columns)


@dataclass
class Report:
    scope: Scope
    name: str
    semester: Semester
    suppressed: bool  # small numbers hidden: a municipality's or the country's figures
    tables: list[Table]

    def table(self, code: str) -> Table:
        return next(table for table in self.tables if table.code == code)


async def build_report(actor: Actor, scope: Scope, semester: Semester) -> Report:
    """The semester report of the scope, for a reader allowed to see it."""
    area = await resolve(actor, scope)
    figures = await count_figures(area, semester)
    shared = scope.kind != SCHOOL
    return Report(
        scope=scope,
        name=area.name,
        semester=semester,
        suppressed=shared,
        tables=tables_of(area, figures, scope.kind, shared),
    )


# --- counting --------------------------------------------------------------------------------


@dataclass
class Figures:
    """What the queries gave, per unit (school or municipality) or per catalogue code."""

    students: dict[int, list[int]] = field(default_factory=dict)  # involved, signal, plan
    statuses: dict[int, dict[str, int]] = field(default_factory=dict)
    consents: dict[int, dict[str, int]] = field(default_factory=dict)
    unaddressed: dict[int, int] = field(default_factory=dict)
    risk_outcomes: dict[int, dict[str | None, int]] = field(default_factory=dict)
    waiting_days: dict[int, list[int]] = field(default_factory=dict)
    outcomes: dict[int, dict[str, int]] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    risks: list[dict[str, Any]] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    planned: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    realised: dict[str, int] = field(default_factory=dict)
    needs: dict[str, dict[str, Any]] = field(default_factory=dict)
    activities: list[dict[str, Any]] = field(default_factory=list)


def placeholders(text: str, postgres: bool) -> str:
    """%s placeholders as the driver wants them: $1, $2… for PostgreSQL, ? for SQLite."""
    parts = text.split("%s")
    if postgres:
        return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
    return "?".join(parts)


class Sql:
    """Plain SQL with %s placeholders, run on SQLite or PostgreSQL alike."""

    def __init__(self) -> None:
        self.connection = connections.get("default")
        self.postgres = self.connection.capabilities.dialect == "postgres"

    async def rows(self, text: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        if not self.postgres:
            params = tuple(p.isoformat() if isinstance(p, date) else p for p in params)
        query = placeholders(text, self.postgres)
        rows: list[dict[str, Any]] = await self.connection.execute_query_dict(query, params)
        return rows

    def json_length(self, column: str) -> str:
        return f"jsonb_array_length({column})" if self.postgres else f"json_array_length({column})"


def names_factor(factor: str) -> str:
    """SQL: measure `m` names the factor (its JSON list of codes holds the code in quotes)."""
    return f"CAST(m.risk_factors AS TEXT) LIKE '%\"' || {factor} || '\"%'"


def statements(sql: Sql, area: Area, semester: Semester) -> dict[str, tuple[str, tuple[Any, ...]]]:
    """The report's aggregate queries, each with its parameters."""

    scoped, schools, students = area.schools_where, area.school_params, area.students_where
    in_municipality = "1 = 1" if area.municipality_id is None else "pa.municipality_id = %s"
    municipality = () if area.municipality_id is None else (area.municipality_id,)
    first, last = semester.start, semester.end
    year, number = semester.school_year, semester.number
    plan_of_semester = "i.school_year = %s AND i.semester = %s"
    # Plans of the scope with a factor signalled in the semester that no measure of theirs names.
    unaddressed_plans = f"""SELECT DISTINCT pf.iap_id FROM (
            SELECT DISTINCT i.id AS iap_id, rs.factor AS factor FROM iap i
            JOIN risk_signal rs ON rs.student_id = i.student_id
                AND rs.observed_to >= %s AND rs.observed_to <= %s
            WHERE {plan_of_semester} AND {students("i.student_id")}
        ) pf WHERE NOT EXISTS (
            SELECT 1 FROM iap_measure m
            WHERE m.iap_id = pf.iap_id AND {names_factor("pf.factor")})"""
    return {
        "students": (
            f"""SELECT st.school_id AS school_id, COUNT(*) AS involved,
                SUM(x.has_signal) AS with_signal, SUM(x.has_plan) AS with_plan
            FROM (SELECT student_id, MAX(has_signal) AS has_signal, MAX(has_plan) AS has_plan FROM (
                SELECT student_id, 1 AS has_signal, 0 AS has_plan FROM risk_signal
                WHERE observed_to >= %s AND observed_to <= %s AND {students("student_id")}
                UNION ALL
                SELECT student_id, 0, 1 FROM iap i
                WHERE {plan_of_semester} AND {students("student_id")}
            ) u GROUP BY student_id) x JOIN student st ON st.id = x.student_id
            GROUP BY st.school_id""",
            (first, last, *schools, year, number, *schools),
        ),
        "plans": (
            f"""SELECT st.school_id AS school_id, i.status AS status, i.consent AS consent,
                i.risk_outcome AS risk_outcome, COUNT(*) AS plans,
                COUNT(u.iap_id) AS unaddressed
            FROM iap i JOIN student st ON st.id = i.student_id
            LEFT JOIN ({unaddressed_plans}) u ON u.iap_id = i.id
            WHERE {plan_of_semester} AND {scoped("st.school_id")}
            GROUP BY st.school_id, i.status, i.consent, i.risk_outcome""",
            (first, last, year, number, *schools, year, number, *schools),
        ),
        "waiting": (
            f"""SELECT st.school_id AS school_id, MAX(t.at) AS since
            FROM iap i JOIN student st ON st.id = i.student_id
            JOIN iap_transition t ON t.iap_id = i.id AND t.to_status = 'in_approval'
            WHERE i.status = 'in_approval' AND {plan_of_semester} AND {scoped("st.school_id")}
            GROUP BY i.id, st.school_id""",
            (year, number, *schools),
        ),
        "risks": (
            f"""SELECT sf.risk_group AS risk_group, sf.factor AS factor, COUNT(*) AS students,
                COUNT(sf.iap_id) AS with_plan,
                SUM(CASE WHEN sf.iap_id IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM iap_measure m WHERE m.iap_id = sf.iap_id
                    AND {names_factor("sf.factor")}) THEN 1 ELSE 0 END) AS unaddressed
            FROM (SELECT rs."group" AS risk_group, rs.factor AS factor, rs.student_id,
                    MAX(i.id) AS iap_id
                FROM risk_signal rs LEFT JOIN iap i ON i.student_id = rs.student_id
                    AND {plan_of_semester}
                WHERE rs.observed_to >= %s AND rs.observed_to <= %s
                    AND {students("rs.student_id")}
                GROUP BY rs."group", rs.factor, rs.student_id) sf
            GROUP BY sf.risk_group, sf.factor""",
            (year, number, first, last, *schools),
        ),
        "sessions": (
            f"""SELECT specialist_type, COUNT(*) AS sessions, SUM(minutes) AS minutes,
                COUNT(DISTINCT student_id) AS students
            FROM consultation WHERE held_on >= %s AND held_on <= %s AND {scoped("school_id")}
            GROUP BY specialist_type""",
            (first, last, *schools),
        ),
        "measures": (
            f"""SELECT m.kind AS kind, COALESCE(m.specialist_type, m.support_type) AS type,
                m.realised AS realised, COUNT(*) AS measures,
                SUM(m.planned_quantity) AS planned
            FROM iap_measure m JOIN iap i ON i.id = m.iap_id
            JOIN student st ON st.id = i.student_id
            WHERE {plan_of_semester} AND {scoped("st.school_id")}
            GROUP BY m.kind, COALESCE(m.specialist_type, m.support_type), m.realised""",
            (year, number, *schools),
        ),
        "needs": (
            f"""SELECT n.support_type AS support_type, COUNT(DISTINCT n.student_id) AS students,
                SUM({sql.json_length("n.months")}) AS months
            FROM support_need n JOIN student st ON st.id = n.student_id
            WHERE n.status = 'confirmed' AND n.school_year = %s AND n.semester = %s
                AND {scoped("st.school_id")}
            GROUP BY n.support_type""",
            (year, number, *schools),
        ),
        "outcomes": (
            f"""SELECT school_id, outcome, reason, COUNT(*) AS students FROM student_outcome
            WHERE school_year = %s AND semester = %s AND {scoped("school_id")}
            GROUP BY school_id, outcome, reason""",
            (year, number, *schools),
        ),
        "activities": (
            f"""SELECT mu.name AS municipality, n.name AS ngo, pa.ngo_id AS ngo_id,
                COUNT(*) AS activities, SUM(pa.participants) AS participants,
                SUM(pa.at_risk_participants) AS at_risk, SUM(pa.hours) AS hours
            FROM peer_activity pa JOIN ngo n ON n.id = pa.ngo_id
            JOIN municipality mu ON mu.id = pa.municipality_id
            WHERE pa.held_on >= %s AND pa.held_on <= %s AND {in_municipality}
            GROUP BY mu.name, n.name, pa.ngo_id ORDER BY mu.name, n.name, pa.ngo_id""",
            (first, last, *municipality),
        ),
    }


async def count_figures(area: Area, semester: Semester) -> Figures:
    """Run the aggregate queries (nine) and sort their rows into figures per unit."""
    sql = Sql()
    results = {
        name: await sql.rows(text, params)
        for name, (text, params) in statements(sql, area, semester).items()
    }
    figures = Figures()
    unit_of = area.school_unit
    for unit in area.units:
        figures.students[unit.id] = [0, 0, 0]
        figures.statuses[unit.id] = dict.fromkeys(IAP_STATUSES.codes(), 0)
        figures.consents[unit.id] = dict.fromkeys(CONSENTS, 0)
        figures.unaddressed[unit.id] = 0
        figures.risk_outcomes[unit.id] = dict.fromkeys([*RISK_OUTCOMES.codes(), None], 0)
        figures.waiting_days[unit.id] = []
        figures.outcomes[unit.id] = dict.fromkeys(OUTCOMES.codes(), 0)
    for row in results["students"]:
        line = figures.students[unit_of[row["school_id"]]]
        for index, name in enumerate(("involved", "with_signal", "with_plan")):
            line[index] += int(row[name] or 0)
    for row in results["plans"]:
        unit_id, plans = unit_of[row["school_id"]], int(row["plans"])
        statuses = figures.statuses[unit_id]
        statuses[row["status"]] = statuses.get(row["status"], 0) + plans
        figures.consents[unit_id][row["consent"]] += plans
        figures.risk_outcomes[unit_id][row["risk_outcome"]] += plans
        figures.unaddressed[unit_id] += int(row["unaddressed"] or 0)
    day = today()
    for row in results["waiting"]:
        since = _as_datetime(row["since"]).astimezone(RIGA).date()
        figures.waiting_days[unit_of[row["school_id"]]].append((day - since).days)
    for row in results["outcomes"]:
        unit_id, students = unit_of[row["school_id"]], int(row["students"])
        figures.outcomes[unit_id][row["outcome"]] += students
        if row["reason"]:
            figures.reasons[row["reason"]] = figures.reasons.get(row["reason"], 0) + students
    figures.risks = results["risks"]
    figures.sessions = {row["specialist_type"]: row for row in results["sessions"]}
    for row in results["measures"]:
        key = (row["kind"], row["type"])
        total = figures.planned.setdefault(key, {"measures": 0, "planned": 0})
        total["measures"] += int(row["measures"])
        total["planned"] += Decimal(str(row["planned"] or 0))
        if row["realised"]:
            figures.realised[row["realised"]] = (
                figures.realised.get(row["realised"], 0) + row["measures"]
            )
    figures.needs = {row["support_type"]: row for row in results["needs"]}
    figures.activities = results["activities"]
    return figures


def _as_datetime(value: datetime | str) -> datetime:
    """SQLite gives moments as text."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- tables ----------------------------------------------------------------------------------


def hours(minutes: int | Decimal | None) -> Decimal:
    return (Decimal(int(minutes or 0)) / 60).quantize(Decimal("0.1"))


def share(part: Cell, whole: Cell) -> Cell:
    """A percentage; hidden when either count is hidden (it would give the hidden one back)."""
    if not isinstance(part, int) or not isinstance(whole, int):
        return "<5" if whole else None
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"))


def unit_table(
    code: str,
    title: str,
    columns: list[str],
    area: Area,
    counts: dict[int, list[int]],
    *,
    shared: bool,
    row_totals: bool = False,
) -> Table:
    """A table with a row per unit (and a total row when there are several), counts suppressed
    when the figures are shared."""
    grid = [list(counts[unit.id]) for unit in area.units]
    several = len(area.units) > 1
    if several:
        grid.append([sum(column) for column in zip(*grid, strict=True)])
    shown: Sequence[Sequence[Cell]] = (
        suppressed(grid, row_totals=row_totals, column_totals=several) if shared else grid
    )
    labels = [unit.name for unit in area.units] + ([TOTAL] if several else [])
    rows: list[list[Cell]] = [[label, *row] for label, row in zip(labels, shown, strict=True)]
    return Table(code, title, columns, rows, total_row=several)


def catalogue_rows(
    catalogue: Catalogue[Any], values: dict[str, list[Cell]], *, keep_empty: bool = False
) -> list[list[Cell]]:
    """A row per catalogue entry (in its order) that has figures, labelled by its msgid."""
    return [
        [entry.label, *values[entry.code]]
        for entry in catalogue
        if entry.code in values and (keep_empty or any(values[entry.code]))
    ]


def tables_of(area: Area, figures: Figures, kind: str, shared: bool) -> list[Table]:
    unit_label = N_("School") if kind != COUNTRY else N_("Municipality")
    ids = [unit.id for unit in area.units]
    statuses = IAP_STATUSES.codes()

    def status_line(unit: int) -> list[int]:
        line = [figures.statuses[unit].get(code, 0) for code in statuses]
        return [*line, sum(line)]

    def plan_line(unit: int) -> list[int]:
        consents = [figures.consents[unit][code] for code in CONSENTS]
        return [*consents, sum(consents)]

    def outcome_line(unit: int) -> list[int]:
        line = [figures.outcomes[unit][code] for code in OUTCOMES.codes()]
        return [*line, sum(line)]

    def review_line(unit: int) -> list[int]:
        line = [figures.risk_outcomes[unit][code] for code in [*RISK_OUTCOMES.codes(), None]]
        return [*line, sum(line)]

    tables = [
        unit_table(
            "students",
            N_("Students involved in the programme"),
            [
                unit_label,
                N_("Students involved"),
                N_("With at least one risk signal"),
                N_("With a support plan (IAP)"),
            ],
            area,
            {unit: figures.students[unit] for unit in ids},
            shared=shared,
        ),
        unit_table(
            "plans_by_status",
            N_("Support plans by status"),
            [unit_label, *(entry.label for entry in IAP_STATUSES), N_("Plans in total")],
            area,
            {unit: status_line(unit) for unit in ids},
            shared=shared,
            row_totals=True,
        ),
        unit_table(
            "consent",
            N_("Consent to the support plan"),
            [unit_label, *(CONSENT_STATES[code].label for code in CONSENTS), N_("Plans in total")],
            area,
            {unit: plan_line(unit) for unit in ids},
            shared=shared,
            row_totals=True,
        ),
        _quality_table(area, figures, unit_label, shared),
        *_measure_tables(figures, shared),
        _risk_table(figures, shared),
        unit_table(
            "outcomes",
            N_("Outcomes of the semester"),
            [unit_label, *(entry.label for entry in OUTCOMES), N_("Outcomes recorded")],
            area,
            {unit: outcome_line(unit) for unit in ids},
            shared=shared,
            row_totals=True,
        ),
        _reasons_table(figures, shared),
        unit_table(
            "review",
            N_("Review of the plans: the risk situation"),
            [unit_label, *(entry.label for entry in RISK_OUTCOMES), N_("Not reviewed")]
            + [N_("Plans in total")],
            area,
            {unit: review_line(unit) for unit in ids},
            shared=shared,
            row_totals=True,
        ),
        _activities_table(figures, shared),
    ]
    return tables


def _quality_table(area: Area, figures: Figures, unit_label: str, shared: bool) -> Table:
    """Plans with a risk left unaddressed, and approvals waiting: how many and how long."""
    ids = [unit.id for unit in area.units]
    counts = {
        unit: [
            sum(figures.statuses[unit].values()),
            figures.unaddressed[unit],
            len(figures.waiting_days[unit]),
        ]
        for unit in ids
    }
    table = unit_table(
        "plan_quality",
        N_("Risks left unaddressed and approvals waiting"),
        [
            unit_label,
            N_("Plans in total"),
            N_("Plans with a risk no measure addresses"),
            N_("Share of plans with a risk unaddressed, %"),
            N_("Plans waiting for approval"),
            N_("Waiting, median days"),
            N_("Waiting, longest in days"),
        ],
        area,
        counts,
        shared=shared,
    )
    waits = [figures.waiting_days[unit] for unit in ids]
    if len(ids) > 1:
        waits.append([days for line in waits for days in line])
    for row, days in zip(table.rows, waits, strict=True):
        plans, unaddressed, waiting = row[1:4]
        row[1:4] = [plans, unaddressed, share(unaddressed, plans), waiting]
        row += [Decimal(str(median(days))) if days else None, max(days) if days else None]
    return table


def _primary(values: list[int], shared: bool) -> list[Cell]:
    """Student counts without totals: hidden under five when shared."""
    row: list[Cell] = list(suppressed([values])[0] if shared else values)
    return row


def _measure_tables(figures: Figures, shared: bool) -> list[Table]:
    sessions: dict[str, list[Cell]] = {}
    for entry in SPECIALIST_TYPES:
        held = figures.sessions.get(entry.code, {})
        planned = figures.planned.get(("consultation", entry.code), {})
        students = int(held.get("students") or 0)
        sessions[entry.code] = [
            int(planned.get("measures", 0)),
            Decimal(planned.get("planned", 0)).quantize(Decimal("0.1")),
            int(held.get("sessions") or 0),
            hours(held.get("minutes")),
            *_primary([students], shared),
        ]
    material: dict[str, list[Cell]] = {}
    for entry in SUPPORT_TYPES:
        confirmed = figures.needs.get(entry.code, {})
        planned = figures.planned.get(("material", entry.code), {})
        material[entry.code] = [
            int(planned.get("measures", 0)),
            int(planned.get("planned", 0)),
            int(confirmed.get("months") or 0),
            *_primary([int(confirmed.get("students") or 0)], shared),
        ]
    realised: dict[str, list[Cell]] = {
        entry.code: [figures.realised.get(entry.code, 0)] for entry in MEASURE_REALISED
    }
    return [
        Table(
            "consultations",
            N_("Consultations: planned and delivered"),
            [
                N_("Specialist"),
                N_("Measures planned"),
                N_("Hours planned"),
                N_("Consultations held"),
                N_("Hours delivered"),
                N_("Students consulted"),
            ],
            catalogue_rows(SPECIALIST_TYPES, sessions),
            labels_translated=True,
        ),
        Table(
            "material_support",
            N_("Material support: planned and delivered"),
            [
                N_("Type of support"),
                N_("Measures planned"),
                N_("Months planned"),
                N_("Months confirmed by parents"),
                N_("Students supported"),
            ],
            catalogue_rows(SUPPORT_TYPES, material),
            labels_translated=True,
        ),
        Table(
            "measures_realised",
            N_("Review of the measures: how they were realised"),
            [N_("Realisation"), N_("Measures")],
            catalogue_rows(MEASURE_REALISED, realised, keep_empty=True),
            labels_translated=True,
        ),
    ]


def _risk_table(figures: Figures, shared: bool) -> Table:
    order = {code: index for index, code in enumerate(RISK_FACTORS.codes())}
    rows: list[list[Cell]] = []
    for row in sorted(figures.risks, key=lambda r: order.get(r["factor"], len(order))):
        if row["factor"] not in RISK_FACTORS or row["risk_group"] not in RISK_GROUPS:
            continue
        counts = [int(row[name]) for name in ("students", "with_plan", "unaddressed")]
        rows.append(
            [
                RISK_FACTORS[row["factor"]].label,
                RISK_GROUPS[row["risk_group"]].label,
                *_primary(counts, shared),
            ]
        )
    return Table(
        "risks",
        N_("Risks by group and factor"),
        [
            N_("Risk factor"),
            N_("Risk group"),
            N_("Students with signals"),
            N_("Of whom with a plan"),
            N_("Of whom no measure addresses it"),
        ],
        rows,
        labels_translated=True,
    )


def _reasons_table(figures: Figures, shared: bool) -> Table:
    counts = [figures.reasons.get(code, 0) for code in EARLY_LEAVING_REASONS.codes()]
    grid = [[n] for n in counts] + [[sum(counts)]]
    shown: Sequence[Sequence[Cell]] = suppressed(grid, column_totals=True) if shared else grid
    labels = [entry.label for entry in EARLY_LEAVING_REASONS] + [TOTAL]
    return Table(
        "early_leaving_reasons",
        N_("Reasons for leaving education early"),
        [N_("Reason"), N_("Students")],
        [[label, *row] for label, row in zip(labels, shown, strict=True)],
        labels_translated=True,
        total_row=True,
    )


def _activities_table(figures: Figures, shared: bool) -> Table:
    rows: list[list[Cell]] = []
    for row in figures.activities:
        rows.append(
            [
                row["municipality"],
                row["ngo"],
                int(row["activities"]),
                int(row["participants"] or 0),
                *_primary([int(row["at_risk"] or 0)], shared),
                Decimal(str(row["hours"] or 0)).quantize(Decimal("0.1")),
            ]
        )
    return Table(
        "youth_activities",
        N_("Youth NGO activities"),
        [
            N_("Municipality"),
            N_("Organisation"),
            N_("Activities"),
            N_("Participants"),
            N_("Of whom at risk"),
            N_("Hours"),
        ],
        rows,
    )
