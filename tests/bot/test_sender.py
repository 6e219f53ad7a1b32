"""Delivery through the outbox against a fake Bot API that answers 429, 403 and 5xx."""

from datetime import datetime, timedelta

from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMessage

from bot.i18n import create_i18n
from bot.pacing import GLOBAL_PER_SECOND, Pacer
from bot.sender import MAX_ATTEMPTS, Sender
from core.services import needs, outbox
from storage.models import Membership, OutboxItem, Person
from tests.bot.virtual_time import NOON, VirtualTime


def sender_for(sim, wall: datetime = NOON, pacer: Pacer | None = None) -> Sender:
    virtual = VirtualTime()
    pacer = pacer or Pacer(clock=virtual.clock, sleep=virtual.sleep)
    return Sender(sim.bot, create_i18n(), pacer=pacer, wall_clock=lambda: wall)


async def parents(world, count: int) -> list[int]:
    """More parents of student a1, each with a Telegram account."""
    ids = []
    for n in range(count):
        person = await Person.create(display_name=f"Parent {n}", telegram_id=20_000 + n)
        await Membership.create(person=person, role="parent", student=world.student_a1)
        ids.append(person.id)
    return ids


async def questions(world) -> list[OutboxItem]:
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    return await OutboxItem.filter(kind="need_question").order_by("id")


def sent_messages(sim) -> list[SendMessage]:
    return [call for call in sim.session.calls if isinstance(call, SendMessage)]


async def test_on_429_it_waits_retry_after_and_sends_once(sim, world):
    [item] = await questions(world)
    answers = iter([TelegramRetryAfter(SendMessage(chat_id=1, text="x"), "Too Many Requests", 7)])
    sim.session.fail = lambda method: next(answers, None)
    sender = sender_for(sim)

    assert await sender.drain() == 0
    item = await OutboxItem.get(id=item.id)
    assert (item.status, item.attempts) == ("pending", 0)
    assert item.next_attempt_at == NOON + timedelta(seconds=7)
    assert sender.pacer._next_slot >= 7  # everything paused

    assert await sender_for(sim, NOON + timedelta(seconds=7)).drain() == 1
    assert await sender_for(sim, NOON + timedelta(minutes=5)).drain() == 0
    assert len(sent_messages(sim)) == 1


async def test_on_403_the_person_is_marked_unreachable_and_not_retried(sim, world):
    [item] = await questions(world)
    forbidden = TelegramForbiddenError(
        SendMessage(chat_id=1, text="x"), "bot was blocked by the user"
    )
    sim.session.fail = lambda method: forbidden
    assert await sender_for(sim).drain() == 0
    item = await OutboxItem.get(id=item.id)
    assert item.status == "failed"
    assert item.last_error.startswith("403")
    assert (await Person.get(id=world.parent_a1.id)).unreachable
    assert await sender_for(sim, NOON + timedelta(days=1)).drain() == 0

    sim.session.fail = None
    await sim.user(108).send("/help")  # the parent unblocked the bot and wrote
    assert not (await Person.get(id=world.parent_a1.id)).unreachable


async def test_server_errors_are_retried_with_backoff_then_given_up(sim, world):
    [item] = await questions(world)
    sim.session.fail = lambda method: TelegramServerError(method, "Bad Gateway")
    moment, pauses = NOON, []
    for _ in range(MAX_ATTEMPTS):
        assert await sender_for(sim, moment).drain() == 0
        item = await OutboxItem.get(id=item.id)
        if item.status == "failed":
            break
        pauses.append((item.next_attempt_at - moment).total_seconds())
        moment = item.next_attempt_at
    assert pauses == [30, 60, 120, 240]
    assert (item.status, item.attempts) == ("failed", MAX_ATTEMPTS)
    assert "Bad Gateway" in item.last_error


async def test_a_transient_error_loses_nothing(sim, world):
    [item] = await questions(world)
    failures = iter([TelegramServerError(SendMessage(chat_id=1, text="x"), "Internal")])
    sim.session.fail = lambda method: next(failures, None)
    await sender_for(sim).drain()
    assert await sender_for(sim, NOON + timedelta(seconds=30)).drain() == 1
    assert (await OutboxItem.get(id=item.id)).status == "sent"
    assert len(sent_messages(sim)) == 1


async def test_two_senders_at_once_never_send_one_item_twice(sim, world):
    import asyncio

    await parents(world, 12)
    items = await questions(world)
    assert len(items) == 13
    first, second = sender_for(sim), sender_for(sim)
    counts = await asyncio.gather(first.drain(), second.drain())
    assert sum(counts) == 13
    chats = [call.chat_id for call in sent_messages(sim)]
    assert len(chats) == len(set(chats)) == 13


async def test_after_a_crash_claimed_items_return_and_sent_ones_do_not(sim, world):
    await parents(world, 2)
    first, second, third = await questions(world)
    await outbox.claim(first.id, now=NOON - timedelta(minutes=10))  # a sender died holding it
    await outbox.claim(second.id, now=NOON)  # another sender is working on it right now
    await outbox.mark_sent(third.id, now=NOON - timedelta(minutes=10))  # sent before the crash

    assert await sender_for(sim).drain() == 1
    assert [c.chat_id for c in sent_messages(sim)] == [108]
    assert (await OutboxItem.get(id=first.id)).status == "sent"
    assert (await OutboxItem.get(id=second.id)).status == "sending"
    assert (await OutboxItem.get(id=third.id)).attempts == 1


