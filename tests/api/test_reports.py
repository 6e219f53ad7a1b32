"""The semester report over HTTP: JSON in the caller's language, XLSX and CSV files, roles."""

import csv
import io

from openpyxl import load_workbook

from core.clock import Semester
from tests.core.test_reports import busy_semester, programme_admin

SEMESTER = Semester.current().label


async def test_a_school_coordinator_reads_their_school_in_json(api, world, token_for):
    await busy_semester(world)
    headers = await token_for(world.coordinator_a)
    answer = await api.get(
        f"/reports/school-{world.school_a.id}", params={"semester": SEMESTER}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["scope"] == f"school-{world.school_a.id}"
    assert body["suppressed"] is False
    students = next(table for table in body["tables"] if table["code"] == "students")
    assert students["columns"][1] == "Iesaistīto izglītojamo skaits"
    assert students["rows"] == [["Ezerkalnes vidusskola", 3, 3, 2]]


async def test_the_country_opens_in_a_spreadsheet_with_latvian_and_russian_headers(
    api, world, token_for
):
    await busy_semester(world)
    headers = await token_for(await programme_admin())
    latvian = await api.get("/reports/country", params={"format": "xlsx"}, headers=headers)
    assert latvian.status_code == 200, latvian.text
    assert latvian.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(latvian.content))
    sheet = book[book.sheetnames[0]]
    assert sheet["A1"].value == "Semestra pārskats: Latvija"
    assert [cell.value for cell in sheet[3]] == [
        "Pašvaldība",
        "Iesaistīto izglītojamo skaits",
        "Ar vismaz vienu riska signālu",
        "Ar individuālo atbalsta plānu (IAP)",
    ]
    assert [cell.value for cell in sheet[4]] == ["Ezerkalnes novads", "<5", "<5", "<5"]
    assert len(book.sheetnames) == 12
    russian = await api.get(
        "/reports/country",
        params={"format": "xlsx"},
        headers=headers | {"Accept-Language": "ru"},
    )
    sheet = load_workbook(io.BytesIO(russian.content)).worksheets[0]
    assert sheet[3][0].value == "Самоуправление"
    assert sheet[3][1].value == "Вовлечено учащихся"


async def test_the_csv_holds_every_table_one_after_another(api, world, token_for):
    await busy_semester(world)
    headers = await token_for(world.coordinator_m1)
    answer = await api.get(
        f"/reports/municipality-{world.m1.id}", params={"format": "csv"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    lines = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert lines[0][0] == "Semestra pārskats: Ezerkalnes novads"
    assert lines[3][:2] == ["Izglītības iestāde", "Iesaistīto izglītojamo skaits"]
    assert ["Kopā", "<5", "<5", "<5"] in lines


async def test_who_may_read_which_report(api, world, token_for):
    coordinator = await token_for(world.coordinator_a)
    assert (await api.get("/reports/country", headers=coordinator)).status_code == 403
    municipality = await token_for(world.coordinator_m1)
    other = await api.get(f"/reports/school-{world.school_c.id}", headers=municipality)
    assert other.status_code == 404
    bad = await api.get("/reports/planet-1", headers=municipality | {"Accept-Language": "en"})
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid_input"
