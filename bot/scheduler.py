"""The schedule: every Monday morning (Riga time) each coordinator's digest is queued; every
morning the day's reminders (plans to prepare, to review, waiting for approval)."""

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core import clock, kept
from core.clock import RIGA
from core.digest import Week
from core.services.digests import enqueue_weekly_digests
from core.services.reminders import queue_reminders
from handlers.pickers import drop_expired_buttons

log = logging.getLogger(__name__)
RUN_KEY = "pumpurs:weekly-digest:{}"
RUN_KEY_SECONDS = 8 * 24 * 3600
CATCH_UP = timedelta(hours=6)  # a run missed while no instance was up is made up until then
REMINDERS_CRON = "30 8 * * *"  # every day at 08:30 in Riga, after the default quiet hours
REMINDERS_KEY = "pumpurs:reminders:{}"
REMINDERS_KEY_SECONDS = 2 * 24 * 3600


def digest_trigger(crontab: str) -> CronTrigger:
    """E.g. `0 8 * * mon`: Mondays at 08:00 on Riga's wall clock, summer or winter."""
    return CronTrigger.from_crontab(crontab, timezone=RIGA)


async def queue_last_weeks_digests(redis: Redis | None) -> int:
    """Queue the digest of the week that just ended; with several instances, one does it.

    Redis lets the first instance through; the outbox's unique key would stop a duplicate anyway,
    so without Redis each instance queues them.
    """
    week = Week.current().previous()
    if redis is not None:
        try:
            first = await redis.set(RUN_KEY.format(week.start), 1, nx=True, ex=RUN_KEY_SECONDS)
        except RedisError as error:  # the week's digests must not wait for Redis
            log.warning("weekly digests: Redis failed (%s); queued anyway", type(error).__name__)
        else:
            if not first:
                return 0
    count = await enqueue_weekly_digests(week)
    log.info("weekly digests of %s queued for %d coordinators", week.start, count)
    return count


async def queue_todays_reminders(redis: Redis | None) -> dict[str, int] | None:
    """Queue the day's reminders; with several instances, one does it (as the digests)."""
    day = clock.today()
    if redis is not None:
        try:
            first = await redis.set(REMINDERS_KEY.format(day), 1, nx=True, ex=REMINDERS_KEY_SECONDS)
        except RedisError as error:
            log.warning("reminders: Redis failed (%s); queued anyway", type(error).__name__)
        else:
            if not first:
                return None
    counts = await queue_reminders(day)
    log.info("reminders of %s queued: %s", day, counts)
    return counts


def missed(trigger: CronTrigger, now: datetime) -> bool:
    """Whether a run fell due in the CATCH_UP hours before `now`: no instance was up to do it."""
    due = trigger.get_next_fire_time(None, now - CATCH_UP)
    return due is not None and due <= now


async def forget_expired_copies() -> None:
    """The names kept for the flows (class lists, students' labels, buttons) leave this
    instance's memory within FORGET_EVERY_SECONDS of expiring, even if nobody writes to it."""
    kept.drop_expired()
    drop_expired_buttons()


FORGET_EVERY_SECONDS = 60


def create_scheduler(
    crontab: str, redis: Redis | None, now: datetime | None = None
) -> AsyncIOScheduler:
    """The weekly and daily jobs; and, if this instance starts soon after a missed run, that run
    at once.

    APScheduler computes the first run from the start, so a run missed while every instance was
    down would wait a week. Making it up twice is harmless: see `queue_last_weeks_digests`.
    """
    trigger = digest_trigger(crontab)
    scheduler = AsyncIOScheduler(timezone=RIGA)
    scheduler.add_job(
        queue_last_weeks_digests,
        trigger,
        args=[redis],
        id="weekly-digest",
        coalesce=True,
        misfire_grace_time=int(CATCH_UP.total_seconds()),  # the loop was busy at the time
    )
    if missed(trigger, now or datetime.now(RIGA)):
        scheduler.add_job(queue_last_weeks_digests, args=[redis], id="weekly-digest-catch-up")
    reminders = digest_trigger(REMINDERS_CRON)
    scheduler.add_job(
        queue_todays_reminders,
        reminders,
        args=[redis],
        id="daily-reminders",
        coalesce=True,
        misfire_grace_time=int(CATCH_UP.total_seconds()),
    )
    if missed(reminders, now or datetime.now(RIGA)):
        scheduler.add_job(queue_todays_reminders, args=[redis], id="daily-reminders-catch-up")
    scheduler.add_job(
        forget_expired_copies, "interval", seconds=FORGET_EVERY_SECONDS, id="forget-expired"
    )
    return scheduler
