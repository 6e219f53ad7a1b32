"""Database set-up: the Tortoise config, connecting, and applying migrations."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asyncpg import Connection
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

from storage.settings import storage_settings

MODELS = ["storage.models"]


def tortoise_config(database_url: str | None = None) -> dict[str, Any]:
    """The Tortoise configuration for one database URL (default: from the environment)."""
    url = database_url or storage_settings().database_url
    return {
        "connections": {"default": connection_config(url)},
        "apps": {
            "models": {
                "models": MODELS,
                "migrations": "storage.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def connection_config(url: str) -> str | dict[str, Any]:
    """The URL, or on PostgreSQL its expanded form with a pool that skips the reset query."""
    config = expand_db_url(url)
    if config["engine"] != "tortoise.backends.asyncpg":
        return url
    config["credentials"]["reset"] = keep_session
    return config


async def keep_session(connection: Connection) -> None:
    """A connection given back to the pool: nothing to undo (asyncpg has rolled back an open
    transaction already, without a round trip when there is none).

    asyncpg's default runs `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;` on
    every release: a round trip after each statement outside a transaction. Nothing here leaves
    such state behind: no advisory locks, no cursors (DECLARE), no LISTEN, no SET; the only
    session setting, Tortoise's search_path for a schema, is a startup parameter. Checked in
    this code, Tortoise's asyncpg backend and aiogram (tests/storage/test_pool.py).
    """


TORTOISE_ORM = tortoise_config()


async def upgrade(database_url: str | None = None) -> None:
    """Apply every migration not yet applied."""
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        await disconnect()


async def connect(database_url: str | None = None) -> None:
    """Connect for the whole process: every task (each request, each update) shares it."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def disconnect() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def database(
    database_url: str | None = None, *, apply_migrations: bool = True
) -> AsyncIterator[None]:
    """Open the database for the lifetime of a command or server, migrating it first."""
    if apply_migrations:
        await upgrade(database_url)
    await connect(database_url)
    try:
        yield
    finally:
        await disconnect()
