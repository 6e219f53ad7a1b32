"""Attendance import at the programme's scale, on PostgreSQL.

A fictional roster (600 schools, 64,000 students) is loaded with COPY (the roster upsert is not
on this branch), then a semester of attendance for every student and school day, one CSV file a
school, goes through the real import service (`core.services.attendance.import_attendance`).
Printed: rows per second, peak memory, the time to recompute every student's level, and the time
of a plain COPY of the same rows into a scratch table, as a ratio.

    .venv/bin/python -m bench.import            # full scale
    .venv/bin/python -m bench.import --scale 0.05
"""

import argparse
import asyncio
import random
import resource
import time
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg
from tortoise import Tortoise

from bench.iap import create_schema, drop_database, recreate_database
from core import clock
from core.clock import Semester
from core.school_calendar import calendars
from core.services.absence_levels import recompute_levels
from core.services.attendance import import_attendance
from storage.models import Absence, Student

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_import_bench"
MUNICIPALITIES = 43
CLASSES_A_SCHOOL = 10
SEED = 42


@dataclass(frozen=True)
class Options:
    url: str
    schools: int
    students: int
    keep: bool


def parse_args() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and re-created")
    parser.add_argument("--schools", type=int, default=600)
    parser.add_argument("--students", type=int, default=64000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    return Options(
        args.database_url,
        max(1, round(args.schools * args.scale)),
        max(1, round(args.students * args.scale)),
        args.keep,
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def asyncpg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def load_roster(url: str, options: Options) -> dict[int, list[tuple[int, str]]]:
    """Municipalities, schools, classes and students by COPY; each school's (id, ref)s."""
    rng = random.Random(SEED)
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        await connection.copy_records_to_table(
            "municipality",
            records=[(m, f"Novads {m}") for m in range(1, MUNICIPALITIES + 1)],
            columns=["id", "name"],
        )
        await connection.copy_records_to_table(
            "school",
            records=[
                (s, f"Skola {s}", "general", False, (s - 1) % MUNICIPALITIES + 1)
                for s in range(1, options.schools + 1)
            ],
            columns=["id", "name", "kind", "state_vocational", "municipality_id"],
        )
        classes = [
            (s * 100 + c, s, c + 1, f"{c + 1}.a")
            for s in range(1, options.schools + 1)
            for c in range(CLASSES_A_SCHOOL)
        ]
        await connection.copy_records_to_table(
            "school_class", records=classes, columns=["id", "school_id", "grade", "name"]
        )
        roster: dict[int, list[tuple[int, str]]] = {s: [] for s in range(1, options.schools + 1)}
        students = []
        for student_id in range(1, options.students + 1):
            school = rng.randint(1, options.schools)
            ref = f"P{student_id:07d}"
            roster[school].append((student_id, ref))
            klass = school * 100 + rng.randrange(CLASSES_A_SCHOOL)
            students.append((student_id, school, klass, "Skolnieks", str(student_id), "lv", ref))
        await connection.copy_records_to_table(
            "student",
            records=students,
            columns=[
                "id",
                "school_id",
                "school_class_id",
                "first_name",
                "last_name",
                "family_language",
                "student_ref",
            ],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return roster


def absences(rng: random.Random, kind: float) -> tuple[int, bool]:
    """Lessons missed on a day by a student of this propensity, and whether excused."""
    if rng.random() < 0.03:
        return 6, True  # off sick
    if rng.random() < kind:
        return rng.randint(1, 3 if kind < 0.1 else 6), False
    return 0, False


def school_file(
    rng: random.Random, students: list[tuple[int, str]], days: list[date], kinds: dict[int, float]
) -> tuple[bytes, list[tuple]]:
    """A school's export (every student and day, most with 0 lessons) and the same rows as
    records for COPY."""
    lines = ["student_ref;date;lessons_missed;excused"]
    records = []
    for student_id, ref in students:
        for day in days:
            lessons, excused = absences(rng, kinds[student_id])
            lines.append(f"{ref};{day:%d.%m.%Y};{lessons};{'jā' if excused else 'nē'}")
            records.append((student_id, day, 0 if excused else lessons, lessons if excused else 0))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8"), records


async def run(options: Options) -> None:
    semester = Semester.current()
    last_term = semester if semester.number == 2 else Semester(semester.school_year - 1, 2)
    first, last = last_term.start, min(last_term.end, clock.today())
    await recreate_database(options.url)
    await create_schema(options.url)
    started = time.perf_counter()
    roster = await load_roster(options.url, options)
    roster_seconds = time.perf_counter() - started
    calendar = (await calendars([1], first, last))[1]
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    days = [day for day in days if calendar.teaches(day)]
    rng = random.Random(SEED)
    kinds = {
        student_id: rng.choices((0.01, 0.04, 0.12), weights=(80, 15, 5))[0]
        for students in roster.values()
        for student_id, _ in students
    }
    print(
        f"Roster: {options.schools} schools, {options.students} students by COPY in "
        f"{roster_seconds:.1f} s; attendance {first} to {last}: {len(days)} school days."
    )

    last = days[-1]
    rows = created = 0
    import_seconds = copy_seconds = 0.0
    first_file = b""
    baseline = peak_mb()
    copy = await asyncpg.connect(asyncpg_url(options.url))
    await copy.execute(
        "CREATE UNLOGGED TABLE absence_copy "
        "(student_id int, day date, unexcused smallint, excused smallint)"
    )
    try:
        for school_id, students in roster.items():
            data, records = school_file(rng, students, days, kinds)
            first_file = first_file or data
            moment = time.perf_counter()
            report = await import_attendance(None, school_id, data)
            import_seconds += time.perf_counter() - moment
            rows += report.rows
            created += report.created
            moment = time.perf_counter()
            await copy.copy_records_to_table(
                "absence_copy",
                records=records,
                columns=["student_id", "day", "unexcused", "excused"],
            )
            copy_seconds += time.perf_counter() - moment
    finally:
        await copy.close()
    peak = peak_mb()

    moment = time.perf_counter()
    again = await import_attendance(None, 1, first_file)
    reimport_seconds = time.perf_counter() - moment

    moment = time.perf_counter()
    await Student.all().update(absence_level=None)
    clear_seconds = time.perf_counter() - moment
    moment = time.perf_counter()
    levels = await recompute_levels(list(roster), last)
    levels_seconds = time.perf_counter() - moment
    stored = await Absence.all().count()
    at_levels = ", ".join(f"{k or 'none'} {v}" for k, v in sorted(levels.by_level.items(), key=str))

    print(
        f"Import: {rows:,} student-days in {import_seconds:.1f} s = {rows / import_seconds:,.0f} "
        f"rows/s ({options.schools} files; {created:,} absence rows written, the rest were days "
        f"with nothing missed); {stored:,} rows stored."
    )
    print(
        f"Plain COPY of the same {rows:,} rows into a scratch table: {copy_seconds:.1f} s = "
        f"{rows / copy_seconds:,.0f} rows/s; the import takes {import_seconds / copy_seconds:.1f}x "
        "as long."
    )
    print(
        f"Peak memory (max RSS): {peak:.0f} MB ({baseline:.0f} MB before the import; the "
        "generated files and COPY records are held one school at a time)."
    )
    print(
        f"A school's file imported again: {again.rows:,} rows, {again.created} new, "
        f"{again.updated} changed, {again.unchanged:,} unchanged, in {reimport_seconds:.2f} s."
    )
    print(
        f"Every student's level recomputed (window ending {last}): {levels_seconds:.1f} s "
        f"({clear_seconds:.1f} s to clear them first); {at_levels}; "
        f"{len(levels.rises):,} rises."
    )
    await Tortoise.close_connections()
    if not options.keep:
        await drop_database(options.url)


async def main() -> None:
    try:
        await run(parse_args())
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
