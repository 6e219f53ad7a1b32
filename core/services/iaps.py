"""The IAP's life: open, plan measures, consent, the approval chain, moves, review, continue."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, can_work_with, student_scope, visible_student, workable_student
from core.catalogues import (
    ADULT_STUDENT,
    IAP_MOVES,
    IAP_STATUSES,
    MEASURE_REALISED,
    MUNICIPALITY_COORDINATOR,
    ONLINE,
    PAPER,
    PARENT,
    RISK_FACTORS,
    RISK_GROUPS,
    RISK_OUTCOMES,
    SCHOOL_COORDINATOR,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
)
from core.clock import Semester, date_problem, now, today
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.i18n import N_, gettext
from core.iap import AssembledIap, Gap, assemble, assemble_plan, blockers
from core.iap_view import gap_text
from core.services import outbox
from core.text import clean_text, optional_text
from storage.columns import column
from storage.models import (
    Iap,
    IapApproval,
    IapMeasure,
    IapRiskGroup,
    IapTransition,
    Membership,
    School,
    Student,
)

TEXT_LIMIT = 2000
# Why a plan cannot take a status move, by the status it is in.
MOVE_REFUSALS = {
    "draft": N_("The plan is still a draft: this can be done once it is approved."),
    "in_approval": N_("The plan is still being approved: this can be done once it is approved."),
    "approved": N_("The plan is approved but not started yet: start it first."),
    "in_progress": N_("The plan is already in progress."),
    "under_review": N_("The plan is already under review."),
    "paused": N_("The plan is paused: resume it first."),
    "withdrawn": N_("The plan has been withdrawn: it can no longer change."),
}


async def _iap_for_work(actor: Actor, iap_id: int) -> tuple[Iap, Student, School]:
    """The IAP, its student and school, if the actor may work on it."""
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None:
        raise NotFound()
    student = await workable_student(actor, iap.student_id)
    school = await School.get(id=student.school_id)
    return iap, student, school


CHANGED_MEANWHILE = N_("The plan changed meanwhile. Open it again and try once more.")


async def _hold(iap: Iap, status: str) -> None:
    """Inside the caller's transaction: the plan is still in `status`, else Conflict. The update
    locks the plan's row until the end of the transaction, so simultaneous signatures, returns
    and moves of one plan go one at a time."""
    if not await Iap.filter(id=iap.id, status=status).update(updated_at=now()):
        raise Conflict(CHANGED_MEANWHILE)


async def _move(iap: Iap, actor: Actor, to_status: str, comment: str | None = None) -> None:
    """Change status and record the step in the IAP's history, inside the caller's transaction.

    Only from the status the plan was read in: a plan moved meanwhile by someone else is a
    Conflict, and the caller's transaction saves nothing.
    """
    moved = await Iap.filter(id=iap.id, status=iap.status).update(
        status=to_status, pause_reason=iap.pause_reason, updated_at=now()
    )
    if not moved:
        raise Conflict(CHANGED_MEANWHILE)
    await IapTransition.create(
        iap_id=iap.id,
        from_status=iap.status,
        to_status=to_status,
        person_id=actor.id,
        comment=comment,
    )
    iap.status = to_status
    await audit.record(actor.id, f"iap.{to_status}", "iap", iap.id)


async def open_iap(actor: Actor, student_id: int, semester: Semester | None = None) -> Iap:
    """A new draft plan for the student and semester, prepared by the actor."""
    semester = semester or Semester.current()
    student = await workable_student(actor, student_id)
    try:
        async with in_transaction():
            iap = await Iap.create(
                student_id=student.id,
                school_year=semester.school_year,
                semester=semester.number,
                preparer_id=actor.id,
            )
            await IapTransition.create(iap_id=iap.id, to_status="draft", person_id=actor.id)
            await audit.record(actor.id, "iap.open", "iap", iap.id)
    except IntegrityError:
        raise Conflict(N_("This student already has a plan for this semester.")) from None
    return iap


async def add_measure(
    actor: Actor,
    iap_id: int,
    *,
    kind: str,
    planned_quantity: Decimal | float | str | None = None,
    specialist_type: str | None = None,
    support_type: str | None = None,
    risk_factors: list[str] | None = None,
    months: list[int] | None = None,
) -> IapMeasure:
    """Plan a measure: consultations (hours) by a specialist type, or material support for the
    months it covers (their number is the planned quantity)."""
    iap, _, _ = await _iap_for_work(actor, iap_id)
    if iap.status in ("withdrawn", "in_approval", "approved"):
        raise Conflict(N_("Measures can be planned while the plan is a draft or in progress."))
    if kind == "consultation":
        if specialist_type not in SPECIALIST_TYPES:
            raise InvalidInput(N_("Choose the specialist type."))
        support_type = None
    elif kind == "material":
        if support_type not in SUPPORT_TYPES:
            raise InvalidInput(N_("Unknown support type."))
        specialist_type = None
    else:
        raise InvalidInput(N_("A measure is either consultations or material support."))
    factors = _checked_factors(risk_factors)
    if await IapMeasure.exists(
        iap_id=iap.id, kind=kind, specialist_type=specialist_type, support_type=support_type
    ):
        raise Conflict(N_("The plan already has this measure."))
    if kind == "material" and months is not None:
        months = _checked_months(iap, months)
        planned_quantity = len(months)
    elif months is not None:
        raise InvalidInput(N_("Months are planned for material support only."))
    quantity = _checked_quantity(planned_quantity)
    async with in_transaction():
        measure = await IapMeasure.create(
            iap_id=iap.id,
            kind=kind,
            specialist_type=specialist_type,
            support_type=support_type,
            risk_factors=factors,
            planned_quantity=quantity,
            months=months or [],
        )
        await audit.record(actor.id, "iap_measure.create", "iap_measure", measure.id)
    return measure


async def record_consent(
    actor: Actor,
    iap_id: int,
    *,
    given: bool,
    method: str | None = None,
    signed_on: date | None = None,
) -> Iap:
    """The application, given or refused, with its evidence.

    A parent answers for their own child online (no method needed). Staff enter a signed paper
    form: the parent's (`paper`) or the student's own once of age (`adult_student`), with the
    date on the form. Who recorded it and when are kept beside.
    """
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None:
        raise NotFound()
    student = await visible_student(actor, iap.student_id)
    school = await School.get(id=student.school_id)
    staff = can_work_with(actor, student, school.municipality_id)
    own_child = student.id in actor.child_ids
    if not own_child and not staff:
        raise AccessDenied()
    if iap.status != "draft":
        raise Conflict(N_("Consent is recorded while the plan is a draft."))
    if own_child and (not staff or method in (None, ONLINE)):
        method, signed_on = ONLINE, None  # a parent answers for themselves, in the bot
    else:
        signed_on = _paper_form_date(method, signed_on)
    async with in_transaction():
        iap.consent = "given" if given else "refused"
        iap.consent_by_id = actor.id
        iap.consent_at = now()
        iap.consent_method = method
        iap.consent_signed_on = signed_on
        await iap.save(
            update_fields=[
                "consent",
                "consent_by_id",
                "consent_at",
                "consent_method",
                "consent_signed_on",
                "updated_at",
            ]
        )
        await audit.record(actor.id, f"iap.consent_{iap.consent}", "iap", iap.id)
    return iap


def _paper_form_date(method: str | None, signed_on: date | None) -> date:
    """Staff enter consent from a signed form: which kind, and the date written on it."""
    if method not in (PAPER, ADULT_STUDENT):
        raise InvalidInput(
            N_("Say who signed the paper form: the parent, or the student of age themselves.")
        )
    if signed_on is None:
        raise InvalidInput(N_("Give the date on the signed form."))
    problem = date_problem(signed_on)
    if problem is not None:
        raise InvalidInput(problem)
    return signed_on


def approval_chain(school: School) -> list[str]:
    """State vocational schools skip the municipality."""
    return (
        ["preparer", "school"]
        if school.state_vocational
        else ["preparer", "school", "municipality"]
    )


def next_step(school: School, signed: set[str]) -> str | None:
    """The signature a plan waits for after those given; None once the chain is complete."""
    return next((step for step in approval_chain(school) if step not in signed), None)


def may_sign(actor: Actor, step: str, school: School, preparer_id: int | None) -> bool:
    """The role a step needs: preparer (or staff of the school), school, municipality."""
    if step == "preparer":
        return preparer_id == actor.id or school.id in actor.staff_school_ids
    if step == "school":
        return school.id in actor.coordinated_school_ids
    return school.municipality_id in actor.municipality_ids


def independent(actor: Actor, iap: Iap, signers: Iterable[int | None]) -> bool:
    """An approval step is signed by someone else than who prepared the plan, recorded its
    consent, or signed an earlier step: no one takes a plan from draft to approved alone."""
    return actor.id not in {iap.preparer_id, iap.consent_by_id, *signers}


def approvers(
    iap: Iap, school: School, approvals: list[IapApproval], coordinators: Iterable[Membership]
) -> set[int]:
    """Who of these coordinator roles may sign the plan's next step: `may_sign` and
    `independent` as the people the roles belong to (no one, once the chain is complete)."""
    step = next_step(school, {approval.step for approval in approvals})
    barred = {iap.preparer_id, iap.consent_by_id, *(a.person_id for a in approvals)}

    def signs(m: Membership) -> bool:
        if step == "school":
            return m.role == SCHOOL_COORDINATOR and m.school_id == school.id
        if step == "municipality":
            municipality = school.municipality_id
            return m.role == MUNICIPALITY_COORDINATOR and m.municipality_id == municipality
        return False

    return {m.person_id for m in coordinators if signs(m) and m.person_id not in barred}


def coordinators_over(school_ids: Iterable[int], municipality_ids: Iterable[int]) -> Q:
    """A filter on Membership: the coordinators of these schools and municipalities."""
    return Q(role=SCHOOL_COORDINATOR, school_id__in=list(school_ids) or [-1]) | Q(
        role=MUNICIPALITY_COORDINATOR, municipality_id__in=list(municipality_ids) or [-1]
    )


async def _tell_next_approvers(iap: Iap, school: School, approvals: list[IapApproval]) -> None:
    """The plan waits for its next signature: each who may give it hears so, after their quiet
    hours; once for each signature the plan waits for (a plan returned and sent again: again)."""
    coordinators = await Membership.filter(coordinators_over([school.id], [school.municipality_id]))
    latest = max(approval.id for approval in approvals)
    for person_id in sorted(approvers(iap, school, approvals, coordinators)):
        await outbox.enqueue(
            person_id,
            outbox.IAP_WAITING,
            {"iap_id": iap.id},
            respect_quiet_hours=True,
            dedupe_key=f"{iap.id}:{latest}",
        )


async def submit_for_approval(actor: Actor, iap_id: int) -> Iap:
    """The preparer signs the draft and sends it up the approval chain."""
    iap, _, school = await _iap_for_work(actor, iap_id)
    if iap.status != "draft":
        raise Conflict(N_("Only a draft can be sent for approval."))
    if iap.consent != "given":
        raise Conflict(N_("The parent's consent is needed first."))
    if not await IapMeasure.exists(iap_id=iap.id):
        raise Conflict(N_("Plan at least one measure first."))
    if not may_sign(actor, "preparer", school, iap.preparer_id):
        raise AccessDenied()
    async with in_transaction():
        await _hold(iap, "draft")
        signed = await IapApproval.create(iap_id=iap.id, step="preparer", person_id=actor.id)
        await _move(iap, actor, "in_approval")
        await _tell_next_approvers(iap, school, [signed])
    return iap


async def approve_iap(actor: Actor, iap_id: int) -> Iap:
    """Sign the next step of the chain; the last signature approves the plan."""
    iap, _, school = await _iap_for_work(actor, iap_id)
    if iap.status != "in_approval":
        raise Conflict(N_("This plan is not waiting for approval."))
    approvals = await IapApproval.filter(iap_id=iap.id)
    signed = {approval.step for approval in approvals}
    step = next_step(school, signed)
    if step is None or not may_sign(actor, step, school, iap.preparer_id):
        raise AccessDenied(N_("This plan is waiting for another approver."))
    if not independent(actor, iap, (approval.person_id for approval in approvals)):
        raise AccessDenied(
            N_(
                "You prepared this plan, recorded its consent or signed it already: "
                "another approver must sign it."
            )
        )
    try:
        async with in_transaction():
            await _hold(iap, "in_approval")
            new = await IapApproval.create(iap_id=iap.id, step=step, person_id=actor.id)
            await _approved(actor, iap, school, step, signed, [*approvals, new])
    except IntegrityError:  # someone signed this step a moment earlier
        raise Conflict(CHANGED_MEANWHILE) from None
    return iap


async def _approved(
    actor: Actor,
    iap: Iap,
    school: School,
    step: str,
    signed: set[str],
    approvals: list[IapApproval],
) -> None:
    """After a signature: tell the next approvers, or approve the plan and tell its preparer."""
    await audit.record(actor.id, f"iap.approve_{step}", "iap", iap.id)
    if next_step(school, signed | {step}) is not None:
        await _tell_next_approvers(iap, school, approvals)
        return
    await _move(iap, actor, "approved")
    if iap.preparer_id is not None:
        await outbox.enqueue(
            iap.preparer_id,
            outbox.IAP_APPROVED,
            {"iap_id": iap.id},
            respect_quiet_hours=True,
            dedupe_key=f"{iap.id}:{approvals[-1].id}",
        )


async def return_iap(actor: Actor, iap_id: int, comment: str) -> Iap:
    """An approver sends the plan back to draft with a comment; signatures start over."""
    iap, _, school = await _iap_for_work(actor, iap_id)
    if iap.status != "in_approval":
        raise Conflict(N_("This plan is not waiting for approval."))
    comment = clean_text(comment)
    if not comment or len(comment) > TEXT_LIMIT:
        raise InvalidInput(N_("Say what should change (at most {max} characters)."), max=TEXT_LIMIT)
    if not (
        may_sign(actor, "school", school, iap.preparer_id)
        or may_sign(actor, "municipality", school, iap.preparer_id)
    ):
        raise AccessDenied()
    async with in_transaction():
        await _hold(iap, "in_approval")
        await IapApproval.filter(iap_id=iap.id).delete()
        await _move(iap, actor, "draft", comment)
        if iap.preparer_id is not None and iap.preparer_id != actor.id:
            await outbox.enqueue(
                iap.preparer_id, outbox.IAP_RETURNED, {"iap_id": iap.id}, respect_quiet_hours=True
            )
    return iap


async def why_returned(actor: Actor, iap_id: int) -> tuple[Student, str | None]:
    """The plan's student and the comment it was last returned to draft with."""
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None:
        raise NotFound()
    student = await workable_student(actor, iap.student_id)
    last = (
        await IapTransition.filter(iap_id=iap.id, to_status="draft", comment__isnull=False)
        .order_by("-at", "-id")
        .first()
    )
    return student, last.comment if last else None


