"""Roster files as spreadsheets really save them: every problem is a 422 naming its line."""

import pytest

from storage.models import AuditEvent, SchoolClass, Student

GOOD = ["9.c,Liga,Zvaigzne", "9.c,Oleg,Sokolov,ru"]


@pytest.fixture
async def post_roster(api, world, token_for):
    """Post a file as the school's coordinator (in English); nothing else may be saved."""
    headers = {
        **await token_for(world.coordinator_a),
        "Content-Type": "text/csv",
        "Accept-Language": "en",
    }

    async def post(content: bytes):
        return await api.post(
            f"/schools/{world.school_a.id}/roster", headers=headers, content=content
        )

    return post


async def assert_nothing_saved(students_before: int) -> None:
    assert await Student.all().count() == students_before
    assert not await SchoolClass.filter(name="9.c").exists()
    assert not await AuditEvent.filter(action="roster.import").exists()


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["unix", "windows", "mac-classic"])
async def test_every_kind_of_line_ending_is_read(post_roster, ending):
    """Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR."""
    content = ending.join(["class,first_name,last_name,family_language", *GOOD]) + ending
    imported = await post_roster(content.encode())
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"created": 2, "classes_created": 1}


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["unix", "windows", "mac-classic"])
async def test_a_bad_line_is_named_whatever_the_line_endings(post_roster, world, ending):
    before = await Student.all().count()
    content = ending.join([*GOOD, "", "9.c,OnlyOneName"]) + ending
    refused = await post_roster(content.encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "Line 4: expected class, first name, last name."
    await assert_nothing_saved(before)


async def test_a_cell_longer_than_the_csv_limit_names_its_line(post_roster):
    before = await Student.all().count()
    content = "\n".join([*GOOD, "9.c," + "x" * 140_000 + ",Zvaigzne"])
    refused = await post_roster(content.encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Line 3: this line cannot be read as CSV")
    await assert_nothing_saved(before)


async def test_lines_are_counted_in_the_file_not_in_rows(post_roster):
    """A quoted cell may hold a line break: the line named is the one in the file."""
    before = await Student.all().count()
    content = '9.c,"Liga\nMarija",Zvaigzne\n9.c,Oleg\n'
    refused = await post_roster(content.encode())
    assert refused.json()["detail"] == "Line 3: expected class, first name, last name."
    await assert_nothing_saved(before)


async def test_a_quote_left_open_names_the_line_it_opens_on(post_roster):
    before = await Student.all().count()
    content = '9.c,Liga,Zvaigzne\n9.c,"Oleg,Sokolov\n9.c,Anna,Liepa\n'
    refused = await post_roster(content.encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Line 2: ")
    await assert_nothing_saved(before)


@pytest.mark.parametrize(
    "line",
    ["9.c,Liga", "9.c,Liga,Zvaigzne,lv,extra", "Liga,Zvaigzne,9.c", "9.c,Liga,Zvaigzne,de"],
    ids=["two-cells", "five-cells", "columns-swapped", "unknown-language"],
)
async def test_wrong_columns_name_the_line(post_roster, line):
    before = await Student.all().count()
    refused = await post_roster(("\n".join([*GOOD, line]) + "\n").encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Line 3: ")
    await assert_nothing_saved(before)


@pytest.mark.parametrize(
    "content",
    [b"\xef\xbb\xbf", b"\n\r\n\r", b" , ,\n", b"class,first_name,last_name\r\n"],
    ids=["only-bom", "blank-lines", "empty-cells", "only-header"],
)
async def test_a_roster_without_students_is_refused(post_roster, content):
    refused = await post_roster(content)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "The roster is empty."
    assert (await post_roster(b"")).status_code == 422  # no file at all


async def test_binary_garbage_is_refused(post_roster):
    before = await Student.all().count()
    controls = bytes(range(32)) * 8  # valid UTF-8, but no text
    refused = await post_roster(b"9.c,Liga,Zvaigzne\n" + controls)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Line 2: ")

    workbook = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#\xf4"  # an .xlsx
    refused = await post_roster(workbook)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "The file must be CSV text in UTF-8."
    await assert_nothing_saved(before)


async def test_a_header_after_blank_lines_and_semicolons_as_latvian_excel_saves(post_roster):
    content = "\ufeff\r\nKlase;Vārds;Uzvārds;Ģimenes valoda\r\n9.c;Līga;Zvaigzne;lv\r\n"
    imported = await post_roster(content.encode())
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"created": 1, "classes_created": 1}
    assert await Student.filter(first_name="Līga", last_name="Zvaigzne").exists()
