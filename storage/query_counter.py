"""Count the database round trips a block of code makes: for tests and benchmarks of query costs.

On PostgreSQL the counting sits in asyncpg's `Connection` itself, under Tortoise, so nothing is
missed: statements inside `in_transaction()` (which run on a connection of their own, not through
the pooled client), the BEGIN/COMMIT around them, statements prepared anew (a cache miss costs a
round trip of its own before the statement runs), and the pool's reset of a connection given back
(`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`, unless the pool was made without
it). On SQLite (in-process, no round trips) the client's statements are counted, transactions
included.

Counting patches classes for the whole process while at least one count is open; every open
count sees every round trip of the process, so measure one thing at a time.
"""

import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START")
_TORTOISE_EXECUTORS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")


@dataclass
class QueryCount:
    """What a block sent: `queries` are its SQL statements; the rest are round trips around them."""

    queries: int = 0  # statements the code sent (SELECT, INSERT ...), in transactions too
    prepares: int = 0  # statements prepared anew before running (not in the statement cache)
    transaction: int = 0  # BEGIN, COMMIT, ROLLBACK, savepoints
    resets: int = 0  # the pool's reset of a connection on release

    @property
    def round_trips(self) -> int:
        return self.queries + self.prepares + self.transaction + self.resets


AsyncMethod = Callable[..., Awaitable[Any]]

_active: list[QueryCount] = []
_restore: list[Callable[[], None]] = []


def _add(field: str) -> None:
    for count in _active:
        setattr(count, field, getattr(count, field) + 1)


@contextmanager
def count_queries(connection_name: str = "default") -> Iterator[QueryCount]:
    """Count the round trips made in the block (the connection names the backend to watch)."""
    client = connections.get(connection_name)
    count = QueryCount()
    if not _active:
        _install(client)
    _active.append(count)
    try:
        yield count
    finally:
        _active.remove(count)
        if not _active:
            while _restore:
                _restore.pop()()


def _install(client: BaseDBAsyncClient) -> None:
    if type(client).__module__.startswith("tortoise.backends.asyncpg"):
        _install_asyncpg()
    else:
        _install_tortoise(client)


def _patch(owner: type, name: str, wrap: Callable[[AsyncMethod], AsyncMethod]) -> None:
    original = owner.__dict__[name]
    setattr(owner, name, wrap(original))
    _restore.append(lambda: setattr(owner, name, original))


def _install_asyncpg() -> None:
    from asyncpg.connection import Connection

    def simple(original: AsyncMethod) -> AsyncMethod:
        async def execute(self: Connection, query: str, *args: Any, **kwargs: Any) -> Any:
            if not args:  # the simple protocol: one round trip; with args it goes to _execute
                if query == self._reset_query:
                    _add("resets")
                elif query.lstrip().upper().startswith(TRANSACTION_CONTROL):
                    _add("transaction")
                else:
                    _add("queries")
            return await original(self, query, *args, **kwargs)

        return execute

    def statement(original: AsyncMethod) -> AsyncMethod:
        async def run(self: Connection, *args: Any, **kwargs: Any) -> Any:
            _add("queries")
            return await original(self, *args, **kwargs)

        return run

    def prepare(original: AsyncMethod) -> AsyncMethod:
        async def get_statement(self: Connection, query: str, *args: Any, **kwargs: Any) -> Any:
            record_class = kwargs.get("record_class") or self._protocol.get_record_class()
            key = (query, record_class, kwargs.get("ignore_custom_codec", False))
            if not kwargs.get("use_cache", True) or self._stmt_cache.get(key) is None:
                _add("prepares")
            return await original(self, query, *args, **kwargs)

        return get_statement

    _patch(Connection, "execute", simple)
    for name in ("_execute", "_executemany", "_copy_in", "_copy_out", "copy_records_to_table"):
        _patch(Connection, name, statement)
    _patch(Connection, "_get_statement", prepare)


def _install_tortoise(client: BaseDBAsyncClient) -> None:
    """Every client class of the backend's module that defines an executor (the transaction
    wrapper too)."""
    module = sys.modules[type(client).__module__]
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseDBAsyncClient)
    ]

    def counted(original: AsyncMethod) -> AsyncMethod:
        async def run(*args: Any, **kwargs: Any) -> Any:
            _add("queries")
            return await original(*args, **kwargs)

        return run

    for owner in classes:
        for name in _TORTOISE_EXECUTORS:
            if name in owner.__dict__:
                _patch(owner, name, counted)
