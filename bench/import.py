"""Attendance import at the programme's scale, on PostgreSQL.

A fictional roster (600 schools, 64,000 students) goes through the real roster import
(`core.services.rosters.import_roster`, as `pumpurs roster import` runs it: one CSV file a school,
read a chunk at a time), then a semester of attendance for every student and school day, one CSV
file a school, through the real attendance import (`core.services.attendance.import_attendance`).
Printed for each: rows per second (and the roster's queries), the time of a plain COPY of the same
rows into a scratch table as a ratio; then peak memory and the time to recompute every student's
level. Municipalities and schools are loaded with COPY.

    .venv/bin/python -m bench.import            # full scale
    .venv/bin/python -m bench.import --scale 0.05
"""

import argparse
import asyncio
import random
import resource
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import asyncpg
from tortoise import Tortoise

from bench.iap import create_schema, drop_database, recreate_database
from core import clock
from core.clock import Semester
from core.csv_import import CHUNK
from core.school_calendar import calendars
from core.services.absence_levels import recompute_levels
from core.services.attendance import import_attendance
from core.services.rosters import import_roster
from storage.models import Absence, Student
from storage.query_counter import count_queries

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_import_bench"
MUNICIPALITIES = 43
YES, NO = "j\u0101", "n\u0113"  # as a Latvian e-journal writes them (no Latvian in the source)
CLASSES_A_SCHOOL = 10
SEED = 42
FIRST_NAMES = ("Anna", "Marta", "Sofija", "Emilija", "Janis", "Roberts", "Martins", "Daniels")
LAST_NAMES = ("Berzina", "Kalnina", "Ozola", "Liepa", "Berzins", "Kalnins", "Ozols", "Petrovs")


@dataclass(frozen=True)
class Options:
    url: str
    schools: int
    students: int
    keep: bool


class RosterLine(NamedTuple):
    """A line of a register's roster export, in its column order."""

    student_ref: str
    class_name: str
    first_name: str
    last_name: str
    family_language: str


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


async def load_schools(url: str, options: Options) -> None:
    """The municipalities and schools, by COPY (the admin's school import is not measured)."""
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
    finally:
        await connection.close()


def register_exports(options: Options) -> dict[int, list[RosterLine]]:
    """Each school's register export: its students, spread at random over the schools."""
    rng = random.Random(SEED)
    exports: dict[int, list[RosterLine]] = {s: [] for s in range(1, options.schools + 1)}
    for number in range(1, options.students + 1):
        school = rng.randint(1, options.schools)
        exports[school].append(
            RosterLine(
                f"P{number:07d}",
                f"{rng.randrange(CLASSES_A_SCHOOL) + 1}.a",
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
                rng.choices(("lv", "ru", "uk"), weights=(85, 12, 3))[0],
            )
        )
    return exports


def roster_file(lines: list[RosterLine]) -> bytes:
    """A school's roster as a register exports it: `;`, CRLF, UTF-8 with a BOM."""
    text = ["student_ref;class;first_name;last_name;family_language"]
    text += [";".join(line) for line in lines]
    return ("\r\n".join(text) + "\r\n").encode("utf-8-sig")


async def streamed(data: bytes) -> AsyncIterator[bytes]:
    """The file a chunk at a time, as `pumpurs roster import` reads it from disk."""
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


@dataclass
class RosterTimes:
    rows: int = 0
    added: int = 0
    seconds: float = 0.0
    queries: int = 0
    round_trips: int = 0
    copy_seconds: float = 0.0


async def import_rosters(url: str, exports: dict[int, list[RosterLine]]) -> RosterTimes:
    """Each school's file through the real roster import (`import_roster`, the operator's CLI
    path), timed and its queries counted; the same rows COPYed into a scratch table, timed."""
    times = RosterTimes()
    copy = await asyncpg.connect(asyncpg_url(url))
    await copy.execute(
        "CREATE UNLOGGED TABLE student_copy (school_id int, student_ref text, class text, "
        "first_name text, last_name text, family_language text)"
    )
    try:
        for school_id, lines in exports.items():
            data = roster_file(lines)
            moment = time.perf_counter()
            with count_queries() as counted:
                result = await import_roster(None, school_id, streamed(data))
            times.seconds += time.perf_counter() - moment
            times.queries += counted.queries
            times.round_trips += counted.round_trips
            times.rows += result.rows
            times.added += result.added
            moment = time.perf_counter()
            await copy.copy_records_to_table(
                "student_copy",
                records=[(school_id, *line) for line in lines],
                columns=["school_id", "student_ref", "class", "first_name", "last_name"]
                + ["family_language"],
            )
            times.copy_seconds += time.perf_counter() - moment
        await copy.execute("ANALYZE")
    finally:
        await copy.close()
    return times


async def enrolled(schools: int) -> dict[int, list[tuple[int, str]]]:
    """Each school's students as the import stored them: (id, ref), in id order."""
    roster: dict[int, list[tuple[int, str]]] = {s: [] for s in range(1, schools + 1)}
    rows = await Student.all().order_by("id").values_list("school_id", "id", "student_ref")
    for school_id, student_id, ref in rows:
        roster[school_id].append((student_id, ref))
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
            lines.append(f"{ref};{day:%d.%m.%Y};{lessons};{YES if excused else NO}")
            records.append((student_id, day, 0 if excused else lessons, lessons if excused else 0))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8"), records


async def run(options: Options) -> None:
    semester = Semester.current()
    last_term = semester if semester.number == 2 else Semester(semester.school_year - 1, 2)
    first, last = last_term.start, min(last_term.end, clock.today())
    await recreate_database(options.url)
    await create_schema(options.url)
    await load_schools(options.url, options)
    exports = register_exports(options)
    times = await import_rosters(options.url, exports)
    again_file = roster_file(exports[1])
    moment = time.perf_counter()
    roster_again = await import_roster(None, 1, streamed(again_file))
    roster_again_seconds = time.perf_counter() - moment
    del exports
    roster = await enrolled(options.schools)
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
        f"Roster: {times.rows:,} students of {options.schools} schools through the roster "
        f"import ({options.schools} files, {times.added:,} added) in {times.seconds:.1f} s = "
        f"{times.rows / times.seconds:,.0f} rows/s; {times.queries:,} queries "
        f"({times.queries / options.schools:.1f} a school), {times.round_trips:,} round trips."
    )
    print(
        f"Plain COPY of the same {times.rows:,} rows into a scratch table: "
        f"{times.copy_seconds:.2f} s = {times.rows / times.copy_seconds:,.0f} rows/s; the roster "
        f"import takes {times.seconds / times.copy_seconds:.1f}x as long."
    )
    print(
        f"A school's roster imported again: {roster_again.rows} rows, {roster_again.changes} "
        f"changes, in {roster_again_seconds:.3f} s."
    )
    print(f"Attendance {first} to {last}: {len(days)} school days.")

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
