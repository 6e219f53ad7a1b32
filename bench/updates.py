"""Updates per second through the real bot: teachers' conversations, the core writing to PostgreSQL.

Many teachers at once (one asyncio task each, its conversations one after another, as people do)
run absence flows (/absent) and risk-signal flows (/risk) through the real Dispatcher with a
recording Bot API session; every update fed is timed. A bare aiogram Dispatcher with an echo
handler is fed the same number of updates, the same way, for a ratio measured in the same run:
the two take turns, a round of every teacher's conversations then as many bare updates, so a
machine whose speed changes from one minute (or several seconds) to the next slows both alike.

With `--paced 50,100,200` each teacher then also follows a schedule at those offered rates, and
the latency of each update is measured from the time it was due, not from when it could be sent.
With `--webhook` updates arrive as JSON through the real webhook endpoint (uvicorn on a local
port) and Bot API calls go over HTTP to a fake Bot API in a child process (bench.http_path).

Run from the repository root: `.venv/bin/python -m bench.updates` (or `--quick`; `--redis` for
Redis FSM storage). See bench/README.md for what it prints.
"""

# ruff: noqa: E402 (aiogram is imported as `pumpurs serve` imports it: after import_aiogram)

from __future__ import annotations

import argparse
import asyncio
import math
import random
import resource
import sys
import time
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from bot.lazy_types import import_aiogram

import_aiogram()

from aiogram import Bot, Dispatcher, Router
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import CallbackQuery, Message, Update, User
from fastapi import FastAPI
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.utils import HIREDIS_AVAILABLE
from tortoise import Tortoise, connections

from api.app import create_app
from bench.http_path import FakeApiProcess, HttpRecordingSession, Webhook
from bench.iap import drop_database, recreate_database
from bot.factory import create_bot, create_dispatcher, create_storage
from bot.runner import settle_memory
from bot.session import RecordingSession, Sent
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN, FakeUser, Simulator
from handlers.absences import AbStudent
from storage.db import tortoise_config
from storage.models import (
    Absence,
    Membership,
    Municipality,
    Person,
    RiskSignal,
    School,
    SchoolClass,
    Student,
)
from storage.query_counter import count_queries
from storage.redis import connect_redis

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_bench_updates"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
TELEGRAM_IDS = 800_000_000  # fictional Telegram ids of the benchmark's teachers, from here up
FLOOD_LIMIT = 1_000_000  # no teacher is ever slowed down
UPDATES_PER_ROUND = 17  # about: one absence flow (~9.4 updates) and one risk flow (~7.5)
WARM_UP_UPDATES = 200
SOLO_ROUNDS = 5  # the lone teacher's: about 70 updates
MUNICIPALITIES = 4
GRADES = (5, 6, 7, 8, 9, 10, 11, 12)

# Latvian labels, as a user sees them (tests/bot/test_absences.py, tests/bot/test_risk.py).
SKIP, SAVE, BACK = "Izlaist", "Saglabāt", "Atpakaļ"
ANOTHER_DAY = "Cita diena"
RISE_HEADINGS = ("Tagad augsts risks:", "Tagad — uzmanību:")
ANOTHER_DAY_SHARE = 0.2  # of absence flows: a day of the last two weeks instead of today
TYPED_SHARE = 0.3  # of numbers of lessons: typed instead of tapped
LEARNING_GROUP = "Mācību darba un izglītības iestādes riski"
ABSENCES_FACTOR = "Neattaisnoti kavējumi"


