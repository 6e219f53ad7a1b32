"""Roster files as spreadsheets and e-journals really save them: every problem is a 422 naming
its line (and column), and nothing of the file is saved."""

import pytest

from storage.models import AuditEvent, SchoolClass, Student

HEADER = "student_ref,class,first_name,last_name,family_language"
GOOD = ["EK-1,9.c,Liga,Zvaigzne", "EK-2,9.c,Oleg,Sokolov,ru"]


@pytest.fixture
async def post_roster(api, world, token_for):
    """Post a file as the school's coordinator (in English)."""
    headers = {
        **await token_for(world.coordinator_a),
        "Content-Type": "text/csv",
        "Accept-Language": "en",
    }

    async def post(content: bytes, query: str = "?partial=true"):
        return await api.post(
            f"/schools/{world.school_a.id}/roster{query}", headers=headers, content=content
        )

    return post


async def assert_nothing_saved(students_before: int) -> None:
    assert await Student.all().count() == students_before
    assert not await Student.filter(left_at__isnull=False).exists()
    assert not await SchoolClass.filter(name="9.c").exists()
    assert not await AuditEvent.filter(action="roster.import").exists()


@pytest.mark.parametrize(
    ("ending", "name"), [("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")], ids=["unix", "win", "mac"]
)
async def test_every_kind_of_line_ending_is_read_and_named(post_roster, ending, name):
    """Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR."""
    content = ending.join([HEADER, *GOOD]) + ending
    imported = await post_roster(content.encode())
    assert imported.status_code == 200, imported.text
    answer = imported.json()
    assert (answer["added"], answer["classes_created"], answer["left"]) == (2, 1, 0)
    assert answer["refs"]["added"] == ["EK-1", "EK-2"]
    assert (answer["encoding"], answer["separator"], answer["line_endings"]) == (
        "UTF-8",
        "comma",
        name,
    )


async def test_a_latvian_excel_file_in_cp1257_with_semicolons(post_roster):
    content = "\r\nSkolēna ID;Klase;Vārds;Uzvārds;Ģimenes valoda\r\nEK-1;9.c;Līga;Zvaigzne;lv\r\n"
    imported = await post_roster(content.encode("cp1257"))
    assert imported.status_code == 200, imported.text
    answer = imported.json()
    assert (answer["encoding"], answer["separator"], answer["line_endings"]) == (
        "cp1257",
        "semicolon",
        "CRLF",
    )
    assert await Student.filter(
        first_name="Līga", last_name="Zvaigzne", student_ref="EK-1"
    ).exists()


