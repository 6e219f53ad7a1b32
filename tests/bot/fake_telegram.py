"""A Bot API on 127.0.0.1 for fault tests: it can be down, answer errors, and serve updates."""

import asyncio
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiohttp import web

BOT = {"id": 42, "is_bot": True, "first_name": "Pumpurs", "username": "pumpurs_bot"}
POLL_SECONDS = 0.1  # getUpdates with nothing new answers after this, not after its timeout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


@dataclass
class FakeTelegram:
    """Answers every method, on a port of its own that refuses connections until `start()`.

    `fail(method)` may give an error response instead; `updates` are served to getUpdates as
    Telegram does, from the offset on; `sent` has (chat id, text) of each message accepted,
    `bodies` the content type and fields of every call, `files` (name, content) of each upload.
    """

    port: int = field(default_factory=free_port)
    fail: Callable[[str], web.Response | None] | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    sent: list[tuple[int, str]] = field(default_factory=list)
    bodies: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _ids: count = field(default_factory=lambda: count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await self.read_fields(request)
        if self.fail is not None and (failure := self.fail(method)) is not None:
            return failure
        self.methods.append(method)
        if method == "getUpdates":
            return await self.get_updates(int(form.get("offset", 0)))
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT})
        if method == "sendMessage":
            return web.json_response({"ok": True, "result": self.message(form)})
        if method == "sendDocument":
            return web.json_response({"ok": True, "result": self.document(form)})
        return web.json_response({"ok": True, "result": True})

    async def read_fields(self, request: web.Request) -> dict[str, str]:
        """The call's fields as the Bot API reads them, from a JSON body or a form: values that
        are not strings as JSON text, an upload as `attach://` its part, kept in `files`."""
        if request.content_type == "application/json":
            body = await request.json()
            fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        else:
            fields = {}
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    self.files.append((value.filename, value.file.read()))
                    value = f"attach://{name}"
                fields[name] = str(value)
        self.bodies.append((request.content_type, fields))
        return fields

    async def get_updates(self, offset: int) -> web.Response:
        pending = [update for update in self.updates if update["update_id"] >= offset]
        if not pending:
            await asyncio.sleep(POLL_SECONDS)
        return web.json_response({"ok": True, "result": pending})

    def message(self, form: dict[str, str]) -> dict[str, Any]:
        chat_id = int(form["chat_id"])
        self.sent.append((chat_id, form.get("text", "")))
        message = {
            "message_id": next(self._ids),
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT,
            "text": form.get("text", ""),
        }
        if "inline_keyboard" in (markup := json.loads(form.get("reply_markup", "{}"))):
            message["reply_markup"] = markup
        return message

    def document(self, form: dict[str, str]) -> dict[str, Any]:
        name, content = self.files[-1]
        message = self.message({"chat_id": form["chat_id"], "text": form.get("caption", "")})
        del message["text"]
        message["caption"] = form.get("caption", "")
        message["document"] = {
            "file_id": f"document-{message['message_id']}",
            "file_unique_id": f"u{message['message_id']}",
            "file_name": name,
            "file_size": len(content),
        }
        return message
