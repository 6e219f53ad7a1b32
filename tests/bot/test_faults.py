"""Faults the bot survives: Telegram down or answering 5xx, PostgreSQL and Redis going away."""

from datetime import datetime, timedelta
from functools import partial

import pytest
from aiohttp import web

from bot import runner
from bot.factory import create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.sender import Pacer, Sender
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN
from core.api.health import BotStatus
from storage.models import OutboxItem
from tests.bot.fake_telegram import FakeTelegram, error
from tests.bot.test_sender import NOON, parents, questions
from tests.bot.virtual_time import VirtualTime


def bad_gateway() -> web.Response:
    return error(502, "Bad Gateway")


def bad_gateway_page() -> web.Response:
    """What a proxy in front of the Bot API may answer instead: a page, not JSON."""
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    return web.Response(status=502, text=page, content_type="text/html")


@pytest.fixture
async def telegram():
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


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
