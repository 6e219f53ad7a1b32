"""The country's effectiveness report at the programme's scale, on PostgreSQL.

Generates the country of `bench.iap` (its generator, reused) plus what the report reads and that
generator leaves out: a day's unexcused and excused lessons for the students at risk (about one
school day in eight, less often after a student's first psychologist session) and the semester's
outcome of every student with a plan. Then builds the country report
(`core.effectiveness.effectiveness_of`) and times it, counts its queries and its peak memory, and
runs the same three aggregates as plain SQL on asyncpg (`core.effectiveness_sql`'s text), without
the ORM or the statistics, in the same run.

Run from the repository root: `.venv/bin/python -m bench.effectiveness` (or `--scale 0.05`).
See bench/README.md for what it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import asyncpg
from tortoise import Tortoise

from bench.iap import (
    SEED,
    Country,
    Options,
    Table,
    add_country_options,
    analyze,
    country_options,
    create_schema,
    drop_database,
    load,
    recreate_database,
    row_counts,
)
from core.clock import Semester, today
from core.effectiveness import (
    COUNTRY,
    DEFAULT_WEEKS,
    Area,
    closed_days,
    effectiveness_of,
    pseudo_starts,
)
from core.effectiveness_sql import Sql, aggregates_sql, outcomes_sql, start_days_sql
from core.effectiveness_view import effectiveness_text
from core.school_calendar import national_days_off
from storage import models
from storage.query_counter import count_queries

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_bench_effectiveness"
ABSENT_SHARE = 1 / 8  # of school days, for a student at risk
HELPED_SHARE = 0.6  # of that, after a student's first psychologist session
OUTCOMES = {"continues": 85, "completed": 5, "left_early": 5, "moved": 3, "other": 2}
REPEAT = 3
COUNTRY_AREA = Area(COUNTRY, COUNTRY, None, None)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.effectiveness",
        description="Benchmark the country's effectiveness report at the programme's scale.",
    )
    add_country_options(parser, DEFAULT_URL, keep="keep the database afterwards")
    return country_options(parser.parse_args(argv))


# --- what the report reads beyond bench.iap's country --------------------------------------


def _first_psychologist_sessions(country: Country) -> dict[int, date]:
    firsts: dict[int, date] = {}
    for row in country.tables["consultation"].rows:
        student_id, specialist, held_on = row[1], row[3], row[5]
        if specialist != "psychologist":
            continue
        assert isinstance(student_id, int) and isinstance(held_on, date)
        if held_on < firsts.get(student_id, date.max):
            firsts[student_id] = held_on
    return firsts


def attendance(country: Country) -> Table:
    """Absence rows (one a day) for the students at risk, on the semester's school days so far
    (no absence is recorded on a holiday or in a break)."""
    table = Table(
        models.Absence,
        ("id", "student_id", "school_id", "day", "unexcused", "excused", "source", "updated_at"),
    )
    rng = country.rng
    helped = _first_psychologist_sessions(country)
    closed = national_days_off(country.first_day, country.last_day)
    days = [
        day
        for offset in range(country._span() + 1)
        if (day := country.first_day + timedelta(days=offset)).weekday() < 5 and day not in closed
    ]
    moment = datetime.now(UTC)
    for student in country.students:
        if not student.factors:
            continue
        since = helped.get(student.id, date.max)
        for day in days:
            share = ABSENT_SHARE * (HELPED_SHARE if day >= since else 1.0)
            if rng.random() < share:
                row = (
                    len(table.rows) + 1,
                    student.id,
                    student.school.id,
                    day,
                    rng.randint(1, 4),
                    rng.randint(0, 2),
                    "import",
                    moment,
                )
                table.rows.append(row)
    return table


def outcomes(country: Country) -> Table:
    table = Table(
        models.StudentOutcome,
        ("id", "student_id", "school_id", "school_year", "semester", "outcome", "recorded_at"),
    )
    codes, weights = list(OUTCOMES), list(OUTCOMES.values())
    moment = datetime.now(UTC)
    for student in country.students:
        if student.has_iap:
            outcome = country.rng.choices(codes, weights)[0]
            table.rows.append(
                (
                    len(table.rows) + 1,
                    student.id,
                    student.school.id,
                    country.semester.school_year,
                    country.semester.number,
                    outcome,
                    moment,
                )
            )
    return table


def _measure_months(table: Table) -> None:
    """bench.iap's measures predate `iap_measure.months` (required, its default is the ORM's)."""
    if "months" not in table.columns:
        table.columns = (*table.columns, "months")
        table.rows = [(*row, "[]") for row in table.rows]


async def generate(options: Options, semester: Semester) -> dict[str, int]:
    url = options.database_url
    await recreate_database(url)
    await create_schema(url)
    country = Country(options, semester, today())
    tables = country.build()
    _measure_months(country.tables["iap_measure"])
    tables += [attendance(country), outcomes(country)]
    await load(url, tables)
    await analyze(url)
    counts = await row_counts(url)
    counts["absence"] = len(tables[-2].rows)
    counts["student_outcome"] = len(tables[-1].rows)
    return counts


# --- measuring -----------------------------------------------------------------------------


async def timed(work: Callable[[], Awaitable[object]], repeat: int = REPEAT) -> float:
    """The median seconds of `repeat` runs, after one to warm up."""
    await work()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class PlainSql:
    """The report's three aggregates as plain SQL on one asyncpg connection, nothing else."""

    def __init__(self, connection: asyncpg.Connection, semester: Semester, until: date) -> None:
        self.connection, self.semester, self.until = connection, semester, until

    async def fetch(self, build: Callable[[Sql], str]) -> list[asyncpg.Record]:
        sql = Sql(postgres=True)
        text, values = sql.finish(build(sql))
        return await self.connection.fetch(text, *values)

    async def run(self) -> int:
        """The three queries, the pseudo starts between them as the report takes them: rows
        fetched."""
        semester, until = self.semester, self.until
        begun = await self.fetch(lambda sql: start_days_sql(sql, COUNTRY_AREA, semester))
        outcomes = await self.fetch(lambda sql: outcomes_sql(sql, COUNTRY_AREA, semester))
        by_measure: dict[str, dict[date, int]] = {}
        for row in begun:
            by_measure.setdefault(row["measure"], {})[row["start_day"]] = row["students"]
        pseudo = pseudo_starts(by_measure, semester, until)
        closed = closed_days(semester, until)
        sums = await self.fetch(
            lambda sql: aggregates_sql(
                sql, COUNTRY_AREA, semester, DEFAULT_WEEKS, until, pseudo, closed
            )
        )
        return len(begun) + len(outcomes) + len(sums)