async def plan_to_move(actor: Actor, iap_id: int, to_status: str) -> tuple[Iap, Student]:
    """The plan and its student, if the actor may move it to `to_status` now; why not otherwise."""
    if to_status not in IAP_STATUSES:
        raise InvalidInput(N_("Unknown plan status."))
    iap, student, _ = await _iap_for_work(actor, iap_id)
    if to_status not in IAP_MOVES[iap.status]:
        raise Conflict(MOVE_REFUSALS[iap.status])
    return iap, student


async def move_iap(actor: Actor, iap_id: int, to_status: str, reason: str | None = None) -> Iap:
    """Start, pause (with a reason), resume, send to review, or withdraw a plan."""
    iap, _ = await plan_to_move(actor, iap_id, to_status)
    reason = optional_text(reason)
    if to_status == "paused" and not reason:
        raise InvalidInput(N_("Give the reason for pausing the plan."))
    if reason is not None and len(reason) > TEXT_LIMIT:
        raise InvalidInput(N_("The text is too long: at most {max} characters."), max=TEXT_LIMIT)
    async with in_transaction():
        # Tortoise types a TextField as str, though null=True lets it hold None.
        iap.pause_reason = reason if to_status == "paused" else None  # type: ignore[assignment]
        await _move(iap, actor, to_status, reason)
    return iap


