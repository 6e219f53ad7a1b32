"""bench.updates over HTTP: updates posted as JSON to the real webhook endpoint, the Bot API a
fake one in a child process, so parsing, serialization and both HTTP hops are paid.

The fake Bot API is `bench.fake_bot_api` (without Telegram's limits), the one `bench.delivery`
uses too. On the bot's side `HttpRecordingSession` is the bot's real session (`JsonSession`:
aiogram's AiohttpSession sending JSON bodies) that also files what Telegram accepted per chat, as
the recording session does, so the simulated teachers can read their screens and tap buttons.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from itertools import count
from typing import Any

import uvicorn
from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup, Message, Update
from aiohttp import ClientSession, TCPConnector
from fastapi import FastAPI

from bench.fake_bot_api import HOST, FakeApiProcess
from bot.json_session import JsonSession
from bot.session import Sent
from bot.webhook import WEBHOOK_PATH, serve_webhook

__all__ = ["FakeApiProcess", "HttpRecordingSession", "Webhook"]  # bench.updates takes all three
SECRET = "bench-secret"


# --- the bot's side ------------------------------------------------------------------------


class HttpRecordingSession(JsonSession):
    """The bot's HTTP session to the fake Bot API, filing what it accepted per chat."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api = TelegramAPIServer.from_base(api_url)
        self.chats: defaultdict[int, list[Sent]] = defaultdict(list)
        self.alerts: list[tuple[int, str]] = []
        self.api_calls = 0
        self.webhook_replies = 0  # calls carried in the webhook's answers instead
        self._update_ids = count(1)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def answered(self, callback_query_id: str, text: str | None) -> None:
        """A tap answered, by a request or in the webhook's answer: its alert filed."""
        if text:
            self.alerts.append((int(callback_query_id.split(":")[0]), text))

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout=None):  # noqa: ASYNC109
        self.api_calls += 1
        result = await super().make_request(bot, method, timeout)
        if isinstance(method, SendMessage | EditMessageText | EditMessageReplyMarkup):
            self._keep(method, result)
        elif isinstance(method, AnswerCallbackQuery):
            self.answered(method.callback_query_id, method.text)
        return result

    def _keep(self, method, result: Message | bool) -> None:
        if not isinstance(result, Message):
            return
        keyboard = method.reply_markup
        self.chats[result.chat.id].append(
            Sent(
                chat_id=result.chat.id,
                message_id=result.message_id,
                text=result.text or "",
                keyboard=keyboard if isinstance(keyboard, InlineKeyboardMarkup) else None,
                edited=not isinstance(method, SendMessage),
            )
        )


# --- the webhook ---------------------------------------------------------------------------


@dataclass
class Webhook:
    """A dispatcher served by uvicorn on a local port through the real webhook endpoint."""

    server: uvicorn.Server
    task: asyncio.Task
    url: str
    http: ClientSession
    bot: Bot

    @classmethod
    async def start(cls, app: FastAPI, dispatcher: Dispatcher, bot: Bot, clients: int) -> Webhook:
        serve_webhook(app, dispatcher, bot, SECRET)
        config = uvicorn.Config(app, host=HOST, port=0, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        http = ClientSession(connector=TCPConnector(limit=clients))
        return cls(server, task, f"http://{HOST}:{port}{WEBHOOK_PATH}", http, bot)

    async def post(self, update: Update) -> None:
        body = update.model_dump_json(exclude_none=True, by_alias=True)
        headers = {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": SECRET,
        }
        async with self.http.post(self.url, data=body, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"webhook answered {response.status}: {await response.text()}")
            if response.content_type == "application/json":  # a call for Telegram to make
                self.replied(await response.json())

    def replied(self, call: dict[str, Any]) -> None:
        """A call in the webhook's answer, as Telegram takes it: a tap's answer (its alert
        filed, as the session files those it sends)."""
        if call.get("method") != "answerCallbackQuery":
            raise RuntimeError(f"unexpected call in the webhook's answer: {call.get('method')}")
        session = self.bot.session
        assert isinstance(session, HttpRecordingSession)
        session.webhook_replies += 1
        session.answered(call["callback_query_id"], call.get("text"))

    async def stop(self) -> None:
        await self.http.close()
        self.server.should_exit = True
        await self.task
