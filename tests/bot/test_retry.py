"""A reply refused with 429 for a short while is sent once more; the outbox is not retried twice."""

from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.retry import RetryAfterOnce
from tests.bot.test_sender import NOON, questions, sender_for


def refuse_first_messages(sim, retry_after: int, times: int = 1) -> list[SendMessage]:
    """Telegram answers the first `times` sendMessage calls with 429; every attempt is kept."""
    attempts: list[SendMessage] = []

    def fail(method):
        if not isinstance(method, SendMessage):
            return None
        attempts.append(method)
        if len(attempts) <= times:
            return TelegramRetryAfter(method, "Too Many Requests", retry_after)
        return None

    sim.session.fail = fail
    return attempts


def waits_of(sim) -> list[float]:
    """The retry's sleeps, recorded instead of slept."""
    [retry] = [m for m in sim.bot.session.middleware if isinstance(m, RetryAfterOnce)]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    retry.sleep = sleep
    return waits


async def test_a_reply_refused_for_a_few_seconds_arrives_after_the_wait(sim, world):
    attempts, waits = refuse_first_messages(sim, retry_after=3), waits_of(sim)
    replies = await sim.user(101).send("/help")
    assert "/absent" in replies[-1].text
    assert waits == [3]
    assert len(attempts) == 2


async def test_a_reply_is_retried_once_only(sim, world):
    attempts, waits = refuse_first_messages(sim, retry_after=2, times=2), waits_of(sim)
    assert await sim.user(101).send("/help") == []
    assert waits == [2]
    assert len(attempts) == 2
    assert "/absent" in (await sim.user(101).send("/help"))[-1].text


async def test_a_long_wait_is_not_held_up_by_a_retry(sim, world):
    attempts, waits = refuse_first_messages(sim, retry_after=40), waits_of(sim)
    assert await sim.user(101).send("/help") == []
    assert waits == []
    assert len(attempts) == 1


async def test_the_outbox_sender_reschedules_on_429_without_a_retry_in_between(sim, world):
    await questions(world)
    attempts, waits = refuse_first_messages(sim, retry_after=2), waits_of(sim)
    assert await sender_for(sim).drain() == 0
    assert (waits, len(attempts)) == ([], 1)
    assert await sender_for(sim, NOON.replace(second=2)).drain() == 1
    assert len(attempts) == 2
