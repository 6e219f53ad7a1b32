"""The query counter counts every round trip: in transactions too, and the pool's resets."""

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from storage.models import Municipality
from storage.query_counter import count_queries
from tests.conftest import TEST_DATABASE_URL

ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


async def test_statements_inside_a_transaction_are_counted(db):
    with count_queries() as counted:
        async with in_transaction():
            await Municipality.create(name="Novads")
            await Municipality.filter(name="Novads").count()
    assert counted.queries == 2
    assert await Municipality.filter(name="Novads").count() == 1


async def test_nested_counts_each_see_every_statement(db):
    with count_queries() as outer:
        await Municipality.all().count()
        with count_queries() as inner:
            await Municipality.all().count()
    assert (outer.queries, inner.queries) == (2, 1)
    with count_queries() as after:
        pass
    assert after.queries == 0


@pytest.mark.skipif(not ON_POSTGRES, reason="asyncpg's pool and transactions: PostgreSQL only")
async def test_on_postgres_the_pool_reset_and_transaction_control_are_round_trips(db):
    await Municipality.all().count()  # the statement is prepared and cached on a connection
    client = connections.get("default")
    assert client.pool_maxsize >= 1
    with count_queries() as plain:
        await Municipality.all().count()
    assert plain.queries == 1
    # asyncpg resets a connection given back to the pool: one more round trip per statement
    assert plain.resets == 1
    with count_queries() as transaction:
        async with in_transaction():
            await Municipality.create(name="Novads")
    assert transaction.queries == 1
    assert transaction.transaction == 2  # BEGIN, COMMIT
    assert transaction.resets == 1
    assert transaction.round_trips >= 4
