"""`Statement`: a query built once, run with new values, gives what the query itself gives."""

from tortoise import connections
from tortoise.transactions import in_transaction

from storage.models import Municipality, School
from storage.one_of import one_of
from storage.query_counter import count_queries
from storage.statements import Statement, one_connection

SCHOOLS = Statement(
    School,
    lambda v: (
        School.filter(**one_of("municipality_id", v("municipalities")), kind=v("kind"))
        .order_by("name")
        .values("name", "state_vocational", municipality="municipality__name")
    ),
)


def by_query(municipalities: list[int], kind: str):
    return (
        School.filter(municipality_id__in=municipalities, kind=kind)
        .order_by("name")
        .values("name", "state_vocational", municipality="municipality__name")
    )


async def test_a_statement_gives_the_rows_of_its_query_for_each_run_s_values(db):
    north = await Municipality.create(name="Ziemeļu novads")
    south = await Municipality.create(name="Dienvidu novads")
    await School.create(name="B skola", kind="general", municipality=north)
    await School.create(name="A skola", kind="general", municipality=south)
    await School.create(
        name="C skola", kind="vocational", state_vocational=True, municipality=south
    )

    for municipalities, kind in [
        ([north.id], "general"),
        ([north.id, south.id], "general"),
        ([south.id], "vocational"),
        ([], "general"),
    ]:
        with count_queries() as counted:
            rows = await SCHOOLS.rows(municipalities=municipalities, kind=kind)
        assert rows == await by_query(municipalities, kind)
        assert counted.queries == 1


async def test_a_statement_runs_in_the_transaction_it_is_called_in(db):
    async with in_transaction():
        town = await Municipality.create(name="Pilsēta")
        await School.create(name="D skola", kind="general", municipality=town)
        rows = await SCHOOLS.rows(municipalities=[town.id], kind="general")
    assert [row["name"] for row in rows] == ["D skola"]


async def test_statements_in_one_connection_take_it_from_the_pool_once(db, monkeypatch):
    town = await Municipality.create(name="Pilsēta")
    await School.create(name="D skola", kind="general", municipality=town)
    client = connections.get("default")
    taken = []
    acquire = client.acquire_connection

    def counted():
        taken.append(1)
        return acquire()

    monkeypatch.setattr(client, "acquire_connection", counted)
    async with one_connection(School):
        first = await SCHOOLS.rows(municipalities=[town.id], kind="general")
        second = await SCHOOLS.rows(municipalities=[town.id], kind="vocational")
    after = await SCHOOLS.rows(municipalities=[town.id], kind="general")

    assert [row["name"] for row in first] == ["D skola"] and second == [] and after == first
    on_postgres = client.capabilities.dialect == "postgres"
    assert len(taken) == (2 if on_postgres else 3)  # the block's one, then the run after it


async def test_a_transaction_inside_one_connection_keeps_its_own(db):
    async with one_connection(School), in_transaction():
        town = await Municipality.create(name="Pilsēta")
        await School.create(name="D skola", kind="general", municipality=town)
        rows = await SCHOOLS.rows(municipalities=[town.id], kind="general")
    assert [row["name"] for row in rows] == ["D skola"]