# --- options -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    database_url: str
    schools: int
    teachers: int
    classes: int
    students: int  # per class
    rounds: int
    redis_url: str | None
    keep: bool
    seed: int
    paced: tuple[int, ...] = ()  # offered rates, updates a second over all teachers
    paced_seconds: float = 10.0  # about how long each paced run lasts
    webhook: bool = False  # JSON through the webhook endpoint, Bot API over HTTP


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.updates",
        description="Updates per second through the real bot, against a bare aiogram dispatcher.",
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and re-created")
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--teachers", type=int, default=50, help="all at once, over the schools")
    parser.add_argument("--classes", type=int, default=4, help="classes per school")
    parser.add_argument("--students", type=int, default=25, help="students per class")
    parser.add_argument(
        "--rounds", type=int, default=5, help="per teacher: an absences and a risk-signal flow"
    )
    parser.add_argument(
        "--updates", type=int, help="about how many updates in all: sets --rounds from --teachers"
    )
    parser.add_argument(
        "--quick", action="store_true", help="5 schools, 10 teachers, 2 rounds (a few seconds)"
    )
    parser.add_argument(
        "--redis", action="store_true", help="FSM state, isolation, dedupe and flood in Redis"
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--paced",
        nargs="?",
        const="50,100,200",
        help="then runs at these offered rates (updates/s), latency from due time to done",
    )
    parser.add_argument("--paced-seconds", type=float, default=10.0, help="per paced run, about")
    parser.add_argument(
        "--webhook", action="store_true", help="updates as JSON via the webhook, Bot API via HTTP"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.schools, args.teachers, args.rounds = 5, 10, 2
    if args.updates is not None:
        args.rounds = max(1, round(args.updates / (args.teachers * UPDATES_PER_ROUND)))
    if min(args.schools, args.teachers, args.classes, args.rounds) < 1 or args.students < 4:
        parser.error("need at least 1 school, teacher, class and round, and 4 students a class")
    return Options(
        database_url=args.database_url,
        schools=args.schools,
        teachers=args.teachers,
        classes=min(args.classes, len(GRADES)),
        students=args.students,
        rounds=args.rounds,
        redis_url=args.redis_url if args.redis else None,
        keep=args.keep,
        seed=args.seed,
        paced=tuple(int(rate) for rate in args.paced.split(",")) if args.paced else (),
        paced_seconds=args.paced_seconds,
        webhook=args.webhook,
    )


# --- the database --------------------------------------------------------------------------


async def build_world(options: Options) -> list[int]:
    """Fictional schools, classes, students and teachers; gives back the teachers' Telegram ids."""
    municipalities = [
        await Municipality.create(name=f"Novads {n}")
        for n in range(1, min(MUNICIPALITIES, options.schools) + 1)
    ]
    schools = [
        await School.create(
            name=f"Skola {n}", kind="general", municipality=municipalities[n % len(municipalities)]
        )
        for n in range(1, options.schools + 1)
    ]
    classes = [
        await SchoolClass.create(school=school, grade=grade, name=f"{grade}.a")
        for school in schools
        for grade in GRADES[: options.classes]
    ]
    number = count(1)
    await Student.bulk_create(
        [
            Student(
                school_id=school_class.school_id,
                school_class_id=school_class.id,
                first_name="Skolnieks",
                last_name=str(next(number)),
            )
            for school_class in classes
            for _ in range(options.students)
        ],
        batch_size=1000,
    )
    telegram_ids = []
    for n in range(options.teachers):
        telegram_id = TELEGRAM_IDS + n + 1
        person = await Person.create(display_name=f"Skolotājs {n + 1}", telegram_id=telegram_id)
        await Membership.create(
            person=person, role="teacher", specialty="teacher", school=schools[n % len(schools)]
        )
        telegram_ids.append(telegram_id)
    return telegram_ids


# --- driving the dispatcher ----------------------------------------------------------------


@dataclass
class BenchSession(RecordingSession):
    """A RecordingSession that counts its calls and keeps no overall record of them.

    Each chat's own list (`chats`) is all the harness reads; `BenchUser.forget` trims it.
    """

    api_calls: int = 0
    webhook_replies: int = 0  # as HttpRecordingSession's: none here (no webhook in the process)

    async def make_request(self, bot, method, timeout=None):  # noqa: ASYNC109 (aiogram's)
        self.api_calls += 1
        try:
            return await super().make_request(bot, method, timeout)
        finally:
            self.calls.clear()
            self.sent.clear()


@dataclass
class BenchUser(FakeUser):
    def forget(self) -> None:
        """Drop what this chat no longer needs (a real bot keeps no copy of it)."""
        del self.inbox[:-1]


@dataclass
class BenchSimulator(Simulator):
    """The Simulator, timing each update and counting messages and button taps.

    Updates go to `feed_update`, or as JSON to the `webhook`. Paced (`pace_users`), each user's
    updates are due one `pace` apart: an update waits for its due time, and its latency runs from
    then (a user who fell behind sends at once, and the lateness counts).
    """

    session: BenchSession | HttpRecordingSession
    first_update_id: int = 1
    latencies: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "message" or "callback", per update
    webhook: Webhook | None = None
    pace: float | None = None
    paced_from: float = 0.0
    due: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.update_ids = count(self.first_update_id)
        self.updates_made = 0

    def next_update_id(self) -> int:
        self.updates_made += 1
        return next(self.update_ids)

    def user(self, telegram_id: int, first_name: str = "Skolotājs", language: str = "lv"):
        user = User(id=telegram_id, is_bot=False, first_name=first_name, language_code=language)
        return BenchUser(self, user)

    def pace_users(self, telegram_ids: Sequence[int], rate: float, rng: random.Random) -> None:
        """Each user's first update due within one pace from now, then one every pace."""
        self.pace = len(telegram_ids) / rate
        self.paced_from = time.perf_counter() + 0.05
        self.due = {user: self.paced_from + rng.uniform(0, self.pace) for user in telegram_ids}

    def all_on_schedule_seconds(self) -> float:
        """How long every user kept to the schedule (until the first one's last update was due):
        the stretch at the full offered rate, before users who are done thin it out."""
        assert self.pace is not None
        return min(self.due.values()) - self.pace - self.paced_from

    def unpace(self) -> None:
        self.pace = None
        self.due.clear()

    async def feed(self, update: Update) -> None:
        event = update.message or update.callback_query
        assert event is not None and event.from_user is not None
        due = self.due.get(event.from_user.id) if self.pace is not None else None
        if due is not None:
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            start = due
        else:
            start = time.perf_counter()
        if self.webhook is not None:
            await self.webhook.post(update)
        else:
            await self.dispatcher.feed_update(self.bot, update)
        self.latencies.append(time.perf_counter() - start)
        self.kinds.append("message" if update.message is not None else "callback")
        if due is not None and self.pace is not None:
            self.due[event.from_user.id] = due + self.pace

    def reset(self) -> None:
        self.latencies.clear()
        self.kinds.clear()


class FlowError(RuntimeError):
    """The bot did not answer as a teacher expects: the benchmark would measure something else."""


def expect(user: BenchUser, text: str, step: str) -> None:
    last = user.last.text
    if text not in last:
        raise FlowError(f"user {user.id}, {step}: expected {text!r} in {last!r}")


async def tap(user: BenchUser, label: str) -> None:
    """Tap the button labelled exactly `label` on the newest message."""
    on = user.last
    for text, data in on.buttons():
        if text == label:
            await user.press_data(data, on)
            return
    raise FlowError(f"user {user.id}: no button {label!r} in {[t for t, _ in on.buttons()]}")


async def tap_any(user: BenchUser, rng: random.Random, but: tuple[str, ...] = ()) -> str:
    """Tap one of the newest message's buttons at random (not those in `but`)."""
    on = user.last
    text, data = rng.choice([b for b in on.buttons() if b[0] not in but])
    await user.press_data(data, on)
    return text


@dataclass
class Tally:
    absence_flows: int = 0
    risk_flows: int = 0
    signals: int = 0  # risk_signal rows the flows wrote (risk flows, absences' rises)
    absence_days: set[tuple[int, str]] = field(default_factory=set)  # (student, day) saved

    def add(self, other: Tally) -> None:
        self.absence_flows += other.absence_flows
        self.risk_flows += other.risk_flows
        self.signals += other.signals
        self.absence_days |= other.absence_days


async def absence_flow(user: BenchUser, rng: random.Random, tally: Tally) -> None:
    """/absent, a class, (another day), 2-4 students each with their lessons, Save."""
    await user.send("/absent")
    expect(user, "Kurā klasē atzīmēt kavējumus?", "/absent")
    await tap_any(user, rng)
    expect(user, "Nospiediet uz skolēna", "class")
    if rng.random() < ANOTHER_DAY_SHARE:
        await tap(user, ANOTHER_DAY)
        expect(user, "Kura diena?", "another day")
        label = await tap_any(user, rng, but=(BACK,))
        expect(user, f", {label}\n", "day")
    day = user.last.text.split("\n")[0].rpartition(", ")[2]  # as the list names it
    roster = [b for b in user.last.buttons() if b[0] not in (ANOTHER_DAY, SAVE)]
    chosen = rng.sample(roster, rng.randint(2, 4))
    for ticked, (_, data) in enumerate(chosen, start=1):
        await user.press_data(data, user.last)
        expect(user, "Cik mācību stundu kavēts", "student")
        lessons = rng.randint(1, 6)
        if rng.random() < TYPED_SHARE:
            await user.send(str(lessons))
        else:
            await tap(user, str(lessons))
        expect(user, f"Izvēlēti: {ticked}", "lessons")
    await tap(user, SAVE)
    expect(user, f"Saglabāts: {len(chosen)} skolēn", "Save")
    tally.absence_days.update((AbStudent.unpack(data).student_id, day) for _, data in chosen)
    tally.signals += risen(user.last.text)
    tally.absence_flows += 1
    user.forget()


def risen(saved: str) -> int:
    """The students the saved absences' reply names as risen (a risk signal each)."""
    count, under_heading = 0, False
    for line in saved.split("\n"):
        if line in RISE_HEADINGS:
            under_heading = True
        elif under_heading and line.startswith("• "):
            count += 1
    return count


async def risk_flow(user: BenchUser, rng: random.Random) -> None:
    """/risk, class, student, group, factor, a value for absences (tapped or typed), Skip, Save."""
    await user.send("/risk")
    expect(user, "Par kuru skolēnu ir riska signāls?", "/risk")
    await tap_any(user, rng)
    expect(user, "izvēlieties skolēnu", "class")
    await tap_any(user, rng)
    expect(user, "Kura riska grupa?", "student")
    if rng.random() < 0.4:  # absences, the commonest factor, with its number of lessons
        await tap(user, LEARNING_GROUP)
        expect(user, "Kurš riska faktors?", "group")
        await tap(user, ABSENCES_FACTOR)
    else:
        await tap_any(user, rng)
        expect(user, "Kurš riska faktors?", "group")
        await tap_any(user, rng, but=(BACK,))
    if "Cik mācību stundas skolēns šodien kavēja?" in user.last.text:
        lessons = rng.randint(1, 6)
        if rng.random() < TYPED_SHARE:
            await user.send(str(lessons))
        else:
            await tap(user, str(lessons))
    expect(user, "Pievienot piezīmi?", "factor or value")
    await tap(user, SKIP)
    expect(user, "Lūdzu, pārbaudiet riska signālu:", "Skip")
    await tap(user, SAVE)
    expect(user, "Saglabāts. To var atsaukt", "Save")
    user.forget()


async def teacher_day(user: BenchUser, rounds: int, rng: random.Random, tally: Tally) -> None:
    for _ in range(rounds):
        await absence_flow(user, rng, tally)
        await risk_flow(user, rng)
        tally.risk_flows += 1
        tally.signals += 1


async def run_teachers(
    sim: BenchSimulator, telegram_ids: list[int], rounds: int, seed: int, tally: Tally
) -> None:
    await asyncio.gather(
        *(
            teacher_day(sim.user(telegram_id), rounds, random.Random(seed * 1_000_003 + n), tally)
            for n, telegram_id in enumerate(telegram_ids)
        )
    )


@dataclass(frozen=True)
class Timing:
    seconds: float  # wall clock
    cpu: float  # CPU time of this process (PostgreSQL and Redis are other processes)

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.seconds + other.seconds, self.cpu + other.cpu)


