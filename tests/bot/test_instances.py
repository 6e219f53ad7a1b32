"""Several instances on one Redis, and a user flooding the bot."""

from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Chat
from redis.asyncio import Redis

from bot.session import RecordingSession
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


async def test_what_a_user_says_in_a_group_does_not_count_towards_their_limit(db, redis_url):
    """With Redis, where the count is taken as the update arrives, before the chat is checked."""
    redis = Redis.from_url(redis_url)
    simulator = await make_simulator(redis, flood_limit=3, flood_window_seconds=60)
    user = simulator.user(7202)
    group = Chat(id=-1007202, type="group", title="7.a")
    for _ in range(4):
        await user.send("sveiki", chat=group)  # turned away: the bot works in private chats
    answers = [await user.send("/help") for _ in range(3)]
    assert [[("ļoti ātri" in sent.text) for sent in a] for a in answers] == [[False]] * 3
    await redis.aclose()


async def test_a_flow_started_on_one_instance_continues_on_another(db, redis_url, world):
    redis = Redis.from_url(redis_url)
    telegram = RecordingSession()
    first, second = await make_simulator(redis, telegram), await make_simulator(redis, telegram)
    teacher_on_first, teacher_on_second = first.user(101), second.user(101)
    await teacher_on_first.send("/absent")
    classes = teacher_on_first.last
    # The next tap reaches the other instance: the state lives in Redis, not in the process.
    _, data = teacher_on_first.find_button("7.a")
    ticked = await teacher_on_second.press_data(data, classes)
    assert "Anna Kalnina" in [text for text, _ in ticked[-1].buttons()]
    await redis.aclose()


async def test_taps_over_the_flood_limit_stop_spinning_with_one_notice(db, redis):
    simulator = await make_simulator(redis, flood_limit=3, flood_window_seconds=60)
    tapper = simulator.user(7300)
    await tapper.send("/menu")
    for _ in range(6):
        await tapper.press_data("m:nothing")  # stale: each tap the bot handles gets an alert
    answered = [
        call.callback_query_id
        for call in simulator.session.calls
        if isinstance(call, AnswerCallbackQuery)
    ]
    assert len(answered) == len(set(answered)) == 6  # every tap answered, none twice
    notices = [alert for alert in tapper.alerts if "ļoti ātri" in alert]
    assert len(notices) == 1
