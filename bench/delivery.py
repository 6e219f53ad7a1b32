"""Weekly digests delivered through a fake Telegram Bot API that answers 429 like Telegram.

Builds the country of `bench.digest` (600 schools in 43 municipalities, a coordinator for each:
643 digests), gives every coordinator a Telegram id of their own and no quiet hours, queues the
last complete week's digests (`enqueue_weekly_digests`) and drains the outbox with the real
`bot.sender.Sender` over the real aiogram `AiohttpSession`, pointed at a fake Bot API served on
127.0.0.1 by a child process (`python -m bench.delivery --serve-fake-api`). The fake API allows 30
messages in any rolling second and one a second per chat; beyond that it answers HTTP 429 with
`retry_after`. It records every message it accepts, so each outbox item can be checked: delivered
once, lost or sent twice.

Run from the repository root: `.venv/bin/python -m bench.delivery` (or `--scale 0.05`).
See bench/README.md for what it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import statistics
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from itertools import count
from typing import Any

from aiogram import Bot
from aiohttp import ClientSession, web
from tortoise import Tortoise

import handlers.digest as digest_module
from bench.digest import add_page_cost_option, build_country, page_cost_in_use, set_page_cost
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
from bot.factory import create_bot
from bot.i18n import create_i18n
from bot.pacing import GLOBAL_PER_SECOND
from bot.sender import BATCH, IN_FLIGHT, PREPARERS, Sender
from bot.settings import BotSettings
from core.catalogues import MUNICIPALITY_COORDINATOR, SCHOOL_COORDINATOR
from core.clock import Semester
from core.digest import Week
from core.services import outbox
from core.services.digests import enqueue_weekly_digests
from storage.db import connect
from storage.models import Membership, OutboxItem

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_bench_delivery"
HOST = "127.0.0.1"
TOKEN = "123456789:AAbench-delivery-fake-bot-api-token"
TELEGRAM_PER_SECOND = 30  # what Telegram allows overall, and the benchmark's yardstick
TELEGRAM_CHAT_INTERVAL = 1.0  # one message a second to one chat
TELEGRAM_ID_BASE = 7_000_000_000  # coordinator n gets TELEGRAM_ID_BASE + person id
NO_PROGRESS_SECONDS = 300  # give up if nothing is accepted for this long
IDLE_PAUSE = 0.05  # between passes when nothing was due


# --- options -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, float | None] | None:
    """The benchmark's options and page cost, or None when asked to serve the fake Bot API."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.delivery",
        description="Deliver every coordinator's weekly digest through a rate-limited fake "
        "Telegram Bot API on 127.0.0.1.",
    )
    add_country_options(
        parser,
        DEFAULT_URL,
        keep="reuse the data of an earlier --keep run of the same size; keep the database",
    )
    add_page_cost_option(parser)
    parser.add_argument("--serve-fake-api", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_fake_api:
        return None
    return country_options(args), args.random_page_cost


# --- the fake Bot API (runs in a child process) --------------------------------------------


@dataclass
class Accepted:
    chat_id: int
    at: float  # time.time() when accepted
    kind: str  # "text" | "photo"
    key: str  # what identifies the content: a hash of the text, or of the picture and caption
    first_line: str


@dataclass
class FakeTelegram:
    """Telegram's limits: `per_second` messages in any rolling second, one per chat a second."""

    token: str = TOKEN
    per_second: int = TELEGRAM_PER_SECOND
    chat_interval: float = TELEGRAM_CHAT_INTERVAL
    clock: Callable[[], float] = time.time
    accepted: list[Accepted] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    chat_gaps: list[float] = field(default_factory=list)  # refused: since the chat's last one
    _recent: deque[float] = field(default_factory=deque)
    _chat_last: dict[int, float] = field(default_factory=dict)
    _ids: count = field(default_factory=lambda: count(1))

    def wait(self, chat_id: int, now: float) -> tuple[str, float] | None:
        """Why and how long a message to this chat must wait, or None if it may go now."""
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.per_second:
            return "overall", self._recent[0] + 1.0 - now
        last = self._chat_last.get(chat_id)
        if last is not None and now - last < self.chat_interval:
            return "chat", last + self.chat_interval - now
        return None

    def admit(self, chat_id: int, now: float) -> None:
        self._recent.append(now)
        self._chat_last[chat_id] = now

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"].lower()
        if method not in ("sendmessage", "sendphoto"):
            return _error(404, "Not Found: method not found")
        form = await read_form(request)
        try:
            chat_id = int(form["chat_id"])
        except (KeyError, ValueError):
            return _error(400, "Bad Request: chat not found")
        now = self.clock()
        if (refusal := self.wait(chat_id, now)) is not None:
            reason, seconds = refusal
            self.refused[reason] += 1
            if reason == "chat":
                self.chat_gaps.append(now - self._chat_last[chat_id])
            retry_after = max(1, math.ceil(seconds))
            return _error(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        self.admit(chat_id, now)
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(now),
            "chat": {"id": chat_id, "type": "private", "first_name": "Bench"},
            "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Bot"},
        }
        if method == "sendphoto":
            picture = form.get("photo", b"")
            caption = form.get("caption", b"").decode()
            key = hashlib.sha1(picture + caption.encode()).hexdigest()
            self.accepted.append(Accepted(chat_id, now, "photo", key, caption.split("\n")[0]))
            message["photo"] = [
                {
                    "file_id": f"photo-{message['message_id']}",
                    "file_unique_id": f"u{message['message_id']}",
                    "width": 800,
                    "height": 450,
                    "file_size": len(picture),
                }
            ]
            if caption:
                message["caption"] = caption
        else:
            text = form.get("text", b"").decode()
            key = hashlib.sha1(text.encode()).hexdigest()
            self.accepted.append(Accepted(chat_id, now, "text", key, text.split("\n")[0]))
            message["text"] = text
        return web.json_response({"ok": True, "result": message})

    async def records(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "accepted": [vars(a) for a in self.accepted],
                "refused": dict(self.refused),
                "chat_gaps": self.chat_gaps,
            }
        )

    async def reset(self, request: web.Request) -> web.Response:
        self.accepted.clear()
        self.refused.clear()
        self.chat_gaps.clear()
        self._recent.clear()
        self._chat_last.clear()
        return web.json_response({"ok": True})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self.handle)
        app.router.add_get("/_records", self.records)
        app.router.add_post("/_reset", self.reset)
        return app


