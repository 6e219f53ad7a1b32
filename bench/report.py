"""The semester report at the programme's scale: the country report on bench.iap's country.

Run from the repository root: `.venv/bin/python -m bench.report` (or `--scale 0.05`). It builds
bench.iap's country, adds the semester's outcomes and youth activities, then times
`core.reports.build_report` for the country, the largest municipality and the median school, and
the same aggregate queries sent as plain SQL on one asyncpg connection, in the same run.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg
from tortoise import Tortoise

from bench.iap import (
    _database_name,
    add_country_options,
    country_options,
    drop_database,
    median_school,
    prepare,
)
from core.access import Actor, load_actor
from core.clock import Semester
from core.digest import Scope
from core.reports import Report, Sql, build_report, placeholders, resolve, statements
from storage.models import Membership, Person
from storage.query_counter import count_queries

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_bench_report"
REPEAT = 5


def parse_args(argv: Sequence[str] | None = None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description="Benchmark the semester report."
    )
    add_country_options(parser, DEFAULT_URL, keep="reuse matching data; keep the database")
    return country_options(parser.parse_args(argv))


async def add_outcomes_and_activities(url: str, semester: Semester) -> dict[str, int]:
    """An outcome for nine plans in ten (a fixed spread by id), and youth activities: 2 NGOs a
    municipality, 12 activities each. Replaces what an earlier run added, then ANALYZE (else
    the planner takes the new tables for empty)."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("DELETE FROM student_outcome; DELETE FROM peer_activity")
        await connection.execute("DELETE FROM ngo")
        await connection.execute(
            """INSERT INTO student_outcome
                (student_id, school_id, school_year, semester, outcome, reason, recorded_at)
            SELECT i.student_id, st.school_id, i.school_year, i.semester,
                (ARRAY['continues','continues','continues','continues','continues','completed',
                       'moved','left_early','other'])[1 + i.id % 9],
                CASE WHEN i.id % 9 = 7 THEN (ARRAY['employment','moved_abroad','family',
                    'health','motivation','other'])[1 + i.id % 6] END, now()
            FROM iap i JOIN student st ON st.id = i.student_id
            WHERE i.school_year = $1 AND i.semester = $2 AND i.id % 10 <> 0""",
            semester.school_year,
            semester.number,
        )
        await connection.execute(
            """INSERT INTO ngo (name, municipality_id)
            SELECT 'Jauniesu biedriba ' || m.id || '-' || k, m.id
            FROM municipality m CROSS JOIN generate_series(1, 2) k"""
        )
        await connection.execute(
            """INSERT INTO peer_activity (ngo_id, municipality_id, held_on, title, format,
                participants, at_risk_participants, hours, created_at)
            SELECT n.id, n.municipality_id, $1::date + (k * 7 % 90), 'Aktivitate ' || k, 'event',
                8 + k % 15, k % 6, 1.5 + k % 3, now()
            FROM ngo n CROSS JOIN generate_series(1, 12) k""",
            semester.start,
        )
        await connection.execute("ANALYZE student_outcome; ANALYZE ngo; ANALYZE peer_activity")
        return {
            "student_outcome": await connection.fetchval("SELECT count(*) FROM student_outcome"),
            "peer_activity": await connection.fetchval("SELECT count(*) FROM peer_activity"),
        }
    finally:
        await connection.close()


async def programme_admin() -> Actor:
    person = await Person.create(display_name="IKVD analyst (bench)")
    await Membership.create(person_id=person.id, role="programme_admin")
    return await load_actor(person.id)


@dataclass
class Run:
    seconds: float  # the median of the runs
    queries: int
    peak_mib: float  # Python allocations at their peak during one more run (tracemalloc)


async def measure(work: Callable[[], Awaitable[object]]) -> Run:
    await work()  # warm-up
    times = []
    for _ in range(REPEAT):
        with count_queries() as counted:
            started = time.perf_counter()
            await work()
            times.append(time.perf_counter() - started)
    tracemalloc.start()
    await work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Run(statistics.median(times), counted.queries, peak / 2**20)


async def plain_sql(url: str, actor: Actor, scope: Scope, semester: Semester) -> float:
    """The report's aggregate queries alone, sent on a bare asyncpg connection: median seconds."""
    area = await resolve(actor, scope)
    queries = [
        (placeholders(text, postgres=True), params)
        for text, params in statements(Sql(), area, semester).values()
    ]
    connection = await asyncpg.connect(url)
    try:
        times = []
        for _ in range(REPEAT + 1):
            started = time.perf_counter()
            for text, params in queries:
                await connection.fetch(text, *params)
            times.append(time.perf_counter() - started)
        return statistics.median(times[1:])
    finally:
        await connection.close()


async def largest_municipality(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(
            "SELECT municipality_id FROM school GROUP BY municipality_id "
            "ORDER BY count(*) DESC, municipality_id LIMIT 1"
        )
    finally:
        await connection.close()


async def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    semester = Semester.current()
    url = options.database_url
    lines = []
    try:
        generation = await prepare(options, semester)
        added = await add_outcomes_and_activities(url, semester)
        counts = generation.counts | added
        admin = await programme_admin()
        school_id, school_students = await median_school(url)
        scopes = [
            ("country", Scope("country", 0)),
            ("largest municipality", Scope("municipality", await largest_municipality(url))),
            (f"median school ({school_students} students)", Scope("school", school_id)),
        ]
        load_before = os.getloadavg()
        lines += [
            f"PuMPuRS semester report benchmark: semester {semester.label}, database "
            f"{_database_name(url)}, {options.schools} schools, {options.students} students",
            f"rows: {sum(counts.values()):,} (iap {counts['iap']:,}, risk_signal "
            f"{counts['risk_signal']:,}, consultation {counts['consultation']:,}, "
            f"student_outcome {counts['student_outcome']:,}, peer_activity "
            f"{counts['peer_activity']:,})",
            f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} "
            f"{load_before[1]:.2f} {load_before[2]:.2f} before measuring",
            f"median of {REPEAT} runs after a warm-up; peak = Python allocations (tracemalloc)",
        ]
        for label, scope in scopes:
            report: Report | None = None

            async def work(scope: Scope = scope) -> None:
                nonlocal report
                report = await build_report(admin, scope, semester)

            run = await measure(work)
            sql = await plain_sql(url, admin, scope, semester)
            lines.append(
                f"  {label:<34}{run.seconds:>8.3f} s{run.queries:>4} queries"
                f"{run.peak_mib:>8.1f} MiB peak | plain SQL {sql:>7.3f} s | "
                f"report / SQL {run.seconds / sql:.2f}x"
            )
        load_after = os.getloadavg()
        lines.append(f"load average after: {load_after[0]:.2f}")
    finally:
        await Tortoise.close_connections()
    print("\n".join(lines))
    if not options.keep:
        await drop_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
