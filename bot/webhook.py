"""Telegram's webhook, served by the same FastAPI app as the API."""

import hashlib
import hmac
from typing import Annotated

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, Header, HTTPException, Request, Response

WEBHOOK_PATH = "/telegram/webhook"


def webhook_secret(bot_token: str, configured: str | None) -> str:
    """WEBHOOK_SECRET, or one derived from the token, so every instance agrees on it."""
    return configured or hashlib.sha256(f"pumpurs-webhook:{bot_token}".encode()).hexdigest()


def webhook_router(dispatcher: Dispatcher, bot: Bot, secret: str) -> APIRouter:
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(
        request: Request,
        secret_token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
    ) -> Response:
        """Answer 200 only once the update is handled: if we crash first, Telegram resends it."""
        if not hmac.compare_digest((secret_token or "").encode(), secret.encode()):
            raise HTTPException(status_code=403, detail="wrong secret token")
        update = Update.model_validate(await request.json(), context={"bot": bot})
        await dispatcher.feed_update(bot, update)
        return Response(status_code=200)

    return router
