"""Telegram's webhook, served by the same FastAPI app as the API."""

import hashlib
import hmac

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import ValidationError

from bot.webhook_reply import AnswerInWebhookReply, keeping_the_answer

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(bot_token: str, configured: str | None) -> str:
    """WEBHOOK_SECRET, or one derived from the token, so every instance agrees on it."""
    return configured or hashlib.sha256(f"pumpurs-webhook:{bot_token}".encode()).hexdigest()


def serve_webhook(app: FastAPI, dispatcher: Dispatcher, bot: Bot, secret: str) -> None:
    """The webhook as a plain route matched first: every update skips the API's routes, each
    otherwise tried before it, and FastAPI's parameter machinery (it needs only the body). A
    tap's answer goes back in the webhook's answer (bot/webhook_reply.py)."""
    expected = secret.encode()

    async def telegram_webhook(request: Request) -> Response:
        """Answer 200 only once the update is handled: if we crash first, Telegram resends it."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            raise HTTPException(status_code=403, detail="wrong secret token")
        try:
            update = Update.model_validate_json(await request.body(), context={"bot": bot})
        except ValidationError:  # not JSON, or not an update: a 400, not an unexpected 500
            raise HTTPException(status_code=400, detail="not a Telegram update") from None
        with keeping_the_answer() as kept:
            await dispatcher.feed_update(bot, update)
        return kept.http_response(bot)

    bot.session.middleware(AnswerInWebhookReply())
    app.router.add_route(WEBHOOK_PATH, telegram_webhook, methods=["POST"], include_in_schema=False)
    app.router.routes.insert(0, app.router.routes.pop())
