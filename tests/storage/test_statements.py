"""`Statement`: a query built once, run with new values, gives what the query itself gives."""

from tortoise.transactions import in_transaction

from storage.models import Municipality, School, SchoolClass, Student
from storage.one_of import one_of
from storage.query_counter import count_queries
from storage.statements import ModelStatement, Statement

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


STUDENTS = ModelStatement(
    Student,
    lambda v: (
        Student.filter(**one_of("school_id", v("schools")), left_at__isnull=True)
        .select_related("school", "school_class")
        .order_by("last_name")
    ),
)


async def test_a_model_statement_gives_the_models_of_its_query_with_their_related(db):
    town = await Municipality.create(name="Pilsēta")
    first = await School.create(name="E skola", kind="general", municipality=town)
    second = await School.create(name="F skola", kind="general", municipality=town)
    seventh = await SchoolClass.create(school=first, grade=7, name="7.a")
    await Student.create(school=first, school_class=seventh, first_name="Anna", last_name="Bērziņa")
    fifth = await SchoolClass.create(school=second, grade=5, name="5.b")
    await Student.create(school=second, school_class=fifth, first_name="Jānis", last_name="Ozols")
    for schools in ([first.id], [first.id, second.id], []):
        with count_queries() as counted:
            found = await STUDENTS.models(schools=schools)
        assert counted.queries == 1
        expected = (
            await Student.filter(school_id__in=schools, left_at__isnull=True)
            .select_related("school", "school_class")
            .order_by("last_name")
        )
        assert [(s.id, s.school.name, s.school_class.name) for s in found] == [
            (s.id, s.school.name, s.school_class.name) for s in expected
        ]
        assert [dict(s) for s in found] == [dict(s) for s in expected]
    assert await STUDENTS.first(schools=[]) is None
