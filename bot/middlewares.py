"""Update middlewares: who is writing, drop redelivered updates, private chats only, slow down a
flood."""

import logging
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from aiogram import BaseMiddleware, Bot, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    InaccessibleMessage,
    Message,
    TelegramObject,
    Update,
    User,
)
from aiogram.utils.i18n import gettext as _
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.actors import ActorCache
from bot.arrival import UNREAD, AnyPipeline, ReadsOnArrival
from core.services.people import mark_reachable
from handlers.replies import stale_button

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ActorMiddleware(BaseMiddleware, ReadsOnArrival):
    """Puts the known person (with their roles) into `actor`, or None for a stranger.

    A person once marked unreachable (they had blocked the bot) who writes again is reachable.
    A stranger has no flow: one left by a person forgotten since (a parent whose only child was
    erased) ends here, with what they had typed, so their next tap is answered as stale.
    """

    ARRIVED = "actor_entry"  # the cache's entry, read on arrival

    def __init__(self, actors: ActorCache | None = None) -> None:
        self.actors = actors or ActorCache()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        entry = data.pop(self.ARRIVED, UNREAD)
        actor = await self.actors.actor(user.id, entry) if user else None
        if actor is not None and actor.person.unreachable:
            await mark_reachable(actor.id)
        if actor is None and data.get("raw_state") is not None:
            await data["state"].clear()
            data["raw_state"] = None
        data["actor"] = actor
        return await handler(event, data)

    def read_on_arrival(self, pipe: AnyPipeline, update: Update, data: dict[str, Any]) -> bool:
        """The sender's entry in the cache (Redis only)."""
        user: User | None = data.get("event_from_user")
        return user is not None and self.actors.queue_get(pipe, user.id)


class DedupeMiddleware(BaseMiddleware, ReadsOnArrival):
    """An update seen twice (Telegram redelivers what was not acknowledged) has its effect once.

    The mark is taken before handling and given back if handling fails, so a crash loses nothing.
    """

    KEY = "pumpurs:update:{}"
    ARRIVED = "update_claimed"  # whether the mark was taken on arrival
    TTL_SECONDS = 24 * 3600
    MEMORY_SIZE = 10_000

    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis
        self.seen: OrderedDict[int, None] = OrderedDict()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        arrived = data.get(self.ARRIVED, UNREAD)  # kept: `not_handled` may need it
        claimed = await self._claim(event.update_id) if arrived is UNREAD else bool(arrived)
        if not claimed:
            log.info("update %s seen before: skipped", event.update_id)
            return None
        try:
            return await handler(event, data)
        except BaseException:
            await self._release(event.update_id)
            raise

    def read_on_arrival(self, pipe: AnyPipeline, update: Update, data: dict[str, Any]) -> bool:
        """The update's mark, taken (Redis only)."""
        if self.redis is None:
            return False
        pipe.set(self.KEY.format(update.update_id), 1, nx=True, ex=self.TTL_SECONDS)
        return True

    async def not_handled(self, update: Update, data: dict[str, Any]) -> None:
        """The mark taken on arrival given back (best effort: Redis may be what failed)."""
        if data.get(self.ARRIVED):
            with suppress(RedisError):
                await self._release(update.update_id)

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


class PrivateChatsOnly(BaseMiddleware):
    """Only what a person sends in their own private chat with the bot reaches the handlers.

    Data about students is never shown where others read along. In a group, supergroup or channel
    the bot says at most once per NOTICE_SECONDS that it works in private chats, and leaves; a
    button tapped there, or in inline mode, gets that line as an alert seen by the tapper alone;
    anything without a sender, or in a private chat that is not the sender's, is ignored. A button
    under a message Telegram no longer shows the bot (an InaccessibleMessage) is answered as stale.
    News of the bot's own membership (my_chat_member) goes on: fallback.leave_group leaves.
    """

    KEY = "pumpurs:group-notice:{}"
    NOTICE_SECONDS = 3600
    MEMORY_SIZE = 10_000

    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis
        self.noticed: OrderedDict[int, float] = OrderedDict()

    def setup(self, router: Router) -> None:
        """Guard every kind of event (errors come from events already guarded)."""
        for name, observer in router.observers.items():
            if name not in {"update", "error"}:
                observer.outer_middleware(self)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if isinstance(event, CallbackQuery) and isinstance(event.message, InaccessibleMessage):
            # A message Telegram no longer shows the bot (too old, or deleted): its buttons are
            # stale, and handlers get only taps on a message they can read and edit.
            with suppress(TelegramAPIError):
                await stale_button(event)
            return None
        if _is_own_chat(user, chat) or isinstance(event, ChatMemberUpdated):
            return await handler(event, data)
        notice = _("Please write to me in a private chat.")
        bot: Bot = data["bot"]
        with suppress(TelegramAPIError):
            if isinstance(event, CallbackQuery):
                await event.answer(notice, show_alert=True)
            elif (
                chat is not None
                and _someone_wrote_in_group(event, user, chat)
                and await self._first_notice(chat.id)
            ):
                await bot.send_message(chat.id, notice)
        if chat is not None and chat.type != ChatType.PRIVATE:
            with suppress(TelegramAPIError):
                await bot.leave_chat(chat.id)
        return None

    async def _first_notice(self, chat_id: int) -> bool:
        """True once per chat and NOTICE_SECONDS (False when Redis cannot tell: stay quiet)."""
        if self.redis is not None:
            key = self.KEY.format(chat_id)
            try:
                return bool(await self.redis.set(key, 1, nx=True, ex=self.NOTICE_SECONDS))
            except RedisError:
                return False
        now = time.monotonic()
        last = self.noticed.get(chat_id)
        if last is not None and now - last < self.NOTICE_SECONDS:
            return False
        self.noticed[chat_id] = now
        self.noticed.move_to_end(chat_id)
        if len(self.noticed) > self.MEMORY_SIZE:
            self.noticed.popitem(last=False)
        return True