async def plan_and_student(actor: Actor, iap_id: int) -> tuple[Iap, Student]:
    """The plan and its student, if the actor may work on it."""
    iap, student, _ = await _iap_for_work(actor, iap_id)
    return iap, student


async def _plan_under_review(actor: Actor, iap_id: int) -> Iap:
    iap, _, _ = await _iap_for_work(actor, iap_id)
    if iap.status != "under_review":
        raise Conflict(N_("Only a plan under review can be evaluated."))
    return iap


async def plan_for_review(actor: Actor, iap_id: int) -> AssembledIap:
    """A plan under review as staff read it: each measure with what was delivered and rated."""
    iap = await _plan_under_review(actor, iap_id)
    await audit.read(actor.id, "student", iap.student_id, "plan")
    return (await assemble([iap.student_id], Semester(iap.school_year, iap.semester)))[0]


async def evaluate_measure(
    actor: Actor, iap_id: int, measure_id: int, *, realised: str, note: str | None = None
) -> IapMeasure:
    """Rate how a measure of a plan under review was realised, with an optional note."""
    iap = await _plan_under_review(actor, iap_id)
    measure = await IapMeasure.get_or_none(id=measure_id, iap_id=iap.id)
    if measure is None:
        raise NotFound()
    if realised not in MEASURE_REALISED:
        raise InvalidInput(N_("Say how the measure was realised: fully, partly or not."))
    note = optional_text(note)
    if note is not None and len(note) > TEXT_LIMIT:
        raise InvalidInput(N_("The text is too long: at most {max} characters."), max=TEXT_LIMIT)
    async with in_transaction():
        measure.realised = realised
        measure.evaluation_note = note  # type: ignore[assignment]  # TextField(null=True)
        await measure.save(update_fields=["realised", "evaluation_note"])
        await audit.record(actor.id, "iap_measure.evaluate", "iap_measure", measure.id)
    return measure


