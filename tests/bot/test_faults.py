"""Faults the bot survives: Telegram down or answering 5xx, PostgreSQL and Redis going away."""

import asyncio
from datetime import date, datetime, timedelta
from functools import partial

import pytest
from aiohttp import web
from tortoise import connections

from api.health import BotStatus
from bot import running as runner
from bot.factory import create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.scheduler import queue_last_weeks_digests
from bot.sender import Pacer, Sender
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN
from core import audit, clock
from core.catalogues import MUNICIPALITY_COORDINATOR, SCHOOL_COORDINATOR
from storage.models import Absence, Membership, OutboxItem, Person
from storage.redis import connect_redis
from tests.bot.conftest import make_simulator
from tests.bot.fake_telegram import FakeTelegram, error
from tests.bot.private_redis import PrivateRedis
from tests.bot.test_sender import NOON, parents, questions
from tests.bot.virtual_time import VirtualTime
from tests.conftest import TEST_DATABASE_URL
from tests.eventually import eventually

TRY_AGAIN = "Mūsu pusē radās kļūda. Lūdzu, mēģiniet vēlreiz."


def bad_gateway() -> web.Response:
    return error(502, "Bad Gateway")


def bad_gateway_page() -> web.Response:
    """What a proxy in front of the Bot API may answer instead: a page, not JSON."""
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    return web.Response(status=502, text=page, content_type="text/html")


async def next_due(after: datetime) -> datetime | None:
    """When the sender's loop next finds an unsent item claimable, or None if all are done."""
    moments = [
        item.next_attempt_at if item.status == "pending" else item.claimed_until
        for item in await OutboxItem.filter(status__in=["pending", "sending"])
    ]
    if not moments:
        return None
    return max(min(moments) + timedelta(seconds=1), after)


async def deliver(telegram: FakeTelegram, before_round=None, rounds: int = 12) -> int:
    """Run the sender as `send_forever` does, the clock jumping to when something is due next;
    how many rounds it took."""
    bot = create_bot(BotSettings(bot_token=TEST_TOKEN, telegram_api_url=telegram.url))
    moment: datetime | None = NOON
    try:
        for round_ in range(rounds):
            if before_round is not None:
                await before_round(round_)
            virtual = VirtualTime()
            pacer = Pacer(clock=virtual.clock, sleep=virtual.sleep)
            sender = Sender(bot, create_i18n(), pacer=pacer, wall_clock=lambda m=moment: m)
            await sender.drain()
            if (moment := await next_due(moment)) is None:
                return round_ + 1
    finally:
        await bot.session.close()
    raise AssertionError(f"not delivered in {rounds} rounds")


async def assert_each_delivered_once(telegram: FakeTelegram, items: list[OutboxItem]) -> None:
    chats = sorted(chat for chat, _ in telegram.sent)
    expected = sorted([(await item.recipient).telegram_id for item in items])
    assert chats == expected  # each once
    assert await OutboxItem.filter(status="sent").count() == len(items)


@pytest.mark.parametrize("answer", [bad_gateway, bad_gateway_page])
async def test_every_outbox_item_is_delivered_once_through_bursts_of_bad_gateways(
    world, telegram, answer
):
    await parents(world, 12)
    items = await questions(world)  # 13 parents, one question each
    burst = iter(range(20))
    telegram.fail = lambda method: answer() if next(burst, None) is not None else None
    await deliver(telegram)
    await assert_each_delivered_once(telegram, items)


async def test_the_outbox_resumes_after_telegram_was_unreachable_for_minutes(world, telegram):
    await parents(world, 4)
    items = await questions(world)

    async def outage(round_: int) -> None:
        """Down for the first three rounds: 3.5 minutes of the sender's backoff."""
        if round_ == 0:
            await telegram.stop()
        elif round_ == 3:
            await telegram.start()

    assert await deliver(telegram, before_round=outage) == 4
    await assert_each_delivered_once(telegram, items)


async def test_the_bot_keeps_trying_to_start_through_bad_gateway_pages(telegram, monkeypatch):
    monkeypatch.setattr(runner, "RETRY_FIRST_SECONDS", 0.01)
    burst = iter(range(3))
    telegram.fail = lambda method: bad_gateway_page() if next(burst, None) is not None else None
    settings = BotSettings(bot_token=TEST_TOKEN, telegram_api_url=telegram.url)
    bot, status = create_bot(settings), BotStatus()
    try:
        connect = partial(runner.connect, bot, create_dispatcher(settings), create_i18n(), settings)
        await runner.until_answered(connect, status)
    finally:
        await bot.session.close()
    assert status.state == "retrying: ClientDecodeError"  # the last failure; `run_bot` goes on
    assert "deleteWebhook" in telegram.methods


