"""A roster kept in sync with the school's register: the upsert rules, formats and costs."""

import pytest

from core.clock import today
from core.csv_import import chunks_of
from core.errors import InvalidInput
from core.services import rosters, schools
from storage.models import AuditEvent, Consultation, RiskSignal, SchoolClass, Student
from storage.query_counter import count_queries

HEADER = "student_ref,class,first_name,last_name,family_language"
CLASS_7A = [
    "EK-1,7.a,Anna,Kalnina,lv",
    "EK-2,7.a,Janis,Ozols,lv",
    "EK-3,7.a,Oleg,Sokolov,ru",
]


def roster(*lines: str, header: str = HEADER, ending: str = "\n") -> bytes:
    return (ending.join([header, *lines]) + ending).encode()


async def run(world, content: bytes, **options) -> rosters.RosterResult:
    return await rosters.import_roster(
        world.coordinator_a, world.school_a.id, chunks_of(content), **options
    )


async def on_lists(world) -> dict[str, tuple[str, str, str]]:
    """The school's listed students by ref: (class, first name, last name)."""
    listed = await schools.list_students(world.coordinator_a, school_id=world.school_a.id)
    classes = {c.id: c.name for c in await SchoolClass.filter(school_id=world.school_a.id)}
    return {
        s.student_ref or f"id{s.id}": (classes[s.school_class_id], s.first_name, s.last_name)
        for s in listed
    }


async def test_a_first_import_adds_the_file_and_the_students_not_in_it_leave(world):
    result = await run(world, roster(*CLASS_7A))
    # The world's students without refs: Anna Kalnina and Janis Ozols of 7.a get their refs,
    # Marta Liepa of 8.b is not in the file, so she leaves.
    assert (result.added, result.updated, result.left) == (1, 2, 1)
    assert result.updated_fields == {"student_ref": 2}
    assert result.refs["added"] == ["EK-3"]
    assert await on_lists(world) == {
        "EK-1": ("7.a", "Anna", "Kalnina"),
        "EK-2": ("7.a", "Janis", "Ozols"),
        "EK-3": ("7.a", "Oleg", "Sokolov"),
    }
    marta = await Student.get(id=world.student_a3.id)
    assert marta.left_at == today()
    assert world.student_a1.id == (await Student.get(student_ref="EK-1")).id


async def test_rename_move_class_leave_and_return(world):
    await run(world, roster(*CLASS_7A))
    changed = roster(
        "EK-1,7.a,Anna,Kalnina-Berzina,lv",  # renamed
        "EK-2,8.b,Janis,Ozols,lv",  # moved to 8.b
        "EK-4,9.c,Liga,Zvaigzne",  # new, in a new class, language not given: lv
    )  # EK-3 is missing: leaves
    result = await run(world, changed)
    assert (result.added, result.updated, result.moved_class, result.left) == (1, 1, 1, 1)
    assert result.updated_fields == {"last_name": 1}
    assert result.classes_created == 1
    assert result.refs == {
        "added": ["EK-4"],
        "updated": ["EK-1"],
        "moved_class": ["EK-2"],
        "left": ["EK-3"],
        "returned": [],
    }
    assert await on_lists(world) == {
        "EK-1": ("7.a", "Anna", "Kalnina-Berzina"),
        "EK-2": ("8.b", "Janis", "Ozols"),
        "EK-4": ("9.c", "Liga", "Zvaigzne"),
    }
    added = await Student.get(student_ref="EK-4")
    assert (added.family_language, added.created_at is not None) == ("lv", True)

    back = await run(world, roster(*CLASS_7A))
    assert back.returned == 1 and back.refs["returned"] == ["EK-3"]
    assert (await Student.get(student_ref="EK-3")).left_at is None
    assert "EK-3" in await on_lists(world)


async def test_a_leaver_keeps_their_records(world):
    signal = await RiskSignal.create(
        student_id=world.student_a3.id,
        school_id=world.school_a.id,
        group="attendance",
        factor="absences",
        level="caution",
        observed_from=today(),
        observed_to=today(),
    )
    await run(world, roster(*CLASS_7A))
    assert world.student_a3.id not in {
        s.id for s in await schools.list_students(world.coordinator_a)
    }
    assert await RiskSignal.exists(id=signal.id)
    from core.access import visible_student

    assert (await visible_student(world.coordinator_a, world.student_a3.id)).left_at == today()


