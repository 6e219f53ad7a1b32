"""`Statement`: a query built once, run with new values, gives what the query itself gives."""

import json

import pytest
from tortoise import connections
from tortoise.exceptions import FieldError
from tortoise.fields import JSONField
from tortoise.functions import Max, Min, Sum
from tortoise.transactions import in_transaction

from core.clock import Semester
from core.services import needs, signals
from storage.models import Municipality, RiskSignal, School, SchoolClass, Student, SupportNeed
from storage.one_of import one_of
from storage.query_counter import count_queries
from storage.statements import ModelStatement, Statement, _column, one_connection

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


NEEDS = Statement(
    SupportNeed,
    lambda v: (
        SupportNeed.filter(student_id=v("student"))
        .order_by("id")
        .values("id", "months", "details", "created_at", "school_year")
    ),
)
SIGNALS = Statement(
    RiskSignal,
    lambda v: (
        RiskSignal.filter(student_id=v("student"))
        .annotate(total=Sum("value"), first=Min("observed_from"), last=Max("observed_to"))
        .group_by("factor")
        .order_by("factor")
        .values("factor", "total", "first", "last")
    ),
)


async def test_json_dates_times_and_sums_come_as_the_query_gives_them(world):
    a1 = world.student_a1.id
    semester = Semester.current()
    await needs.ask_parent_about_need(world.teacher_a, a1, "transport_tickets", semester)
    need = await needs.ask_parent_about_need(world.teacher_a, a1, "meals", semester)
    await needs.answer_need(
        world.parent_a1, need.id, confirmed=True, months=semester.months()[:2], details="x"
    )
    await signals.record_risk_signal(world.teacher_a, a1, "unexcused_absences", value=3)
    await signals.record_risk_signal(world.teacher_a, a1, "unexcused_absences", value=4)
    await signals.record_risk_signal(world.teacher_a, a1, "health")

    need_rows = await NEEDS.rows(student=a1)
    signal_rows = await SIGNALS.rows(student=a1)

    assert need_rows == await NEEDS.build({"student": a1}.__getitem__)
    assert [row["months"] for row in need_rows] == [[], semester.months()[:2]]
    assert [row["created_at"].tzinfo for row in need_rows] == [
        row.created_at.tzinfo for row in await SupportNeed.filter(student_id=a1).order_by("id")
    ]
    assert signal_rows == await SIGNALS.build({"student": a1}.__getitem__)
    assert [row["total"] for row in signal_rows] == [None, 7]


@pytest.mark.parametrize("text", ["[1, 2]", '{"a": [true, null, "b"]}', '""', "3.5", "[]"])
def test_json_text_is_decoded_as_json_loads_decodes_it(text):
    _, convert, _ = _column("months", JSONField().to_python_value)

    assert convert(text) == json.loads(text)


@pytest.mark.parametrize("text", [" [1]", "[1] ", "[1", "[1] [2]", ""])
def test_json_text_the_scanner_does_not_read_whole_goes_to_tortoise(text):
    field = JSONField()
    _, convert, _ = _column("months", field.to_python_value)

    try:
        expected = field.to_python_value(text)
    except FieldError:
        with pytest.raises(FieldError):
            convert(text)
    else:
        assert convert(text) == expected


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