async def test_a_full_import_dry_run_and_the_same_file_again(post_roster, world):
    content = ("\n".join([HEADER, *GOOD, "EK-3,7.a,Anna,Kalnina"]) + "\n").encode()
    dry = await post_roster(content, "?dry_run=true")
    assert dry.status_code == 200, dry.text
    would = dry.json()
    assert would["dry_run"] and not would["partial"]
    # Anna Kalnina of 7.a gets her ref; Janis Ozols and Marta Liepa are not in the file.
    assert (would["added"], would["updated"], would["left"]) == (2, 1, 2)
    assert would["updated_fields"] == {"student_ref": 1}
    await assert_nothing_saved(6)

    done = (await post_roster(content, "")).json()
    assert {key: done[key] for key in ("added", "updated", "left")} == {
        key: would[key] for key in ("added", "updated", "left")
    }
    again = (await post_roster(content, "")).json()
    assert (again["added"], again["updated"], again["moved_class"], again["left"]) == (0, 0, 0, 0)
    assert again["unchanged"] == 3
    assert await AuditEvent.filter(action="roster.import").count() == 1


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["unix", "windows", "mac-classic"])
async def test_a_bad_line_is_named_whatever_the_line_endings(post_roster, ending):
    before = await Student.all().count()
    content = ending.join([HEADER, *GOOD, "", "EK-3,9.c,OnlyOneName"]) + ending
    refused = await post_roster(content.encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "Line 5, column last_name: this cell is missing."
    assert refused.json()["fields"][0]["field"] == "line 5, column last_name"
    await assert_nothing_saved(before)


async def test_a_cell_far_too_long_names_its_line(post_roster):
    before = await Student.all().count()
    content = "\n".join([HEADER, *GOOD, "EK-3,9.c," + "x" * 140_000 + ",Zvaigzne"])
    refused = await post_roster(content.encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Line 4: this line cannot be read as CSV")
    await assert_nothing_saved(before)


async def test_lines_are_counted_in_the_file_not_in_rows(post_roster):
    """A quoted cell may hold a line break: the line named is the one in the file."""
    before = await Student.all().count()
    content = f'{HEADER}\nEK-1,9.c,"Liga\nMarija",Zvaigzne\nEK-2,9.c,Oleg\n'
    refused = await post_roster(content.encode())
    assert refused.json()["detail"] == "Line 4, column last_name: this cell is missing."
    await assert_nothing_saved(before)


async def test_a_quote_left_open_names_the_line_it_opens_on(post_roster):
    before = await Student.all().count()
    content = f'{HEADER}\nEK-1,9.c,Liga,Zvaigzne\nEK-2,9.c,"Oleg,Sokolov\nEK-3,9.c,Anna,Liepa\n'
    refused = await post_roster(content.encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Line 3: ")
    await assert_nothing_saved(before)


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        ("EK-3,9.c", "Line 4, column first_name: this cell is missing."),
        ("EK-3,Liga,Zvaigzne,9.c", "Line 4, column class: the class must start with its grade"),
        ("EK-3,9.c,Liga,Zvaigzne,de", "Line 4, column family_language: the family language"),
        ("EK-2,9.c,Liga,Zvaigzne", "Line 4, column student_ref: this student ref is already on"),
        (
            "120304-20567,9.c,Liga,Zvaigzne",
            "Line 4, column student_ref: this looks like a personal",
        ),
        ("12030420567,9.c,Liga,Zvaigzne", "Line 4, column student_ref: this looks like a personal"),
        ("EK#3,9.c,Liga,Zvaigzne", "Line 4, column student_ref: the student ref must be"),
    ],
    ids=["short", "columns-swapped", "language", "duplicate-ref", "code", "code-digits", "ref"],
)
async def test_wrong_cells_name_the_line_and_column(post_roster, line, detail):
    before = await Student.all().count()
    refused = await post_roster(("\n".join([HEADER, *GOOD, line]) + "\n").encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(detail)
    await assert_nothing_saved(before)


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf" + HEADER.encode(),
        b"\n\r\n\r" + HEADER.encode(),
        (HEADER + "\n , , ,\n").encode(),
    ],
    ids=["bom-and-header", "blank-lines", "empty-cells"],
)
async def test_a_roster_without_students_is_refused(post_roster, content):
    refused = await post_roster(content)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "The roster is empty."


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"7.a,Anna,Kalnina\n"])
async def test_a_file_without_the_header_is_refused(post_roster, content):
    refused = await post_roster(content)
    assert refused.status_code == 422, refused.text
    assert "must be a header" in refused.json()["detail"] or "empty" in refused.json()["detail"]


async def test_binary_garbage_is_refused(post_roster):
    before = await Student.all().count()
    controls = bytes(range(1, 32)) * 8  # valid UTF-8, but no text
    refused = await post_roster(f"{HEADER}\n{GOOD[0]}\n".encode() + controls)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Line 3")

    refused = await post_roster(b"student_ref,class,first_name,last_name\nEK-1,7.a,A\x00n,B\n")
    assert refused.json()["detail"].startswith("Line 2, column first_name: The text contains")

    workbook = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#\xf4"  # an .xlsx
    refused = await post_roster(workbook)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("This is a spreadsheet workbook, not CSV")
    await assert_nothing_saved(before)


async def test_utf8_then_bytes_of_another_encoding_name_their_line(post_roster):
    before = await Student.all().count()
    content = f"{HEADER}\nEK-1,9.c,Līga,Zvaigzne\n".encode() + "EK-2,9.c,Ņina,Šķēle\n".encode(
        "cp1257"
    )
    refused = await post_roster(content)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Line 3: the file mixes encodings")
    await assert_nothing_saved(before)
