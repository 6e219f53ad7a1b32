"""Database set-up: the Tortoise config, connecting, and applying migrations."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from storage.settings import storage_settings

MODELS = ["storage.models"]


def tortoise_config(database_url: str | None = None) -> dict[str, Any]:
    """The Tortoise configuration for one database URL (default: from the environment)."""
    url = database_url or storage_settings().database_url
    return {
        "connections": {"default": url},
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