def _is_own_chat(user: User | None, chat: Chat | None) -> bool:
    """The sender's private chat with the bot (its id is the sender's id)."""
    return (
        user is not None
        and chat is not None
        and chat.type == ChatType.PRIVATE
        and chat.id == user.id
    )


def _someone_wrote_in_group(event: TelegramObject, user: User | None, chat: Chat | None) -> bool:
    return (
        isinstance(event, Message)
        and user is not None
        and chat is not None
        and chat.type in {ChatType.GROUP, ChatType.SUPERGROUP}
    )


class FloodMiddleware(BaseMiddleware, ReadsOnArrival):
    """A user sending more than `limit` updates in `window` seconds is told once, then ignored
    until the window passes; other users are not slowed. An ignored tap is still answered, so its
    button does not spin until Telegram gives up."""

    KEY = "pumpurs:flood:{}:{}"
    ARRIVED = "flood_count"  # the sender's count, taken on arrival
    EVENTS = ("message", "callback_query")  # the updates counted
    # INCR and EXPIRE at once, as MULTI/EXEC would: one command, half a pipeline's CPU here.
    COUNT = """
        local count = redis.call('INCR', KEYS[1])
        redis.call('EXPIRE', KEYS[1], ARGV[1])
        return count
    """

    def __init__(self, limit: int, window: int, redis: Redis | None = None) -> None:
        self.limit, self.window, self.redis = limit, window, redis
        self.counter = redis.register_script(self.COUNT) if redis is not None else None
        self.recent: defaultdict[int, deque[float]] = defaultdict(deque)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        arrived = data.pop(self.ARRIVED, UNREAD)
        count = await self._count(user.id) if arrived is UNREAD else int(arrived)
        if count <= self.limit:
            return await handler(event, data)
        first = count == self.limit + 1
        notice = _("You are sending messages very fast. Please wait a few seconds.")
        if isinstance(event, CallbackQuery):
            await event.answer(notice if first else None, show_alert=first)
        elif isinstance(event, Message) and first:
            await event.answer(notice)
        return None

    def read_on_arrival(self, pipe: AnyPipeline, update: Update, data: dict[str, Any]) -> bool:
        """The sender's count, taken, for a message or a tap in the sender's own chat (Redis
        only): what PrivateChatsOnly lets through to this middleware, but for a tap under a
        message Telegram no longer shows, which it answers as stale."""
        user: User | None = data.get("event_from_user")
        counted = any(getattr(update, event) is not None for event in self.EVENTS)
        if self.redis is None or not counted or not _is_own_chat(user, data.get("event_chat")):
            return False
        assert user is not None  # an own chat has a sender
        # EVAL with the script, not EVALSHA: a script in a pipeline would cost a SCRIPT EXISTS.
        pipe.eval(self.COUNT, 1, self._key(user.id), self.window * 2)
        return True

    def setup(self, router: Router) -> None:
        """Count the messages and taps (a flood of anything else is Telegram's own)."""
        for event in self.EVENTS:
            router.observers[event].outer_middleware(self)

    async def _count(self, user_id: int) -> int:
        """How many updates this user sent in the current window, this one included."""
        if self.counter is not None:
            return int(await self.counter(keys=[self._key(user_id)], args=[self.window * 2]))
        now = time.monotonic()
        stamps = self.recent[user_id]
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        stamps.append(now)
        return len(stamps)

    def _key(self, user_id: int) -> str:
        return self.KEY.format(user_id, int(time.time()) // self.window)
