"""A fake Telegram Bot API over HTTP on 127.0.0.1, served by a child process of a benchmark.

It answers as Telegram does for what the bot uses: messages sent and edited come back as Message
objects (an edit that changes nothing is refused with "message is not modified"), `getMe` as the
bot, everything else `true`. It records every message it accepts (`/_records`, cleared by
`/_reset`). With `--telegram-limits` it also keeps Telegram's limits: at most 30 messages in any
rolling second and one a second to each chat; beyond that HTTP 429 with `retry_after`.

Used by `bench.delivery` (with the limits) and `bench.http_path` (`bench.updates --webhook`,
without). Run from the repository root: `python -m bench.fake_bot_api [--telegram-limits]`
prints `PORT n` and serves until its stdin closes (the benchmark holds the other end).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiohttp import ClientSession, web

HOST = "127.0.0.1"
BOT = {"id": 42, "is_bot": True, "first_name": "Pumpurs", "username": "pumpurs_bot"}
TELEGRAM_PER_SECOND = 30  # what Telegram allows overall
TELEGRAM_CHAT_INTERVAL = 1.0  # one message a second to one chat
SENDS = ("sendmessage", "sendphoto")
EDITS = ("editmessagetext", "editmessagereplymarkup")


@dataclass
class Accepted:
    chat_id: int
    at: float  # time.time() when accepted
    kind: str  # "text" | "photo"
    key: str  # what identifies the content: a hash of the text, or of the picture and caption
    first_line: str


@dataclass
class Limits:
    """Telegram's limits: `per_second` messages in any rolling second, one per chat a second."""

    per_second: int = TELEGRAM_PER_SECOND
    chat_interval: float = TELEGRAM_CHAT_INTERVAL
    refused: Counter[str] = field(default_factory=Counter)
    chat_gaps: list[float] = field(default_factory=list)  # refused: since the chat's last one
    _recent: deque[float] = field(default_factory=deque)
    _chat_last: dict[int, float] = field(default_factory=dict)

    def refusal(self, chat_id: int, now: float) -> float | None:
        """Seconds a message to this chat must wait (counted as refused), or None to go now."""
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        last = self._chat_last.get(chat_id)
        if len(self._recent) >= self.per_second:
            self.refused["overall"] += 1
            return self._recent[0] + 1.0 - now
        if last is not None and now - last < self.chat_interval:
            self.refused["chat"] += 1
            self.chat_gaps.append(now - last)
            return last + self.chat_interval - now
        self._recent.append(now)
        self._chat_last[chat_id] = now
        return None

    def clear(self) -> None:
        self.refused.clear()
        self.chat_gaps.clear()
        self._recent.clear()
        self._chat_last.clear()


