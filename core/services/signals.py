"""Risk signals: one at a time, absences for a whole class at once, and undo."""

from datetime import date, timedelta

from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, workable_class, workable_student
from core.catalogues import (
    ABSENCE_HIGH_SHARE,
    ABSENCES,
    CAUTION,
    HIGH,
    LESSONS_PER_SCHOOL_DAY,
    RISK_FACTORS,
    RISK_LEVELS,
)
from core.clock import date_problem, now, school_days, today
from core.errors import AccessDenied, InvalidInput, NotFound
from core.i18n import N_
from core.text import optional_text
from storage.models import RiskSignal, Student

NOTE_LIMIT = 1000
MAX_LESSONS = 200
UNDO_WINDOW = timedelta(minutes=10)
ABSENCE_WINDOW_DAYS = 28  # absences are judged against the last four weeks' lessons


def suggest_level(factor: str, value: int | None, observed_from: date, observed_to: date) -> str:
    """Absences: 10% of the period's lessons missed is high risk (EWIMS); below that, caution."""
    if factor != ABSENCES or value is None:
        return CAUTION
    lessons = max(school_days(observed_from, observed_to), 1) * LESSONS_PER_SCHOOL_DAY
    share = value / lessons
    return HIGH if share >= ABSENCE_HIGH_SHARE else CAUTION


def absence_window(day: date) -> date:
    """The first day of the four weeks up to `day` that absences are judged against."""
    return day - timedelta(days=ABSENCE_WINDOW_DAYS - 1)


async def absences_in_window(student_ids: list[int], day: date) -> dict[int, int]:
    """Lessons each student was already logged missing in the four weeks up to `day`."""
    rows = await RiskSignal.filter(
        student_id__in=student_ids,
        factor=ABSENCES,
        observed_to__gte=absence_window(day),
        observed_to__lte=day,
    ).values("student_id", "value")
    missed = dict.fromkeys(student_ids, 0)
    for row in rows:
        missed[row["student_id"]] += row["value"] or 0
    return missed


async def suggested_level(student_id: int, factor: str, value: int | None, day: date) -> str:
    """The level to suggest for a new signal; absences count the last four weeks' too."""
    if factor != ABSENCES or value is None:
        return CAUTION
    missed = value + (await absences_in_window([student_id], day))[student_id]
    return suggest_level(ABSENCES, missed, absence_window(day), day)


def _check_period(observed_from: date, observed_to: date) -> None:
    if (problem := date_problem(observed_to)) is not None:
        raise InvalidInput(problem)
    if observed_from > observed_to:
        raise InvalidInput(N_("The period must start before it ends."))
    if (observed_to - observed_from).days > 366:
        raise InvalidInput(N_("The period cannot be longer than a year."))


def _check_value(factor: str, value: int | None) -> None:
    if RISK_FACTORS[factor].unit is None:
        if value is not None:
            raise InvalidInput(N_("This factor has no number to give."))
        return
    if value is None or not 1 <= value <= MAX_LESSONS:
        raise InvalidInput(N_("Give the number of lessons, from 1 to {max}."), max=MAX_LESSONS)


async def record_risk_signal(
    actor: Actor,
    student_id: int,
    factor: str,
    *,
    value: int | None = None,
    level: str | None = None,
    observed_from: date | None = None,
    observed_to: date | None = None,
    note: str | None = None,
) -> RiskSignal:
    student = await workable_student(actor, student_id)
    if factor not in RISK_FACTORS:
        raise InvalidInput(N_("Unknown risk factor."))
    if level is not None and level not in RISK_LEVELS:
        raise InvalidInput(N_("Unknown risk level."))
    note = optional_text(note)
    if note is not None and len(note) > NOTE_LIMIT:
        raise InvalidInput(N_("The note is too long: at most {max} characters."), max=NOTE_LIMIT)
    observed_to = observed_to or today()
    observed_from = observed_from or observed_to
    _check_period(observed_from, observed_to)
    _check_value(factor, value)
    level = level or await suggested_level(student.id, factor, value, observed_to)
    async with in_transaction():
        signal = await RiskSignal.create(
            student_id=student.id,
            school_id=student.school_id,
            group=RISK_FACTORS[factor].group,
            factor=factor,
            level=level,
            value=value,
            observed_from=observed_from,
            observed_to=observed_to,
            reporter_id=actor.id,
            note=note,
        )
        await audit.record(actor.id, "risk_signal.create", "risk_signal", signal.id)
    return signal


async def record_absences(
    actor: Actor, class_id: int, student_ids: list[int], lessons: int, day: date | None = None
) -> list[RiskSignal]:
    """Unexcused absences for several students of one class on one day, saved all at once.

    Each student's level is suggested from their absences over the last four weeks. Only a
    caller who may log for the class learns which students are not in it.
    """
    school_class = await workable_class(actor, class_id)
    day = day or today()
    _check_period(day, day)
    _check_value(ABSENCES, lessons)
    if not student_ids:
        raise InvalidInput(N_("Choose at least one student."))
    students = await Student.filter(id__in=student_ids, school_class_id=school_class.id)
    if strangers := sorted(set(student_ids) - {student.id for student in students}):
        raise InvalidInput(
            N_("These students are not in this class: {ids}."),
            ids=", ".join(str(student_id) for student_id in strangers),
        )
    earlier = await absences_in_window([student.id for student in students], day)
    missed = {student_id: lessons + before for student_id, before in earlier.items()}
    async with in_transaction():
        signals = [
            await RiskSignal.create(
                student_id=student.id,
                school_id=student.school_id,
                group=RISK_FACTORS[ABSENCES].group,
                factor=ABSENCES,
                level=suggest_level(ABSENCES, missed[student.id], absence_window(day), day),
                value=lessons,
                observed_from=day,
                observed_to=day,
                reporter_id=actor.id,
            )
            for student in students
        ]
        for signal in signals:
            await audit.record(actor.id, "risk_signal.create", "risk_signal", signal.id)
    return signals


async def undo_risk_signal(actor: Actor, signal_id: int) -> None:
    """The reporter may take a signal back within ten minutes of saving it."""
    signal = await RiskSignal.get_or_none(id=signal_id)
    if signal is None:
        raise NotFound()
    await workable_student(actor, signal.student_id)
    if signal.reporter_id != actor.id:
        raise AccessDenied()
    if now() - signal.created_at > UNDO_WINDOW:
        raise InvalidInput(N_("A signal can be undone only within 10 minutes."))
    async with in_transaction():
        await signal.delete()
        await audit.record(actor.id, "risk_signal.delete", "risk_signal", signal_id)


async def list_risk_signals(actor: Actor, student_id: int) -> list[RiskSignal]:
    student = await workable_student(actor, student_id)
    await audit.read(actor.id, "student", student.id, "risk_signals")
    return await RiskSignal.filter(student_id=student.id).order_by("-observed_to", "-id")
