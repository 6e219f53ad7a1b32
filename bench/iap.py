"""IAP assembly at the programme's scale: generate a country of data, then time core.iap.

Run from the repository root: `.venv/bin/python -m bench.iap` (or `--scale 0.05` for a quick run).
See bench/README.md for what it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from urllib.parse import urlparse

import asyncpg
from tortoise import Tortoise
from tortoise.models import Model

from bench.iap_floor import school_rows
from bot.runner import settle_memory
from core.catalogues import ABSENCES, RISK_FACTORS, SUPPORT_TYPES, TRANSPORT_TICKETS
from core.clock import Semester, today
from core.iap import AssembledIap, assemble, school_students_in_play
from storage import models
from storage.db import MODELS, tortoise_config
from storage.query_counter import count_queries

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_bench"
DEFAULT_SCHOOLS = 600
DEFAULT_STUDENTS = 64_000
MUNICIPALITIES = 43
SEED = 42
MAINTENANCE_DATABASES = ("postgres", "test")

# Per student, on average.
SIGNALS_PER_STUDENT = 8
CONSULTATIONS_PER_STUDENT = 6
NEEDS_PER_STUDENT = 0.5
IAP_SHARE = 1 / 3  # students with a plan this semester
OTHER_AT_RISK_SHARE = 1 / 6  # students with signals but no plan

# Students per risk group in 2019/20, semester I (DOMAIN.md): how often each group is seen.
GROUP_WEIGHTS = {"learning": 8655, "economic": 5862, "family": 1048, "social_health": 528}
SPECIALIST_WEIGHTS = {
    "psychologist": 30,
    "social_pedagogue": 25,
    "teacher": 25,
    "teacher_assistant": 8,
    "special_ed_teacher": 6,
    "assistant": 3,
    "occupational_therapist": 2,
    "sign_interpreter": 1,
}
STATUS_WEIGHTS = {
    "draft": 10,
    "in_approval": 10,
    "approved": 10,
    "in_progress": 50,
    "under_review": 10,
    "paused": 5,
    "withdrawn": 5,
}
APPROVED_PATH = ["draft", "in_approval", "approved"]
STATUS_PATHS = {
    "draft": ["draft"],
    "in_approval": ["draft", "in_approval"],
    "approved": APPROVED_PATH,
    "in_progress": [*APPROVED_PATH, "in_progress"],
    "under_review": [*APPROVED_PATH, "in_progress", "under_review"],
    "paused": [*APPROVED_PATH, "in_progress", "paused"],
    "withdrawn": ["draft", "withdrawn"],
}

Row = tuple[object, ...]


# --- options -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    database_url: str
    schools: int
    students: int
    keep: bool

    @property
    def municipalities(self) -> int:
        return min(MUNICIPALITIES, self.schools)


def add_country_options(parser: argparse.ArgumentParser, database_url: str, keep: str) -> None:
    """The options of every benchmark on this country: where, how large, and --keep."""
    parser.add_argument("--database-url", default=database_url, help="dropped and re-created")
    parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS)
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiplies schools and students, e.g. 0.05"
    )
    parser.add_argument("--keep", action="store_true", help=keep)


def country_options(args: argparse.Namespace) -> Options:
    schools = max(1, round(args.schools * args.scale))
    students = max(schools, round(args.students * args.scale))
    return Options(args.database_url, schools, students, args.keep)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.iap", description="Benchmark IAP assembly at the programme's scale."
    )
    add_country_options(
        parser,
        DEFAULT_URL,
        keep="reuse the data if its schema and row counts match, and keep the database afterwards",
    )
    return country_options(parser.parse_args(argv))


# --- the database --------------------------------------------------------------------------


def _database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def _with_database(url: str, name: str) -> str:
    return urlparse(url)._replace(path=f"/{name}").geturl()


async def _maintenance_connection(url: str) -> asyncpg.Connection:
    error: Exception | None = None
    for name in MAINTENANCE_DATABASES:
        try:
            return await asyncpg.connect(_with_database(url, name))
        except (OSError, asyncpg.PostgresError) as failure:
            error = failure
    raise RuntimeError(f"no maintenance database reachable next to {url}") from error


async def recreate_database(url: str) -> None:
    name = _database_name(url)
    admin = await _maintenance_connection(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def drop_database(url: str) -> None:
    admin = await _maintenance_connection(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{_database_name(url)}" WITH (FORCE)')
    finally:
        await admin.close()


async def database_exists(url: str) -> bool:
    admin = await _maintenance_connection(url)
    try:
        found = await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", _database_name(url)
        )
    finally:
        await admin.close()
    return found is not None


async def create_schema(url: str) -> None:
    await Tortoise.init(config=tortoise_config(url))
    await Tortoise.generate_schemas()


# --- generating the country ----------------------------------------------------------------


@dataclass
class Table:
    """Rows for one table, in the column order given; the name comes from the model's Meta."""

    model: type[Model]
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.model._meta.db_table


