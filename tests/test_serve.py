"""`pumpurs serve` as it runs: uvicorn on a real port over the served app."""

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI
from uvicorn.logging import AccessFormatter

from bot.runner import server_config, serving
from bot.settings import BotSettings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Uvicorn serving `app` as `pumpurs serve` configures it; a client talking to it."""
    port = free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        await task


class Lines(logging.Handler):
    """Keeps each record as uvicorn's access formatter writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_the_access_log_keeps_the_path_but_not_the_query(empty_database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    lines = Lines()
    async with serving(BotSettings(bot_token=None)) as app, running(app) as client:
        logging.getLogger("uvicorn.access").addHandler(lines)  # uvicorn's set-up is in place now
        try:
            answer = await client.get("/students", params={"search": "Anna Kalnina"})
        finally:
            logging.getLogger("uvicorn.access").removeHandler(lines)
    assert answer.status_code == 401
    [line] = lines.lines
    assert '"GET /students HTTP/1.1" 401' in line
    assert "Anna" not in line and "search" not in line