async def test_a_partial_import_only_adds_and_updates(world):
    await run(world, roster(*CLASS_7A))
    result = await run(world, roster("EK-9,7.a,Zane,Roze"), partial=True)
    assert (result.added, result.left) == (1, 0)
    assert set(await on_lists(world)) == {"EK-1", "EK-2", "EK-3", "EK-9"}


async def test_the_same_file_twice_changes_nothing(world):
    await run(world, roster(*CLASS_7A))
    students = await Student.all().values_list("id", "first_name", "school_class_id", "left_at")
    events = await AuditEvent.all().count()
    with count_queries() as counted:
        again = await run(world, roster(*CLASS_7A))
    assert again.changes == 0 and again.classes_created == 0 and again.unchanged == 3
    assert await Student.all().values_list("id", "first_name", "school_class_id", "left_at") == (
        students
    )
    assert await AuditEvent.all().count() == events
    assert counted.queries == 3  # the school (access), its classes, its students: no write


async def test_a_dry_run_says_what_would_change_and_writes_nothing(world):
    before = await Student.all().values_list("id", "student_ref", "left_at")
    result = await run(world, roster(*CLASS_7A, "EK-5,9.c,Liga,Zvaigzne"), dry_run=True)
    assert result.dry_run
    assert (result.added, result.updated, result.left, result.classes_created) == (2, 2, 1, 1)
    assert await Student.all().values_list("id", "student_ref", "left_at") == before
    assert not await SchoolClass.filter(name="9.c").exists()
    assert not await AuditEvent.filter(action="roster.import").exists()


@pytest.mark.parametrize("size", [10, 1200])
async def test_the_number_of_queries_does_not_grow_with_the_roster(world, size):
    lines = [f"R{n},{7 + n % 3}.x,First{n},Last{n}" for n in range(size)]
    with count_queries() as first:
        await run(world, roster(*lines, header="student_ref,class,first_name,last_name"))
    renamed = [line + "s" for line in lines]
    with count_queries() as second:
        result = await run(world, roster(*renamed, header="student_ref,class,first_name,last_name"))
    assert result.updated == size
    assert await Student.filter(school_id=world.school_a.id, left_at__isnull=True).count() == size
    # Reads: the school, its classes, its students. Writes: the new classes, (the classes again),
    # the students 500 to an insert, the leavers, the audit event; then the renames (one
    # executemany), the audit event.
    inserts = -(-size // rosters.BATCH)  # 1200 rows: two more inserts than 10
    assert first.queries == 7 + inserts
    assert second.queries == 5


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", b"\xef\xbb\xbf", "UTF-8 with BOM"),
        ("cp1257", b"", "cp1257"),
    ],
)
@pytest.mark.parametrize(("separator", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
async def test_every_encoding_separator_and_line_ending_is_read(
    world, encoding, bom, expected, separator, name, ending
):
    lines = ["skolēna_id;Klase;Vārds;Uzvārds", "EK-7;9.c;Līga;Zvaigzne", "EK-8;9.c;Ņina;Šķēle"]
    text = ending.join(line.replace(";", separator) for line in lines) + ending
    result = await run(world, bom + text.encode(encoding), partial=True)
    assert (result.found.encoding, result.found.separator) == (expected, name)
    assert result.found.line_ending == {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}[ending]
    assert result.added == 2
    names = await Student.filter(student_ref__in=["EK-7", "EK-8"]).order_by("student_ref")
    assert [(s.first_name, s.last_name) for s in names] == [("Līga", "Zvaigzne"), ("Ņina", "Šķēle")]


async def test_cp1257_after_a_long_ascii_start_is_still_read(world):
    """The encoding is decided by the first byte that is not UTF-8, wherever it comes."""
    lines = [f"R{n},7.a,Anna{n},Berzina" for n in range(4000)] + ["R-last,7.a,Līga,Šķēle"]
    content = roster(*lines, header="student_ref,class,first_name,last_name")
    result = await run(world, content.decode().encode("cp1257"), partial=True)
    assert result.found.encoding == "cp1257"
    assert (await Student.get(student_ref="R-last")).last_name == "Šķēle"


async def test_columns_are_found_by_their_header_in_any_order(world):
    content = b"Uzvards,Vards,Skolas nr,Klase,student_ref\nZvaigzne,Liga,12,9.c,EK-5\n"
    await run(world, content, partial=True)
    student = await Student.get(student_ref="EK-5")
    assert (student.first_name, student.last_name) == ("Liga", "Zvaigzne")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "010203-12345,7.a,Zane,Roze",
            "Line 3, column student_ref: this looks like a personal identity code.",
        ),
        ("01020312345,7.a,Zane,Roze", "Line 3, column student_ref: this looks like a personal"),
        ("EK 9,7.a,Zane,Roze", "Line 3, column student_ref: the student ref must be"),
        (
            "EK-1,7.a,Zane,Roze",
            "Line 3, column student_ref: this student ref is already on line 2.",
        ),
        ("EK-9,Septitie,Zane,Roze", "Line 3, column class: the class must start with its grade"),
        ("EK-9,7.a,,Roze", "Line 3, column first_name: a name is needed"),
        ("EK-9,7.a,@Zane,Roze", "Line 3, column first_name: A name must start with a letter"),
        ("EK-9,7.a,Zane", "Line 3, column last_name: this cell is missing."),
        ("EK-9,7.a,Zane,Roze,de", "Line 3, column family_language: the family language must be"),
    ],
)
async def test_a_bad_cell_names_its_line_and_column_and_nothing_is_saved(world, line, message):
    before = await Student.all().values_list("id", "student_ref", "left_at")
    with pytest.raises(InvalidInput) as refused:
        await run(world, roster("EK-1,7.a,Anna,Kalnina", line))
    assert refused.value.text("en").startswith(message)
    assert await Student.all().values_list("id", "student_ref", "left_at") == before