async def peak_memory(work: Callable[[], Awaitable[object]]) -> int:
    """The peak of Python's allocations during one run, in bytes (tracemalloc)."""
    tracemalloc.start()
    try:
        await work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rss_peak_mib() -> float:
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def measure(options: Options, semester: Semester, counts: dict[str, int]) -> str:
    url = options.database_url  # Tortoise is open on it since create_schema
    until = min(semester.end + timedelta(days=1), today())

    async def report():
        return await effectiveness_of(COUNTRY_AREA, semester, DEFAULT_WEEKS)

    seconds = await timed(report)
    with count_queries() as counted:
        built = await report()
    peak = await peak_memory(report)
    rendered = time.perf_counter()
    text = effectiveness_text(built, "lv")
    render_ms = (time.perf_counter() - rendered) * 1000
    connection = await asyncpg.connect(url)
    try:
        plain = PlainSql(connection, semester, until)
        rows = await plain.run()
        plain_seconds = await timed(plain.run)
    finally:
        await connection.close()
    load1, load5, _ = os.getloadavg()
    lines = [
        f"PuMPuRS effectiveness benchmark: semester {semester.label}, {options.schools} schools, "
        f"{options.students} students, seed {SEED}, measured until {until} (not included)",
        "",
        f"{'table':<20}{'rows':>12}",
        *(f"{name:<20}{number:>12,}" for name, number in counts.items()),
        "",
        f"country effectiveness report, median of {REPEAT} runs after a warm-up:",
        f"  report (ORM + statistics)   {seconds:8.3f} s  {counted.queries} queries",
        f"  same aggregates, plain SQL  {plain_seconds:8.3f} s  3 queries, {rows:,} rows",
        f"  ratio report / plain SQL    {seconds / plain_seconds:8.2f}",
        f"  peak Python allocations     {peak / 2**20:8.1f} MiB (tracemalloc, one run)",
        f"  process RSS peak            {rss_peak_mib():8.1f} MiB (VmHWM, with the generation)",
        f"  text rendered in            {render_ms:8.1f} ms, {len(text)} characters",
        f"  load average (1, 5 min)     {load1:.2f}, {load5:.2f} on {os.cpu_count()} CPUs",
        "",
        *_measure_lines(built),
    ]
    return "\n".join(lines)


def _measure_lines(report) -> list[str]:
    lines = [f"{'measure':<36}{'with':>7}{'without':>9}{'DiD absences':>14}  conclusion"]
    for effect in report.measures:
        estimate = effect.absences
        if estimate is None:
            continue
        difference = "" if estimate.difference is None else f"{estimate.difference:+.2f}"
        lines.append(
            f"{effect.measure.key:<36}{estimate.with_measure or 0:>7}"
            f"{estimate.without_measure or 0:>9}{difference:>14}  {estimate.conclusion}"
        )
    return lines


async def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    semester = Semester.current()
    try:
        counts = await generate(options, semester)
        print(await measure(options, semester, counts))
    finally:
        await Tortoise.close_connections()
    if not options.keep:
        await drop_database(options.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
