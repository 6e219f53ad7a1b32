"""Every coordinator's weekly digest at the programme's scale, on PostgreSQL.

Generates the country of `bench.iap` (its generator, reused) plus what digests read and that
generator leaves out: a coordinator per school and per municipality, youth NGOs and their peer
activities, approval signatures of plans in approval, and a few people the bot cannot reach.
Then builds (and renders) the digest of the last complete week for each of the 600 school
coordinators and the 43 municipality coordinators, counting queries.

Run from the repository root: `.venv/bin/python -m bench.digest` (or `--scale 0.05`).
See bench/README.md for what it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock_time
from decimal import Decimal

import asyncpg
from tortoise import Tortoise
from tortoise.functions import Count

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
from core.access import Actor
from core.catalogues import ACTIVITY_FORMATS, MUNICIPALITY_COORDINATOR, SCHOOL_COORDINATOR
from core.chart_drawing import render_chart
from core.clock import Semester, today
from core.digest import MUNICIPALITY, SCHOOL, Scope, Week, build_digest, digest_history
from core.digest_view import render_digest
from core.services.digests import coordinator_scope
from storage import models
from storage.models import Membership
from storage.query_counter import count_queries

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_bench_digest"
NGOS_PER_MUNICIPALITY = 2
ACTIVITIES_PER_NGO_WEEK = 1.0
UNREACHABLE_SHARE = 0.02  # staff who blocked the bot
SCHOOL_SIGNED_SHARE = 0.5  # plans in approval already signed by the school, waiting for the town


# --- options -------------------------------------------------------------------------------


def add_page_cost_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--random-page-cost",
        type=float,
        help="the planner's random_page_cost on the benchmark database, e.g. 1.1 as for SSDs "
        "(default: the server's)",
    )


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, float | None]:
    """bench.iap's options, and the planner's random_page_cost if one is asked for."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.digest",
        description="Benchmark every coordinator's weekly digest at the programme's scale.",
    )
    add_country_options(parser, DEFAULT_URL, keep="keep the database afterwards")
    add_page_cost_option(parser)
    args = parser.parse_args(argv)
    return country_options(args), args.random_page_cost


# --- what digests read beyond bench.iap's country ------------------------------------------


def _coordinators(country: Country, created: datetime) -> list[Table]:
    """A coordinator (person + membership) per school and per municipality."""
    memberships = country.tables["membership"]
    by_municipality = Table(
        models.Membership, ("id", "person_id", "role", "municipality_id", "created_at")
    )
    for school in country.schools:
        person = country._person(f"Koordinators {school.id}", created)
        country._membership(person, SCHOOL_COORDINATOR, None, school.id, created)
    for number in range(1, country.options.municipalities + 1):
        person = country._person(f"Pašvaldības koordinators {number}", created)
        row_id = len(memberships.rows) + len(by_municipality.rows) + 1
        by_municipality.rows.append((row_id, person, MUNICIPALITY_COORDINATOR, number, created))
    return [by_municipality]


def _unreachable(country: Country) -> None:
    """Mark a few staff as having blocked the bot."""
    people = country.tables["person"].rows
    for index, row in enumerate(people):
        if country.rng.random() < UNREACHABLE_SHARE:
            people[index] = (*row[:4], True, *row[5:])


def _signatures(country: Country) -> None:
    """Plans in approval: the preparer signed, and for some the school too (never the last step)."""
    approvals = country.tables["iap_approval"]
    state_vocational = {s.id for s in country.students if s.school.state_vocational}
    for row in country.tables["iap"].rows:
        iap_id, student_id, status, updated = row[0], row[1], row[4], row[10]
        if status != "in_approval":
            continue
        steps = ["preparer"]
        if student_id not in state_vocational and country.rng.random() < SCHOOL_SIGNED_SHARE:
            steps.append("school")
        for step in steps:
            approvals.rows.append((len(approvals.rows) + 1, iap_id, step, None, updated))


