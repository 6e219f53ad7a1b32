"""`pumpurs serve` as it runs: uvicorn on a real port, the bot against a fake Bot API."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI
from uvicorn.logging import AccessFormatter

from bot import running as bot_running
from bot.runner import server_config, serving
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN
from tests.bot.fake_telegram import FakeTelegram, error, free_port
from tests.bot.test_webhook import start_update
from tests.eventually import eventually


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


@asynccontextmanager
async def served_with_bot(telegram: FakeTelegram) -> AsyncIterator[httpx.AsyncClient]:
    """`pumpurs serve` with BOT_TOKEN, polling the fake Bot API (stopped after the bot is)."""
    settings = BotSettings(bot_token=TEST_TOKEN, telegram_api_url=telegram.url, redis_url=None)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(telegram.stop)
        app = await stack.enter_async_context(serving(settings))
        yield await stack.enter_async_context(running(app))


async def bot_state(client: httpx.AsyncClient) -> str:
    return (await client.get("/healthz")).json()["bot"]


async def test_the_api_serves_while_telegram_is_unreachable_and_the_bot_starts_once_it_answers(
    empty_database_url, monkeypatch, caplog
):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(bot_running, "RETRY_FIRST_SECONDS", 0.1)
    telegram = FakeTelegram()  # not started yet: its port refuses connections
    async with served_with_bot(telegram) as client:
        states = []
        while not states or states[-1] == "starting":
            states.append(await bot_state(client))
        assert states[-1] == "retrying: TelegramNetworkError"
        assert (await client.get("/healthz")).json()["database"] == "ok"
        assert "bot: Telegram did not answer (TelegramNetworkError); trying again" in caplog.text

        await telegram.start()
        await eventually(lambda: "getUpdates" in telegram.methods)
        assert await bot_state(client) == "running"
        assert {"setMyCommands", "getMe", "deleteWebhook"} <= set(telegram.methods)
        telegram.updates.append(start_update(1, 7001))
        await eventually(lambda: telegram.sent)
    assert [chat for chat, _ in telegram.sent] == [7001]
    assert "ielūguma saiti" in telegram.sent[0][1]


async def test_polling_outlives_a_burst_of_bad_gateways_and_handles_each_update_once(
    empty_database_url, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    telegram = FakeTelegram()
    await telegram.start()
    async with served_with_bot(telegram) as client:
        await eventually(lambda: "getUpdates" in telegram.methods)
        assert await bot_state(client) == "running"
        bad_gateways = iter(range(2))

        def fail(method: str):
            if method == "getUpdates" and next(bad_gateways, None) is not None:
                return error(502, "Bad Gateway")
            return None

        telegram.fail = fail
        telegram.updates.append(start_update(1, 7001))  # waits at Telegram through the errors
        await eventually(lambda: telegram.sent)
        telegram.updates.append(start_update(2, 7002))
        await eventually(lambda: len(telegram.sent) == 2)
        await asyncio.sleep(0.3)  # a few more polls: nothing is handled again
    assert next(bad_gateways, None) is None  # both errors were answered
    assert [chat for chat, _ in telegram.sent] == [7001, 7002]


def test_after_start_up_memory_is_settled_out_of_the_collectors_way():
    import gc

    from bot.runner import GC_THRESHOLDS, settle_memory

    thresholds = gc.get_threshold()
    try:
        settle_memory()
        assert gc.get_freeze_count() > 10_000  # modules, routers, catalogues: frozen
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