async def timed(work: Awaitable[None]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    await work
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


async def taking_turns(
    sim: BenchSimulator,
    bares: list[BenchSimulator],
    telegram_ids: list[int],
    options: Options,
    tally: Tally,
) -> tuple[Timing, list[Timing]]:
    """Each round of every teacher's conversations, then as many updates to each bare dispatcher:
    the timings of ours and of each bare one, each summed over the rounds."""
    ours, bases = Timing(0.0, 0.0), [Timing(0.0, 0.0) for _ in bares]
    for round_ in range(options.rounds):
        seed = options.seed + ROUND_SEEDS * round_  # not the warm-up's nor the lone teacher's
        fed = len(sim.kinds)
        ours += await timed(run_teachers(sim, telegram_ids, 1, seed, tally))
        kinds = sim.kinds[fed:]
        for n, bare in enumerate(bares):
            bases[n] += await timed(run_bare(bare, len(telegram_ids), kinds, seed))
    return ours, bases


ROUND_SEEDS = 100  # the measured rounds' seeds step by this: seed + 1 and + 2 are taken


# --- the bare baseline ---------------------------------------------------------------------


def bare_dispatcher(redis: Redis | None = None) -> Dispatcher:
    """aiogram's Dispatcher with an echo handler; with `redis`, its FSM storage (the same as
    ours) and aiogram's own lock per user in Redis, as aiogram does them."""
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @router.callback_query()
    async def tapped(callback: CallbackQuery) -> None:
        await callback.answer()

    if redis is None:
        dispatcher = Dispatcher()
    else:
        storage = create_storage(redis)
        assert isinstance(storage, RedisStorage)
        dispatcher = Dispatcher(storage=storage, events_isolation=storage.create_isolation())
    dispatcher.include_router(router)
    return dispatcher


async def bare_user(user: BenchUser, kinds: list[str]) -> None:
    for n, kind in enumerate(kinds):
        if kind == "message":
            await user.send(f"sveiki {n}")
        else:
            on = user.last if user.inbox else Sent(user.id, 1, "sveiki", None)
            await user.press_data("tap", on)
        user.forget()


async def run_bare(sim: BenchSimulator, users: int, kinds: list[str], seed: int) -> None:
    """The same number of messages and taps as `kinds`, dealt round-robin to as many users."""
    kinds = kinds[:]
    random.Random(seed).shuffle(kinds)
    await asyncio.gather(
        *(bare_user(sim.user(TELEGRAM_IDS + n + 1), kinds[n::users]) for n in range(users))
    )


# --- reporting -----------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def memory() -> str:
    """Resident memory now and at its peak, from /proc (Linux) or getrusage."""
    status: dict[str, str] = {}
    try:
        with open("/proc/self/status") as lines:
            for line in lines:
                key, _, value = line.partition(":")
                status[key] = value.strip()
    except OSError:
        pass
    if "VmRSS" in status:
        rss, peak = (int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))
        return f"{rss:,.1f} MiB (peak {peak:,.1f} MiB)"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mib = peak / 1024 / (1024 if sys.platform == "darwin" else 1)
    return f"peak {peak_mib:,.1f} MiB (getrusage)"


