"""Several instances on one Redis, and a user flooding the bot."""

from redis.asyncio import Redis

from tests.bot.conftest import make_simulator


async def test_two_instances_sharing_redis_handle_a_redelivery_once(db, redis_url):
    redis = Redis.from_url(redis_url)
    first, second = await make_simulator(redis), await make_simulator(redis)
    on_first = await first.user(7100).send("/help", update_id=555)
    on_second = await second.user(7100).send("/help", update_id=555)
    assert len(on_first) == 1
    assert on_second == []
    await redis.aclose()


async def test_a_flooding_user_is_slowed_without_starving_others(db, redis):
    simulator = await make_simulator(redis, flood_limit=3, flood_window_seconds=60)
    flooder, other = simulator.user(7200), simulator.user(7201)
    answers = [await flooder.send("/help") for _ in range(6)]
    assert [len(a) for a in answers] == [1, 1, 1, 1, 0, 0]
    assert "ļoti ātri" in answers[3][0].text
    assert len(await other.send("/help")) == 1
