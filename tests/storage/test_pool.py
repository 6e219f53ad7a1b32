"""The app's PostgreSQL pool gives connections back without asyncpg's reset round trip, and a
failed transaction still leaves nothing open."""

import pytest
from tortoise import connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from storage.db import connection_config, tortoise_config
from storage.query_counter import count_queries
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgres"), reason="asyncpg's pool: PostgreSQL only"
)


@pytest.fixture
async def app_pool(db):
    """A pool made as the app makes it, on the test's own database."""
    database = connections.get("default").database
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{database}"
    config = connection_config(url)
    client = AsyncpgDBClient(connection_name="app", **config["credentials"])
    await client.create_connection(with_db=True)
    yield client
    await client.close()


def test_the_app_config_asks_for_the_pool_without_reset():
    config = tortoise_config("postgres://postgres@127.0.0.1:5432/pumpurs?maxsize=3")
    credentials = config["connections"]["default"]["credentials"]
    assert callable(credentials["reset"])
    assert credentials["maxsize"] == "3"
    assert tortoise_config("sqlite://:memory:")["connections"]["default"] == "sqlite://:memory:"


async def test_a_statement_costs_no_reset(app_pool):
    await app_pool.execute_query("SELECT 1")
    with count_queries() as counted:
        await app_pool.execute_query("SELECT 1")
    assert (counted.queries, counted.resets, counted.round_trips) == (1, 0, 1)


async def test_a_failed_transaction_is_rolled_back_and_the_connection_reused(app_pool):
    await app_pool.execute_script("CREATE TABLE probe (n int)")
    with pytest.raises(RuntimeError):
        async with app_pool._in_transaction() as transaction:
            await transaction.execute_query("INSERT INTO probe VALUES (1)")
            raise RuntimeError("the flow failed")
    pool = app_pool._pool
    held = [await pool.acquire() for _ in range(pool.get_size())]  # every connection open
    try:
        assert held and not any(connection.is_in_transaction() for connection in held)
    finally:
        for connection in held:
            await pool.release(connection)
    _, rows = await app_pool.execute_query("SELECT count(*) AS n FROM probe")
    assert rows[0]["n"] == 0
