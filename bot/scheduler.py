"""The weekly schedule: every Monday morning (Riga time) each coordinator's digest is queued."""

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from redis.asyncio import Redis

from core.clock import RIGA
from core.digest import Week
from core.services.digests import enqueue_weekly_digests

log = logging.getLogger(__name__)
RUN_KEY = "pumpurs:weekly-digest:{}"
RUN_KEY_SECONDS = 8 * 24 * 3600


def digest_trigger(crontab: str) -> CronTrigger:
    """E.g. `0 8 * * mon`: Mondays at 08:00 on Riga's wall clock, summer or winter."""
    return CronTrigger.from_crontab(crontab, timezone=RIGA)


async def queue_last_weeks_digests(redis: Redis | None) -> int:
    """Queue the digest of the week that just ended; with several instances, one does it.

    Redis lets the first instance through; the outbox's unique key would stop a duplicate anyway.
    """
    week = Week.current().previous()
    if redis is not None:
        first = await redis.set(RUN_KEY.format(week.start), 1, nx=True, ex=RUN_KEY_SECONDS)
        if not first:
            return 0
    count = await enqueue_weekly_digests(week)
    log.info("weekly digests of %s queued for %d coordinators", week.start, count)
    return count


def create_scheduler(crontab: str, redis: Redis | None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=RIGA)
    scheduler.add_job(
        queue_last_weeks_digests,
        digest_trigger(crontab),
        args=[redis],
        id="weekly-digest",
        coalesce=True,
        misfire_grace_time=6 * 3600,  # an instance that was down at 08:00 still sends by noon
    )
    return scheduler