async def review_iap(
    actor: Actor,
    iap_id: int,
    *,
    risk_outcome: str,
    continues: bool,
    evaluation: str | None = None,
) -> tuple[Iap, Iap | None]:
    """End the semester's review: every measure rated, the risk situation, an overall note.

    A plan that continues is copied into next semester's draft with the same measures; its
    consent starts missing, and the student's parents in the bot are asked for it again.
    """
    iap = await _plan_under_review(actor, iap_id)
    if risk_outcome not in RISK_OUTCOMES:
        raise InvalidInput(N_("Say how the risk situation changed: reduced, unchanged or worse."))
    evaluation = optional_text(evaluation)
    if evaluation is not None and len(evaluation) > TEXT_LIMIT:
        raise InvalidInput(N_("The text is too long: at most {max} characters."), max=TEXT_LIMIT)
    measures = await IapMeasure.filter(iap_id=iap.id).order_by("id")
    if any(measure.realised is None for measure in measures):
        raise Conflict(N_("Say first how each measure was realised."))
    following = Semester(iap.school_year, iap.semester).next()
    async with in_transaction():
        iap.evaluation = evaluation  # type: ignore[assignment]  # TextField(null=True)
        iap.risk_outcome, iap.continues = risk_outcome, continues
        await iap.save(update_fields=["evaluation", "risk_outcome", "continues", "updated_at"])
        await audit.record(actor.id, "iap.review", "iap", iap.id)
        if not continues:
            return iap, None
        try:
            async with in_transaction():
                successor = await Iap.create(
                    student_id=iap.student_id,
                    school_year=following.school_year,
                    semester=following.number,
                    preparer_id=actor.id,
                    continued_from_id=iap.id,
                )
        except IntegrityError:
            raise Conflict(N_("This student already has a plan for next semester.")) from None
        await IapTransition.create(iap_id=successor.id, to_status="draft", person_id=actor.id)
        await IapMeasure.bulk_create(
            [
                IapMeasure(
                    iap_id=successor.id,
                    kind=m.kind,
                    specialist_type=m.specialist_type,
                    support_type=m.support_type,
                    risk_factors=m.risk_factors,
                    planned_quantity=m.planned_quantity,
                )
                for m in measures
            ]
        )
        await IapRiskGroup.bulk_create(
            [
                IapRiskGroup(
                    iap_id=successor.id,
                    group=row.group,
                    justification=row.justification,
                    factors=row.factors,
                )
                for row in await IapRiskGroup.filter(iap_id=iap.id)
            ]
        )
        parents = await column(
            Membership.filter(role=PARENT, student_id=iap.student_id), "person_id"
        )
        for parent_id in sorted(set(parents)):
            await outbox.enqueue(
                parent_id,
                outbox.CONSENT_REQUEST,
                {"iap_id": successor.id},
                respect_quiet_hours=True,
            )
        await audit.record(actor.id, "iap.continue", "iap", successor.id)
    return iap, successor