@dataclass
class SchoolInfo:
    id: int
    municipality_id: int
    vocational: bool
    state_vocational: bool
    size_weight: float
    teacher_id: int = 0
    psychologist_id: int = 0
    class_ids: list[int] = field(default_factory=list)


@dataclass
class StudentInfo:
    id: int
    school: SchoolInfo
    has_iap: bool = False
    factors: list[str] = field(default_factory=list)  # what this student's signals are about


def _tables() -> dict[str, Table]:
    tables = [
        Table(models.Municipality, ("id", "name")),
        Table(models.School, ("id", "name", "kind", "state_vocational", "municipality_id")),
        Table(models.SchoolClass, ("id", "school_id", "grade", "name")),
        Table(
            models.Student,
            ("id", "school_id", "school_class_id", "first_name", "last_name", "family_language"),
        ),
        Table(
            models.Person,
            ("id", "display_name", "telegram_id", "locale", "unreachable", "created_at"),
        ),
        Table(
            models.Membership,
            ("id", "person_id", "role", "specialty", "school_id", "created_at"),
        ),
        Table(
            models.RiskSignal,
            (
                "id",
                "student_id",
                "school_id",
                "group",
                "factor",
                "level",
                "value",
                "observed_from",
                "observed_to",
                "reporter_id",
                "created_at",
            ),
        ),
        Table(
            models.Consultation,
            (
                "id",
                "student_id",
                "school_id",
                "specialist_type",
                "provider_id",
                "held_on",
                "minutes",
                "mode",
                "student_confirmed",
                "created_at",
            ),
        ),
        Table(
            models.SupportNeed,
            (
                "id",
                "student_id",
                "support_type",
                "school_year",
                "semester",
                "months",
                "details",
                "status",
                "asked_by_id",
                "answered_at",
                "created_at",
            ),
        ),
        Table(
            models.Iap,
            (
                "id",
                "student_id",
                "school_year",
                "semester",
                "status",
                "preparer_id",
                "consent",
                "consent_at",
                "pause_reason",
                "created_at",
                "updated_at",
            ),
        ),
        Table(models.IapApproval, ("id", "iap_id", "step", "person_id", "at")),
        Table(
            models.IapTransition, ("id", "iap_id", "from_status", "to_status", "person_id", "at")
        ),
        Table(
            models.IapMeasure,
            (
                "id",
                "iap_id",
                "kind",
                "specialist_type",
                "support_type",
                "risk_factors",
                "planned_quantity",
                "months",
                "created_at",
            ),
        ),
    ]
    return {table.name: table for table in tables}


