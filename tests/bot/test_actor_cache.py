"""The actor (person and roles) is kept between updates, and forgotten as soon as it changes."""

from redis.asyncio import Redis

import bot.actors
from bot.actors import ActorCache
from bot.session import RecordingSession
from core.person_changes import person_changed
from core.services import outbox
from core.services.people import create_invite, person_for_telegram, set_locale
from core.services.privacy import erase_student
from storage.models import Person
from storage.query_counter import count_queries
from tests.bot.conftest import make_simulator


async def test_the_person_is_read_once_then_kept(sim, world):
    teacher = sim.user(101)  # world.teacher_a
    with count_queries() as first:
        await teacher.send("/help")
    with count_queries() as second:
        replies = await teacher.send("/help")
    assert first.queries >= 2  # the person and their memberships
    assert second.queries == 0
    assert "/absent" in replies[-1].text


async def test_the_same_rows_give_the_same_actor_until_they_change(db, redis, world):
    cache = ActorCache(redis)
    await cache.actor(101)  # world.teacher_a, read and kept
    first = await cache.actor(101)
    assert await cache.actor(101) is first  # not made anew from the kept rows on every update
    await set_locale(world.teacher_a.id, "ru")  # the core tells the cache
    await cache.actor(101)  # read again
    changed = await cache.actor(101)
    assert changed is not first
    assert (first.locale, changed.locale) == ("lv", "ru")
    assert await cache.actor(101) is changed


async def test_a_role_gained_by_invite_counts_on_the_next_update(sim, world):
    outsider = sim.user(110)  # world.outsider: a person without roles
    assert "/absent" not in (await outsider.send("/help"))[-1].text
    issued = await create_invite(world.coordinator_a, "teacher", school_id=world.school_a.id)
    await outsider.send(f"/start {issued.code}")
    assert "/absent" in (await outsider.send("/help"))[-1].text


async def test_a_parent_whose_only_child_is_erased_is_a_stranger_at_once(sim, world):
    parent = sim.user(108)  # world.parent_a1
    assert "/needs" in (await parent.send("/help"))[-1].text
    assert await erase_student(world.student_a1.id)
    replies = await parent.send("/needs")
    assert "/needs" not in replies[-1].text
    assert await person_for_telegram(108) is None


async def test_someone_marked_unreachable_while_kept_is_reachable_when_they_write(sim, world):
    teacher = sim.user(101)
    await teacher.send("/help")  # kept: reachable
    await outbox.mark_unreachable(-1, world.teacher_a.id, "Forbidden: bot was blocked by the user")
    assert (await Person.get(id=world.teacher_a.id)).unreachable
    await teacher.send("/help")
    assert not (await Person.get(id=world.teacher_a.id)).unreachable


async def test_a_load_that_began_before_a_change_is_not_kept(db, redis, world, monkeypatch):
    cache = ActorCache(redis)

    async def changed_meanwhile(telegram_id: int):
        actor = await person_for_telegram(telegram_id)  # the old rows, read before the change
        await person_changed(actor.id, telegram_id)
        return actor

    monkeypatch.setattr(bot.actors, "person_for_telegram", changed_meanwhile)
    await cache.actor(101)
    monkeypatch.undo()
    with count_queries() as after_change:
        await cache.actor(101)
    assert after_change.queries >= 2  # read again, not the copy loaded before the change
    with count_queries() as kept:
        actor = await cache.actor(101)
    assert kept.queries == 0
    assert actor.staff_school_ids == {world.school_a.id}
    assert actor.person.created_at == world.teacher_a.person.created_at


async def test_instances_sharing_redis_agree_on_a_new_language(db, redis_url, world):
    redis = Redis.from_url(redis_url)
    telegram = RecordingSession()
    first, second = await make_simulator(redis, telegram), await make_simulator(redis, telegram)
    teacher_on_second = second.user(101)
    assert "Ko es varu" in (await teacher_on_second.send("/help"))[-1].text  # kept, in Latvian
    teacher_on_first = first.user(101)
    await teacher_on_first.send("/language")
    await teacher_on_first.press("Русский")
    assert "Что я могу" in (await teacher_on_second.send("/help"))[-1].text
    await redis.aclose()


async def test_without_redis_an_entry_expires(db, world, monkeypatch):
    cache = ActorCache()
    clock = [1000.0]
    monkeypatch.setattr(bot.actors.time, "time", lambda: clock[0])
    await cache.actor(101)
    clock[0] += ActorCache.MEMORY_TTL_SECONDS + 1
    with count_queries() as expired:
        await cache.actor(101)
    assert expired.queries >= 2
