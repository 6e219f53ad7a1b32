"""With Redis FSM storage a step reads its user's state and data once (one MGET) and writes
only what changed; the flows behave as they did."""

import asyncio
from datetime import date

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis

from bot.fsm import ReadingLock, UpdateContext
from core import clock
from tests.bot.conftest import make_simulator

FRIDAY = date(2026, 2, 27)


@pytest.fixture(autouse=True)
def on_friday(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: FRIDAY)


def _on_fsm_keys(args) -> bool:
    keys = [str(arg) for arg in args[1:] if str(arg).startswith("fsm:")]
    return any(key.endswith((":state", ":data")) for key in keys)  # not the update's lock


def round_trips(redis: Redis, fsm_only: bool = False) -> list[str]:
    """The round trips to Redis, as they are sent: a command's name, or a pipeline's commands
    joined by "+"; with `fsm_only`, those on the users' FSM keys (state and data) alone."""
    sent: list[str] = []
    execute, pipeline = redis.execute_command, redis.pipeline

    async def counted(*args, **options):
        if not fsm_only or _on_fsm_keys(args):
            sent.append(args[0])
        return await execute(*args, **options)

    def counted_pipeline(*args, **options):
        pipe = pipeline(*args, **options)
        run = pipe.execute

        async def counted_run(*run_args, **run_options):
            stack = [command for command, _ in pipe.command_stack]
            if not fsm_only or any(_on_fsm_keys(command) for command in stack):
                sent.append("+".join(command[0] for command in stack))
            return await run(*run_args, **run_options)

        pipe.execute = counted_run
        return pipe

    redis.execute_command, redis.pipeline = counted, counted_pipeline
    return sent


async def test_a_step_reads_state_and_data_in_one_command_and_writes_what_changed(
    db, redis_url, world
):
    redis = Redis.from_url(redis_url)
    teacher = (await make_simulator(redis)).user(101)  # world.teacher_a
    await teacher.send("/absent")
    await teacher.press("7.a")
    sent = round_trips(redis, fsm_only=True)
    asked = await teacher.press("Anna Kalnina")
    assert asked[-1].text.startswith("Anna Kalnina, 27.02.2026.\nCik mācību stundu kavēts")
    # Before: GET state, GET data (the step), GET data and SET data (update_data), SET state,
    # GET data (the question): six round trips; then MGET, SET, SET: three. Now the state and
    # data read with the taking of the user's lock (SET NX), and the student and the lessons
    # step written together with the unlock (EVAL of redis-py's release script).
    taking = "SET+MGET+SET+GET+EVAL"  # with the update's mark, the actor, the flood count
    assert sent == [taking, "SET+SET+EVAL"]
    sent.clear()
    listed = await teacher.press("Atpakaļ")
    assert [text for text, _ in listed[-1].buttons()][:2] == ["Anna Kalnina", "Janis Ozols"]
    assert sent == [taking, "SET+EXPIRE+EVAL"]  # the state back; the data unchanged, renewed
    sent.clear()
    await teacher.press("Janis Ozols")
    listed = await teacher.send("4")
    assert "Janis Ozols · 4" in [text for text, _ in listed[-1].buttons()]
    saved = await teacher.press("Saglabāt")
    assert saved[-1].text.startswith("Saglabāts: 1 skolēns")
    await redis.aclose()


async def test_a_flow_left_half_way_expires_a_day_after_the_last_update(db, redis_url, world):
    redis = Redis.from_url(redis_url)
    teacher = (await make_simulator(redis)).user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    keys = await redis.keys("fsm:*")
    assert sorted(key.decode().rsplit(":", 1)[1] for key in keys) == ["data", "state"]
    for key in keys:
        await redis.expire(key, 60)  # as if the day were nearly over
    await teacher.press("Atpakaļ")  # the state written, the data not: both renewed
    left = [await redis.ttl(key) for key in keys]
    assert all(24 * 3600 - 60 < seconds <= 24 * 3600 for seconds in left), left
    await redis.aclose()


async def test_no_student_s_name_goes_to_redis_in_the_everyday_flows(db, redis_url, world):
    redis = Redis.from_url(redis_url)
    teacher = (await make_simulator(redis)).user(101)

    async def stored() -> str:
        keys = [key for key in await redis.keys("fsm:*") if not key.endswith(b":lock")]
        return " ".join([(await redis.get(key) or b"").decode() for key in keys])

    await teacher.send("/absent")
    await teacher.press("7.a")
    asked = await teacher.press("Anna Kalnina")
    assert asked[-1].text.startswith("Anna Kalnina, ")
    again = await teacher.send("many")  # the question again, her name in it
    assert "Anna Kalnina" in again[-1].text
    assert "Kalnina" not in await stored()
    await teacher.send("/risk")
    await teacher.press("7.a")
    groups = await teacher.press("Anna Kalnina")
    assert groups[-1].text.startswith("Anna Kalnina, 7.a\n")
    await teacher.press("Mācību darba")
    await teacher.press("Neattaisnoti kavējumi")
    await teacher.send("3")
    summary = await teacher.send("Kavē pirmdienās")
    assert "Skolēns: Anna Kalnina, 7.a" in summary[-1].text
    assert "Kalnina" not in await stored()
    await redis.aclose()


