"""Telegram's 30 a second, shared: the outbox takes the whole budget when nobody talks to the bot,
and a reply made while it sends goes within one interval."""

from pytest import approx

from bot.i18n import create_i18n
from bot.pacing import GLOBAL_PER_SECOND, Pacer
from bot.sender import Sender
from core.services import needs
from tests.bot.virtual_time import NOON, VirtualTime

INTERVAL = 1 / GLOBAL_PER_SECOND


def most_in_a_second(moments: list[float]) -> int:
    """The most messages within any second (a message exactly a second later is the next's)."""
    return max(sum(1 for u in moments if t <= u < t + 1 - 1e-9) for t in moments)


async def outbox_for(pacer: Pacer, virtual: VirtualTime, seconds: float) -> list[float]:
    """The outbox sending to chat after chat for `seconds`: the moments of its messages."""
    moments = []
    chat = 0
    while virtual.now < seconds:
        chat += 1
        await pacer.slot(chat)
        moments.append(virtual.now)
    return moments


async def test_with_nobody_talking_the_outbox_takes_the_whole_budget():
    virtual = VirtualTime()
    pacer = Pacer(clock=virtual.clock, sleep=virtual.sleep)
    moments = await outbox_for(pacer, virtual, 10)
    assert len(moments) >= 10 * GLOBAL_PER_SECOND
    assert most_in_a_second(moments) <= GLOBAL_PER_SECOND


async def test_a_reply_during_a_drain_waits_one_interval_at_most_and_the_outbox_makes_room():
    virtual = VirtualTime()
    pacer = Pacer(clock=virtual.clock, sleep=virtual.sleep)
    outbox: list[float] = []
    replies: list[float] = []
    waits: list[float] = []
    for chat in range(1, 10 * int(GLOBAL_PER_SECOND)):
        await pacer.slot(chat)
        outbox.append(virtual.now)
        if chat % 5 == 0:  # someone writes to the bot: about six replies a second
            virtual.now += INTERVAL / 3  # between two of the outbox's moments
            asked = virtual.now
            await pacer.reply_slot()
            waits.append(virtual.now - asked)
            replies.append(virtual.now)
    assert max(waits) <= INTERVAL + 1e-9
    assert most_in_a_second(outbox + replies) <= GLOBAL_PER_SECOND + 1  # Telegram allows 30
    # over the same time, the outbox sent fewer by about as many as there were replies
    assert len(outbox) + len(replies) == approx(GLOBAL_PER_SECOND * virtual.now, abs=2)


async def test_replies_while_the_outbox_is_idle_go_at_once_and_the_outbox_counts_them():
    virtual = VirtualTime()
    pacer = Pacer(clock=virtual.clock, sleep=virtual.sleep)
    for _ in range(int(GLOBAL_PER_SECOND)):  # a busy second of replies, no outbox
        await pacer.reply_slot()
    assert virtual.now == 0  # none waited
    await pacer.slot(1)
    assert virtual.now == approx(1)  # the outbox's first message: once that second is over


async def test_a_reply_through_the_bot_takes_its_turn_from_the_senders_pacer(sim, world):
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    virtual = VirtualTime()
    pacer = Pacer(clock=virtual.clock, sleep=virtual.sleep)
    sender = Sender(sim.bot, create_i18n(), pacer=pacer, wall_clock=lambda: NOON)
    assert await sender.drain() == 1  # sent at 0: the outbox's next moment is one interval on
    await sim.user(101).send("/help")  # a teacher writes while the outbox is sending
    assert virtual.now == approx(INTERVAL)  # the reply took that moment
    await sender.pacer.slot(2)
    assert virtual.now == approx(2 * INTERVAL)  # and the outbox the one after it
    virtual.now += 5  # the outbox has been idle for seconds
    await sim.user(101).send("/help")
    assert virtual.now == approx(2 * INTERVAL + 5)  # the reply went at once