class Country:
    """A fictional programme: municipalities, schools, students and one semester of records."""

    def __init__(self, options: Options, semester: Semester, last_day: date) -> None:
        self.options = options
        self.semester = semester
        self.first_day = semester.start
        self.last_day = min(last_day, semester.end)
        self.rng = random.Random(SEED)
        self.tables = _tables()
        self.schools: list[SchoolInfo] = []
        self.students: list[StudentInfo] = []

    def build(self) -> list[Table]:
        self._municipalities()
        self._schools()
        self._people()
        self._classes()
        self._students()
        self._risk_profiles()
        self._signals()
        self._consultations()
        self._needs()
        self._iaps()
        return list(self.tables.values())

    # Helpers.

    def _add(self, table: str, row: Row) -> int:
        rows = self.tables[table].rows
        rows.append(row)
        return len(rows)

    def _next_id(self, table: str) -> int:
        return len(self.tables[table].rows) + 1

    def _day(self) -> date:
        return self.first_day + timedelta(days=self.rng.randint(0, self._span()))

    def _span(self) -> int:
        return (self.last_day - self.first_day).days

    def _moment(self, day: date) -> datetime:
        at = clock_time(self.rng.randint(7, 17), self.rng.randint(0, 59), tzinfo=UTC)
        return datetime.combine(day, at)

    def _owners(self, total: int, weight: Callable[[StudentInfo], float]) -> list[StudentInfo]:
        """`total` students drawn with these weights: whose records the rows will be."""
        return self.rng.choices(self.students, [weight(s) for s in self.students], k=total)

    # Places and people.

    def _municipalities(self) -> None:
        for number in range(1, self.options.municipalities + 1):
            self._add("municipality", (number, f"Pašvaldība {number}"))

    def _schools(self) -> None:
        rng = self.rng
        for number in range(1, self.options.schools + 1):
            vocational = rng.random() < 0.15
            school = SchoolInfo(
                id=number,
                municipality_id=rng.randint(1, self.options.municipalities),
                vocational=vocational,
                state_vocational=vocational and rng.random() < 0.3,
                size_weight=rng.lognormvariate(0, 0.6) * (2.0 if vocational else 1.0),
            )
            name = f"{'Profesionālā skola' if vocational else 'Skola'} {number}"
            kind = "vocational" if vocational else "general"
            self._add(
                "school", (number, name, kind, school.state_vocational, school.municipality_id)
            )
            self.schools.append(school)

    def _people(self) -> None:
        created = datetime.combine(self.first_day, clock_time(9, tzinfo=UTC))
        for school in self.schools:
            school.teacher_id = self._person(f"Skolotājs {school.id}", created)
            school.psychologist_id = self._person(f"Psihologs {school.id}", created)
            self._membership(school.teacher_id, "teacher", None, school.id, created)
            self._membership(
                school.psychologist_id, "specialist", "psychologist", school.id, created
            )

    def _person(self, name: str, created: datetime) -> int:
        return self._add("person", (self._next_id("person"), name, None, "lv", False, created))

    def _membership(
        self, person_id: int, role: str, specialty: str | None, school_id: int, created: datetime
    ) -> None:
        row = (self._next_id("membership"), person_id, role, specialty, school_id, created)
        self._add("membership", row)

    def _classes(self) -> None:
        for school in self.schools:
            top_grade = 4 if school.vocational else 12
            letters: dict[int, int] = {}
            for _ in range(self.rng.randint(8, 12)):
                grade = self.rng.randint(1, top_grade)
                letters[grade] = letters.get(grade, 0) + 1
                name = f"{grade}.{'abcdefghijkl'[letters[grade] - 1]}"
                class_id = self._next_id("school_class")
                self._add("school_class", (class_id, school.id, grade, name))
                school.class_ids.append(class_id)

    def _students(self) -> None:
        weights = [school.size_weight for school in self.schools]
        placed = self.rng.choices(
            self.schools, weights, k=self.options.students - len(self.schools)
        )
        for school in sorted([*self.schools, *placed], key=lambda s: s.id):  # none left empty
            student = StudentInfo(self._next_id("student"), school)
            language = self.rng.choices(["lv", "ru", "uk"], [62, 35, 3])[0]
            row = (
                student.id,
                school.id,
                self.rng.choice(school.class_ids),
                f"Skolnieks {student.id}",
                f"Uzvārds {self.rng.randint(1, 2000)}",
                language,
            )
            self._add("student", row)
            self.students.append(student)

    # One semester of records.

    def _risk_profiles(self) -> None:
        """Pick who has a plan and who only has signals, and the factors each one shows."""
        factors = list(RISK_FACTORS)
        weights = [_factor_weight(factor.code, factor.group) for factor in factors]
        codes = [factor.code for factor in factors]
        for student in self.students:
            draw = self.rng.random()
            if draw >= IAP_SHARE + OTHER_AT_RISK_SHARE:
                continue
            student.has_iap = draw < IAP_SHARE
            chosen = self.rng.choices(codes, weights, k=self.rng.randint(1, 3))
            student.factors = sorted(set(chosen), key=codes.index)

    def _signals(self) -> None:
        total = round(SIGNALS_PER_STUDENT * len(self.students))
        for student in self._owners(total, lambda s: (3.0 if s.has_iap else 1.0) * bool(s.factors)):
            factor = self.rng.choice(student.factors)
            observed_to = self._day()
            observed_from = max(
                self.first_day, observed_to - timedelta(days=self.rng.randint(0, 27))
            )
            row = (
                self._next_id("risk_signal"),
                student.id,
                student.school.id,
                RISK_FACTORS[factor].group,
                factor,
                "high" if self.rng.random() < 0.3 else "caution",
                self.rng.randint(1, 30) if factor == ABSENCES else None,
                observed_from,
                observed_to,
                student.school.teacher_id,
                self._moment(observed_to),
            )
            self._add("risk_signal", row)

    def _consultations(self) -> None:
        total = round(CONSULTATIONS_PER_STUDENT * len(self.students))
        specialists, weights = list(SPECIALIST_WEIGHTS), list(SPECIALIST_WEIGHTS.values())
        for student in self._owners(total, _support_weight):
            specialist = self.rng.choices(specialists, weights)[0]
            school = student.school
            provider = school.psychologist_id if specialist == "psychologist" else school.teacher_id
            held_on = self._day()
            row = (
                self._next_id("consultation"),
                student.id,
                school.id,
                specialist,
                provider,
                held_on,
                self.rng.choice((30, 40, 45, 60, 90)),
                "remote" if self.rng.random() < 0.15 else "in_person",
                self.rng.random() < 0.8,
                self._moment(held_on),
            )
            self._add("consultation", row)

    def _needs(self) -> None:
        total = round(NEEDS_PER_STUDENT * len(self.students))
        support_types = SUPPORT_TYPES.codes()
        months = self.semester.months()
        for student in self._owners(total, lambda s: 3.0 if s.has_iap else float(bool(s.factors))):
            support_type = self.rng.choice(support_types)
            status = self.rng.choices(["asked", "confirmed", "declined"], [30, 60, 10])[0]
            created = self._moment(self._day())
            answered = (
                created + timedelta(days=self.rng.randint(0, 5)) if status != "asked" else None
            )
            row = (
                self._next_id("support_need"),
                student.id,
                support_type,
                self.semester.school_year,
                self.semester.number,
                json.dumps(sorted(self.rng.sample(months, self.rng.randint(1, len(months))))),
                f"Maršruts {self.rng.randint(1, 40)}"
                if support_type == TRANSPORT_TICKETS
                else None,
                status,
                student.school.teacher_id,
                answered,
                created,
            )
            self._add("support_need", row)

    def _iaps(self) -> None:
        statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        for student in self.students:
            if student.has_iap:
                self._iap(student, self.rng.choices(statuses, weights)[0])

    def _iap(self, student: StudentInfo, status: str) -> None:
        iap_id = self._next_id("iap")
        path = STATUS_PATHS[status]
        moments = self._path_moments(len(path))
        consent = _consent(status, self.rng)
        row = (
            iap_id,
            student.id,
            self.semester.school_year,
            self.semester.number,
            status,
            student.school.teacher_id,
            consent,
            moments[0] + timedelta(hours=2) if consent == "given" else None,
            "Ilgstoša slimība" if status == "paused" else None,
            moments[0],
            moments[-1],
        )
        self._add("iap", row)
        self._transitions(iap_id, path, moments, student.school.teacher_id)
        if "approved" in path:
            self._approvals(iap_id, student.school, moments[path.index("approved")])
        for _ in range(self.rng.randint(2, 3)):
            self._measure(iap_id, student, moments[0])

    def _path_moments(self, steps: int) -> list[datetime]:
        """When each status was reached: a few days apart, never after the last day."""
        end = datetime.combine(self.last_day, clock_time(18, tzinfo=UTC))
        first_days = max(0, self._span() // 3)
        moment = self._moment(self.first_day + timedelta(days=self.rng.randint(0, first_days)))
        moments = []
        for _ in range(steps):
            moments.append(min(moment, end))
            moment += timedelta(days=self.rng.randint(1, 6), hours=self.rng.randint(0, 8))
        return moments

    def _transitions(self, iap_id: int, path: list[str], moments: list[datetime], person: int):
        for before, after, at in zip([None, *path], path, moments, strict=False):
            self._add(
                "iap_transition",
                (self._next_id("iap_transition"), iap_id, before, after, person, at),
            )

    def _approvals(self, iap_id: int, school: SchoolInfo, approved_at: datetime) -> None:
        steps = (
            ["preparer", "school"]
            if school.state_vocational
            else ["preparer", "school", "municipality"]
        )
        for offset, step in enumerate(reversed(steps)):
            at = approved_at - timedelta(hours=offset * 4)
            self._add("iap_approval", (self._next_id("iap_approval"), iap_id, step, None, at))

    def _measure(self, iap_id: int, student: StudentInfo, created: datetime) -> None:
        material = self.rng.random() < 0.25
        addressed = self.rng.sample(
            student.factors, self.rng.randint(1, min(2, len(student.factors)))
        )
        planned = self.rng.randint(1, 4) if material else self.rng.randint(2, 20)
        months = sorted(self.semester.months()[:planned]) if material else []
        row = (
            self._next_id("iap_measure"),
            iap_id,
            "material" if material else "consultation",
            None
            if material
            else self.rng.choices(list(SPECIALIST_WEIGHTS), list(SPECIALIST_WEIGHTS.values()))[0],
            self.rng.choice(SUPPORT_TYPES.codes()) if material else None,
            json.dumps(addressed),
            Decimal(planned),
            json.dumps(months),
            created,
        )
        self._add("iap_measure", row)


def _factor_weight(code: str, group: str) -> float:
    in_group = sum(1 for factor in RISK_FACTORS if factor.group == group)
    weight = GROUP_WEIGHTS[group] / in_group
    return weight * 3 if code == ABSENCES else weight  # absences are the first signal seen


def _support_weight(student: StudentInfo) -> float:
    if student.has_iap:
        return 4.0
    return 1.0 if student.factors else 0.1


def _consent(status: str, rng: random.Random) -> str:
    if status == "draft":
        return "given" if rng.random() < 0.3 else "missing"
    if status == "withdrawn":
        return rng.choice(("missing", "refused"))
    return "given"


# --- loading -------------------------------------------------------------------------------


async def load(url: str, tables: list[Table]) -> None:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            for table in tables:
                await connection.copy_records_to_table(
                    table.name, records=table.rows, columns=list(table.columns)
                )
                await _advance_sequence(connection, table.name)
    finally:
        await connection.close()


async def _advance_sequence(connection: asyncpg.Connection, table: str) -> None:
    """Rows were copied with their ids: move the id sequence past them."""
    await connection.execute(
        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
        f'GREATEST((SELECT max(id) FROM "{table}"), 1))'
    )


async def analyze(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def row_counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        return {
            name: await connection.fetchval(f'SELECT count(*) FROM "{name}"') for name in _tables()
        }
    finally:
        await connection.close()


async def schema_matches(url: str) -> bool:
    """Whether every table has exactly the columns the models have now."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
    finally:
        await connection.close()
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], set()).add(row["column_name"])
    Tortoise.init_models(MODELS, "models")  # resolves the foreign keys' columns
    return all(
        columns.get(model._meta.db_table) == set(model._meta.fields_db_projection.values())
        for model in Tortoise.apps["models"].values()
    )


async def reusable_counts(options: Options, semester: Semester) -> dict[str, int] | None:
    """The row counts of data left by an earlier run of the same size and schema, or None."""
    if not await database_exists(options.database_url):
        return None
    if not await schema_matches(options.database_url):
        return None
    counts = await row_counts(options.database_url)
    plans = await _plans_in(options.database_url, semester)
    expected = {
        "municipality": options.municipalities,
        "school": options.schools,
        "student": options.students,
    }
    if any(counts[name] != number for name, number in expected.items()) or plans == 0:
        return None
    return counts


async def _plans_in(url: str, semester: Semester) -> int:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM iap WHERE school_year = $1 AND semester = $2",
            semester.school_year,
            semester.number,
        )
    finally:
        await connection.close()


@dataclass
class Generation:
    counts: dict[str, int]
    reused: bool = False
    build_seconds: float = 0.0
    load_seconds: float = 0.0
    analyze_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.build_seconds + self.load_seconds + self.analyze_seconds


async def prepare(options: Options, semester: Semester) -> Generation:
    """Reuse the data (with --keep, when it matches) or generate and load it afresh."""
    url = options.database_url
    if options.keep and (counts := await reusable_counts(options, semester)) is not None:
        await Tortoise.init(config=tortoise_config(url))
        return Generation(counts, reused=True)
    await recreate_database(url)
    await create_schema(url)
    started = time.perf_counter()
    tables = Country(options, semester, today()).build()
    built = time.perf_counter()
    await load(url, tables)
    loaded = time.perf_counter()
    await analyze(url)
    analyzed = time.perf_counter()
    return Generation(
        counts=await row_counts(url),
        build_seconds=built - started,
        load_seconds=loaded - built,
        analyze_seconds=analyzed - loaded,
    )


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    iaps: int  # assembled structures: students with a plan or a signal
    plans: int  # of which have an IAP row
    queries: int
    round_trips: int = 0  # queries and the rest: prepares, BEGIN/COMMIT, the pool's resets


async def measure(
    work: Callable[[], Awaitable[list[AssembledIap]]], repeat: int = 1, warm_up: bool = True
) -> Run:
    """Run `work` (once more first to warm up) `repeat` times: the median time, the last counts."""
    if warm_up:
        await work()
    times = []
    for _ in range(repeat):
        with count_queries() as counted:
            started = time.perf_counter()
            assembled = await work()
            times.append(time.perf_counter() - started)
    plans = sum(1 for entry in assembled if entry.iap_id is not None)
    return Run(
        statistics.median(times), len(assembled), plans, counted.queries, counted.round_trips
    )


async def measure_floor(url: str, school_ids: list[int], semester: Semester) -> Run:
    """The plain-SQL floor of the whole country, school by school, on one asyncpg connection."""
    connection = await asyncpg.connect(url)
    try:
        with count_queries() as counted:
            started = time.perf_counter()
            students = 0
            for school_id in school_ids:
                students += await school_rows(connection, school_id, semester)
            seconds = time.perf_counter() - started
    finally:
        await connection.close()
    return Run(seconds, students, 0, counted.queries, counted.round_trips)


async def country_against_floor(
    url: str, ids: list[int], semester: Semester, rounds: int = 2
) -> tuple[Run, Run]:
    """The country through core.iap and through plain SQL, interleaved (A B A B): the faster
    pass of each, the least disturbed by whatever else the machine was doing."""
    await measure_floor(url, ids[:20], semester)  # warm up both
    await whole_country(ids[:20], semester)
    ours, floors = [], []
    for _ in range(rounds):
        ours.append(await measure(lambda: whole_country(ids, semester), warm_up=False))
        floors.append(await measure_floor(url, ids, semester))
    return min(ours, key=lambda run: run.seconds), min(floors, key=lambda run: run.seconds)


async def whole_school(school_id: int, semester: Semester) -> list[AssembledIap]:
    return await assemble(await school_students_in_play(school_id, semester), semester)


async def one_call_per_student(student_ids: list[int], semester: Semester) -> list[AssembledIap]:
    assembled = []
    for student_id in student_ids:
        assembled += await assemble([student_id], semester)
    return assembled


async def whole_country(school_ids: list[int], semester: Semester) -> list[AssembledIap]:
    assembled = []
    for school_id in school_ids:
        assembled += await whole_school(school_id, semester)
    return assembled


async def median_school(url: str) -> tuple[int, int]:
    """The school of median size (by students), and its number of students."""
    connection = await asyncpg.connect(url)
    try:
        sizes = await connection.fetch(
            "SELECT school_id, count(*) AS students FROM student GROUP BY school_id "
            "ORDER BY students, school_id"
        )
    finally:
        await connection.close()
    middle = sizes[len(sizes) // 2]
    return middle["school_id"], middle["students"]


async def school_ids(url: str) -> list[int]:
    connection = await asyncpg.connect(url)
    try:
        return [row["id"] for row in await connection.fetch("SELECT id FROM school ORDER BY id")]
    finally:
        await connection.close()


@dataclass
class Results:
    school_id: int
    school_students: int
    school: Run
    school_assemble: Run
    per_student: Run
    schools: int
    country: Run
    floor: Run


async def run_measurements(url: str, semester: Semester) -> Results:
    settle_memory()  # the collector as `pumpurs serve`, which assembles the plans, sets it
    school_id, students = await median_school(url)
    in_play = await school_students_in_play(school_id, semester)
    school = await measure(lambda: whole_school(school_id, semester), repeat=5)
    school_assemble = await measure(lambda: assemble(in_play, semester), repeat=5)
    per_student = await measure(lambda: one_call_per_student(in_play, semester), repeat=3)
    ids = await school_ids(url)
    country, floor = await country_against_floor(url, ids, semester)
    return Results(
        school_id, students, school, school_assemble, per_student, len(ids), country, floor
    )


# --- reporting -----------------------------------------------------------------------------


def report(options: Options, semester: Semester, generation: Generation, results: Results) -> str:
    lines = [
        f"PuMPuRS IAP benchmark: semester {semester.label}, database "
        f"{_database_name(options.database_url)}, {options.schools} schools, "
        f"{options.students} students, seed {SEED}",
        "",
        *_generation_lines(generation),
        "",
        *_school_lines(results),
        "",
        *_country_lines(results),
    ]
    return "\n".join(lines)


def _generation_lines(generation: Generation) -> list[str]:
    lines = [f"{'table':<20}{'rows':>12}"]
    lines += [f"{name:<20}{count:>12,}" for name, count in generation.counts.items()]
    lines.append(f"{'total':<20}{sum(generation.counts.values()):>12,}")
    if generation.reused:
        lines.append("generation: reused the data of an earlier run (--keep)")
    else:
        lines.append(
            f"generation: {generation.seconds:.1f} s (build {generation.build_seconds:.1f} s, "
            f"load {generation.load_seconds:.1f} s, analyze {generation.analyze_seconds:.1f} s)"
        )
    return lines


def _school_lines(results: Results) -> list[str]:
    school, alone, per_student = results.school, results.school_assemble, results.per_student
    return [
        f"one school (id {results.school_id}, {results.school_students} students: median size), "
        "median of 5 runs",
        _run_line("students in play + assemble", school),
        _run_line("assemble, one call", alone),
        _run_line(f"assemble, {per_student.iaps} calls", per_student),
        f"  per-student calls / one call: {per_student.seconds / alone.seconds:.1f}x time, "
        f"{per_student.queries / alone.queries:.1f}x queries",
    ]


def _country_lines(results: Results) -> list[str]:
    country, floor = results.country, results.floor
    ratio = country.seconds / floor.seconds
    return [
        f"whole country, school by school ({results.schools} schools; two passes each, "
        "interleaved, the faster shown)",
        _run_line("students in play + assemble", country),
        f"  {country.iaps / country.seconds:,.0f} IAPs per second, "
        f"{country.queries / country.iaps:.2f} queries per IAP, "
        f"{country.round_trips / country.iaps:.2f} round trips per IAP",
        f"  plain-SQL floor (asyncpg, same rows) {floor.seconds:9.3f} s "
        f"{floor.iaps:>8,} students{floor.queries:>8,} queries{floor.round_trips:>8,} round trips",
        f"  ratio to the floor: {ratio:.2f}x (target <= 2): {'met' if ratio <= 2 else 'MISSED'}",
    ]


def _run_line(label: str, run: Run) -> str:
    return (
        f"  {label:<30}{run.seconds:>9.3f} s{run.iaps:>8,} IAPs ({run.plans:,} with a plan)"
        f"{run.queries:>8,} queries"
    )


# --- main ----------------------------------------------------------------------------------


async def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    semester = Semester.current()
    try:
        generation = await prepare(options, semester)
        results = await run_measurements(options.database_url, semester)
    finally:
        await Tortoise.close_connections()
    print(report(options, semester, generation, results))
    if not options.keep:
        await drop_database(options.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
