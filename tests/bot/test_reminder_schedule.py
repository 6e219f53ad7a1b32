"""The daily reminders: on the schedule, queued by one instance of several."""

import asyncio
from datetime import datetime

from redis.asyncio import Redis

from bot.scheduler import REMINDERS_CRON, create_scheduler, digest_trigger, queue_todays_reminders
from core.clock import RIGA


def test_reminders_are_queued_every_morning_at_0830_in_riga():
    trigger = digest_trigger(REMINDERS_CRON)
    after = trigger.get_next_fire_time(None, datetime(2026, 10, 24, 9, tzinfo=RIGA))
    assert after.isoformat() == "2026-10-25T08:30:00+02:00"  # the morning after the clock change


def test_an_instance_started_after_the_morning_run_makes_it_up():
    day = datetime(2026, 11, 23, tzinfo=RIGA)
    for hour, catch_up in ((7, False), (11, True), (16, False)):
        scheduler = create_scheduler("0 8 * * mon", None, now=day.replace(hour=hour))
        jobs = {job.id for job in scheduler.get_jobs()}
        assert "daily-reminders" in jobs
        assert ("daily-reminders-catch-up" in jobs) is catch_up, hour


async def test_two_instances_on_one_redis_queue_the_days_reminders_once(world, redis_url):
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    runs = await asyncio.gather(queue_todays_reminders(first), queue_todays_reminders(second))
    assert sorted(run is None for run in runs) == [False, True]
    await first.aclose()
    await second.aclose()
