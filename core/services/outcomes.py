"""How an involved student's semester ended: recorded (and corrected) by the school's staff."""

from core import audit
from core.access import Actor, workable_student
from core.catalogues import EARLY_LEAVING_REASONS, LEFT_EARLY, OUTCOMES
from core.clock import Semester
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import N_
from storage.models import Iap, RiskSignal, Student, StudentOutcome

NOT_INVOLVED = N_("This student had no plan and no risk signal in that semester.")


async def involved(student_id: int, semester: Semester) -> bool:
    """A plan or a risk signal in the semester: who the programme counts (two queries at most)."""
    has_plan = await Iap.exists(
        student_id=student_id, school_year=semester.school_year, semester=semester.number
    )
    return has_plan or await RiskSignal.exists(
        student_id=student_id, observed_to__gte=semester.start, observed_to__lte=semester.end
    )


def checked_reason(outcome: str, reason: str | None) -> str | None:
    """The reason a left-early outcome needs; none for any other outcome."""
    if outcome not in OUTCOMES:
        raise InvalidInput(
            N_("Choose the outcome: continues, completed, moved, left early or other.")
        )
    if outcome == LEFT_EARLY:
        if reason not in EARLY_LEAVING_REASONS:
            raise InvalidInput(N_("Choose why the student left education early."))
        return reason
    if reason is not None:
        raise InvalidInput(N_("A reason is given only when the student left education early."))
    return None


async def record_outcome(
    actor: Actor, student_id: int, semester: Semester, outcome: str, reason: str | None = None
) -> StudentOutcome:
    """Record, or change, the student's outcome of the semester (staff and coordinators)."""
    student = await workable_student(actor, student_id)
    reason = checked_reason(outcome, reason)
    if not await involved(student.id, semester):
        raise Conflict(NOT_INVOLVED)
    record, created = await StudentOutcome.update_or_create(
        student_id=student.id,
        school_year=semester.school_year,
        semester=semester.number,
        defaults={
            "school_id": student.school_id,
            "outcome": outcome,
            "reason": reason,
            "recorded_by_id": actor.id,
        },
    )
    action = "outcome.record" if created else "outcome.change"
    await audit.record(actor.id, action, "student_outcome", record.id)
    return record


async def outcome_of(student_id: int, semester: Semester) -> StudentOutcome | None:
    """The recorded outcome (access already checked by the caller)."""
    return await StudentOutcome.get_or_none(
        student_id=student_id, school_year=semester.school_year, semester=semester.number
    )


async def plan_outcome_target(actor: Actor, iap_id: int) -> tuple[Student, Semester]:
    """The student and semester of a plan whose outcome this actor may record."""
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None:
        raise NotFound()
    student = await workable_student(actor, iap.student_id)
    return student, Semester(iap.school_year, iap.semester)


async def record_plan_outcome(
    actor: Actor, iap_id: int, outcome: str, reason: str | None = None
) -> StudentOutcome:
    """Record the outcome of the semester a plan is for."""
    student, semester = await plan_outcome_target(actor, iap_id)
    return await record_outcome(actor, student.id, semester, outcome, reason)
