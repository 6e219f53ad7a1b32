"""Attendance import and the early-warning levels: EWIMS thresholds over the school's window."""

from datetime import date
from decimal import Decimal

import pytest

from core import clock
from core.absence_rules import AbsenceRules
from core.errors import AccessDenied, InvalidInput, NotFound
from core.services.absence_levels import ABSENCE_HIGH
from core.services.attendance import FileProblems, import_attendance, record_absences
from storage.models import Absence, OutboxItem, RiskSignal, School, SchoolHoliday, Student

FRIDAY = date(2026, 2, 27)  # the window of 28 days up to it holds 20 school days (2-27 Feb)


@pytest.fixture
def on_friday(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: FRIDAY)


async def refs(world) -> dict[str, Student]:
    """Register references for school A's three students: R1, R2, R3."""
    students = {"R1": world.student_a1, "R2": world.student_a2, "R3": world.student_a3}
    for ref, student in students.items():
        student.student_ref = ref
        await student.save()
    return students


def csv(*lines: str, header: str = "student_ref,date,lessons_missed") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


@pytest.mark.parametrize(
    ("unexcused", "level"),
    [(0, None), (49, None), (50, "caution"), (99, "caution"), (100, "high"), (1000, "high")],
)
def test_thresholds_are_exact_at_their_boundaries(unexcused, level):
    assert AbsenceRules().level(unexcused, 1000) == level  # 4.9%, 5.0%, 9.9%, 10.0%


def test_shares_that_floats_round_wrong_are_exact():
    assert AbsenceRules().level(7, 70) == "high"
    assert AbsenceRules().level(3, 60) == "caution"
    own = AbsenceRules(caution_percent=Decimal("4.9"), high_percent=Decimal("7.5"))
    assert own.level(49, 1000) == "caution"
    assert own.level(74, 1000) == "caution"
    assert own.level(75, 1000) == "high"


async def test_import_sets_levels_by_the_share_of_the_windows_lessons(world, on_friday):
    school = world.school_a
    school.lessons_per_day = 50  # 20 school days x 50 = 1000 lessons: a lesson is 0.1%
    await school.save()
    students = await refs(world)
    await Student.filter(id=world.student_a3.id).update(student_ref=None)
    extra = await Student.create(
        school=school, school_class=world.class_a7, first_name="X", last_name="Y", student_ref="R4"
    )
    report = await import_attendance(
        world.coordinator_a,
        school.id,
        csv(
            "R1,2026-02-02,49",  # 4.9%
            "R2,02.02.2026,50",  # 5.0%
            "R4,2026-02-03,49",
            "R4,2026-02-04,50",  # 9.9%
        ),
    )
    assert (report.rows, report.created, report.updated, report.unchanged) == (4, 4, 0, 0)
    levels = {s.id: s.absence_level for s in await Student.filter(school_id=school.id)}
    assert levels[students["R1"].id] is None
    assert levels[students["R2"].id] == "caution"
    assert levels[extra.id] == "caution"
    await import_attendance(world.coordinator_a, school.id, csv("R4,2026-02-05,1"))  # 10.0%
    assert (await Student.get(id=extra.id)).absence_level == "high"
    signals = await RiskSignal.filter(student_id=extra.id).order_by("id")
    assert [(s.level, s.value, s.observed_from, s.observed_to) for s in signals] == [
        ("caution", 99, date(2026, 1, 8), date(2026, 2, 4)),  # 20 school days too
        ("high", 100, date(2026, 1, 9), date(2026, 2, 5)),
    ]


