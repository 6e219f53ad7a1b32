"""Attendance over HTTP: the import's answers, and a bad file's lines in the ErrorOut shape."""

from datetime import date

import pytest

from core import clock
from storage.models import Absence, Student

FRIDAY = date(2026, 2, 27)
CSV = {"Content-Type": "text/csv", "Accept-Language": "en"}


@pytest.fixture
def on_friday(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: FRIDAY)


async def with_refs(world):
    for ref, student in (("R1", world.student_a1), ("R2", world.student_a2)):
        await Student.filter(id=student.id).update(student_ref=ref)


async def test_a_coordinator_imports_a_file_and_learns_who_rose(api, world, token_for, on_friday):
    await with_refs(world)
    body = "student_ref;date;lessons_missed;excused\r\nR1;23.02.2026;6;nē\r\nR1;24.02.2026;6;no\r\n"
    headers = await token_for(world.coordinator_a) | CSV
    url = f"/schools/{world.school_a.id}/attendance"
    dry = await api.post(url + "?dry_run=true", headers=headers, content=body.encode("cp1257"))
    assert dry.status_code == 200, dry.text
    assert dry.json()["created"] == 2 and dry.json()["levels"] is None
    assert await Absence.all().count() == 0
    answer = await api.post(url, headers=headers, content=body.encode("cp1257"))
    assert answer.status_code == 200
    report = answer.json()
    assert (report["encoding"], report["separator"], report["line_ending"]) == (
        "cp1257",
        "semicolon",
        "CRLF",
    )
    assert (report["rows"], report["created"], report["first_day"]) == (2, 2, "2026-02-23")
    [change] = report["changes"]
    assert (change["student_id"], change["after"], change["share_percent"]) == (
        world.student_a1.id,
        "high",
        10.0,  # 12 of 120 lessons
    )
    student = (await api.get(f"/students/{world.student_a1.id}", headers=headers)).json()
    assert student["absence_level"] == "high"


async def test_a_bad_file_is_a_422_naming_each_line_and_saves_nothing(
    api, world, token_for, on_friday
):
    await with_refs(world)
    body = b"student_ref,date,lessons_missed\nR1,2026-02-23,2\nR9,2026-02-23,2\nR2,2026-02-31,1\n"
    answer = await api.post(
        f"/schools/{world.school_a.id}/attendance",
        headers=await token_for(world.coordinator_a) | CSV,
        content=body,
    )
    assert answer.status_code == 422
    error = answer.json()
    assert error["error"] == "invalid_input"
    assert [problem["field"] for problem in error["fields"]] == ["line 3", "line 4"]
    assert "R9" in error["fields"][0]["problem"]
    assert "Line 4:" in error["detail"]
    assert await Absence.all().count() == 0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"ref;day\r\nR1;2026-02-23\r\n", "Line 1: the header must name the columns"),
        (b"\xef\xbb\xbfstudent_ref,date,lessons_missed\n", "The file has no rows"),
        (b"student_ref,date,lessons_missed\nR1,2026-02-23,1\nR2,2026-02-23,\xe2\x82\n", "Line 3"),
        (b'student_ref,date,lessons_missed\nR1,2026-02-23,1\nR2,"2026-02-23,1\n', "Line 3"),
        (b"\x00\x01\x02PK\x03\x04" * 20, "Line 1"),
    ],
    ids=["no-header", "no-rows", "cut-utf8", "open-quote", "binary"],
)
async def test_a_bad_file_of_any_kind_is_a_422_and_saves_nothing(
    api, world, token_for, on_friday, body, problem
):
    await with_refs(world)
    answer = await api.post(
        f"/schools/{world.school_a.id}/attendance",
        headers=await token_for(world.coordinator_a) | CSV,
        content=b"student_ref,date,lessons_missed\nR1,2026-02-23,2\n",
    )
    assert answer.status_code == 200  # a good file first: a bad one must not touch it
    answer = await api.post(
        f"/schools/{world.school_a.id}/attendance",
        headers=await token_for(world.coordinator_a) | CSV,
        content=body,
    )
    assert answer.status_code == 422, answer.text
    assert problem in answer.json()["detail"]
    rows = await Absence.all().values_list("student_id", "unexcused")
    assert rows == [(world.student_a1.id, 2)]


async def test_a_teacher_may_not_import_but_logs_absences(api, world, token_for, on_friday):
    teacher = await token_for(world.teacher_a)
    refused = await api.post(
        f"/schools/{world.school_a.id}/attendance",
        headers=teacher | CSV,
        content=b"student_ref,date,lessons_missed\n",
    )
    assert refused.status_code == 403
    logged = await api.post(
        "/absences",
        headers=teacher,
        json={
            "class_id": world.class_a7.id,
            "student_ids": [world.student_a1.id],
            "lessons": 6,
            "day": "2026-02-26",
        },
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["changes"][0]["after"] == "caution"  # 6 of 120 lessons
