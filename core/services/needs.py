"""Material support needs: a teacher or coordinator asks, the parent confirms or declines.

Questions, answers and consent requests reach people through the outbox, within their quiet
hours: parents' and staff's alike (staff sleep too). An open question reaches every parent of
the student once, those who join later too; its answer reaches everyone who asked.
"""

from typing import NamedTuple

from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, visible_student, workable_student
from core.catalogues import PARENT, SUPPORT_TYPES, TRANSPORT_TICKETS
from core.clock import Semester, now
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.i18n import N_
from core.services import outbox
from core.text import optional_text
from storage.columns import column
from storage.models import Iap, Membership, OutboxItem, SupportNeed, SupportNeedAsker

DETAILS_LIMIT = 300
TRANSPORT_TYPES = (TRANSPORT_TICKETS, "special_transport")
NO_PARENT = N_("This student has no parent in the system yet. Invite one first.")
ALREADY_ANSWERED = N_("This question has already been answered.")


async def parent_ids(student_id: int) -> list[int]:
    """The people holding the parent role for this student."""
    ids = await column(Membership.filter(role=PARENT, student_id=student_id), "person_id")
    return sorted(set(ids))


class AskedNeed(NamedTuple):
    need: SupportNeed
    already_open: bool  # the parents had been asked before and not answered yet


async def ask_about_need(
    actor: Actor, student_id: int, support_type: str, semester: Semester | None = None
) -> AskedNeed:
    """Ask the student's parents; one open question per type and semester.

    Asking about a question already open joins it: the actor is told the answer too, and a parent
    who has not had the question yet gets it now.
    """
    student = await workable_student(actor, student_id)
    if support_type not in SUPPORT_TYPES:
        raise InvalidInput(N_("Unknown support type."))
    semester = semester or Semester.current()
    parents = await parent_ids(student.id)
    if not parents:
        raise InvalidInput(NO_PARENT)
    async with in_transaction():
        need = await SupportNeed.filter(
            student_id=student.id,
            support_type=support_type,
            school_year=semester.school_year,
            semester=semester.number,
            status="asked",
        ).first()
        already_open = need is not None
        if need is None:
            need = await SupportNeed.create(
                student_id=student.id,
                support_type=support_type,
                school_year=semester.school_year,
                semester=semester.number,
                asked_by_id=actor.id,
            )
        if not await SupportNeedAsker.exists(need_id=need.id, person_id=actor.id):
            await SupportNeedAsker.create(need_id=need.id, person_id=actor.id)
        await _send_question(need.id, parents)
        await audit.record(actor.id, "support_need.ask", "support_need", need.id)
    return AskedNeed(need, already_open)


async def ask_parent_about_need(
    actor: Actor, student_id: int, support_type: str, semester: Semester | None = None
) -> SupportNeed:
    """`ask_about_need`, for callers that need only the question."""
    return (await ask_about_need(actor, student_id, support_type, semester)).need


def _question_key(need_id: int) -> str:
    return f"need:{need_id}"


async def _send_question(need_id: int, parents: list[int]) -> None:
    """Queue the question for each of these parents who has not been sent it yet."""
    key = _question_key(need_id)
    sent = await OutboxItem.filter(
        kind=outbox.NEED_QUESTION, dedupe_key=key, recipient_id__in=parents
    ).values_list("recipient_id", flat=True)
    for parent_id in sorted(set(parents) - set(sent)):
        await outbox.enqueue(
            parent_id,
            outbox.NEED_QUESTION,
            {"need_id": need_id},
            respect_quiet_hours=True,
            dedupe_key=key,
        )


async def send_open_questions(parent_id: int, student_id: int) -> None:
    """A parent who has just joined gets the questions still open about their child."""
    open_ids = await column(SupportNeed.filter(student_id=student_id, status="asked"), "id")
    for need_id in sorted(open_ids):
        await _send_question(need_id, [parent_id])


async def need_to_answer(actor: Actor, need_id: int) -> SupportNeed:
    """A question still open to this parent, about their own child."""
    need = await SupportNeed.get_or_none(id=need_id)
    if need is None:
        raise NotFound()
    await visible_student(actor, need.student_id)
    if need.student_id not in actor.child_ids:
        raise AccessDenied()
    if need.status != "asked":
        raise Conflict(ALREADY_ANSWERED)
    return need