@dataclass
class FakeBotApi:
    """Keeps each message's text and keyboard to answer edits as Telegram does."""

    limits: Limits | None = None
    clock: Callable[[], float] = time.time
    accepted: list[Accepted] = field(default_factory=list)
    messages: dict[tuple[int, int], tuple[str, str | None]] = field(default_factory=dict)
    ids: count = field(default_factory=lambda: count(1000))

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        form = await read_form(request)
        if method == "getme":
            return _ok(BOT)
        if method not in SENDS + EDITS:
            return _ok(True)
        try:
            chat_id = int(form["chat_id"])
        except (KeyError, ValueError):
            return _error(400, "Bad Request: chat not found")
        if method in EDITS:
            return self.edit(chat_id, int(form["message_id"]), form)
        now = self.clock()
        if self.limits and (wait := self.limits.refusal(chat_id, now)) is not None:
            retry_after = max(1, math.ceil(wait))
            return _error(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        return _ok(self.send(method, chat_id, now, form))

    def send(self, method: str, chat_id: int, now: float, form: dict[str, bytes]) -> dict:
        message = self.keep(chat_id, next(self.ids), form)
        message["date"] = int(now)
        if method == "sendphoto":
            picture, caption = form.get("photo", b""), form.get("caption", b"").decode()
            key = hashlib.sha1(picture + caption.encode()).hexdigest()
            self.accepted.append(Accepted(chat_id, now, "photo", key, caption.split("\n")[0]))
            del message["text"]
            message["photo"] = [
                {
                    "file_id": f"photo-{message['message_id']}",
                    "file_unique_id": f"u{message['message_id']}",
                    "width": 800,
                    "height": 450,
                    "file_size": len(picture),
                }
            ]
            if caption:
                message["caption"] = caption
        else:
            text = message["text"]
            key = hashlib.sha1(text.encode()).hexdigest()
            self.accepted.append(Accepted(chat_id, now, "text", key, text.split("\n")[0]))
        return message

    def edit(self, chat_id: int, message_id: int, form: dict[str, bytes]) -> web.Response:
        text, markup = self.messages.get((chat_id, message_id), ("", None))
        new_text = form["text"].decode() if "text" in form else text
        new_markup = form["reply_markup"].decode() if "reply_markup" in form else None
        if (new_text, new_markup) == (text, markup):
            return _error(400, "Bad Request: message is not modified")
        return _ok(self.keep(chat_id, message_id, {**form, "text": new_text.encode()}))

    def keep(self, chat_id: int, message_id: int, form: dict[str, bytes]) -> dict[str, Any]:
        text = form.get("text", b"").decode()
        markup = form["reply_markup"].decode() if "reply_markup" in form else None
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

    async def records(self, request: web.Request) -> web.Response:
        limits = self.limits or Limits()
        return web.json_response(
            {
                "accepted": [vars(a) for a in self.accepted],
                "refused": dict(limits.refused),
                "chat_gaps": limits.chat_gaps,
            }
        )

    async def reset(self, request: web.Request) -> web.Response:
        self.accepted.clear()
        self.messages.clear()
        if self.limits:
            self.limits.clear()
        return web.json_response({"ok": True})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self.handle)
        app.router.add_get("/_records", self.records)
        app.router.add_post("/_reset", self.reset)
        return app


async def read_form(request: web.Request) -> dict[str, bytes]:
    """The request's fields, in memory (aiohttp's `post()` would spool a photo to a file), from
    a form or a JSON body (values that are not strings as JSON text, as the Bot API reads them)."""
    if request.content_type == "application/json":
        body = await request.json()
        return {k: (v if isinstance(v, str) else json.dumps(v)).encode() for k, v in body.items()}
    if request.content_type != "multipart/form-data":
        return {name: str(value).encode() for name, value in (await request.post()).items()}
    fields = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        fields[str(part.name)] = await part.read()  # type: ignore[union-attr]
    return fields


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def serve(limits: bool) -> None:
    """Serve on a free port of 127.0.0.1, print `PORT n`, run until stdin closes.

    The benchmark holds the other end of stdin: if it dies, however, this server stops too.
    """
    api = FakeBotApi(Limits() if limits else None)
    runner = web.AppRunner(api.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    await asyncio.to_thread(sys.stdin.read)


@dataclass
class FakeApiProcess:
    """The child process serving the fake Bot API, and how to reach it."""

    process: asyncio.subprocess.Process
    port: int
    http: ClientSession

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @classmethod
    async def start(cls, telegram_limits: bool = False) -> FakeApiProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fake_bot_api",
            *(["--telegram-limits"] if telegram_limits else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        if not line.startswith("PORT "):
            process.terminate()
            await process.wait()
            raise RuntimeError(f"the fake Bot API did not start: {line!r}")
        return cls(process, int(line.split()[1]), ClientSession())

    async def records(self) -> tuple[list[Accepted], Counter[str], list[float]]:
        async with self.http.get(f"{self.url}/_records") as response:
            data = await response.json()
        accepted = [Accepted(**a) for a in data["accepted"]]
        return accepted, Counter(data["refused"]), data["chat_gaps"]

    async def reset(self) -> None:
        async with self.http.post(f"{self.url}/_reset") as response:
            response.raise_for_status()

    async def stop(self) -> None:
        await self.http.close()
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_bot_api", description=__doc__)
    parser.add_argument("--telegram-limits", action="store_true", help="answer 429 as Telegram")
    asyncio.run(serve(parser.parse_args(argv).telegram_limits))


if __name__ == "__main__":
    main()
