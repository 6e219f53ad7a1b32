"""A tap's answer sent back as the webhook's answer: one Bot API request fewer a tap.

Telegram lets a bot answer a webhook request with one Bot API call, which Telegram makes as if the
bot had sent it ("Making requests when getting updates" in the Bot API); the bot does not learn
how it went. Most updates are taps, and each tap is answered (answerCallbackQuery: the button
stops spinning, sometimes with an alert), a call whose result is always True. While the webhook
handles an update, its first such answer is kept and sent back in the webhook's answer instead of
as a request of its own; the spinner stops when the update is handled (milliseconds later for
a step; a slow one, such as a PDF, spins until it is sent). A toast (a text, not an alert:
"Preparing the report...") announces work under way, so it goes at once. A second answer to the
tap (an error's alert after the tap was answered) goes as a request: it reaches Telegram first
and is shown, and the kept one then finds the tap answered.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from fastapi import Response as HttpResponse

from bot.json_session import call_fields


class KeptAnswer:
    """The answer kept while one update is handled."""

    def __init__(self) -> None:
        self.method: AnswerCallbackQuery | None = None
        self.open = True  # closed once the update is handled: later answers go as requests

    def http_response(self, bot: Bot) -> HttpResponse:
        """The webhook's answer: the kept call, or an empty 200."""
        if self.method is None:
            return HttpResponse(status_code=200)
        fields = call_fields(bot.session, bot, self.method, files={})
        body = {"method": self.method.__api_method__, **fields}
        return HttpResponse(content=json.dumps(body), media_type="application/json")


_kept: ContextVar[KeptAnswer | None] = ContextVar("kept_answer", default=None)


@contextmanager
def keeping_the_answer() -> Iterator[KeptAnswer]:
    """While inside, the first answer to a tap is kept, not sent."""
    kept = KeptAnswer()
    token = _kept.set(kept)
    try:
        yield kept
    finally:
        kept.open = False
        _kept.reset(token)


class AnswerInWebhookReply(BaseRequestMiddleware):
    """The Bot's session keeps a tap's first answer while the webhook handles its update."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        kept = _kept.get()
        if (
            kept is None
            or not kept.open
            or kept.method is not None
            or not isinstance(method, AnswerCallbackQuery)
            or (method.text and not method.show_alert)  # a toast: "Preparing the report..."
        ):
            return await make_request(bot, method)
        kept.method = method
        # The call's result, as Telegram answers it (aiogram's types say a Response, but what a
        # session's middlewares give back is the call's result).
        return cast(Response[TelegramType], True)