def database_name() -> str:
    return connections.get("default").database


async def cut_every_connection(name: str) -> None:
    """What a PostgreSQL restart does to the app: each connection to its database is ended.

    Each backend is waited for (up to 5 s) until it has exited, as a restart's would have long
    before the next update: a query sent in the instant between the signal and the exit finds
    asyncpg's connection half-closed (InternalClientError), a race of the test, not of a restart.
    """
    import asyncpg

    admin = await asyncpg.connect(TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgres"), reason="cuts PostgreSQL's connections"
)
async def test_a_connection_cut_mid_save_saves_nothing_and_the_next_try_succeeds(
    sim, world, monkeypatch
):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 2, 27))  # a school day
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("2")
    record, name = audit.record, database_name()

    async def cut_then_record(*args) -> None:  # inside the transaction, after the upsert
        monkeypatch.setattr(audit, "record", record)
        await cut_every_connection(name)
        await record(*args)

    monkeypatch.setattr(audit, "record", cut_then_record)
    await teacher.press("Saglabāt")
    assert teacher.alerts == [TRY_AGAIN]
    assert await Absence.all().count() == 0  # nothing half-saved

    saved = await teacher.press("Saglabāt")  # the same button again: the pool has reconnected
    assert saved[-1].text.startswith("Saglabāts")
    assert await Absence.all().count() == 1


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgres"), reason="cuts PostgreSQL's connections"
)
async def test_after_every_connection_was_cut_between_updates_the_next_one_is_answered(sim, world):
    teacher = sim.user(101)
    assert "7.a" in str((await teacher.send("/absent"))[-1].buttons())
    await cut_every_connection(
        database_name()
    )  # as after a restart: the pool's idle connections are dead
    classes = await teacher.send("/absent")
    assert [text for text, _ in classes[-1].buttons()] == ["7.a", "8.b"], classes[-1].text


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


async def test_while_redis_is_down_users_are_told_to_try_again_and_nothing_is_saved(
    db, world, private_redis, monkeypatch
):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 2, 27))  # a school day
    redis = connect_redis(private_redis.url)
    teacher = (await make_simulator(redis)).user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("2")

    private_redis.stop()
    await teacher.press("Saglabāt")
    assert teacher.alerts == [TRY_AGAIN]
    assert (await teacher.send("/help"))[-1].text == TRY_AGAIN
    assert await Absence.all().count() == 0

    private_redis.start()  # empty: the FSM state and the marks of handled updates are gone
    assert "/absent" in (await teacher.send("/help"))[-1].text
    await teacher.press("Saglabāt")
    assert teacher.alerts[-1] == "Šī poga vairs nav aktīva. Sāciet no jauna izvēlnē /menu."
    assert await Absence.all().count() == 0
    await redis.aclose()


async def test_while_redis_is_down_the_outbox_waits_and_goes_out_once_it_is_back(
    sim, world, private_redis, monkeypatch
):
    monkeypatch.setattr(runner, "SENDER_PAUSE_SECONDS", 0.05)
    await Person.filter(id=world.parent_a1.id).update(quiet_start_minute=0, quiet_end_minute=0)
    [item] = await questions(world)  # to the parent, who has no quiet hours: due now
    redis = connect_redis(private_redis.url)
    private_redis.stop()
    sending = asyncio.create_task(runner.send_forever(sim.bot, create_i18n(), redis))
    try:
        await asyncio.sleep(0.5)  # the lease cannot be taken: nothing goes out, nothing is lost
        assert sim.session.sent == [] and not sending.done()
        private_redis.start()
        await eventually(lambda: sim.session.sent)
        await asyncio.sleep(0.2)
    finally:
        await runner.stop(sending)
        await redis.aclose()
    assert [sent.chat_id for sent in sim.session.sent] == [world.parent_a1.person.telegram_id]
    assert (await OutboxItem.get(id=item.id)).status == "sent"


async def test_with_redis_down_the_weekly_digests_are_still_queued_once(db, world, private_redis):
    redis = connect_redis(private_redis.url)
    private_redis.stop()
    await queue_last_weeks_digests(redis)
    await queue_last_weeks_digests(redis)  # another instance: the outbox's key stops a repeat
    await redis.aclose()
    coordinators = await Membership.filter(
        role__in=[SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR]
    ).count()
    assert coordinators > 0
    assert await OutboxItem.filter(kind="weekly_digest").count() == coordinators
