"""One column of a query's rows as a list, typed: Tortoise types `values_list(field, flat=True)`
as a list of tuples, though it gives the values themselves."""

from typing import Any, cast

from tortoise.queryset import QuerySet


async def column(query: QuerySet[Any], field: str) -> list[Any]:
    return cast(list[Any], await query.values_list(field, flat=True))
