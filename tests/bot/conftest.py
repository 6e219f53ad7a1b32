"""Bot tests: the real Dispatcher, real Updates, a recording Bot API session (no network).

FSM state lives in Redis when TEST_REDIS_URL is set (always under CI), else in memory.
"""

import os

import pytest
from cachetools import TTLCache
from redis.asyncio import Redis

from bot.factory import create_bot, create_dispatcher
from bot.session import RecordingSession
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN, Simulator
from core import kept
from core.person_changes import person_changed
from storage.models import Membership
from tests.bot.fake_telegram import FakeTelegram
from tests.conftest import require_server

FSM_REDIS_URL = os.environ.get("TEST_REDIS_URL")


async def make_simulator(
    redis: Redis | None, session: RecordingSession | None = None, **settings
) -> Simulator:
    """A bot instance; instances given one session talk to the same (fake) Telegram."""
    config = BotSettings(bot_token=TEST_TOKEN, **settings)
    session = session or RecordingSession()
    return Simulator(create_dispatcher(config, redis=redis), create_bot(config, session), session)


@pytest.fixture
async def redis():
    """A real Redis when configured (flushed), else None: the in-memory set-up."""
    if FSM_REDIS_URL is None:
        yield None
        return
    require_server(FSM_REDIS_URL, "Redis")
    client = Redis.from_url(FSM_REDIS_URL)
    await client.flushdb()
    yield client
    await client.aclose()


async def left_every_school(person_id: int) -> None:
    """The person's memberships end, as for a teacher who left the school."""
    await Membership.filter(person_id=person_id).delete()
    await person_changed(person_id)


@pytest.fixture
def forget_kept_copies(monkeypatch):
    """`forget()`: every copy `core.kept` holds for the flows gone, as KEEP_SECONDS after they
    were read."""

    def forget() -> None:
        monkeypatch.setattr(kept, "_kept", TTLCache(maxsize=10, ttl=kept.KEEP_SECONDS))

    return forget


@pytest.fixture
async def sim(db, redis):
    return await make_simulator(redis)


@pytest.fixture
async def telegram():
    """A fake Bot API over HTTP on a local port (tests/bot/fake_telegram.py)."""
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()