def _waits_for(actor: Actor, iap: Iap) -> bool:
    """Whether the plan's next signature is this actor's (its school and approvals loaded)."""
    school = iap.student.school
    step = next_step(school, {approval.step for approval in iap.approvals})
    signers = (approval.person_id for approval in iap.approvals)
    return (
        step is not None
        and may_sign(actor, step, school, iap.preparer_id)
        and independent(actor, iap, signers)
    )


async def iaps_waiting_for(actor: Actor) -> list[Iap]:
    """Plans in approval whose next signature is this actor's, oldest first."""
    if not actor.is_coordinator:
        return []
    scope = Q(student__school_id__in=list(actor.coordinated_school_ids) or [-1]) | Q(
        student__school__municipality_id__in=list(actor.municipality_ids) or [-1]
    )
    iaps = (
        await Iap.filter(scope, status="in_approval")
        .select_related("student__school")
        .prefetch_related("approvals")
        .order_by("updated_at", "id")
    )
    return [iap for iap in iaps if _waits_for(actor, iap)]


async def plan_waiting_for(actor: Actor, iap_id: int) -> Iap | None:
    """The plan, with its student's class and school, preparer and signatures, if its next
    signature is this actor's; None otherwise (signed or returned meanwhile, or not theirs)."""
    iap = (
        await Iap.filter(id=iap_id, status="in_approval")
        .select_related("student__school", "student__school_class", "preparer")
        .prefetch_related("approvals")
        .first()
    )
    return iap if iap is not None and _waits_for(actor, iap) else None