async def read_form(request: web.Request) -> dict[str, bytes]:
    """The request's fields, in memory (aiohttp's `post()` would spool a photo to a file)."""
    if request.content_type != "multipart/form-data":
        return {name: str(value).encode() for name, value in (await request.post()).items()}
    fields = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        fields[str(part.name)] = await part.read()  # type: ignore[union-attr]
    return fields


def _error(code: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def serve_fake_api() -> None:
    """Serve on a free port of 127.0.0.1, print `PORT n`, run until stdin closes.

    The benchmark holds the other end of stdin: if it dies, however, this server stops too.
    """
    runner = web.AppRunner(FakeTelegram().app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    await asyncio.to_thread(sys.stdin.read)


@dataclass
class FakeApi:
    """The child process serving the fake Bot API, and how to reach it."""

    process: asyncio.subprocess.Process
    port: int
    http: ClientSession

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @classmethod
    async def start(cls) -> FakeApi:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.delivery",
            "--serve-fake-api",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        if not line.startswith("PORT "):
            process.terminate()
            await process.wait()
            raise RuntimeError(f"the fake Bot API did not start: {line!r}")
        return cls(process, int(line.split()[1]), ClientSession())

    async def records(self) -> tuple[list[Accepted], Counter[str], list[float]]:
        async with self.http.get(f"{self.url}/_records") as response:
            data = await response.json()
        accepted = [Accepted(**a) for a in data["accepted"]]
        return accepted, Counter(data["refused"]), data["chat_gaps"]

    async def reset(self) -> None:
        async with self.http.post(f"{self.url}/_reset") as response:
            response.raise_for_status()

    async def stop(self) -> None:
        await self.http.close()
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


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


# --- one delivery --------------------------------------------------------------------------


@dataclass
class Delivery:
    digests: int
    accepted: list[Accepted]
    refused: Counter[str]
    statuses: Counter[str]
    timings: Timings
    drained_seconds: float = 0.0  # from the first pass to an empty outbox
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
    def seconds(self) -> float:
        if len(self.accepted) < 2:
            return 0.0
        return self.accepted[-1].at - self.accepted[0].at

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.rate / TELEGRAM_PER_SECOND


async def deliver(bot: Bot, api: FakeApi, week: Week) -> Delivery:
    """Queue the week's digests and drain the outbox with the real Sender, as `serve` does."""
    await OutboxItem.all().delete()
    await api.reset()
    digests = await enqueue_weekly_digests(week)  # now: the real clock, nobody has quiet hours
    expected = await expected_digests()
    timings = Timings()
    sender = Sender(bot, create_i18n())
    started = last_progress = time.perf_counter()
    passes = 0
    with timed_digest_parts(timings):
        while True:
            passes += 1
            if await sender.drain():
                last_progress = time.perf_counter()
            still_open = await OutboxItem.filter(
                kind=outbox.WEEKLY_DIGEST, status__in=(outbox.PENDING, outbox.SENDING)
            ).count()
            if not still_open or time.perf_counter() - last_progress > NO_PROGRESS_SECONDS:
                break
            await asyncio.sleep(IDLE_PAUSE)
    drained = time.perf_counter() - started
    accepted, refused, chat_gaps = await api.records()
    accepted.sort(key=lambda a: a.at)
    statuses = dict(await OutboxItem.filter(kind=outbox.WEEKLY_DIGEST).values_list("id", "status"))
    delivery = Delivery(digests, accepted, refused, Counter(statuses.values()), timings)
    delivery.drained_seconds, delivery.passes, delivery.open_after = drained, passes, still_open
    delivery.chat_gaps = chat_gaps
    check(delivery, expected, statuses)
    return delivery


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
        if texts and not texts[0].first_line.endswith(f": {digest.name}"):
            delivery.misdirected += 1
        if not texts or not photos or statuses.get(digest.item_id) != outbox.SENT:
            delivery.lost.append(digest.item_id)
        delivery.texts_per_digest[len(set(m.key for m in texts))] += 1
    known = {digest.chat_id for digest in expected}
    delivery.strays = sum(1 for m in delivery.accepted if m.chat_id not in known)


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
    return [
        f"digests             {delivery.digests} queued; outbox: {statuses}"
        + (f"; {delivery.open_after} still open (gave up)" if delivery.open_after else ""),
        f"messages            {delivery.messages} accepted ({texts} texts + {photos} photos; "
        f"texts per digest: {per_digest})",
        f"429s answered       {refused} (rolling second {delivery.refused['overall']}, "
        f"per chat {delivery.refused['chat']}{_gaps(delivery.chat_gaps)})",
        f"seconds             {delivery.seconds:.2f} from the first to the last accepted message "
        f"(outbox drained in {delivery.drained_seconds:.2f} s, {delivery.passes} drain passes)",
        f"rendering a digest  {rendering} (means; several are rendered side by side)",
        f"rate                {delivery.rate:.2f} messages/s",
        f"ratio to 30/s       {delivery.ratio:.3f}",
        f"lost                {len(delivery.lost)}",
        f"duplicates          {len(delivery.duplicated)} items ({delivery.extra_messages} extra "
        f"messages)",
        f"misdirected, stray  {delivery.misdirected}, {delivery.strays}",
    ]


def report(options: Options, week: Week, world: World, api: FakeApi, delivery: Delivery) -> str:
    generated = "reused (--keep)" if world.reused else f"generated in {world.seconds:.1f} s"
    return "\n".join(
        [
            f"PuMPuRS delivery benchmark: weekly digests of {week.start} - {week.end}; "
            f"{options.schools} schools, {options.municipalities} municipalities, "
            f"{options.students} students",
            f"world: {world.rows:,} rows, {generated}; {world.coordinators} coordinators with "
            f"{world.telegram_ids} distinct Telegram ids, no quiet hours; "
            f"random_page_cost {world.page_cost}",
            f"fake Bot API: {api.url} (a child process), {TELEGRAM_PER_SECOND} messages in any "
            f"rolling second, 1 a second per chat, else HTTP 429 with retry_after",
            f"Sender: Pacer {GLOBAL_PER_SECOND:g}/s overall and 1 s per chat, {IN_FLIGHT} items "
            f"in flight, {PREPARERS} preparers, batches of {BATCH}; real AiohttpSession",
            "",
            *delivery_lines(delivery),
        ]
    )


# --- main ----------------------------------------------------------------------------------


def last_complete_week(semester: Semester) -> Week:
    week = Week.current().previous()
    return Week.current() if week.start < semester.start else week


async def run(options: Options, page_cost: float | None) -> int:
    semester = Semester.current()
    week = last_complete_week(semester)
    api = await FakeApi.start()
    bot: Bot | None = None
    try:
        world = await prepare_world(options, semester)
        await set_page_cost(options.database_url, page_cost)
        await Tortoise.close_connections()  # the setting holds for new connections
        await connect(options.database_url)
        world.page_cost = await page_cost_in_use()
        bot = create_bot(BotSettings(bot_token=TOKEN, telegram_api_url=api.url))
        delivery = await deliver(bot, api, week)
        print(report(options, week, world, api, delivery))
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
    parsed = parse_args(argv)
    if parsed is None:
        asyncio.run(serve_fake_api())
        return 0
    return asyncio.run(run(*parsed))


if __name__ == "__main__":
    raise SystemExit(main())