def latency_line(label: str, latencies: Sequence[float]) -> str:
    ms = [latency * 1000 for latency in latencies]
    return (
        f"  {label:<18}p50 {percentile(ms, 0.5):7.2f} ms   p99 {percentile(ms, 0.99):7.2f} ms"
        f"   max {max(ms):7.2f} ms"
    )


def report(title: str, sim: BenchSimulator, timing: Timing) -> float:
    """Print the run's figures; give back its updates per second."""
    updates = len(sim.latencies)
    messages = sim.kinds.count("message")
    rate = updates / timing.seconds
    print(title)
    print(f"  updates           {updates:,} ({messages:,} messages, {updates - messages:,} taps)")
    print(f"  wall time         {timing.seconds:,.2f} s")
    print(f"  updates/s         {rate:,.1f}")
    print(f"  CPU per update    {timing.cpu / updates * 1000:.2f} ms (this process)")
    print(latency_line("latency/update", sim.latencies))
    for kind, label in (("message", "messages"), ("callback", "taps")):
        some = [t for t, k in zip(sim.latencies, sim.kinds, strict=True) if k == kind]
        if some:
            print(latency_line(f"  {label}", some))
    carried = sim.session.webhook_replies
    in_answers = f" (and {carried:,} carried in the webhook's answers)" if carried else ""
    print(f"  Bot API calls     {sim.session.api_calls:,}{in_answers}")
    return rate