# Editing a draft: measures, risks and their justification; what blocks it; sending it up.

JUSTIFICATION_LIMIT = 1000
# From these days (month, day) of a semester, its successor can be opened too.
NEXT_SEMESTER_FROM = {1: (12, 1), 2: (5, 1)}
ONLY_DRAFTS = N_(
    "Only a draft can be changed: this plan has been sent for approval or is already under way."
)


def _checked_factors(risk_factors: list[str] | None) -> list[str]:
    factors = list(dict.fromkeys(risk_factors or []))
    if not factors or any(factor not in RISK_FACTORS for factor in factors):
        raise InvalidInput(N_("Link the measure to at least one risk factor."))
    return factors


def _checked_quantity(planned_quantity: Decimal | float | str | None) -> Decimal:
    try:
        quantity = Decimal(str(planned_quantity).replace(",", "."))
        if not quantity.is_finite():
            raise InvalidOperation
        quantity = quantity.quantize(Decimal("0.1"))
    except InvalidOperation:
        raise InvalidInput(N_("Give the planned quantity as a number.")) from None
    if not Decimal("0.5") <= quantity <= Decimal(500):
        raise InvalidInput(N_("Give the planned quantity, from 0.5 to 500."))
    return quantity


def _checked_months(iap: Iap, months: list[int]) -> list[int]:
    """Months of the plan's own semester, each once, in order."""
    allowed = Semester(iap.school_year, iap.semester).months()
    chosen = sorted(set(months))
    if not chosen or any(month not in allowed for month in chosen):
        raise InvalidInput(N_("Choose the months of the plan's semester that the support covers."))
    return chosen


