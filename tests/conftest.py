"""Test set-up: a fresh database per test (SQLite in memory, or PostgreSQL under CI), Redis."""

import os
import socket
from urllib.parse import urlparse

import pytest
from tortoise import connections
from tortoise.contrib.test import tortoise_test_context

from storage.db import MODELS

IN_CI = os.environ.get("CI") == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://:memory:")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def require_server(url: str, what: str) -> None:
    """Under CI a missing server fails the test; elsewhere the test skips, saying why."""
    if reachable(url):
        return
    message = f"{what} is not reachable at {url}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def isolated(url: str) -> str:
    """A PostgreSQL URL naming a fresh database per test; other URLs unchanged."""
    if not url.startswith("postgres"):
        return url
    parts = urlparse(url)
    return parts._replace(path=f"{parts.path}_{{}}").geturl()


async def _open_database(url: str):
    async with tortoise_test_context(MODELS, db_url=isolated(url)) as ctx:
        name = getattr(connections.get("default"), "database", None)
        yield ctx
    if url.startswith("postgres"):
        await _drop_postgres_database(url, name)


async def _drop_postgres_database(url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
async def db():
    """The database the suite runs on (TEST_DATABASE_URL)."""
    if TEST_DATABASE_URL.startswith("postgres"):
        require_server(TEST_DATABASE_URL, "PostgreSQL")
    async for ctx in _open_database(TEST_DATABASE_URL):
        yield ctx


@pytest.fixture
async def pg_db():
    """A PostgreSQL database, for behaviour only a real server shows (concurrent writers)."""
    require_server(POSTGRES_URL, "PostgreSQL")
    async for ctx in _open_database(POSTGRES_URL):
        yield ctx


@pytest.fixture
async def redis_url():
    require_server(REDIS_URL, "Redis")
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()
    return REDIS_URL


@pytest.fixture
async def world(db):
    from tests.world import build_world

    return await build_world()
