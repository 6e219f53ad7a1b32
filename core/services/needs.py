"""Material support needs: a teacher or coordinator asks, the parent confirms or declines."""

from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, visible_student, workable_student
from core.catalogues import SUPPORT_TYPES, TRANSPORT_TICKETS
from core.clock import Semester, now
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.i18n import N_
from storage.models import Membership, SupportNeed

DETAILS_LIMIT = 300
TRANSPORT_TYPES = (TRANSPORT_TICKETS, "special_transport")


async def ask_parent_about_need(
    actor: Actor, student_id: int, support_type: str, semester: Semester | None = None
) -> SupportNeed:
    """Open a question to the student's parents; one open question per type and semester."""
    if support_type not in SUPPORT_TYPES:
        raise InvalidInput(N_("Unknown support type."))
    semester = semester or Semester.current()
    student = await workable_student(actor, student_id)
    if not await Membership.exists(role="parent", student_id=student.id):
        raise InvalidInput(N_("This student has no parent in the system yet. Invite one first."))
    async with in_transaction():
        open_question = await SupportNeed.filter(
            student_id=student.id,
            support_type=support_type,
            school_year=semester.school_year,
            semester=semester.number,
            status="asked",
        ).first()
        if open_question is not None:
            return open_question
        need = await SupportNeed.create(
            student_id=student.id,
            support_type=support_type,
            school_year=semester.school_year,
            semester=semester.number,
            asked_by_id=actor.id,
        )
        await audit.record(actor.id, "support_need.ask", "support_need", need.id)
    return need


async def answer_need(
    actor: Actor,
    need_id: int,
    *,
    confirmed: bool,
    months: list[int] | None = None,
    details: str | None = None,
) -> SupportNeed:
    """The parent's answer: confirmed with the months (and, for transport, the route), or no."""
    need = await SupportNeed.get_or_none(id=need_id)
    if need is None:
        raise NotFound()
    if need.student_id not in actor.child_ids:
        raise AccessDenied()
    if need.status != "asked":
        raise Conflict(N_("This question has already been answered."))
    if confirmed:
        allowed = Semester(need.school_year, need.semester).months()
        months = sorted(set(months or []))
        if not months or any(month not in allowed for month in months):
            raise InvalidInput(N_("Choose the months of this semester the support is needed."))
        details = (details or "").strip() or None
        if details is not None and len(details) > DETAILS_LIMIT:
            raise InvalidInput(
                N_("The details are too long: at most {max} characters."), max=DETAILS_LIMIT
            )
        if need.support_type in TRANSPORT_TYPES and not details:
            raise InvalidInput(N_("Give the route: where from and where to."))
    async with in_transaction():
        claimed = await SupportNeed.filter(id=need.id, status="asked").update(
            status="confirmed" if confirmed else "declined",
            months=months if confirmed else [],
            details=details if confirmed else None,
            answered_by_id=actor.id,
            answered_at=now(),
        )
        if not claimed:
            raise Conflict(N_("This question has already been answered."))
        await audit.record(actor.id, "support_need.answer", "support_need", need.id)
    return await SupportNeed.get(id=need.id)


async def list_needs(actor: Actor, student_id: int) -> list[SupportNeed]:
    """A student's needs, for staff over them and for their parents."""
    student = await visible_student(actor, student_id)
    return await SupportNeed.filter(student_id=student.id).order_by("-created_at", "-id")


async def pending_needs_for_parent(actor: Actor) -> list[SupportNeed]:
    """Questions still waiting for this parent's answer."""
    return await SupportNeed.filter(student_id__in=list(actor.child_ids), status="asked").order_by(
        "created_at"
    )
