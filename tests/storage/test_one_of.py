"""`one_of`: a column among many ids, one statement shape for any number of them."""

from storage.columns import column
from storage.models import Municipality
from storage.one_of import one_of
from storage.query_counter import count_queries


async def test_one_of_finds_the_ids_with_one_statement_for_any_number_of_them(db):
    ids = [(await Municipality.create(name=f"Novads {n}")).id for n in range(3)]
    assert sorted(await column(Municipality.filter(**one_of("id", ids[:2])), "id")) == ids[:2]

    with count_queries() as counted:
        found = await column(Municipality.filter(**one_of("id", ids)), "id")

    assert sorted(found) == ids
    assert counted.prepares == 0  # on PostgreSQL: the statement of two ids, reused for three
    assert await Municipality.filter(**one_of("id", [])).count() == 0