@pytest.mark.parametrize(
    ("today", "lines", "unexcused", "lessons"),
    [
        # 21 Feb - 20 Mar: 20 weekdays, less the spring break (9-13 March): 15 days, 90 lessons.
        (date(2026, 3, 20), ("R1,2026-03-16,5", "R1,2026-03-17,4"), 9, 90),
        # 11 Apr - 8 May: 20 weekdays, less Labour Day (1 May) and 4 May: 18 days, 108 lessons.
        (date(2026, 5, 8), ("R1,2026-05-05,6", "R1,2026-05-06,5"), 11, 108),
    ],
    ids=["spring-break", "public-holidays"],
)
async def test_a_window_counts_the_lessons_of_its_school_days_only(
    world, monkeypatch, today, lines, unexcused, lessons
):
    """The same absences are caution over 20 school days but high over fewer: days the
    school does not teach are not lessons the student could miss."""
    monkeypatch.setattr(clock, "today", lambda: today)
    await refs(world)
    report = await import_attendance(world.coordinator_a, world.school_a.id, csv(*lines))
    assert [(c.after, c.unexcused, c.lessons) for c in report.levels.rises] == [
        ("high", unexcused, lessons)
    ]
    assert AbsenceRules().level(unexcused, 120) == "caution"  # had the days off been counted


async def test_excused_lessons_are_counted_apart_and_never_signalled(world, on_friday):
    await refs(world)
    await import_attendance(
        world.coordinator_a,
        world.school_a.id,
        csv(
            "R1,2026-02-02,5,yes",
            "R1,2026-02-02,1,no",
            "R1,2026-02-03,6,ja",
            header="student_ref,date,lessons_missed,excused",
        ),
    )
    row = await Absence.get(student_id=world.student_a1.id, day=date(2026, 2, 2))
    assert (row.unexcused, row.excused) == (1, 5)
    assert (await Student.get(id=world.student_a1.id)).absence_level is None  # 1 of 120


async def test_the_same_file_twice_changes_nothing_and_a_later_file_replaces(world, on_friday):
    await refs(world)
    data = csv("R1,2026-02-02,3", "R1,2026-02-03,4")
    await import_attendance(world.coordinator_a, world.school_a.id, data)
    again = await import_attendance(world.coordinator_a, world.school_a.id, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert await Absence.all().count() == 2
    assert await RiskSignal.all().count() == 1  # 7 of 120 lessons: caution, once
    later = await import_attendance(world.coordinator_a, world.school_a.id, csv("R1,2026-02-02,0"))
    assert (later.created, later.updated) == (0, 1)
    row = await Absence.get(student_id=world.student_a1.id, day=date(2026, 2, 2))
    assert row.unexcused == 0
    assert (await Student.get(id=world.student_a1.id)).absence_level is None  # 4 of 120: 3.3%


async def test_a_dry_run_tells_what_would_change_and_saves_nothing(world, on_friday):
    await refs(world)
    report = await import_attendance(
        world.coordinator_a, world.school_a.id, csv("R1,2026-02-02,3"), dry_run=True
    )
    assert (report.created, report.dry_run, report.levels) == (1, True, None)
    assert await Absence.all().count() == 0


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("R9,2026-02-02,1", "no student of this school has the reference R9"),
        ("R1,2026-02-30,1", "the date must be a real day"),
        ("R1,30.02.2026,1", "the date must be a real day"),
        ("R1,yesterday,1", "the date must be a real day"),
        ("R1,2026-03-02,1", "The date cannot be in the future."),
        ("R1,2025-01-06,1", "The date is more than a year ago."),
        ("R1,2026-02-07,1", "2026-02-07 is a weekend day or a public holiday"),
        ("R1,2025-11-18,1", "2025-11-18 is a weekend day or a public holiday"),
        ("R1,2026-02-02,7", "lessons missed must be a whole number from 0 to 6"),
        ("R1,2026-02-02,-1", "lessons missed must be a whole number from 0 to 6"),
        ("R1,2026-02-02,two", "lessons missed must be a whole number from 0 to 6"),
    ],
)
async def test_a_bad_line_is_named_and_nothing_is_saved(world, on_friday, line, problem):
    await refs(world)
    with pytest.raises(FileProblems) as caught:
        await import_attendance(
            world.coordinator_a, world.school_a.id, csv("R2,2026-02-02,2", line, "R3,2026-02-02,1")
        )
    assert [line for line, _ in caught.value.field_problems("en")] == ["line 3"]
    assert problem in caught.value.text("en")
    assert "Line 3:" in caught.value.text("en")
    assert await Absence.all().count() == 0