@dataclass
class OurRun:
    """What a bare dispatcher's figures are set against: our measured run and lone teacher."""

    rate: float  # updates a second
    cpu: float  # seconds of CPU an update
    kinds: list[str]
    solo: list[float]


async def report_bare(
    bare: BenchSimulator, storage: str, timing: Timing, users: int, ours: OurRun, seed: int
) -> None:
    """Print a bare dispatcher's figures, one user's alone, and ours as a ratio of them."""
    base = report(
        f"bare aiogram Dispatcher(), echo handler, FSM storage: {storage}, {users} users at once, "
        f"taking turns with ours: a round of the teachers, then as many bare updates",
        bare,
        timing,
    )
    kinds = bare.kinds[:]
    assert sorted(kinds) == sorted(ours.kinds)
    bare.reset()
    with count_redis_round_trips() as redis_trips:
        await run_bare(bare, 1, kinds[: len(ours.solo)], seed)
    solo = bare.latencies[:]
    print(f"  then one user alone, {len(solo)} updates one after another:")
    print(latency_line("  latency/update", solo))
    if redis_trips[0]:
        print(f"    round trips   Redis {redis_trips[0] / len(solo):.2f} an update")
    print()
    solo_p50 = percentile(ours.solo, 0.5) / percentile(solo, 0.5)
    print(
        f"ratio: Pumpurs/bare ({storage}) = {ours.rate / base:.4f} of the bare throughput "
        f"(bare/Pumpurs: {base / ours.rate:,.1f}x slower)"
    )
    print(
        f"       CPU per update {ours.cpu / (timing.cpu / len(kinds)):,.1f}x the bare one's; "
        f"p50 latency of one user alone {solo_p50:,.1f}x"
    )
    print()


