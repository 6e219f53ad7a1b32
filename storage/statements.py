"""A query built and rendered by Tortoise once, then run with new values: `Statement` for a
`values()` query, `ModelStatement` for one that gives models (with their `select_related`).

Building a query (resolving its filters, joins and fields) and rendering its SQL costs Tortoise
about as much as PostgreSQL takes to run a small one; a query run once per school, the same but
for its values, need not pay it each time. The values a run changes are `Slot`s: on PostgreSQL
the query is built once with them in place and each run sends the same SQL with the run's
values, its rows converted as `values()` converts them. On SQLite (in-process: nothing to save)
the query is built with the run's values every time.
"""

import types
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pypika_tortoise.context import SqlContext
from pypika_tortoise.terms import Term
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


class Statement:
    """A query whose values change from run to run, not its shape: `build(value)` gives the
    query with `value(name)` for each such value."""

    def __init__(self, model: type[Model], build: Builder) -> None:
        self.model = model
        self.build = build
        self.rendered: tuple[str, list[Any], list[tuple[str, Converter]]] | None = None

    async def rows(self, **values: Any) -> list[dict[str, Any]]:
        """The query's rows, as `values()` gives them, for these values."""
        db = self.model._choose_db()
        if db.capabilities.dialect != "postgres":
            return await self.build(values.__getitem__)
        sql, params, columns = self.rendered or self._render(self.build(Slot))
        rows: list[dict[str, Any]] = await db.execute_query_dict(
            sql, [values[p.name] if isinstance(p, Slot) else p for p in params]
        )
        for row in rows:
            for column, convert in columns:
                row[column] = convert(row[column])
        return rows

    def _render(
        self, query: ValuesQuery[Any]
    ) -> tuple[str, list[Any], list[tuple[str, Converter]]]:
        """The SQL with its parameters (slots among them), and the columns to convert."""
        query._choose_db_if_not_chosen()
        query._make_query()
        sql, params = query.query.get_parameterized_sql()
        converters = (
            (alias, query.resolve_to_python_value(query.model, field))
            for alias, field in query._fields_for_select.items()
        )
        # as `values()` does: plain functions are Tortoise's `lambda x: x`, nothing to convert
        columns = [
            (a, convert) for a, convert in converters if not isinstance(convert, types.LambdaType)
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
        found: list[M] = await executor.execute_select(
            sql, [values[p.name] if isinstance(p, Slot) else p for p in params]
        )
        return found

    async def first(self, **values: Any) -> M | None:
        found = await self.models(**values)
        return found[0] if found else None

    def _render(self, query: QuerySet[M]) -> tuple[str, list[Any], Any]:
        """The SQL with its parameters (slots among them), and how its related models are read."""
        if query._prefetch_map or query._prefetch_queries or query._annotations:
            raise ValueError("a ModelStatement takes no prefetches or annotations")
        query._choose_db_if_not_chosen()
        query._make_query()
        sql, params = query.query.get_parameterized_sql()
        self.rendered = sql, params, query._select_related_idx
        return self.rendered