async def test_a_cancelled_flow_leaves_nothing_in_redis(db, redis_url, world):
    redis = Redis.from_url(redis_url)
    teacher = (await make_simulator(redis)).user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    assert await redis.keys("fsm:*")
    await teacher.send("/cancel")
    assert await redis.keys("fsm:*") == []
    await redis.aclose()


async def test_a_tap_takes_two_round_trips_to_redis_in_all(db, redis_url, world):
    redis = Redis.from_url(redis_url)
    teacher = (await make_simulator(redis, flood_window_seconds=60)).user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    marks = len(await redis.keys("pumpurs:update:*"))
    sent = round_trips(redis)
    await teacher.press("Anna Kalnina")
    # Eight round trips once, then six: the update's mark, the actor kept, the user's lock with
    # the state and data read, the flood count, the writes, the unlock. Now two: the lock taken
    # with the state and data read, the update's mark taken, the actor kept read and the flood
    # count taken (INCR and EXPIRE in one script); then the writes with the unlock.
    assert sent == ["SET+MGET+SET+GET+EVAL", "SET+SET+EVAL"]
    assert await redis.keys("fsm:*:lock") == []
    assert len(await redis.keys("pumpurs:update:*")) == marks + 1
    flood = await redis.keys("pumpurs:flood:101:*")
    assert len(flood) == 1 and await redis.get(flood[0]) == b"3"
    assert 0 < await redis.ttl(flood[0]) <= 120
    await redis.aclose()


async def test_the_state_is_read_only_once_the_users_lock_is_taken(redis_url):
    redis = Redis.from_url(redis_url)
    storage = RedisStorage(redis)
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    context = UpdateContext(storage, key, version="1")
    name = storage.key_builder.build(key, "lock")
    await redis.set(name, "another update")
    lock = ReadingLock(redis, name, timeout=60, sleep=0.01)
    lock.context = context
    taking = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0.05)
    assert not taking.done()  # read with each try, kept by none
    await storage.set_state(key, "1|written by the other update")
    await redis.delete(name)
    assert await taking
    assert await context.get_state() == "written by the other update"
    await lock.release()
    assert await redis.get(name) is None
    await redis.aclose()


async def tap_behind_another_update(sim, redis: Redis, user, label: str):
    """The user's lock held as by another update of theirs, then `label` tapped: the lock's key,
    and the tap waiting its turn (a task)."""
    key = StorageKey(bot_id=sim.bot.id, chat_id=user.id, user_id=user.id)
    lock = sim.dispatcher.fsm.events_isolation.key_builder.build(key, "lock")
    await redis.set(lock, "another update of this user")
    return lock, asyncio.create_task(user.press(label))


async def test_an_update_waiting_for_its_users_lock_is_marked_and_counted_once(
    db, redis_url, world
):
    redis = Redis.from_url(redis_url)
    sim = await make_simulator(redis, flood_window_seconds=60)
    teacher = sim.user(101)
    await teacher.send("/absent")
    lock, tapping = await tap_behind_another_update(sim, redis, teacher, "7.a")
    await asyncio.sleep(0.35)  # the lock is tried every 0.1 s
    assert not tapping.done()
    await redis.delete(lock)
    listed = await tapping
    assert [text for text, _ in listed[-1].buttons()][:2] == ["Anna Kalnina", "Janis Ozols"]
    (flood,) = await redis.keys("pumpurs:flood:101:*")
    assert await redis.get(flood) == b"2"  # the /absent and the tap, however many tries
    assert len(await redis.keys("pumpurs:update:*")) == 2
    await redis.aclose()


async def test_a_flow_left_half_way_by_other_code_is_answered_as_stale_and_gone(
    db, redis_url, world
):
    redis = Redis.from_url(redis_url)
    before = await make_simulator(redis)
    await before.user(101).send("/absent")
    await before.user(101).press("7.a")
    after = await make_simulator(redis, session=before.session)  # the bot deployed anew
    after.dispatcher.fsm.version = "other code"
    teacher = after.user(101)
    await teacher.press("Anna Kalnina")  # a button of the flow begun before
    assert teacher.alerts[-1] == "Šī poga vairs nav aktīva. Sāciet no jauna izvēlnē /menu."
    assert await redis.keys("fsm:*") == []
    await teacher.send("/absent")
    asked = await teacher.press("7.a")
    assert [text for text, _ in asked[-1].buttons()][:2] == ["Anna Kalnina", "Janis Ozols"]
    await redis.aclose()


async def test_an_update_given_up_while_waiting_for_its_users_lock_is_handled_when_redelivered(
    db, redis_url, world
):
    redis = Redis.from_url(redis_url)
    sim = await make_simulator(redis)
    teacher = sim.user(101)
    await teacher.send("/absent")
    lock, tapping = await tap_behind_another_update(sim, redis, teacher, "7.a")
    await asyncio.sleep(0.25)
    tapping.cancel()  # the instance stops while the tap waits its turn
    with pytest.raises(asyncio.CancelledError):
        await tapping
    await redis.delete(lock)
    await sim.feed(sim.updates[-1])  # Telegram sends the tap again
    listed = teacher.last
    assert [text for text, _ in listed.buttons()][:2] == ["Anna Kalnina", "Janis Ozols"]
    await redis.aclose()