async def run_paced(
    sim: BenchSimulator, telegram_ids: list[int], options: Options, tally: Tally
) -> None:
    """The teachers on a schedule at each offered rate: latency from each update's due time."""
    print(
        f"Pumpurs dispatcher, paced: {len(telegram_ids)} teachers on a schedule, "
        f"latency from each update's due time to done (target: p99 < 50 ms, p50 < 10 ms)"
    )
    for rate in options.paced:
        rounds = max(
            1, round(rate * options.paced_seconds / (len(telegram_ids) * UPDATES_PER_ROUND))
        )
        seed = options.seed + 7 * rate
        sim.reset()
        sim.pace_users(telegram_ids, rate, random.Random(seed))
        measured = Tally()
        timing = await timed(run_teachers(sim, telegram_ids, rounds, seed, measured))
        full_rate = sim.all_on_schedule_seconds()
        sim.unpace()
        tally.add(measured)
        ms = [latency * 1000 for latency in sim.latencies]
        p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
        verdict = "met" if p99 < 50 and p50 < 10 else "MISSED"
        print(
            f"  {rate:>4}/s offered  {len(ms):,} updates in {timing.seconds:.1f} s "
            f"({len(ms) / timing.seconds:,.0f}/s)   due->done p50 {p50:6.2f} ms   "
            f"p99 {p99:7.2f} ms   max {max(ms):7.1f} ms   CPU {timing.cpu / len(ms) * 1000:.2f} ms"
            f"/update   target {verdict}\n"
            f"                all {len(telegram_ids)} teachers on schedule for the first "
            f"{full_rate:.1f} s, then fewer as they finish"
        )
    print()


