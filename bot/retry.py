"""A reply Telegram refused with 429 for a short while is sent once more after the wait.

Registered on the Bot's session, so it covers every reply the handlers make. The outbox sender
paces itself and reschedules an item on 429 on its own: its calls (`outbox_sending()`) are left
alone here.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.pacing import sent_by_the_outbox

MAX_WAIT_SECONDS = 5  # longer waits are not worth holding the user's update for


class RetryAfterOnce(BaseRequestMiddleware):
    """On 429 with `retry_after` of at most `max_wait` seconds: wait, then try once more."""

    def __init__(
        self,
        max_wait: float = MAX_WAIT_SECONDS,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.max_wait, self.sleep = max_wait, sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as error:
            if sent_by_the_outbox() or error.retry_after > self.max_wait:
                raise
            await self.sleep(error.retry_after)
        return await make_request(bot, method)


def retry_replies(session: BaseSession) -> None:
    """Give the session the retry, once (a session shared by several bots has one)."""
    if not any(isinstance(middleware, RetryAfterOnce) for middleware in session.middleware):
        session.middleware(RetryAfterOnce())
