"""`pumpurs serve`: the API, and with BOT_TOKEN the bot (long polling, or a webhook), together.

aiogram is imported (`bot.running`) only when there is a bot to run, and then without building
every Telegram type's validator at once (`bot.lazy_types`).
"""

import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from bot.access_log import uvicorn_log_config
from bot.lazy_types import import_aiogram
from bot.settings import BotSettings
from storage.db import database

# Young objects collected after this many allocations (CPython's default: 700). Handling an
# update allocates thousands of short-lived objects; a larger first generation collects them in
# fewer, still short, passes.
GC_THRESHOLDS = (20_000, 20, 20)


async def serve(host: str, port: int) -> None:
    async with serving(BotSettings()) as app:
        settle_memory()
        await uvicorn.Server(server_config(app, host, port)).serve()


def settle_memory() -> None:
    """After start-up: what was built to stay (modules, routers, catalogues) is moved out of the
    collector's sight (`gc.freeze`), so a full collection no longer walks it on every pass and
    stalls every update in flight; and young collections run less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@asynccontextmanager
async def serving(settings: BotSettings) -> AsyncIterator[FastAPI]:
    """The database and the app, with a token the bot too; all stopped and closed on exit."""
    async with database(), contextlib.AsyncExitStack() as stack:
        app = create_app(manage_database=False)
        if settings.bot_token:
            import_aiogram()  # its types' validators built on first use (bot/lazy_types.py)
            from bot.running import start_bot  # aiogram: only with a bot to run

            start_bot(app, settings, stack)
        yield app


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """Uvicorn's set-up: its access log without query strings."""
    return uvicorn.Config(
        app, host=host, port=port, log_level="info", log_config=uvicorn_log_config()
    )
