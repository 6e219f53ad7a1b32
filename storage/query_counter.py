"""Count the SQL queries a block of code sends, in transactions too: for tests and benchmarks of
fixed query costs."""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tortoise import connections

_EXECUTORS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")


@dataclass
class QueryCount:
    queries: int = 0


@contextmanager
def count_queries(connection_name: str = "default") -> Iterator[QueryCount]:
    connection = connections.get(connection_name)
    count = QueryCount()
    originals = {name: getattr(connection, name) for name in _EXECUTORS}

    def counting(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(*args: Any, **kwargs: Any) -> Any:
            count.queries += 1
            return await original(*args, **kwargs)

        return run

    def counting_transactions(original: Callable[[], Any]) -> Callable[[], Any]:
        def start() -> Any:
            context = original()
            # The transaction's own client (`connection` in SQLite's context): count it too.
            client = getattr(context, "client", None) or context.connection
            for name in _EXECUTORS:
                setattr(client, name, counting(getattr(client, name)))
            client._in_transaction = counting_transactions(client._in_transaction)
            return context

        return start

    for name, original in originals.items():
        setattr(connection, name, counting(original))
    connection._in_transaction = counting_transactions(connection._in_transaction)
    try:
        yield count
    finally:
        for name in (*originals, "_in_transaction"):
            delattr(connection, name)
