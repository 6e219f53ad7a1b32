"""Risk signals: one at a time, and undo (absences come in as attendance: services.attendance)."""

from datetime import date, timedelta

from tortoise.transactions import in_transaction

from core import audit
from core.absence_rules import rules_of
from core.access import Actor, workable_student
from core.catalogues import ABSENCES, CAUTION, RISK_FACTORS, RISK_LEVELS
from core.clock import date_problem, now, today
from core.errors import AccessDenied, InvalidInput, NotFound
from core.i18n import N_
from core.missed_lessons import NONE_MISSED, missed_lessons
from core.school_calendar import school_calendar
from core.text import optional_text
from storage.models import RiskSignal, Student

NOTE_LIMIT = 1000
MAX_LESSONS = 200
UNDO_WINDOW = timedelta(minutes=10)


async def suggested_level(student: Student, factor: str, value: int | None, day: date) -> str:
    """The level to suggest for a new signal: for absences, the EWIMS rule over the school's
    window up to `day`, counting these lessons with those already in the attendance; caution
    at least (a signal someone chose to log is never below it). `student` comes with their
    school, as `workable_student` gives them. Its query built once."""
    if factor != ABSENCES or value is None:
        return CAUTION
    rules = rules_of(student.school)
    start = rules.window_start(day)
    logged = (await missed_lessons([student.id], start, day)).get(student.id, NONE_MISSED)
    calendar = await school_calendar(student.school_id, start, day)
    lessons = calendar.school_days(start, day) * rules.lessons_per_day
    return rules.level(value + logged.unexcused, lessons) or CAUTION


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
    level = level or await suggested_level(student, factor, value, observed_to)
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