def semesters_to_open(day: date) -> list[Semester]:
    """The semesters a plan can be opened for on this day: the current one, and in its last
    weeks (from 1 December, from 1 May) the next one too."""
    current = Semester.of(day)
    if (day.month, day.day) >= NEXT_SEMESTER_FROM[current.number]:
        return [current, current.next()]
    return [current]


async def semesters_without_plan(actor: Actor, student_id: int) -> list[Semester]:
    """Of the semesters a plan can be opened for today, those the student has no plan for."""
    student = await workable_student(actor, student_id)
    candidates = semesters_to_open(today())
    taken = await Iap.filter(
        student_id=student.id, school_year__in=[s.school_year for s in candidates]
    ).values_list("school_year", "semester")
    return [s for s in candidates if (s.school_year, s.number) not in set(taken)]


async def draft_to_edit(actor: Actor, iap_id: int) -> Iap:
    """A draft this actor may change: the plan's preparer, or staff of the student's school.

    A plan out of the actor's sight answers as a missing one.
    """
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None:
        raise NotFound()
    student = await Student.filter(student_scope(actor), id=iap.student_id).first()
    if student is None:
        raise NotFound()
    if iap.preparer_id != actor.id and student.school_id not in actor.staff_school_ids:
        raise AccessDenied(N_("Only the plan's preparer or staff of the school can change it."))
    if iap.status != "draft":
        raise Conflict(ONLY_DRAFTS)
    return iap


async def _measure_in(iap: Iap, measure_id: int) -> IapMeasure:
    measure = await IapMeasure.get_or_none(id=measure_id, iap_id=iap.id)
    if measure is None:
        raise NotFound()
    return measure


async def update_measure(
    actor: Actor,
    iap_id: int,
    measure_id: int,
    *,
    planned_quantity: Decimal | float | str | None = None,
    risk_factors: list[str] | None = None,
    months: list[int] | None = None,
) -> IapMeasure:
    """Change a draft's measure: the risk factors it addresses, its hours, or its months."""
    iap = await draft_to_edit(actor, iap_id)
    measure = await _measure_in(iap, measure_id)
    if risk_factors is not None:
        measure.risk_factors = _checked_factors(risk_factors)
    if measure.kind == "material":
        if planned_quantity is not None:
            raise InvalidInput(N_("For material support, choose the months it covers."))
        if months is not None:
            measure.months = _checked_months(iap, months)
            measure.planned_quantity = _checked_quantity(len(measure.months))
    else:
        if months is not None:
            raise InvalidInput(N_("Months are planned for material support only."))
        if planned_quantity is not None:
            measure.planned_quantity = _checked_quantity(planned_quantity)
    async with in_transaction():
        await measure.save(update_fields=["risk_factors", "months", "planned_quantity"])
        await audit.record(actor.id, "iap_measure.update", "iap_measure", measure.id)
    return measure


async def remove_measure(actor: Actor, iap_id: int, measure_id: int) -> None:
    """Take a measure out of a draft."""
    iap = await draft_to_edit(actor, iap_id)
    measure = await _measure_in(iap, measure_id)
    async with in_transaction():
        await measure.delete()
        await audit.record(actor.id, "iap_measure.delete", "iap_measure", measure_id)


async def _risk_group(iap: Iap, group: str) -> IapRiskGroup:
    """The plan's row for this risk group, made on first use (a concurrent maker wins)."""
    found = await IapRiskGroup.get_or_none(iap_id=iap.id, group=group)
    if found is not None:
        return found
    try:
        async with in_transaction():
            return await IapRiskGroup.create(iap_id=iap.id, group=group)
    except IntegrityError:
        return await IapRiskGroup.get(iap_id=iap.id, group=group)


