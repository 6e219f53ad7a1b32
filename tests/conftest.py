"""Test set-up: an empty database per test (SQLite in memory, or PostgreSQL under CI), Redis."""

import asyncio
import os
import socket
from contextlib import asynccontextmanager
from urllib.parse import urlparse

from bot.lazy_types import import_aiogram

import_aiogram()  # as `pumpurs serve` does: every test sees aiogram's types built on first use

import pytest  # noqa: E402
from tortoise import connections  # noqa: E402
from tortoise.backends.base.config_generator import generate_config  # noqa: E402
from tortoise.context import TortoiseContext  # noqa: E402
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


def worker_database(url: str) -> str:
    """The PostgreSQL database of this test worker: `test_gw0` beside `test`, say."""
    parts = urlparse(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return parts._replace(path=f"{parts.path}_{worker}").geturl()


def _maintenance_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _drop_postgres_database(url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_maintenance_dsn(url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


# The worker's PostgreSQL database gets its schema once (creating a database and its tables
# costs about 0.7 s, a test's worth); each test after the first starts with every table emptied
# (DELETE, children before parents: TRUNCATE of every table costs 0.3 s) and every id counting
# from 1 again.
_schema_made: set[str] = set()
_emptying: dict[str, str] = {}

TABLES_AND_PARENTS = """
    SELECT c.relname AS child, p.relname AS parent
    FROM pg_class c
    LEFT JOIN pg_constraint f ON f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid
    LEFT JOIN pg_class p ON p.oid = f.confrelid
    WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
"""
RESTART_IDS = """
    SELECT setval(c.oid, 1, false) FROM pg_class c
    WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace
"""


def children_first(rows: list[dict]) -> list[str]:
    """The tables in an order that deletes every row a foreign key points at after the rows
    pointing at it."""
    parents: dict[str, set[str]] = {}
    for row in rows:
        parents.setdefault(row["child"], set())
        if row["parent"]:
            parents[row["child"]].add(row["parent"])
    order: list[str] = []
    while parents:
        pointed_at = set().union(*parents.values())
        leaves = sorted(table for table in parents if table not in pointed_at)
        assert leaves, f"foreign keys in a cycle: {sorted(parents)}"
        order += leaves
        for table in leaves:
            del parents[table]
    return order


async def _empty_every_table(database: str) -> None:
    connection = connections.get("default")
    if database not in _emptying:
        _, rows = await connection.execute_query(TABLES_AND_PARENTS)
        deletes = [f'DELETE FROM "{table}"' for table in children_first(rows)]
        _emptying[database] = ";\n".join(deletes)
    await connection.execute_script(_emptying[database])
    await connection.execute_query(RESTART_IDS)


@asynccontextmanager
async def _postgres_context(url: str):
    database = worker_database(url)
    first = database not in _schema_made
    if first:
        await _drop_postgres_database(url, urlparse(database).path.lstrip("/"))
    async with TortoiseContext() as ctx:
        config = generate_config(database, app_modules={"models": MODELS}, testing=True)
        await ctx.init(config=config, _create_db=first, use_tz=True, timezone="UTC")
        if first:
            await ctx.generate_schemas(safe=False)
            _schema_made.add(database)
        else:
            await _empty_every_table(database)
        yield ctx


async def _open_database(url: str):
    if url.startswith("postgres"):
        async with _postgres_context(url) as ctx:
            yield ctx
        return
    async with tortoise_test_context(MODELS, db_url=url) as ctx:
        yield ctx


def pytest_sessionfinish(session, exitstatus):
    """Drop the worker's PostgreSQL database."""
    for database in _schema_made:
        name = urlparse(database).path.lstrip("/")
        asyncio.run(_drop_postgres_database(TEST_DATABASE_URL, name))


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