def _youth(country: Country) -> list[Table]:
    """NGOs in every municipality and their peer activities over the semester."""
    ngos = Table(models.Ngo, ("id", "name", "municipality_id"))
    activities = Table(
        models.PeerActivity,
        (
            "id",
            "ngo_id",
            "school_id",
            "municipality_id",
            "held_on",
            "title",
            "format",
            "participants",
            "at_risk_participants",
            "hours",
            "created_at",
        ),
    )
    rng, formats = country.rng, ACTIVITY_FORMATS.codes()
    weeks = max(1, country._span() // 7)
    schools_of: dict[int, list[int]] = {}
    for school in country.schools:
        schools_of.setdefault(school.municipality_id, []).append(school.id)
    for municipality in range(1, country.options.municipalities + 1):
        for _ in range(NGOS_PER_MUNICIPALITY):
            ngo = len(ngos.rows) + 1
            ngos.rows.append((ngo, f"Jauniešu NVO {ngo}", municipality))
            for _ in range(round(weeks * ACTIVITIES_PER_NGO_WEEK)):
                held_on = country._day()
                participants = rng.randint(5, 40)
                local = schools_of.get(municipality)
                activities.rows.append(
                    (
                        len(activities.rows) + 1,
                        ngo,
                        rng.choice(local) if local and rng.random() < 0.5 else None,
                        municipality,
                        held_on,
                        f"Aktivitāte {len(activities.rows) + 1}",
                        rng.choice(formats),
                        participants,
                        rng.randint(0, participants // 3),
                        Decimal(rng.choice((1, 1.5, 2, 3, 4))),
                        country._moment(held_on),
                    )
                )
    return [ngos, activities]


def build_country(options: Options, semester: Semester) -> list[Table]:
    country = Country(options, semester, today())
    tables = country.build()
    created = datetime.combine(country.first_day, clock_time(9, tzinfo=UTC))
    extra = _coordinators(country, created)
    _unreachable(country)
    _signatures(country)
    return [*tables, *extra, *_youth(country)]


@dataclass
class Generation:
    counts: dict[str, int]
    seconds: float


async def prepare(options: Options, semester: Semester, page_cost: float | None) -> Generation:
    url = options.database_url
    await recreate_database(url)
    if page_cost is not None:
        await set_page_cost(url, page_cost)
    await create_schema(url)
    started = time.perf_counter()
    await load(url, build_country(options, semester))
    await analyze(url)
    counts = await row_counts(url)
    counts["ngo"] = await models.Ngo.all().count()
    counts["peer_activity"] = await models.PeerActivity.all().count()
    return Generation(counts, time.perf_counter() - started)


async def set_page_cost(url: str, page_cost: float | None) -> None:
    """The planner's random_page_cost for new connections to the database (None: the server's)."""
    connection = await asyncpg.connect(url)
    try:
        name = await connection.fetchval("SELECT current_database()")
        setting = (
            "RESET random_page_cost"
            if page_cost is None
            else f"SET random_page_cost = {page_cost:g}"
        )
        await connection.execute(f'ALTER DATABASE "{name}" {setting}')
    finally:
        await connection.close()


async def page_cost_in_use() -> str:
    rows = await Tortoise.get_connection("default").execute_query_dict("SHOW random_page_cost")
    return rows[0]["random_page_cost"]


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Reader:
    actor: Actor
    scope: Scope


async def readers() -> list[Reader]:
    """Every coordinator, with the scope of their digest: their school or municipality."""
    memberships = (
        await Membership.filter(role__in=(SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR))
        .select_related("person")
        .order_by("role", "id")
    )
    return [
        Reader(
            Actor(m.person, (m,)),
            coordinator_scope(m),
        )
        for m in memberships
    ]


@dataclass
class Timings:
    kind: str
    build: list[float] = field(default_factory=list)
    render: list[float] = field(default_factory=list)
    queries: set[int] = field(default_factory=set)
    signals: int = 0
    waiting: int = 0


async def measure(all_readers: list[Reader], week: Week) -> dict[str, Timings]:
    timings = {SCHOOL: Timings(SCHOOL), MUNICIPALITY: Timings(MUNICIPALITY)}
    for reader in all_readers:
        kind = timings[reader.scope.kind]
        with count_queries() as counted:
            started = time.perf_counter()
            digest = await build_digest(reader.actor, reader.scope, week.start)
            built = time.perf_counter()
        render_digest(digest, reader.actor.locale)
        kind.render.append(time.perf_counter() - built)
        kind.build.append(built - started)
        kind.queries.add(counted.queries)
        kind.signals += digest.figures.signals
        kind.waiting += len(digest.waiting_for_approval)
    return timings


@dataclass
class ChartRun:
    history_seconds: float
    chart_seconds: float
    queries: int


async def measure_chart(reader: Reader, week: Week) -> ChartRun:
    with count_queries() as counted:
        started = time.perf_counter()
        history = await digest_history(reader.actor, reader.scope, until=week.start)
        fetched = time.perf_counter()
    render_chart(history, "lv")
    return ChartRun(fetched - started, time.perf_counter() - fetched, counted.queries)


# --- reporting -----------------------------------------------------------------------------


def report(
    options: Options,
    week: Week,
    generation: Generation,
    timings: dict[str, Timings],
    chart: ChartRun,
    page_cost: str,
) -> str:
    lines = [
        f"PuMPuRS digest benchmark: week {week.start} - {week.end}, {options.schools} schools, "
        f"{options.municipalities} municipalities, {options.students} students, seed {SEED}, "
        f"random_page_cost {page_cost}",
        f"data: {sum(generation.counts.values()):,} rows generated and loaded in "
        f"{generation.seconds:.1f} s",
        "  " + ", ".join(f"{name} {count:,}" for name, count in generation.counts.items()),
        "",
        f"{'digests':<27}{'count':>7}{'total s':>10}{'per digest ms':>15}{'p95 ms':>9}"
        f"{'max ms':>9}{'render ms':>11}{'queries each':>14}",
    ]
    everything = [t for kind in timings.values() for t in kind.build]
    rendering = [t for kind in timings.values() for t in kind.render]
    for kind in timings.values():
        lines.append(_line(f"{kind.kind} coordinators", kind.build, kind.render, kind.queries))
    lines.append(
        _line("all", everything, rendering, set().union(*(k.queries for k in timings.values())))
    )
    total = sum(everything) + sum(rendering)
    lines += [
        f"overall: {total:.2f} s for {len(everything)} digests built and rendered "
        f"({1000 * total / len(everything):.1f} ms per digest)",
        f"signals counted in school digests: {timings[SCHOOL].signals:,}; plans waiting for "
        f"the reader: {timings[SCHOOL].waiting:,} (schools), {timings[MUNICIPALITY].waiting:,} "
        "(municipalities)",
        f"chart of the largest municipality: history {1000 * chart.history_seconds:.0f} ms "
        f"({chart.queries} queries), PNG {1000 * chart.chart_seconds:.0f} ms",
    ]
    return "\n".join(lines)


def _line(label: str, build: list[float], render: list[float], queries: set[int]) -> str:
    ordered = sorted(build)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    fixed = "-".join(str(q) for q in sorted(queries)) if len(queries) > 1 else str(*queries)
    return (
        f"{label:<27}{len(build):>7}{sum(build):>10.2f}{1000 * statistics.mean(build):>15.1f}"
        f"{1000 * p95:>9.1f}{1000 * ordered[-1]:>9.1f}{1000 * statistics.mean(render):>11.2f}"
        f"{fixed:>14}"
    )


async def largest_municipality(all_readers: list[Reader]) -> Reader:
    rows = (
        await models.Student.all()
        .annotate(students=Count("id"))
        .group_by("school__municipality_id")
        .values("school__municipality_id", "students")
    )
    sizes = {row["school__municipality_id"]: row["students"] for row in rows}
    towns = [r for r in all_readers if r.scope.kind == MUNICIPALITY]
    return max(towns, key=lambda r: sizes.get(r.scope.id, 0))


# --- main ----------------------------------------------------------------------------------


async def main(argv: Sequence[str] | None = None) -> int:
    options, page_cost = parse_args(argv)
    semester = Semester.current()
    week = Week.current().previous()  # the last complete week
    if week.start < semester.start:
        week = Week.current()
    try:
        generation = await prepare(options, semester, page_cost)
        planner = await page_cost_in_use()
        all_readers = await readers()
        await measure(all_readers[:5], week)  # warm-up
        timings = await measure(all_readers, week)
        chart = await measure_chart(await largest_municipality(all_readers), week)
    finally:
        await Tortoise.close_connections()
    print(report(options, week, generation, timings, chart, planner))
    if not options.keep:
        await drop_database(options.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