async def test_a_header_without_a_needed_column_is_refused(world):
    with pytest.raises(InvalidInput) as refused:
        await run(world, b"class,first_name,last_name\n7.a,Anna,Kalnina\n")
    assert "missing: student_ref" in refused.value.text("en")


async def test_records_stay_with_a_student_who_moves_school(world):
    a3 = world.student_a3
    session = await Consultation.create(
        student_id=a3.id,
        school_id=world.school_a.id,
        specialist_type="teacher",
        held_on=today(),
        minutes=30,
        mode="in_person",
    )
    teacher_b_sees = {s.id for s in await schools.list_students(world.teacher_b)}
    assert a3.id not in teacher_b_sees  # not before the move

    moved = await rosters.move_student(
        world.coordinator_m1, a3.id, world.school_b.id, class_name="8.a", student_ref="LP-77"
    )
    assert (moved.school_id, moved.student_ref) == (world.school_b.id, "LP-77")
    assert a3.id in {s.id for s in await schools.list_students(world.teacher_b)}
    assert a3.id not in {s.id for s in await schools.list_students(world.teacher_a)}
    session = await Consultation.get(id=session.id)
    assert (session.student_id, session.school_id) == (a3.id, world.school_a.id)
    assert await AuditEvent.filter(action="student.move", entity_id=a3.id).exists()


async def test_a_move_needs_a_coordinator_over_both_schools(world):
    from core.errors import AccessDenied, NotFound

    with pytest.raises(AccessDenied):
        await rosters.move_student(
            world.coordinator_a, world.student_a3.id, world.school_b.id, class_name="8.a"
        )
    with pytest.raises(NotFound):  # school_c is in another municipality
        await rosters.move_student(
            world.coordinator_m1, world.student_a3.id, world.school_c.id, class_name="8.a"
        )
    operator = await rosters.move_student(
        None, world.student_a3.id, world.school_c.id, class_name="8.a"
    )
    assert operator.school_id == world.school_c.id


async def test_a_file_read_a_byte_at_a_time_reads_the_same(world):
    """Chunks may cut a character in two, or a CR LF between its CR and its LF."""
    from core.csv_import import Format, read_records

    content = '\ufeffskolēna_id;Klase;Vārds\r\nEK-7;9.c;"Līga\r\nMarija"\r\nEK-8;9.c;Ņina\r\n'
    found = Format()
    records = [
        r async for r in read_records(chunks_of([bytes([b]) for b in content.encode()]), found)
    ]
    assert records == [
        (1, ["skolēna_id", "Klase", "Vārds"]),
        (2, ["EK-7", "9.c", "Līga\nMarija"]),
        (4, ["EK-8", "9.c", "Ņina"]),
    ]
    assert (found.encoding, found.separator, found.line_ending) == (
        "UTF-8 with BOM",
        "semicolon",
        "CRLF",
    )
