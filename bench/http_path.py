"""bench.updates over HTTP: updates posted as JSON to the real webhook endpoint, the Bot API a
fake one in a child process, so parsing, serialization and both HTTP hops are paid.

The fake Bot API (`python -m bench.http_path`) answers as Telegram does for what the flows use:
messages sent and edited come back as Message objects (an edit that changes nothing is refused
with "message is not modified"); everything else is `true`. On the bot's side `HttpRecordingSession`
is aiogram's real AiohttpSession that also files what Telegram accepted per chat, as the
recording session does, so the simulated teachers can read their screens and tap buttons.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import uvicorn
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup, Message, Update
from aiohttp import ClientSession, TCPConnector, web
from fastapi import FastAPI

from bot.session import Sent
from bot.webhook import WEBHOOK_PATH, webhook_router

HOST = "127.0.0.1"
BOT = {"id": 42, "is_bot": True, "first_name": "Pumpurs", "username": "pumpurs_bot"}
SECRET = "bench-secret"


# --- the fake Bot API (child process) ------------------------------------------------------


@dataclass
class FakeBotApi:
    """Keeps each message's text and keyboard to answer edits as Telegram does."""

    messages: dict[tuple[int, int], tuple[str, str | None]] = field(default_factory=dict)
    ids: count = field(default_factory=lambda: count(1000))

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = {name: str(value) for name, value in (await request.post()).items()}
        if method == "getMe":
            return _ok(BOT)
        if method == "sendMessage":
            return _ok(self.keep(int(form["chat_id"]), next(self.ids), form))
        if method in ("editMessageText", "editMessageReplyMarkup"):
            key = (int(form["chat_id"]), int(form["message_id"]))
            text, markup = self.messages.get(key, ("", None))
            new = form.get("text", text), form.get("reply_markup")
            if new == (text, markup):
                return _error(400, "Bad Request: message is not modified")
            return _ok(self.keep(key[0], key[1], {**form, "text": new[0]}))
        return _ok(True)

    def keep(self, chat_id: int, message_id: int, form: dict[str, str]) -> dict[str, Any]:
        text, markup = form.get("text", ""), form.get("reply_markup")
        self.messages[chat_id, message_id] = (text, markup)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT,
            "text": text,
        }
        if markup:
            message["reply_markup"] = json.loads(markup)
        return message


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=code
    )


async def serve_fake_api() -> None:
    """Serve on a free port, print `PORT n`, run until stdin closes (the bench holds it)."""
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", FakeBotApi().handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    await asyncio.to_thread(sys.stdin.read)


@dataclass
class FakeApiProcess:
    process: asyncio.subprocess.Process
    url: str

    @classmethod
    async def start(cls) -> FakeApiProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.http_path",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        if not line.startswith("PORT "):
            process.terminate()
            await process.wait()
            raise RuntimeError(f"the fake Bot API did not start: {line!r}")
        return cls(process, f"http://{HOST}:{line.split()[1]}")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


# --- the bot's side ------------------------------------------------------------------------


class HttpRecordingSession(AiohttpSession):
    """aiogram's HTTP session to the fake Bot API, filing what it accepted per chat."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api = TelegramAPIServer.from_base(api_url)
        self.chats: defaultdict[int, list[Sent]] = defaultdict(list)
        self.alerts: list[tuple[int, str]] = []
        self.api_calls = 0
        self._update_ids = count(1)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout=None):  # noqa: ASYNC109
        self.api_calls += 1
        result = await super().make_request(bot, method, timeout)
        if isinstance(method, SendMessage | EditMessageText | EditMessageReplyMarkup):
            self._keep(method, result)
        elif isinstance(method, AnswerCallbackQuery) and method.text:
            self.alerts.append((int(method.callback_query_id.split(":")[0]), method.text))
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
        app.include_router(webhook_router(dispatcher, bot, SECRET))
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

    async def stop(self) -> None:
        await self.http.close()
        self.server.should_exit = True
        await self.task


if __name__ == "__main__":
    asyncio.run(serve_fake_api())
