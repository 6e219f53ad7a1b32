"""Telegram's limits, shared by the outbox and the bot's replies: about 30 messages a second
overall, one a second to each chat.

The outbox's sender takes its messages' moments on a grid (`Pacer.slot`). A reply the handlers
make goes through the Bot's session (`PacedReplies`): while the outbox is sending, the reply
takes the grid's next moment before any outbox message does, so it waits one interval at most
and the outbox gives up that moment; while the outbox is idle the reply goes at once, and the
outbox counts it among the last second's messages when it starts. So the outbox uses the whole
budget when nobody is talking to the bot and leaves the room replies take when they do.
"""

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    CopyMessage,
    ForwardMessage,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

GLOBAL_PER_SECOND = 29.0  # Telegram allows 30 in any second: one stays free for network jitter
CHAT_INTERVAL_SECONDS = 1.0
TIMER_SLACK = 0.002  # asyncio wakes a sleeper up to a millisecond late: slots keep their grid
CHATS_REMEMBERED = 1000  # the Pacer forgets chats whose second is over beyond this many
SENDING_FOR = 1.0  # the outbox counts as sending this long after its last message
EPSILON = 1e-9  # a moment exactly a second ago is out of the last second, whatever the rounding
MESSAGES = (SendMessage, SendPhoto, SendDocument, SendMediaGroup, CopyMessage, ForwardMessage)
_from_outbox: ContextVar[bool] = ContextVar("sent_by_the_outbox", default=False)


@dataclass
class Pacer:
    """At most `per_second` messages a second overall, outbox and replies together, and one a
    second to each chat.

    A chat's second counts from Telegram's answer to its last message, so network delays can
    never bring two messages closer together at Telegram's end. `clock` is monotonic seconds;
    `sleep` waits. Both are injectable so tests can check pacing.
    """

    per_second: float = GLOBAL_PER_SECOND
    chat_interval: float = CHAT_INTERVAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _next_slot: float = 0.0
    _chat_free_at: dict[int, float] = field(default_factory=dict)
    _recent: deque[float] = field(default_factory=deque)  # the last second's messages
    _sending_until: float = -math.inf  # the outbox counts as sending until then

    @property
    def interval(self) -> float:
        return 1 / self.per_second

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until this chat may receive another message."""
        return max(0.0, self._chat_free_at.get(chat_id, 0.0) - self.clock())

    def window_wait(self) -> float:
        """Seconds until the last second holds fewer than `per_second` messages."""
        now = self.clock()
        while self._recent and self._recent[0] <= now - 1.0 + EPSILON:
            self._recent.popleft()
        if len(self._recent) < self.per_second:
            return 0.0
        return self._recent[0] + 1.0 - now

    async def slot(self, chat_id: int) -> None:
        """The outbox's turn: wait until the limits allow a message to this chat, then take the
        moment."""
        while (
            wait := max(self.chat_wait(chat_id), self._next_slot - self.clock(), self.window_wait())
        ) > 0:
            await self.sleep(wait)  # others may take the slot meanwhile: check again
        taken = max(self._next_slot, self.clock() - TIMER_SLACK)  # the slot's own moment
        self._next_slot = taken + self.interval
        self._recent.append(taken)
        self._sending_until = taken + SENDING_FOR

    async def reply_slot(self) -> None:
        """A reply's turn: ahead of the outbox's messages while it sends, at once when it does
        not; never more than one interval's wait, not even through a pause after a 429."""
        now = self.clock()
        taken = now
        if now < self._sending_until:
            taken = max(now - TIMER_SLACK, min(self._next_slot, now + self.interval))
            self._next_slot = max(self._next_slot, taken + self.interval)
        self._recent.append(taken)
        if taken > now:
            await self.sleep(taken - now)

    def answered(self, chat_id: int) -> None:
        """Telegram answered a message to this chat: its next one waits a second from now."""
        now = self.clock()
        if len(self._chat_free_at) >= CHATS_REMEMBERED:  # forget the chats free again
            self._chat_free_at = {c: t for c, t in self._chat_free_at.items() if t > now}
        self._chat_free_at[chat_id] = now + self.chat_interval

    def pause(self, seconds: float) -> None:
        """Telegram said 429: the outbox sends nothing for a while."""
        self._next_slot = max(self._next_slot, self.clock() + seconds)


class PacedReplies(BaseRequestMiddleware):
    """Every message the handlers send takes its turn from the Pacer the outbox shares."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if sent_by_the_outbox() or type(method) not in MESSAGES:
            return await make_request(bot, method)
        await self.pacer.reply_slot()
        try:
            return await make_request(bot, method)
        finally:
            if isinstance(chat_id := getattr(method, "chat_id", None), int):
                self.pacer.answered(chat_id)


def share_pacer(session: BaseSession, pacer: Pacer | None = None) -> Pacer:
    """The Pacer the session's replies take turns from: `pacer` from now on if given (the
    outbox's), else the one it has (a new one the first time)."""
    for middleware in session.middleware:
        if isinstance(middleware, PacedReplies):
            if pacer is not None:
                middleware.pacer = pacer
            return middleware.pacer
    pacer = pacer or Pacer()
    session.middleware(PacedReplies(pacer))
    return pacer


@contextmanager
def outbox_sending() -> Iterator[None]:
    """Calls made inside are the outbox's own: they took their turn with `Pacer.slot`, and a 429
    reschedules their item instead of being waited out (bot/retry.py)."""
    token = _from_outbox.set(True)
    try:
        yield
    finally:
        _from_outbox.reset(token)


def sent_by_the_outbox() -> bool:
    """Whether the call under way is the outbox's (made inside `outbox_sending()`)."""
    return _from_outbox.get()
