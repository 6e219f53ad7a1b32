"""Test set-up: a fresh database per test (SQLite in memory, or PostgreSQL under CI), Redis."""

import os
import socket
from urllib.parse import urlparse

from bot.lazy_types import import_aiogram

import_aiogram()  # as `pumpurs serve` does: every test sees aiogram's types built on first use

import pytest  # noqa: E402
from tortoise import connections  # noqa: E402
from tortoise.contrib.test import tortoise_test_context  # noqa: E402

from storage.db import MODELS  # noqa: E402

IN_CI = os.environ.get("CI") == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://:memory:")


def _per_worker(url: str) -> str:
    """Under pytest-xdist each worker flushes a Redis database of its own: the given one - n
    (counting down, so the default 15 and 14, never the applications' usual 0)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base, _, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) - int(worker.removeprefix('gw'))) % 16}"


if "TEST_REDIS_URL" in os.environ:  # tests/bot/conftest.py reads it too
    os.environ["TEST_REDIS_URL"] = _per_worker(os.environ["TEST_REDIS_URL"])
REDIS_URL = os.environ.get("TEST_REDIS_URL", _per_worker("redis://127.0.0.1:6379/15"))


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


@pytest.fixture
async def api(db):
    """An HTTP client on the API app, over the test database."""
    import httpx

    from api.app import create_app

    transport = httpx.ASGITransport(app=create_app(manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def token_for():
    """Issue a bearer token for an actor and give back the Authorization header."""
    from core.services.people import create_api_token

    async def issue(actor) -> dict[str, str]:
        return {"Authorization": f"Bearer {await create_api_token(actor.id)}"}

    return issue


@pytest.fixture
async def empty_database_url(tmp_path):
    """The URL of a new, empty database of the suite's kind, for code that connects itself."""
    if not TEST_DATABASE_URL.startswith("postgres"):
        yield f"sqlite://{tmp_path}/fresh.sqlite3"
        return
    import uuid

    import asyncpg

    require_server(TEST_DATABASE_URL, "PostgreSQL")
    name = f"test_{uuid.uuid4().hex}"
    admin = TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1)
    connection = await asyncpg.connect(admin)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    yield urlparse(TEST_DATABASE_URL)._replace(path=f"/{name}").geturl()
    await _drop_postgres_database(TEST_DATABASE_URL, name)