async def test_pacing_holds_30_a_second_overall_and_1_a_second_per_chat(sim, world):
    await parents(world, 59)
    await questions(world)  # 60 parents, one question each
    virtual = VirtualTime()
    stamps: list[tuple[float, int]] = []

    def record(method):
        stamps.append((virtual.now, int(method.chat_id)))

    sim.session.fail = record
    pacer = Pacer(clock=virtual.clock, sleep=virtual.sleep)
    sender = sender_for(sim, pacer=pacer)
    assert await sender.drain() == 60
    times = [t for t, _ in stamps]
    assert max(sum(1 for u in times if t <= u < t + 1) for t in times) <= 30
    assert times[-1] >= 59 / 30  # it did not just fire everything at once

    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "lodging")
    assert await sender.drain() == 60
    assert len(stamps) == 120
    times = sorted(t for t, _ in stamps)
    assert max(sum(1 for u in times if t <= u < t + 1) for t in times) <= 30
    per_chat: dict[int, list[float]] = {}
    for t, chat in stamps:
        per_chat.setdefault(chat, []).append(t)
    assert all(b - a >= 1 for ts in per_chat.values() for a, b in zip(ts, ts[1:], strict=False))


class LateTime(VirtualTime):
    """Wakes every sleeper a millisecond late, as asyncio's timers may."""

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + 0.001


async def test_late_wake_ups_do_not_slow_the_pace():
    late = LateTime()
    pacer = Pacer(clock=late.clock, sleep=late.sleep)
    intervals = int(10 * GLOBAL_PER_SECOND)
    taken = []
    for chat_id in range(intervals + 1):
        await pacer.slot(chat_id)
        taken.append(late.now)
    assert max(sum(1 for u in taken if t <= u < t + 1) for t in taken) <= 30  # Telegram's
    # 10 s of intervals; were each a millisecond late, they would take 10 s + `intervals` ms.
    assert taken[-1] - taken[0] < 10.01


async def test_a_second_message_to_one_chat_waits_a_second_while_others_go(sim, world):
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "lodging")
    sender = sender_for(sim)
    assert await sender.drain() == 1
    waiting = await OutboxItem.get(status="pending")
    assert waiting.next_attempt_at == NOON + timedelta(seconds=1)
    sender.pacer.clock = lambda: 10.0
    sender.wall_clock = lambda: NOON + timedelta(seconds=1)
    assert await sender.drain() == 1


async def test_a_returned_plan_is_told_to_its_preparer(sim, world):
    from core.services import iaps

    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id)
    await iaps.add_measure(
        world.teacher_a,
        iap.id,
        kind="material",
        support_type="meals",
        planned_quantity=3,
        risk_factors=["material_conditions"],
    )
    await iaps.record_consent(world.parent_a1, iap.id, given=True)
    await iaps.submit_for_approval(world.teacher_a, iap.id)
    await iaps.return_iap(world.coordinator_a, iap.id, "Plan the months")
    assert await sender_for(sim).drain() == 1
    told = sim.user(101).last.text
    assert told.startswith("Atbalsta plāns skolēnam Anna Kalnina ir atgriezts projekta statusā.")
    assert "Komentārs: Plan the months" in told


async def test_a_drain_stops_after_the_batch_in_which_the_lease_was_lost(sim, world):
    await parents(world, 12)
    await questions(world)  # 13 parents, one question each
    leader = iter([True])

    async def still_leader() -> bool:
        return next(leader, False)  # lost during the second batch

    sent = await sender_for(sim).drain(limit=5, still_leader=still_leader)
    assert 5 <= sent <= 10  # two batches of five at most (a batch may repeat one still queued)
    assert await OutboxItem.filter(status="pending").count() == 13 - sent  # for the next leader


async def test_after_a_drain_fails_half_way_the_next_one_sends_everything(sim, world):
    await parents(world, 12)
    await questions(world)  # 13 parents, one question each

    async def redis_gone() -> bool:
        raise ConnectionError("the lease cannot be checked")

    sender = sender_for(sim)
    try:
        await sender.drain(limit=13, still_leader=redis_gone)
    except* ConnectionError:
        pass
    for second in range(3):  # the claims of the failed drain have lapsed; a chat may wait 1 s
        sender.wall_clock = lambda second=second: NOON + timedelta(minutes=10, seconds=2 * second)
        await sender.pacer.sleep(2)  # the Pacer's virtual time moves with the wall clock
        await sender.drain()
    assert await OutboxItem.filter(status="sent").count() == 13


async def test_of_two_instances_on_one_redis_only_the_lease_holder_sends(redis_url):
    from redis.asyncio import Redis

    from bot.running import SENDER_LEASE_KEY, SENDER_LEASE_SECONDS
    from storage.redis import Lease

    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    await first.delete(SENDER_LEASE_KEY)
    leases = [Lease(r, SENDER_LEASE_KEY, SENDER_LEASE_SECONDS) for r in (first, second)]
    assert [await lease.hold() for lease in leases] == [True, False]
    assert [await lease.hold() for lease in leases] == [True, False]  # renewed, still the first's
    await first.delete(SENDER_LEASE_KEY)  # the first instance died and its lease ran out
    assert await leases[1].hold()
    assert not await leases[0].hold()  # the first comes back: the lease is the second's now
    assert await leases[1].hold()
    await first.aclose()
    await second.aclose()
