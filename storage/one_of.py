"""A filter on a column being one of many ids, as one parameter on PostgreSQL.

Tortoise's `field__in=ids` sends `IN ($1, $2, ...)`: one parameter per id, each built and
rendered by the query builder (most of an IAP's assembly time at a school's size), and one
statement shape per list length, so asyncpg's per-connection cache of prepared statements
misses. `one_of` sends `field = ANY($1)` with the ids as one array: one shape for any length.
SQLite (in-process, no prepared statement cache) keeps the plain `IN` list.
"""

from typing import Any

from pypika_tortoise.context import SqlContext
from pypika_tortoise.terms import Term, ValueWrapper
from tortoise import connections


class _Any(Term):
    """`ANY(<one parameter holding the list>)`: the right side of `field = ANY($n)`."""

    def __init__(self, values: list[int]) -> None:
        super().__init__()
        self.values = values

    def get_sql(self, ctx: SqlContext) -> str:
        return f"ANY({ValueWrapper(self.values).get_sql(ctx)})"


def one_of(field: str, ids: list[int]) -> dict[str, Any]:
    """Filter keywords: `field` is one of `ids`, as in `Model.filter(**one_of("id", ids))`."""
    if connections.get("default").capabilities.dialect == "postgres":
        return {field: _Any(ids)}
    return {f"{field}__in": ids}