async def test_every_bad_line_is_listed_even_past_a_batch(world, on_friday, monkeypatch):
    from core.services import attendance

    monkeypatch.setattr(attendance, "BATCH", 2)
    await refs(world)
    with pytest.raises(FileProblems) as caught:
        await import_attendance(
            world.coordinator_a,
            world.school_a.id,
            csv(
                "R1,2026-02-02,1",
                "R2,2026-02-02,1",
                "R3,2026-02-02,1",
                "R1,2026-02-02,2",
                "R7,2026-02-03,1",
            ),
        )
    assert [p.line for p in caught.value.problems] == [5, 6]
    assert await Absence.all().count() == 0  # the first batch went back too


async def test_a_break_day_is_saved_with_a_warning(world, on_friday):
    await refs(world)
    await SchoolHoliday.create(
        school=world.school_a, first_day=date(2026, 2, 16), last_day=date(2026, 2, 20)
    )
    report = await import_attendance(world.coordinator_a, world.school_a.id, csv("R1,2026-02-17,2"))
    assert [w.line for w in report.warnings] == [2]
    assert "2026-02-17" in report.warnings[0].text("en")
    assert await Absence.all().count() == 1


async def test_the_schools_own_settings_are_honoured(world, on_friday):
    school = world.school_a
    school.lessons_per_day = 8
    school.absence_window_days = 7  # 23-27 Feb: five school days, 40 lessons
    school.absence_high_percent = Decimal("20.0")
    await school.save()
    await refs(world)
    await import_attendance(
        world.coordinator_a, school.id, csv("R1,2026-02-23,7", "R2,2026-02-27,8")
    )
    levels = {s.id: s.absence_level for s in await Student.filter(school_id=school.id)}
    assert levels[world.student_a1.id] == "caution"  # 17.5%
    assert levels[world.student_a2.id] == "high"  # 20%


@pytest.mark.parametrize(
    ("data", "encoding", "separator", "ending"),
    [
        (
            "\ufeffstudent_ref;date;lessons_missed\r\nR1;02.02.2026;2\r\n".encode(),
            "UTF-8 with BOM",
            "semicolon",
            "CRLF",
        ),
        (b"student_ref,date,lessons_missed\rR1,2026-02-02,2\r", "UTF-8", "comma", "CR"),
        (
            "student_ref;date;lessons_missed;excused\nR1;2026-02-02;2;nē\n".encode("cp1257"),
            "cp1257",
            "semicolon",
            "LF",
        ),
        (
            "student_ref;date;lessons_missed;excused\nR1;2026-02-02;2;nē\n".encode(),
            "UTF-8",
            "semicolon",
            "LF",
        ),
    ],
)
async def test_encodings_separators_and_line_endings_are_detected(
    world, on_friday, data, encoding, separator, ending
):
    await refs(world)
    report = await import_attendance(world.coordinator_a, world.school_a.id, data)
    assert (report.detected.encoding, report.detected.separator, report.detected.line_ending) == (
        encoding,
        separator,
        ending,
    )
    row = await Absence.get(student_id=world.student_a1.id)
    assert (row.day, row.unexcused) == (date(2026, 2, 2), 2)


async def test_only_the_schools_coordinators_may_import(world, on_friday):
    await refs(world)
    with pytest.raises(AccessDenied):
        await import_attendance(world.teacher_a, world.school_a.id, csv("R1,2026-02-02,2"))
    with pytest.raises(NotFound):
        await import_attendance(world.coordinator_v, world.school_a.id, csv("R1,2026-02-02,2"))
    await import_attendance(world.coordinator_m1, world.school_a.id, csv("R1,2026-02-02,2"))
    await import_attendance(None, world.school_a.id, csv("R1,2026-02-03,2"))  # the operator
    assert await Absence.all().count() == 2


