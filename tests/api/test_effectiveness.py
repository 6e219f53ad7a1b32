"""Did it work? over HTTP: JSON with its statements, CSV and XLSX headers by language, the chart,
roles and bad requests."""

import csv
import io

from openpyxl import load_workbook

from tests.effectiveness_world import admin, halving_world

SEMESTER = "2025/26-1"


async def test_the_country_report_finds_the_halving_measure(api, world, token_for):
    await halving_world(world.class_a7)
    analyst = await token_for(await admin())
    answer = await api.get(
        "/effectiveness/country",
        params={"semester": SEMESTER},
        headers=analyst | {"Accept-Language": "en"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["scope"], body["name"], body["weeks"]) == ("country", "Latvia", 6)
    assert body["small_numbers_suppressed"] is True
    psychologist = next(m for m in body["measures"] if m["measure"] == "consultation:psychologist")
    assert psychologist["received"] == 25
    assert psychologist["start_day"] == "2025-10-20"
    assert psychologist["with_measure"]["students"] == 25
    assert psychologist["without_measure"]["students"] == 30
    assert psychologist["absences"]["conclusion"] == "lower"
    assert psychologist["absences"]["high"] < 0
    assert "interval at 95%" in psychologist["statement"]
    assert "not proof" in " ".join(body["caveat"])
    ngo = next(m for m in body["measures"] if m["kind"] == "ngo")
    assert ngo["measurable"] is False and "Not measurable" in ngo["statement"]


async def test_weeks_change_the_windows(api, world, token_for):
    await halving_world(world.class_a7)
    coordinator = await token_for(world.coordinator_a)
    answer = await api.get(
        f"/effectiveness/school-{world.school_a.id}",
        params={"semester": SEMESTER, "weeks": 2},
        headers=coordinator,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["weeks"] == 2
    psychologist = next(m for m in body["measures"] if m["measure"] == "consultation:psychologist")
    # the synthetic lessons sit in the first days of each 6-week window: 2 weeks see fewer before
    assert psychologist["with_measure"]["absences_before"] == 0
    assert body["small_numbers_suppressed"] is False


async def test_csv_has_latvian_headers_by_default(api, world, token_for):
    await halving_world(world.class_a7)
    coordinator = await token_for(world.coordinator_m1)
    answer = await api.get(
        f"/effectiveness/municipality-{world.m1.id}",
        params={"semester": SEMESTER, "format": "csv"},
        headers=coordinator,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="effectiveness_municipality-{world.m1.id}_2025-26-1.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Pasākuma veids"
    assert rows[1][0] == "Konsultācijas: Pedagogs"
    psychologist = next(row for row in rows if row[0] == "Konsultācijas: Psihologs")
    assert psychologist[1] == "25"


async def test_xlsx_opens_with_headers_in_latvian_and_russian(api, world, token_for):
    await halving_world(world.class_a7)
    coordinator = await token_for(world.coordinator_a)
    expected = {
        "lv": ("Pasākuma veids", "Skolēni, kas to saņēma"),
        "ru": ("Вид меры поддержки", "Учеников, получивших её"),
    }
    for language, (first, second) in expected.items():
        answer = await api.get(
            f"/effectiveness/school-{world.school_a.id}",
            params={"semester": SEMESTER, "format": "xlsx"},
            headers=coordinator | {"Accept-Language": language},
        )
        assert answer.status_code == 200, answer.text
        workbook = load_workbook(io.BytesIO(answer.content))
        sheet = workbook.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        assert header[:2] == [first, second], language
        labels = [row[0].value for row in sheet.iter_rows(min_row=2)]
        assert len(labels) == 15  # 8 specialist types, 6 support types, NGO involvement
        assert len(workbook.worksheets) == 2


async def test_the_chart_is_a_png(api, world, token_for):
    await halving_world(world.class_a7)
    coordinator = await token_for(world.coordinator_a)
    answer = await api.get(
        f"/effectiveness/school-{world.school_a.id}/chart",
        params={"semester": SEMESTER},
        headers=coordinator,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG")


async def test_roles_and_bad_requests(api, world, token_for):
    assert (await api.get("/effectiveness/country")).status_code == 401
    school = await token_for(world.coordinator_a)
    country = await api.get("/effectiveness/country", headers=school)
    assert country.status_code == 403
    assert country.json()["error"] == "access_denied"
    teacher = await token_for(world.teacher_a)
    assert (
        await api.get(f"/effectiveness/school-{world.school_a.id}", headers=teacher)
    ).status_code == 403
    other = await token_for(world.coordinator_m2)
    beyond = await api.get(f"/effectiveness/municipality-{world.m1.id}", headers=other)
    missing = await api.get("/effectiveness/municipality-999999", headers=other)
    assert beyond.status_code == 404
    assert (beyond.status_code, beyond.json()) == (missing.status_code, missing.json())
    for path, params in (
        ("/effectiveness/planet-1", {}),
        ("/effectiveness/school-x", {}),
        (f"/effectiveness/school-{world.school_a.id}", {"weeks": 0}),
        (f"/effectiveness/school-{world.school_a.id}", {"weeks": 13}),
        (f"/effectiveness/school-{world.school_a.id}", {"semester": "2025-3"}),
        (f"/effectiveness/school-{world.school_a.id}", {"format": "pdf"}),
    ):
        answer = await api.get(path, params=params, headers=school)
        assert answer.status_code == 422, (path, params)
        assert answer.json()["error"] == "invalid_input"