async def set_risk_justification(actor: Actor, iap_id: int, group: str, text: str) -> IapRiskGroup:
    """The preparer's assessment of a risk group in a draft: why the student is at risk."""
    if group not in RISK_GROUPS:
        raise InvalidInput(N_("Unknown risk group."))
    text = clean_text(text)
    if not text or len(text) > JUSTIFICATION_LIMIT:
        raise InvalidInput(
            N_("Write the justification (at most {max} characters)."), max=JUSTIFICATION_LIMIT
        )
    iap = await draft_to_edit(actor, iap_id)
    row = await _risk_group(iap, group)
    async with in_transaction():
        row.justification = text
        await row.save(update_fields=["justification", "updated_at"])
        await audit.record(actor.id, "iap.risk_justify", "iap", iap.id)
    return row


async def add_risk_factor(actor: Actor, iap_id: int, factor: str) -> IapRiskGroup:
    """Name a risk factor in a draft beside those the signals show (e.g. for a student with no
    signal yet)."""
    if factor not in RISK_FACTORS:
        raise InvalidInput(N_("Unknown risk factor."))
    iap = await draft_to_edit(actor, iap_id)
    row = await _risk_group(iap, RISK_FACTORS[factor].group)
    if factor not in row.factors:
        async with in_transaction():
            row.factors = [*row.factors, factor]
            await row.save(update_fields=["factors", "updated_at"])
            await audit.record(actor.id, "iap.risk_add", "iap", iap.id)
    return row


async def remove_risk_factor(actor: Actor, iap_id: int, factor: str) -> None:
    """Take back a risk factor the preparer added; the signals' risks stay as logged."""
    if factor not in RISK_FACTORS:
        raise InvalidInput(N_("Unknown risk factor."))
    iap = await draft_to_edit(actor, iap_id)
    row = await IapRiskGroup.get_or_none(iap_id=iap.id, group=RISK_FACTORS[factor].group)
    if row is None or factor not in row.factors:
        raise NotFound()
    measures = await IapMeasure.filter(iap_id=iap.id).values_list("risk_factors", flat=True)
    if any(factor in linked for linked in measures):
        raise Conflict(N_("A measure addresses this risk: change or delete the measure first."))
    async with in_transaction():
        row.factors = [code for code in row.factors if code != factor]
        await row.save(update_fields=["factors", "updated_at"])
        await audit.record(actor.id, "iap.risk_remove", "iap", iap.id)


class NotReady(Conflict):
    """A draft cannot be sent for approval yet; the text names every blocker."""

    def __init__(self, found: list[Gap]) -> None:
        super().__init__(N_("The plan cannot be sent for approval yet: {what}"))
        self.blockers = found

    def text(self, locale: str) -> str:
        what = "; ".join(gap_text(gap, locale) for gap in self.blockers)
        return gettext(self.message, locale, what=what)


def may_edit(actor: Actor, plan: AssembledIap) -> bool:
    """The actor may change this plan now: a draft, and theirs or their school's."""
    return plan.status == "draft" and prepares(actor, plan)


def prepares(actor: Actor, plan: AssembledIap) -> bool:
    """The plan's preparer, or staff of the student's school."""
    return plan.preparer_id == actor.id or plan.school_id in actor.staff_school_ids


async def plan_blockers(actor: Actor, iap_id: int) -> list[Gap]:
    """What stops this draft from being sent for approval; nothing for a plan past draft."""
    plan = await assemble_plan(actor, iap_id)
    if not prepares(actor, plan):
        raise AccessDenied()
    return blockers(plan) if plan.status == "draft" else []


async def submit_plan(actor: Actor, iap_id: int) -> Iap:
    """Send a draft for approval once nothing blocks it (`blockers`); else say what does."""
    iap = await draft_to_edit(actor, iap_id)
    found = blockers(await assemble_plan(actor, iap.id))
    if found:
        raise NotReady(found)
    return await submit_for_approval(actor, iap.id)
