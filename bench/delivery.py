"""Weekly digests delivered through a fake Telegram Bot API that answers 429 like Telegram.

Builds the country of `bench.digest` (600 schools in 43 municipalities, a coordinator for each:
643 digests), gives every coordinator a Telegram id of their own and no quiet hours, runs the
weekly job (`enqueue_weekly_digests`: every chart drawn, then the digests queued) while the real
`bot.sender.Sender` drains the outbox as `pumpurs serve` does, over the bot's real session
(`bot.json_session.JsonSession`: aiogram's `AiohttpSession` sending JSON), pointed at
`bench.fake_bot_api` with Telegram's limits (30 messages in any rolling second, one a second per
chat; beyond that HTTP 429 with `retry_after`). Meanwhile a teacher writes `/help` to the bot
every 2 seconds through the real dispatcher and the same Bot, so the outbox shares Telegram's 30 a
second with the replies. The fake API records every message it accepts, so each outbox item can
be checked: delivered once, lost or sent twice.

Run from the repository root: `.venv/bin/python -m bench.delivery` (or `--scale 0.05`;
`--busy-core` keeps one core busy in another process meanwhile). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import wraps
from itertools import count

from aiogram import Bot, Dispatcher
from aiogram.types import Chat, Message, Update, User
from tortoise import Tortoise

import handlers.digest as digest_module
from bench.digest import add_page_cost_option, build_country, page_cost_in_use, set_page_cost
from bench.fake_bot_api import TELEGRAM_PER_SECOND, Accepted, FakeApiProcess
from bench.iap import (
    Options,
    add_country_options,
    analyze,
    country_options,
    create_schema,
    drop_database,
    load,
    recreate_database,
    reusable_counts,
)
from bot.factory import create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.pacing import GLOBAL_PER_SECOND
from bot.sender import BATCH, IN_FLIGHT, PREPARERS, Sender
from bot.settings import BotSettings
from core.catalogues import MUNICIPALITY_COORDINATOR, SCHOOL_COORDINATOR
from core.clock import Semester
from core.digest import Week
from core.markup import plain
from core.services import outbox
from core.services.digests import enqueue_weekly_digests
from storage.db import connect
from storage.models import DigestChart, Membership, OutboxItem, Person

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_bench_delivery"
TOKEN = "123456789:AAbench-delivery-fake-bot-api-token"
TELEGRAM_ID_BASE = 7_000_000_000  # coordinator n gets TELEGRAM_ID_BASE + person id
TALKER_TELEGRAM_ID = TELEGRAM_ID_BASE - 1  # the teacher who writes to the bot meanwhile
TALK_EVERY_SECONDS = 2.0
REPLY_TARGET_SECONDS = 1.0
NO_PROGRESS_SECONDS = 300  # give up if nothing is accepted for this long
IDLE_PAUSE = 0.05  # between passes when nothing was due (serve pauses 1 s; the bench less)
BUSY_LOOP = "while True: pass"


# --- options -------------------------------------------------------------------------------


@dataclass
class BenchOptions:
    country: Options
    page_cost: float | None
    busy_core: bool


def parse_args(argv: Sequence[str] | None = None) -> BenchOptions:
    parser = argparse.ArgumentParser(
        prog="python -m bench.delivery",
        description="Deliver every coordinator's weekly digest through a rate-limited fake "
        "Telegram Bot API on 127.0.0.1, while a teacher writes to the bot.",
    )
    add_country_options(
        parser,
        DEFAULT_URL,
        keep="reuse the data of an earlier --keep run of the same size; keep the database",
    )
    add_page_cost_option(parser)
    parser.add_argument(
        "--busy-core",
        action="store_true",
        help="keep one core busy in another process during the delivery",
    )
    args = parser.parse_args(argv)
    return BenchOptions(country_options(args), args.random_page_cost, args.busy_core)


# --- the world -----------------------------------------------------------------------------


@dataclass
class World:
    rows: int
    seconds: float
    reused: bool
    coordinators: int
    telegram_ids: int
    page_cost: str = ""  # the planner's random_page_cost in use


async def prepare_world(options: Options, semester: Semester) -> World:
    """bench.digest's country (or, with --keep, an earlier run's), coordinators reachable."""
    url = options.database_url
    started = time.perf_counter()
    counts = await reusable_counts(options, semester) if options.keep else None
    if counts is not None:
        await connect(url)
        reused = await _coordinator_count() > 0
        if not reused:
            await Tortoise.close_connections()
    else:
        reused = False
    if not reused:
        await recreate_database(url)
        await create_schema(url)
        await load(url, build_country(options, semester))
        await analyze(url)
    await OutboxItem.all().delete()
    telegram_ids = await _reachable_coordinators()
    await _talking_teacher()
    rows = await _row_total()
    return World(
        rows, time.perf_counter() - started, reused, await _coordinator_count(), telegram_ids
    )


async def _coordinator_count() -> int:
    return await Membership.filter(role__in=(SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR)).count()


async def _reachable_coordinators() -> int:
    """Every coordinator: a Telegram id of their own, no quiet hours (equal start and end)."""
    connection = Tortoise.get_connection("default")
    await connection.execute_query(
        "UPDATE person SET telegram_id = $1::bigint + id, "
        "quiet_start_minute = 0, quiet_end_minute = 0 "
        "WHERE id IN (SELECT person_id FROM membership WHERE role IN ($2, $3))",
        [TELEGRAM_ID_BASE, SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR],
    )
    _, rows = await connection.execute_query(
        "SELECT count(DISTINCT telegram_id) AS n FROM person WHERE telegram_id IS NOT NULL"
    )
    return rows[0]["n"]


async def _talking_teacher() -> None:
    """The first person who is no coordinator (a teacher) writes to the bot during the drain."""
    membership = (
        await Membership.exclude(role__in=(SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR))
        .order_by("id")
        .first()
    )
    assert membership is not None, "the country has no teacher"
    await Person.filter(telegram_id=TALKER_TELEGRAM_ID).update(telegram_id=None)
    await Person.filter(id=membership.person_id).update(telegram_id=TALKER_TELEGRAM_ID)


async def _row_total() -> int:
    connection = Tortoise.get_connection("default")
    _, rows = await connection.execute_query(
        "SELECT sum(n_live_tup)::bigint AS n FROM pg_stat_user_tables"
    )
    return int(rows[0]["n"] or 0)


@dataclass(frozen=True)
class Expected:
    """One queued digest: its item, the chat it goes to and the name its first line carries."""

    item_id: int
    chat_id: int
    name: str


async def expected_digests() -> list[Expected]:
    items = await OutboxItem.filter(kind=outbox.WEEKLY_DIGEST).select_related("recipient")
    memberships = await Membership.filter(
        role__in=(SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR)
    ).select_related("school", "municipality")
    names = {
        (m.person_id, f"school_id={m.school_id}" if m.school_id else f"mun={m.municipality_id}"): (
            (m.school or m.municipality).name  # type: ignore[union-attr]  # one of them is set
        )
        for m in memberships
    }
    result = []
    for item in items:
        scope = (
            f"school_id={item.payload['school_id']}"
            if "school_id" in item.payload
            else f"mun={item.payload['municipality_id']}"
        )
        result.append(
            Expected(item.id, item.recipient.telegram_id, names[item.recipient_id, scope])
        )
    return result


# --- where rendering time goes -------------------------------------------------------------


@dataclass
class Timings:
    """Seconds spent in each part of rendering a digest (build, history, chart, text)."""

    parts: dict[str, list[float]] = field(default_factory=dict)

    def part(self, name: str, seconds: float) -> None:
        self.parts.setdefault(name, []).append(seconds)


@contextmanager
def timed_digest_parts(timings: Timings):
    """Time the pieces of `handlers.digest.digest_messages` (patched in this process only)."""
    originals = {
        name: getattr(digest_module, name)
        for name in ("build_digest", "digest_history", "chart_png", "render_digest")
    }
    labels = {
        "build_digest": "build",
        "digest_history": "history",
        "chart_png": "chart",
        "render_digest": "text",
    }

    def wrap(name: str, function):
        if asyncio.iscoroutinefunction(function):

            @wraps(function)
            async def timed_async(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return await function(*args, **kwargs)
                finally:
                    timings.part(labels[name], time.perf_counter() - started)

            return timed_async

        @wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings.part(labels[name], time.perf_counter() - started)

        return timed

    for name, function in originals.items():
        setattr(digest_module, name, wrap(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(digest_module, name, function)


# --- a teacher writing to the bot meanwhile ------------------------------------------------


@dataclass
class Talker:
    """Writes /help through the real dispatcher every TALK_EVERY_SECONDS; times each reply."""

    dispatcher: Dispatcher
    bot: Bot
    latencies: list[float] = field(default_factory=list)  # from the update to Telegram's answer
    _ids: count = field(default_factory=lambda: count(1))

    def update(self) -> Update:
        n = next(self._ids)
        teacher = User(id=TALKER_TELEGRAM_ID, is_bot=False, first_name="Bench", language_code="lv")
        message = Message(
            message_id=n,
            date=datetime.now(UTC),
            chat=Chat(id=TALKER_TELEGRAM_ID, type="private"),
            from_user=teacher,
            text="/help",
        )
        return Update(update_id=n, message=message)

    async def talk(self, stop: asyncio.Event) -> None:
        """From the first digest queued until `stop`: /help, and TALK_EVERY_SECONDS after each
        answer the next (a person reads the answer before writing again)."""
        while not stop.is_set() and not await OutboxItem.exists():  # noqa: ASYNC110 (a table)
            await asyncio.sleep(IDLE_PAUSE)
        while not stop.is_set():
            asked = time.perf_counter()
            await self.dispatcher.feed_update(self.bot, self.update())  # returns once answered
            self.latencies.append(time.perf_counter() - asked)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TALK_EVERY_SECONDS)


# --- one delivery --------------------------------------------------------------------------


@dataclass
class Delivery:
    digests: int
    accepted: list[Accepted]  # the outbox's messages, oldest first (not the replies)
    refused: Counter[str]
    statuses: Counter[str]
    timings: Timings
    job_started: float  # time.time() when the weekly job started (drawing the charts first)
    first_queued: float  # time.time() of the first digest queued
    charts_drawn: int
    replies: list[Accepted]  # what the bot answered the teacher
    latencies: list[float]  # the teacher's replies, each from the update to Telegram's answer
    drained_seconds: float = 0.0  # from the job's start to an empty outbox
    passes: int = 0  # calls of Sender.drain
    open_after: int = 0  # items still pending or sending when the run stopped
    lost: list[int] = field(default_factory=list)
    duplicated: list[int] = field(default_factory=list)
    extra_messages: int = 0  # accepted copies beyond the first
    misdirected: int = 0  # a chat whose first text names another school or municipality
    strays: int = 0  # messages to chats no digest was for
    texts_per_digest: Counter[int] = field(default_factory=Counter)
    chat_gaps: list[float] = field(default_factory=list)  # per-chat 429s: since the last one

    @property
    def messages(self) -> int:
        return len(self.accepted)

    @property
    def last_accepted(self) -> float:
        return self.accepted[-1].at if self.accepted else self.first_queued

    def seconds_from(self, start: float) -> float:
        return self.last_accepted - start

    def ratio_from(self, start: float) -> float:
        seconds = self.seconds_from(start)
        return self.messages / seconds / TELEGRAM_PER_SECOND if seconds > 0 else 0.0


async def deliver(bot: Bot, dispatcher: Dispatcher, api: FakeApiProcess, week: Week) -> Delivery:
    """Run the weekly job while the real Sender drains the outbox, as `serve` does, and a
    teacher writes to the bot."""
    await OutboxItem.all().delete()
    await DigestChart.all().delete()
    await api.reset()
    timings = Timings()
    sender = Sender(bot, create_i18n())
    talker = Talker(dispatcher, bot)
    queued, drained = asyncio.Event(), asyncio.Event()
    job_started = time.time()
    with timed_digest_parts(timings):
        talking = asyncio.create_task(talker.talk(drained))
        sending = asyncio.create_task(send_until_drained(sender, queued))
        digests = await enqueue_weekly_digests(week)  # now: the real clock, no quiet hours
        queued.set()
        passes, still_open = await sending
        drained.set()
        await talking
    drained_seconds = time.time() - job_started
    expected = await expected_digests()
    first = await OutboxItem.filter(kind=outbox.WEEKLY_DIGEST).order_by("created_at").first()
    first_queued = first.created_at.timestamp() if first else time.time()
    accepted, refused, chat_gaps = await api.records()
    accepted.sort(key=lambda a: a.at)
    statuses = dict(await OutboxItem.filter(kind=outbox.WEEKLY_DIGEST).values_list("id", "status"))
    delivery = Delivery(
        digests,
        [a for a in accepted if a.chat_id != TALKER_TELEGRAM_ID],
        refused,
        Counter(statuses.values()),
        timings,
        job_started,
        first_queued,
        await DigestChart.all().count(),
        [a for a in accepted if a.chat_id == TALKER_TELEGRAM_ID],
        talker.latencies,
    )
    delivery.drained_seconds, delivery.passes, delivery.open_after = (
        drained_seconds,
        passes,
        still_open,
    )
    delivery.chat_gaps = chat_gaps
    check(delivery, expected, statuses)
    return delivery


async def send_until_drained(sender: Sender, queued: asyncio.Event) -> tuple[int, int]:
    """Drain again and again (as `serve` does) until the job is done and nothing is left open;
    the passes made and the items left open."""
    passes = 0
    last_progress = time.perf_counter()
    while True:
        passes += 1
        if await sender.drain():
            last_progress = time.perf_counter()
        still_open = await OutboxItem.filter(
            kind=outbox.WEEKLY_DIGEST, status__in=(outbox.PENDING, outbox.SENDING)
        ).count()
        if queued.is_set() and not still_open:
            return passes, 0
        if queued.is_set() and time.perf_counter() - last_progress > NO_PROGRESS_SECONDS:
            return passes, still_open
        await asyncio.sleep(IDLE_PAUSE)


def check(delivery: Delivery, expected: list[Expected], statuses: dict[int, str]) -> None:
    """Per outbox item: delivered once (its texts and its chart), lost, or sent twice."""
    by_chat: dict[int, list[Accepted]] = {}
    for message in delivery.accepted:
        by_chat.setdefault(message.chat_id, []).append(message)
    for digest in expected:
        received = by_chat.get(digest.chat_id, [])
        texts = [m for m in received if m.kind == "text"]
        photos = [m for m in received if m.kind == "photo"]
        copies = Counter(m.key for m in received)
        if any(n > 1 for n in copies.values()):
            delivery.duplicated.append(digest.item_id)
            delivery.extra_messages += sum(n - 1 for n in copies.values())
        if texts and not plain(texts[0].first_line).endswith(f": {digest.name}"):
            delivery.misdirected += 1
        if not texts or not photos or statuses.get(digest.item_id) != outbox.SENT:
            delivery.lost.append(digest.item_id)
        delivery.texts_per_digest[len(set(m.key for m in texts))] += 1
    known = {digest.chat_id for digest in expected}
    delivery.strays = sum(1 for m in delivery.accepted if m.chat_id not in known)


# --- another process keeping a core busy ---------------------------------------------------


@contextmanager
def busy_core(wanted: bool):
    """A child process spinning on one core for as long as the block runs (if `wanted`)."""
    if not wanted:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    try:
        yield
    finally:
        spinner.terminate()
        spinner.wait()


# --- reporting -----------------------------------------------------------------------------


def _ms(seconds: list[float]) -> str:
    return f"{1000 * statistics.mean(seconds):.0f} ms" if seconds else "-"


def _gaps(gaps: list[float]) -> str:
    if not gaps:
        return ""
    return (
        f", the chat's previous message accepted {1000 * min(gaps):.0f}-{1000 * max(gaps):.0f} "
        "ms before"
    )


def _replies(delivery: Delivery) -> str:
    latencies = delivery.latencies
    if not latencies:
        return "none (the drain ended before the teacher wrote)"
    late = sum(1 for s in latencies if s >= REPLY_TARGET_SECONDS)
    return (
        f"{len(latencies)} (/help {TALK_EVERY_SECONDS:g} s after each answer), "
        f"{len(delivery.replies)} accepted; from the update to Telegram's answer p50 "
        f"{1000 * statistics.median(latencies):.0f} ms, max {1000 * max(latencies):.0f} ms; "
        f"{late} of {len(latencies)} at or over {REPLY_TARGET_SECONDS:g} s"
    )


def delivery_lines(delivery: Delivery) -> list[str]:
    texts = sum(1 for m in delivery.accepted if m.kind == "text")
    photos = delivery.messages - texts
    refused = sum(delivery.refused.values())
    per_digest = ", ".join(f"{k} x{n}" for k, n in sorted(delivery.texts_per_digest.items()))
    statuses = ", ".join(f"{name} {n}" for name, n in sorted(delivery.statuses.items()))
    parts = delivery.timings.parts
    rendering = ", ".join(
        f"{name} {_ms(parts[name])}"
        for name in ("build", "history", "chart", "text")
        if name in parts
    )
    first_accepted = delivery.accepted[0].at if delivery.accepted else delivery.first_queued
    spans = {
        "from the first queued": delivery.first_queued,
        "from the first accepted": first_accepted,
        "from the job's start": delivery.job_started,
    }
    return [
        f"digests             {delivery.digests} queued; outbox: {statuses}"
        + (f"; {delivery.open_after} still open (gave up)" if delivery.open_after else ""),
        f"charts drawn ahead  {delivery.charts_drawn} in "
        f"{delivery.first_queued - delivery.job_started:.2f} s, before the first digest was queued",
        f"messages            {delivery.messages} accepted ({texts} texts + {photos} photos; "
        f"texts per digest: {per_digest}) + {len(delivery.replies)} replies to the teacher",
        f"429s answered       {refused} (rolling second {delivery.refused['overall']}, "
        f"per chat {delivery.refused['chat']}{_gaps(delivery.chat_gaps)})",
        f"outbox drained      {delivery.drained_seconds:.2f} s after the job started "
        f"({delivery.passes} drain passes)",
        f"rendering a digest  {rendering} (means; several are rendered side by side; 'chart' "
        "is taking the one drawn ahead)",
        *(
            f"{name:<24}{delivery.seconds_from(start):7.2f} s to the last accepted: "
            f"{delivery.messages / max(delivery.seconds_from(start), 1e-9):.2f} messages/s, "
            f"ratio to 30/s {delivery.ratio_from(start):.3f}"
            for name, start in spans.items()
        ),
        f"teacher's replies   {_replies(delivery)}",
        f"lost                {len(delivery.lost)}",
        f"duplicates          {len(delivery.duplicated)} items ({delivery.extra_messages} extra "
        f"messages)",
        f"misdirected, stray  {delivery.misdirected}, {delivery.strays}",
    ]


def _load() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg())


def report(
    bench: BenchOptions,
    week: Week,
    world: World,
    api: FakeApiProcess,
    delivery: Delivery,
    loads: tuple[str, str],
) -> str:
    options = bench.country
    generated = "reused (--keep)" if world.reused else f"generated in {world.seconds:.1f} s"
    busy = "another process kept one core busy" if bench.busy_core else "no extra load"
    return "\n".join(
        [
            f"PuMPuRS delivery benchmark: weekly digests of {week.start} - {week.end}; "
            f"{options.schools} schools, {options.municipalities} municipalities, "
            f"{options.students} students",
            f"world: {world.rows:,} rows, {generated}; {world.coordinators} coordinators with "
            f"{world.telegram_ids} distinct Telegram ids, no quiet hours; "
            f"random_page_cost {world.page_cost}",
            f"fake Bot API: {api.url} (bench.fake_bot_api, a child process), "
            f"{TELEGRAM_PER_SECOND} messages in any rolling second, 1 a second per chat, else "
            "HTTP 429 with retry_after",
            f"Sender: Pacer {GLOBAL_PER_SECOND:g}/s overall (shared with the replies) and 1 s per "
            f"chat, {IN_FLIGHT} items in flight, {PREPARERS} preparers, batches of {BATCH}; real "
            "JsonSession",
            f"machine: {os.cpu_count()} CPUs; {busy}; load average {loads[0]} before, "
            f"{loads[1]} after",
            "",
            *delivery_lines(delivery),
        ]
    )


# --- main ----------------------------------------------------------------------------------


def last_complete_week(semester: Semester) -> Week:
    week = Week.current().previous()
    return Week.current() if week.start < semester.start else week


async def run(bench: BenchOptions) -> int:
    options = bench.country
    semester = Semester.current()
    week = last_complete_week(semester)
    api = await FakeApiProcess.start(telegram_limits=True)
    bot: Bot | None = None
    try:
        world = await prepare_world(options, semester)
        await set_page_cost(options.database_url, bench.page_cost)
        await Tortoise.close_connections()  # the setting holds for new connections
        await connect(options.database_url)
        world.page_cost = await page_cost_in_use()
        settings = BotSettings(bot_token=TOKEN, telegram_api_url=api.url)
        bot = create_bot(settings)
        dispatcher = create_dispatcher(settings)
        before = _load()
        with busy_core(bench.busy_core):
            delivery = await deliver(bot, dispatcher, api, week)
        print(report(bench, week, world, api, delivery, (before, _load())))
    finally:
        if bot is not None:
            await bot.session.close()
        await api.stop()
        await Tortoise.close_connections()
    if not options.keep:
        await drop_database(options.database_url)
    print(f"database {'kept' if options.keep else 'dropped'}: {options.database_url}")
    failed = delivery.lost or delivery.duplicated or delivery.misdirected or delivery.strays
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


def as_serve_spawns() -> None:
    """Chart workers (spawned) import the parent's main module first: this one imports aiogram
    and the handlers (about 8 s of CPU and 250 MiB a worker), where `pumpurs serve`'s (bot.cli,
    imports deferred) takes under 1 s. Workers started from here skip it, so the charts' time is
    the service's."""
    main_module = sys.modules["__main__"]
    main_module.__spec__ = None
    del main_module.__file__


if __name__ == "__main__":
    as_serve_spawns()
    raise SystemExit(main())