async def test_a_rise_to_high_is_one_message_per_rise(world, on_friday):
    await refs(world)
    day = date(2026, 2, 26)
    report = await record_absences(
        world.teacher_a, world.class_a7.id, {world.student_a1.id: 6, world.student_a2.id: 2}, day
    )
    assert [(c.student_id, c.after) for c in report.levels.rises] == [
        (world.student_a1.id, "caution")
    ]
    for lessons in (6, 6):
        report = await record_absences(
            world.teacher_a, world.class_a7.id, {world.student_a1.id: lessons}, day
        )
    assert (await Student.get(id=world.student_a1.id)).absence_level == "caution"  # 6 of 120
    report = await record_absences(
        world.teacher_a, world.class_a7.id, {world.student_a1.id: 6}, FRIDAY
    )
    assert [(c.after, c.unexcused, c.lessons) for c in report.levels.rises] == [("high", 12, 120)]
    await record_absences(world.teacher_a, world.class_a7.id, {world.student_a1.id: 6}, FRIDAY)
    items = await OutboxItem.filter(kind=ABSENCE_HIGH).order_by("recipient_id")
    assert [item.recipient_id for item in items] == [world.teacher_a.id, world.coordinator_a.id]
    assert items[0].payload == {
        "student_id": world.student_a1.id,
        "unexcused": 12,
        "lessons": 120,
        "share_tenths": 100,
        "window_from": date(2026, 1, 31).toordinal(),
        "window_to": FRIDAY.toordinal(),
    }
    assert await RiskSignal.filter(student_id=world.student_a1.id).count() == 2


async def test_the_bot_refuses_days_school_does_not_teach_and_older_than_two_weeks(
    world, on_friday
):
    with pytest.raises(InvalidInput):
        await record_absences(
            world.teacher_a, world.class_a7.id, {world.student_a1.id: 1}, date(2026, 2, 21)
        )
    with pytest.raises(InvalidInput):
        await record_absences(
            world.teacher_a, world.class_a7.id, {world.student_a1.id: 1}, date(2026, 2, 12)
        )
    with pytest.raises(InvalidInput):
        await record_absences(world.teacher_a, world.class_a7.id, {world.student_a1.id: 7}, FRIDAY)
    assert await Absence.all().count() == 0


async def test_school_settings_default_when_null(world):
    school = await School.get(id=world.school_a.id)
    assert school.lessons_per_day is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "The file is empty."),
        (b"ref,day,lessons\nR1,2026-02-02,1\n", "Line 1: the header must name the columns"),
        (b"student_ref,date,lessons_missed\n", "The file has no rows after its header."),
        (
            b"\xef\xbb\xbfstudent_ref,date,lessons_missed\nR1,2026-02-02,\xe2\n",
            "the file mixes encodings",
        ),
        (b'student_ref,date,lessons_missed\nR1,"2026-02-02,1\n', "a quote not closed"),
        (csv("R1,2026-02-02,1", "R1,02.02.2026,2"), "Line 3: this student and day are already"),
        (
            csv("R1,2026-02-02,1,maybe", header="student_ref,date,lessons_missed,excused"),
            "Line 2: excused must be yes or no.",
        ),
        (
            csv(
                "R1,2026-02-02,4,no",
                "R1,2026-02-02,4,yes",
                header="student_ref,date,lessons_missed,excused",
            ),
            "Line 3: more than 6 lessons missed on one day.",
        ),
    ],
)
async def test_bad_files_of_every_kind_are_refused_whole(world, on_friday, data, problem):
    await refs(world)
    with pytest.raises(InvalidInput) as caught:
        await import_attendance(world.coordinator_a, world.school_a.id, data)
    assert problem in caught.value.text("en")
    assert await Absence.all().count() == 0