def check_months(need: SupportNeed, months: list[int] | None) -> list[int]:
    """At least one month, all of the need's semester; sorted, without repeats."""
    allowed = Semester(need.school_year, need.semester).months()
    chosen = sorted(set(months or []))
    if not chosen or any(month not in allowed for month in chosen):
        raise InvalidInput(N_("Choose the months of this semester the support is needed."))
    return chosen


def check_details(need: SupportNeed, details: str | None) -> str | None:
    """Details up to the limit; transport needs the route."""
    details = optional_text(details)
    if details is not None and len(details) > DETAILS_LIMIT:
        raise InvalidInput(
            N_("The details are too long: at most {max} characters."), max=DETAILS_LIMIT
        )
    if need.support_type in TRANSPORT_TYPES and not details:
        raise InvalidInput(N_("Give the route: where from and where to."))
    return details


async def answer_need(
    actor: Actor,
    need_id: int,
    *,
    confirmed: bool,
    months: list[int] | None = None,
    details: str | None = None,
) -> SupportNeed:
    """The parent's answer: confirmed with the months (and, for transport, the route), or no.

    Everyone who asked is told through the outbox.
    """
    need = await need_to_answer(actor, need_id)
    if confirmed:
        months = check_months(need, months)
        details = check_details(need, details)
    async with in_transaction():
        claimed = await SupportNeed.filter(id=need.id, status="asked").update(
            status="confirmed" if confirmed else "declined",
            months=months if confirmed else [],
            details=details if confirmed else None,
            answered_by_id=actor.id,
            answered_at=now(),
        )
        if not claimed:
            raise Conflict(ALREADY_ANSWERED)
        askers = await column(SupportNeedAsker.filter(need_id=need.id), "person_id")
        for asker_id in sorted(askers):
            await outbox.enqueue(
                asker_id, outbox.NEED_ANSWERED, {"need_id": need.id}, respect_quiet_hours=True
            )
        await audit.record(actor.id, "support_need.answer", "support_need", need.id)
    return await SupportNeed.get(id=need.id)


async def get_need(actor: Actor, need_id: int) -> SupportNeed:
    """One need, with its student, for whoever may see the student."""
    need = await SupportNeed.get_or_none(id=need_id).select_related("student")
    if need is None:
        raise NotFound()
    await visible_student(actor, need.student_id)
    return need


async def list_needs(actor: Actor, student_id: int) -> list[SupportNeed]:
    """A student's needs, for staff over them and for their parents."""
    student = await visible_student(actor, student_id)
    await audit.read(actor.id, "student", student.id, "support_needs")
    return (
        await SupportNeed.filter(student_id=student.id)
        .select_related("student")
        .order_by("-created_at", "-id")
    )


async def pending_needs_for_parent(actor: Actor) -> list[SupportNeed]:
    """Questions still waiting for this parent's answer."""
    return await SupportNeed.filter(student_id__in=list(actor.child_ids), status="asked").order_by(
        "created_at"
    )


async def ask_parent_for_consent(actor: Actor, iap_id: int) -> Iap:
    """Ask the parents to consent to a draft plan; they answer through `iaps.record_consent`."""
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None:
        raise NotFound()
    await workable_student(actor, iap.student_id)
    if iap.status != "draft":
        raise Conflict(N_("Consent is recorded while the plan is a draft."))
    if iap.consent == "given":
        raise Conflict(N_("The parent has already given consent."))
    parents = await parent_ids(iap.student_id)
    if not parents:
        raise InvalidInput(NO_PARENT)
    async with in_transaction():
        for parent_id in parents:
            await outbox.enqueue(
                parent_id, outbox.CONSENT_REQUEST, {"iap_id": iap.id}, respect_quiet_hours=True
            )
        await audit.record(actor.id, "iap.consent_ask", "iap", iap.id)
    return iap


async def consent_request(actor: Actor, iap_id: int) -> Iap:
    """A plan whose consent this parent is asked for, with its student."""
    iap = await Iap.get_or_none(id=iap_id).select_related("student")
    if iap is None:
        raise NotFound()
    await visible_student(actor, iap.student_id)
    if iap.student_id not in actor.child_ids:
        raise AccessDenied()
    return iap