# --- the run -------------------------------------------------------------------------------


@contextmanager
def count_redis_round_trips() -> Iterator[list[int]]:
    """Count what the process sends to Redis (a command, or a pipeline's commands together)."""
    sent = [0]
    send = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        sent[0] += 1
        await send(self, *args, **kwargs)

    AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        AbstractConnection.send_packed_command = send  # type: ignore[method-assign]


async def clean_redis(redis: Redis, telegram_ids: list[int], update_ids: range) -> int:
    """Delete the keys this run made (update marks, flood counters, FSM state); give the count."""
    ours = {str(i) for i in telegram_ids}
    keys: list[bytes | str] = [f"pumpurs:update:{n}" for n in update_ids]
    async for key in redis.scan_iter(match="pumpurs:flood:*", count=1000):
        if key.decode().split(":")[2] in ours:
            keys.append(key)
    bot_id = TEST_TOKEN.split(":")[0]
    async for key in redis.scan_iter(match=f"fsm:{bot_id}:*", count=1000):
        if key.decode().split(":")[2] in ours:
            keys.append(key)
    deleted = 0
    for start in range(0, len(keys), 1000):
        deleted += await redis.unlink(*keys[start : start + 1000])
    return deleted


async def main(options: Options) -> int:
    parser = "hiredis, in C" if HIREDIS_AVAILABLE else "redis-py's own, in Python"
    storage = (
        f"Redis ({options.redis_url}; replies parsed by {parser})"
        if options.redis_url
        else "memory"
    )
    print(
        f"bench.updates: {options.teachers} teachers at once in {options.schools} schools "
        f"({options.classes} classes of {options.students} students each), "
        f"{options.rounds} rounds each (an absences flow and a risk-signal flow)"
    )
    print(f"FSM storage: {storage}")
    print(
        "updates: JSON to the webhook endpoint (uvicorn), Bot API over HTTP to a fake one"
        if options.webhook
        else "updates: fed to the dispatcher in-process, Bot API answered by a recording session"
    )
    started = time.perf_counter()
    await recreate_database(options.database_url)
    redis: Redis | None = None
    api: FakeApiProcess | None = None
    webhooks: list[Webhook] = []
    try:
        await Tortoise.init(
            config=tortoise_config(options.database_url), _enable_global_fallback=True
        )
        await Tortoise.generate_schemas()
        pool = getattr(connections.get("default"), "pool_maxsize", "?")
        telegram_ids = await build_world(options)
        print(
            f"database: {options.database_url} (pool up to {pool} connections); "
            f"world built in {time.perf_counter() - started:.1f} s"
        )
        print(f"memory after set-up: {memory()}")
        print()

        if options.redis_url:
            redis = connect_redis(options.redis_url)  # as the app connects: with its timeouts
            await redis.ping()
        settings = BotSettings(bot_token=TEST_TOKEN, flood_limit=FLOOD_LIMIT)
        if options.webhook:
            api = await FakeApiProcess.start()
        session = HttpRecordingSession(api.url) if api else BenchSession()
        first_update = int(time.time() * 1000) % 10**12  # no mark of an earlier run matches
        sim = BenchSimulator(
            create_dispatcher(settings, redis=redis),
            create_bot(settings, session),
            session,
            first_update_id=first_update,
        )
        if api:
            sim.webhook = await Webhook.start(
                create_app(manage_database=False), sim.dispatcher, sim.bot, options.teachers
            )
            webhooks.append(sim.webhook)
        bares: list[tuple[str, BenchSimulator]] = []
        for bare_redis in (None, redis) if redis else (None,):
            bare_session = HttpRecordingSession(api.url) if api else BenchSession()
            bare = BenchSimulator(
                bare_dispatcher(bare_redis), Bot(TEST_TOKEN, session=bare_session), bare_session
            )
            if api:
                bare.webhook = await Webhook.start(
                    FastAPI(), bare.dispatcher, bare.bot, options.teachers
                )
                webhooks.append(bare.webhook)
            bares.append(("Redis" if bare_redis else "memory", bare))
        settle_memory()  # as `pumpurs serve` does once started
        tally = Tally()  # every signal written, warm-up and the lone teacher's too
        warm_up = telegram_ids[: max(1, round(WARM_UP_UPDATES / UPDATES_PER_ROUND))]
        await run_teachers(sim, warm_up, 1, options.seed + 1, tally)
        for _, bare in bares:
            await run_bare(bare, len(telegram_ids), ["message", "callback"] * WARM_UP_UPDATES, 0)
        for each in (sim, *(bare for _, bare in bares)):
            each.reset()
            each.session.api_calls = each.session.webhook_replies = 0
        measured = Tally()
        sims = [bare for _, bare in bares]
        timing, bare_timings = await taking_turns(sim, sims, telegram_ids, options, measured)
        tally.add(measured)
        ours = report(
            f"Pumpurs dispatcher, {len(telegram_ids)} teachers at once, FSM storage: {storage}",
            sim,
            timing,
        )
        kinds = sim.kinds[:]
        print(
            f"  conversations     {measured.absence_flows:,} absences, "
            f"{measured.risk_flows:,} risk-signal ({measured.signals:,} signals written, "
            f"{len(measured.absence_days):,} students' days of absences)"
        )
        print(f"  alerts shown      {len(session.alerts)} (errors and refusals; expected 0)")
        sim.reset()
        with count_queries() as database, count_redis_round_trips() as redis_trips:
            await run_teachers(sim, telegram_ids[:1], SOLO_ROUNDS, options.seed + 2, tally)
        solo = sim.latencies[:]
        print(f"  then one teacher alone, {len(solo)} updates one after another:")
        print(latency_line("  latency/update", solo))
        print(
            f"    round trips   database {database.round_trips / len(solo):.2f} an update "
            f"({database.queries / len(solo):.2f} statements, "
            f"{database.transaction / len(solo):.2f} BEGIN/COMMIT, "
            f"{(database.prepares + database.resets) / len(solo):.2f} prepares and pool resets); "
            f"Redis {redis_trips[0] / len(solo):.2f} an update"
        )
        print(f"  memory (RSS)      {memory()}")
        print()

        our_run = OurRun(ours, timing.cpu / len(kinds), kinds, solo)
        for (bare_storage, bare), bare_timing in zip(bares, bare_timings, strict=True):
            users = len(telegram_ids)
            await report_bare(bare, bare_storage, bare_timing, users, our_run, options.seed)
        if options.paced:
            await run_paced(sim, telegram_ids, options, tally)
        print(f"memory (RSS) at the end: {memory()}")

        rows = await RiskSignal.all().count()
        days = await Absence.all().count()
        right = rows == tally.signals and days == len(tally.absence_days)
        print(
            f"risk_signal rows in PostgreSQL: {rows:,} (expected {tally.signals:,}, of which "
            f"{measured.signals:,} in the measured run); absence rows: {days:,} (expected "
            f"{len(tally.absence_days):,}): {'ok' if right else 'MISMATCH'}"
        )
        if redis is not None:
            update_ids = range(first_update, first_update + sim.updates_made)
            print(f"redis: {await clean_redis(redis, telegram_ids, update_ids):,} keys cleaned up")
        return 0 if right else 1
    finally:
        for webhook in webhooks:
            await webhook.stop()
            await webhook.bot.session.close()
        if api is not None:
            await api.stop()
        if redis is not None:
            await redis.aclose()
        await Tortoise.close_connections()
        if options.keep:
            print(f"database kept: {options.database_url}")
        else:
            await drop_database(options.database_url)
            print("database dropped")


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
