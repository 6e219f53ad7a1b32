"""The bot beside the API: updates by long polling or webhook, the outbox sent, the schedule.

Imported by `pumpurs serve` only when BOT_TOKEN is set: the API alone never loads aiogram.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.exceptions import ClientDecodeError, TelegramAPIError, TelegramRetryAfter
from aiogram.utils.i18n import I18n
from fastapi import FastAPI
from redis.asyncio import Redis

from api.health import RUNNING, STARTING, BotStatus, bot_status
from bot.factory import create_bot, create_dispatcher, set_commands
from bot.i18n import create_i18n
from bot.scheduler import create_scheduler
from bot.sender import Sender
from bot.settings import BotSettings
from bot.webhook import WEBHOOK_PATH, serve_webhook, webhook_secret
from storage.redis import Lease, connect_redis

log = logging.getLogger(__name__)
SENDER_PAUSE_SECONDS = 1
SENDER_LEASE_KEY = "pumpurs:sender"
SENDER_LEASE_SECONDS = 30  # renewed every ten seconds while draining, and after each batch
RETRY_FIRST_SECONDS = 1.0  # reaching Telegram at start: the first pause, doubled each time ...
RETRY_MAX_SECONDS = 60.0  # ... up to this


async def send_forever(bot: Bot, i18n: I18n, redis: Redis | None) -> None:
    """Drain the outbox again and again; with Redis, only the instance holding the lease sends."""
    sender = Sender(bot, i18n)
    lease = Lease(redis, SENDER_LEASE_KEY, ttl_seconds=SENDER_LEASE_SECONDS) if redis else None
    while True:
        try:
            if lease is None:
                await sender.drain()
            elif await lease.hold():
                await drain_holding(sender, lease)
        except Exception as error:  # the loop must outlive a bad round; items stay in the outbox
            log.error("sending the outbox failed: %s", type(error).__name__)
        await asyncio.sleep(SENDER_PAUSE_SECONDS)


async def drain_holding(sender: Sender, lease: Lease) -> None:
    """Drain while renewing the lease, also through a long 429 pause between two batches."""

    async def renew() -> None:
        held = True
        while held:
            await asyncio.sleep(SENDER_LEASE_SECONDS / 3)
            held = await lease.hold()  # once lost, `still_leader` ends the drain after its batch

    renewing = asyncio.create_task(renew())
    try:
        await sender.drain(still_leader=lease.hold)
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing


def start_bot(app: FastAPI, settings: BotSettings, stack: contextlib.AsyncExitStack) -> None:
    """Wire the bot into the app and start it in the background: the API serves meanwhile.

    What it starts is stopped, and what it opens closed, through `stack`, in reverse order.
    """
    redis = connect_redis(settings.redis_url) if settings.redis_url else None
    if redis is not None:
        stack.push_async_callback(redis.aclose)
    i18n = create_i18n()
    bot = create_bot(settings)
    stack.push_async_callback(bot.session.close)
    dispatcher: Dispatcher = create_dispatcher(settings, redis=redis, i18n=i18n)
    scheduler = create_scheduler(settings.digest_cron, redis)
    scheduler.start()
    stack.callback(scheduler.shutdown, wait=False)
    if settings.webhook_url:
        secret = webhook_secret(settings.bot_token or "", settings.webhook_secret)
        serve_webhook(app, dispatcher, bot, secret)
    status = bot_status(app)
    status.state = STARTING
    running = run_bot(bot, dispatcher, i18n, redis, settings, status)
    stack.push_async_callback(stop, asyncio.create_task(running))


async def run_bot(
    bot: Bot,
    dispatcher: Dispatcher,
    i18n: I18n,
    redis: Redis | None,
    settings: BotSettings,
    status: BotStatus,
) -> None:
    """Reach Telegram, trying again until it answers; then take updates and send the outbox.

    Long polling retries its own requests (aiogram backs off up to 5 s); the sender retries
    each item. Both start only once Telegram has answered.
    """
    await until_answered(lambda: connect(bot, dispatcher, i18n, settings), status)
    status.state = RUNNING
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(send_forever(bot, i18n, redis))
        if not settings.webhook_url:
            polling = dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
            tasks.create_task(polling)


async def connect(bot: Bot, dispatcher: Dispatcher, i18n: I18n, settings: BotSettings) -> None:
    """The command menu, who the bot is, and where its updates come from: webhook or polling."""
    await set_commands(bot, i18n)
    await bot.me()
    if settings.webhook_url:
        await bot.set_webhook(
            settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
            secret_token=webhook_secret(settings.bot_token or "", settings.webhook_secret),
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
        log.info("bot: webhook set")
    else:
        await bot.delete_webhook()
        log.info("bot: long polling")


async def until_answered(attempt: Callable[[], Awaitable[None]], status: BotStatus) -> None:
    """Run `attempt` until Telegram answers it, pausing 1 s, 2 s, 4 s ... up to a minute."""
    pause = RETRY_FIRST_SECONDS
    while True:
        try:
            return await attempt()
        except (TelegramAPIError, ClientDecodeError) as error:  # unreachable, 5xx, 429, bad token
            status.retrying(error)
            wait = max(pause, error.retry_after if isinstance(error, TelegramRetryAfter) else 0)
            log.warning(
                "bot: Telegram did not answer (%s); trying again in %g s",
                type(error).__name__,
                wait,
            )
            await asyncio.sleep(wait)
            pause = min(2 * pause, RETRY_MAX_SECONDS)


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
