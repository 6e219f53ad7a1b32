"""A query built and rendered by Tortoise once, then run with new values: `Statement` for a
`values()` query, `ModelStatement` for one that gives models (with their `select_related`).

Building a query (resolving its filters, joins and fields) and rendering its SQL costs Tortoise
about as much as PostgreSQL takes to run a small one; a query run once per school, the same but
for its values, need not pay it each time. The values a run changes are `Slot`s: on PostgreSQL
the query is built once with them in place and each run sends the same SQL with the run's
values, its rows converted as `values()` converts them. On SQLite (in-process: nothing to save)
the query is built with the run's values every time.

Statements run one after another inside `one_connection()` share one connection of the pool:
taking a connection from asyncpg's pool and giving it back costs about 0.1 ms of CPU, as much as
a small statement's own share.
"""

import json
import types
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import date
from functools import partial
from json.scanner import make_scanner
from typing import Any, Generic, TypeVar

from asyncpg import Connection
from pypika_tortoise.context import SqlContext
from pypika_tortoise.terms import Term
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base_postgres.client import translate_exceptions
from tortoise.fields import DateField, Field, JSONField
from tortoise.models import Model
from tortoise.queryset import QuerySet, ValuesQuery

Builder = Callable[[Callable[[str], Any]], ValuesQuery[Any]]
M = TypeVar("M", bound=Model)


class Slot(Term):
    """A value given at each run: rendered as a parameter of its own."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def get_sql(self, ctx: SqlContext) -> str:
        if ctx.parameterizer is None:
            raise ValueError(f"the slot {self.name} needs a parameterized query")
        return ctx.parameterizer.create_param(self).get_sql(ctx)


Converter = Callable[[Any], Any]
Column = tuple[str, Converter, type | None]  # its name, its converter, the type it leaves as is


def _column(name: str, convert: Converter) -> Column:
    """A column's conversion, cheaper where that gives the same values as Tortoise's own.

    The plain field's and the date field's converters give back a value of their type as it
    is, so such a value (most of them: asyncpg decodes to the right type) is not passed to them.
    A JSON field's text is decoded by the C scanner directly, without `json.loads`'s checks for
    whitespace around the value (PostgreSQL sends none); any other text still goes to Tortoise.
    """
    field: Any = getattr(convert, "__self__", None)
    method = getattr(type(field), "to_python_value", None)
    if method is Field.to_python_value and isinstance(field.field_type, type):
        return name, convert, field.field_type
    if method is DateField.to_python_value:
        return name, convert, date
    if method is JSONField.to_python_value and field.decoder is json.loads:
        return name, partial(_json, convert), None
    return name, convert, None


# as `json.loads`'s own decoder scans (typeshed types its argument as the scanner itself)
_scan = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _json(convert: Converter, value: Any) -> Any:
    """JSON text as `json.loads` decodes it, when the scanner reads it whole from its start."""
    if type(value) is str:
        try:
            decoded, end = _scan(value, 0)
        except (StopIteration, ValueError):  # nothing to read, or not JSON
            end = -1
        if end == len(value):
            return decoded
    return convert(value)


_held: ContextVar[tuple[BaseDBAsyncClient, Connection] | None] = ContextVar("held", default=None)


@asynccontextmanager
async def one_connection(model: type[Model]) -> AsyncIterator[None]:
    """Statements on the model's database run in the block on one connection, taken once.

    For a block whose statements run one at a time (not gathered). A transaction opened inside
    the block keeps its own connection: a statement uses the held one only when it would
    otherwise run on the very client that gave it."""
    db = model._choose_db()
    if db.capabilities.dialect != "postgres":
        yield
        return
    async with db.acquire_connection() as connection:
        token = _held.set((db, connection))
        try:
            yield
        finally:
            _held.reset(token)


class Statement:
    """A query whose values change from run to run, not its shape: `build(value)` gives the
    query with `value(name)` for each such value."""

    def __init__(self, model: type[Model], build: Builder) -> None:
        self.model = model
        self.build = build
        self.rendered: tuple[str, list[Any], list[Column]] | None = None

    async def rows(self, **values: Any) -> list[dict[str, Any]]:
        """The query's rows, as `values()` gives them, for these values."""
        db = self.model._choose_db()
        if db.capabilities.dialect != "postgres":
            return await self.build(values.__getitem__)
        sql, params, columns = self.rendered or self._render(self.build(Slot))
        args = _arguments(params, values)
        held = _held.get()
        if held is not None and held[0] is db:
            records = await _fetch(db, held[1], sql, args)
        else:
            records = (await db.execute_query(sql, args))[1]
        rows = [dict(record.items()) for record in records]  # a quarter cheaper than dict(record)
        for row in rows:
            for column, convert, kept in columns:
                value = row[column]
                if kept is None or (value is not None and type(value) is not kept):
                    row[column] = convert(value)
        return rows

    def _render(self, query: ValuesQuery[Any]) -> tuple[str, list[Any], list[Column]]:
        """The SQL with its parameters (slots among them), and the columns to convert."""
        sql, params = _parameterized(query)
        converters = (
            (alias, query.resolve_to_python_value(query.model, field))
            for alias, field in query._fields_for_select.items()
        )
        # as `values()` does: plain functions are Tortoise's `lambda x: x`, nothing to convert
        columns = [
            _column(a, convert)
            for a, convert in converters
            if not isinstance(convert, types.LambdaType)
        ]
        self.rendered = sql, params, columns
        return self.rendered


class ModelStatement(Generic[M]):
    """A query of models whose values change from run to run, not its shape: `build(value)`
    gives the query (no `first()`: take the list's first) with `value(name)` for each value."""

    def __init__(self, model: type[M], build: Callable[[Callable[[str], Any]], QuerySet[M]]):
        self.model = model
        self.build = build
        self.rendered: tuple[str, list[Any], Any] | None = None

    async def models(self, **values: Any) -> list[M]:
        """The query's models, as it gives them, for these values."""
        db = self.model._choose_db()
        if db.capabilities.dialect != "postgres":
            return await self.build(values.__getitem__)
        sql, params, related = self.rendered or self._render(self.build(Slot))
        executor = db.executor_class(model=self.model, db=db, select_related_idx=related)
        found: list[M] = await executor.execute_select(sql, _arguments(params, values))
        return found

    async def first(self, **values: Any) -> M | None:
        found = await self.models(**values)
        return found[0] if found else None

    def _render(self, query: QuerySet[M]) -> tuple[str, list[Any], Any]:
        """The SQL with its parameters (slots among them), and how its related models are read."""
        if query._prefetch_map or query._prefetch_queries or query._annotations:
            raise ValueError("a ModelStatement takes no prefetches or annotations")
        sql, params = _parameterized(query)
        self.rendered = sql, params, query._select_related_idx
        return self.rendered


def _parameterized(query: QuerySet[Any] | ValuesQuery[Any]) -> tuple[str, list[Any]]:
    """The query's SQL as Tortoise renders it, with its parameters (slots among them)."""
    query._choose_db_if_not_chosen()
    query._make_query()
    return query.query.get_parameterized_sql()


def _arguments(params: list[Any], values: dict[str, Any]) -> list[Any]:
    """The parameters of one run: each slot's value from `values`, the others as rendered."""
    return [values[p.name] if isinstance(p, Slot) else p for p in params]


@translate_exceptions
async def _fetch(db: BaseDBAsyncClient, connection: Connection, sql: str, args: list[Any]) -> Any:
    """A statement's rows on a held connection, errors translated as the client's own are."""
    return await connection.fetch(sql, *args)
