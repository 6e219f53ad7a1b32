"""Update middlewares: who is writing, drop redelivered updates, slow down a flood."""

import logging
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User
from aiogram.utils.i18n import gettext as _
from redis.asyncio import Redis

from core.services.people import mark_reachable, person_for_telegram

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ActorMiddleware(BaseMiddleware):
    """Puts the known person (with their roles) into `actor`, or None for a stranger.

    A person once marked unreachable (they had blocked the bot) who writes again is reachable.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        actor = await person_for_telegram(user.id) if user else None
        if actor is not None and actor.person.unreachable:
            await mark_reachable(actor.id)
        data["actor"] = actor
        return await handler(event, data)


class DedupeMiddleware(BaseMiddleware):
    """An update seen twice (Telegram redelivers what was not acknowledged) has its effect once.

    The mark is taken before handling and given back if handling fails, so a crash loses nothing.
    """

    KEY = "pumpurs:update:{}"
    TTL_SECONDS = 24 * 3600
    MEMORY_SIZE = 10_000

    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis
        self.seen: OrderedDict[int, None] = OrderedDict()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if not await self._claim(event.update_id):
            log.info("update %s seen before: skipped", event.update_id)
            return None
        try:
            return await handler(event, data)
        except BaseException:
            await self._release(event.update_id)
            raise

    async def _claim(self, update_id: int) -> bool:
        if self.redis is not None:
            key = self.KEY.format(update_id)
            return bool(await self.redis.set(key, 1, nx=True, ex=self.TTL_SECONDS))
        if update_id in self.seen:
            return False
        self.seen[update_id] = None
        if len(self.seen) > self.MEMORY_SIZE:
            self.seen.popitem(last=False)
        return True

    async def _release(self, update_id: int) -> None:
        if self.redis is not None:
            await self.redis.delete(self.KEY.format(update_id))
        else:
            self.seen.pop(update_id, None)


class FloodMiddleware(BaseMiddleware):
    """A user sending more than `limit` updates in `window` seconds is told once, then ignored
    until the window passes; other users are not slowed."""

    KEY = "pumpurs:flood:{}:{}"

    def __init__(self, limit: int, window: int, redis: Redis | None = None) -> None:
        self.limit, self.window, self.redis = limit, window, redis
        self.recent: defaultdict[int, deque[float]] = defaultdict(deque)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        count = await self._count(user.id)
        if count <= self.limit:
            return await handler(event, data)
        if count == self.limit + 1:
            notice = _("You are sending messages very fast. Please wait a few seconds.")
            if isinstance(event, Message):
                await event.answer(notice)
            elif isinstance(event, CallbackQuery):
                await event.answer(notice, show_alert=True)
        return None

    async def _count(self, user_id: int) -> int:
        """How many updates this user sent in the current window, this one included."""
        if self.redis is not None:
            key = self.KEY.format(user_id, int(time.time()) // self.window)
            async with self.redis.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(key).expire(key, self.window * 2).execute()
            return int(count)
        now = time.monotonic()
        stamps = self.recent[user_id]
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        stamps.append(now)
        return len(stamps)
