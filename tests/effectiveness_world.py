"""Synthetic students for the effectiveness report, where the effect of a measure is known.

Semester 2025/26-1; measures start on Monday 20 October 2025, so with 6 weeks the window before
is 8 September - 19 October, 30 school days (180 lessons at the default 6 a day), and the one
after 20 October - 30 November, 23 school days (138 lessons): the autumn break (20-24 October)
and the days off of 17 and 18 November are not school days. A student's unexcused lessons are
spread over the school days of each window.
"""

import random
from datetime import UTC, date, datetime, timedelta

from core.access import Actor, load_actor
from core.clock import Semester
from core.school_calendar import national_days_off
from storage.models import (
    Absence,
    Consultation,
    Membership,
    Person,
    RiskSignal,
    SchoolClass,
    Student,
    StudentOutcome,
    SupportNeed,
)

SEMESTER = Semester(2025, 1)
START = date(2025, 10, 20)
BEFORE = START - timedelta(weeks=6)
LESSONS_BEFORE, LESSONS_AFTER = 180, 138  # in the windows of START


def per_100(lessons: int) -> float:
    """Lessons missed in the window before START, per 100 lessons."""
    return 100 * lessons / LESSONS_BEFORE


def per_100_after(lessons: int) -> float:
    """Lessons missed in the window from START, per 100 lessons."""
    return 100 * lessons / LESSONS_AFTER


async def admin(telegram_id: int = 900) -> Actor:
    person = await Person.create(display_name="Analyst", telegram_id=telegram_id)
    await Membership.create(person_id=person.id, role="programme_admin")
    return await load_actor(person.id)


async def cohort(school_class: SchoolClass, size: int, prefix: str) -> list[Student]:
    await Student.bulk_create(
        [
            Student(
                school_id=school_class.school_id,
                school_class_id=school_class.id,
                first_name=f"{prefix}{number}",
                last_name="Synthetic",
            )
            for number in range(size)
        ]
    )
    return await Student.filter(first_name__startswith=prefix, last_name="Synthetic").order_by("id")


async def at_risk(students: list[Student], factor: str = "low_achievement", group="learning"):
    """A signal for each, observed on 3 September, before any window."""
    await RiskSignal.bulk_create(
        [
            RiskSignal(
                student_id=student.id,
                school_id=student.school_id,
                group=group,
                factor=factor,
                level="caution",
                observed_from=date(2025, 9, 3),
                observed_to=date(2025, 9, 3),
            )
            for student in students
        ]
    )


CLOSED = national_days_off(SEMESTER.start, SEMESTER.end)


def _school_days(first: date, count: int) -> list[date]:
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5 and day not in CLOSED:
            days.append(day)
        day += timedelta(days=1)
    return days


def _rows(student: Student, first: date, lessons: int) -> list[Absence]:
    """`lessons` unexcused lessons over school days from `first`, at most 3 a day."""
    days = _school_days(first, (lessons + 2) // 3)
    rows = []
    for day in days:
        missed = min(3, lessons)
        lessons -= missed
        rows.append(
            Absence(
                student_id=student.id,
                school_id=student.school_id,
                day=day,
                unexcused=missed,
                excused=1,
                source="import",
            )
        )
    return rows


async def absences(student: Student, before: int, after: int, start: date = START) -> None:
    """Unexcused lessons in the 6 weeks before `start` and in the 6 weeks from it."""
    first = start - timedelta(weeks=6)
    await Absence.bulk_create(_rows(student, first, before) + _rows(student, start, after))


async def consultations(students: list[Student], specialist: str, day: date = START) -> None:
    """A first session on `day` and a second a week later."""
    await Consultation.bulk_create(
        [
            Consultation(
                student_id=student.id,
                school_id=student.school_id,
                specialist_type=specialist,
                held_on=held_on,
                minutes=45,
                mode="in_person",
            )
            for student in students
            for held_on in (day, day + timedelta(days=7))
        ]
    )


async def material(students: list[Student], support_type: str, confirmed: date, months: list):
    await SupportNeed.bulk_create(
        [
            SupportNeed(
                student_id=student.id,
                support_type=support_type,
                school_year=SEMESTER.school_year,
                semester=SEMESTER.number,
                months=months,
                status="confirmed",
                answered_at=datetime.combine(confirmed, datetime.min.time(), tzinfo=UTC),
            )
            for student in students
        ]
    )


async def outcomes(students: list[Student], outcome: str) -> None:
    await StudentOutcome.bulk_create(
        [
            StudentOutcome(
                student_id=student.id,
                school_id=student.school_id,
                school_year=SEMESTER.school_year,
                semester=SEMESTER.number,
                outcome=outcome,
            )
            for student in students
        ]
    )


async def halving_world(school_class: SchoolClass, treated: int = 25, compared: int = 30):
    """Psychologist's students halve their absences; similar students without it do not.

    Gives back the students with the measure and without, and each one's lessons missed before
    and after.
    """
    with_measure = await cohort(school_class, treated, "T")
    without = await cohort(school_class, compared, "C")
    await at_risk(with_measure + without)
    lessons_with, lessons_without = [], []
    for number, student in enumerate(with_measure):
        before = 12 + number % 5
        lessons_with.append((before, before // 2))
        await absences(student, *lessons_with[-1])
    for number, student in enumerate(without):
        before = 12 + number % 5
        lessons_without.append((before, before + number % 3 - 1))
        await absences(student, *lessons_without[-1])
    await consultations(with_measure, "psychologist")
    return with_measure, without, lessons_with, lessons_without


async def no_effect_world(school_class: SchoolClass, treated: int = 24, compared: int = 30):
    """Social pedagogue's students change as similar students without it do: at random."""
    rng = random.Random(7)
    with_measure = await cohort(school_class, treated, "T")
    without = await cohort(school_class, compared, "C")
    await at_risk(with_measure + without)
    for student in with_measure + without:
        before = rng.randint(10, 16)
        await absences(student, before, max(0, before + rng.randint(-3, 3)))
    await consultations(with_measure, "social_pedagogue")
