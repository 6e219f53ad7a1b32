"""A support plan as a message in the bot, shared by the flows that show or change one.

The callback data of the buttons under a plan and of its steps, the status moves a plan allows
(start, pause, resume, send for review), the keyboards, and sending the plan as its own message.
The flows that handle these buttons: handlers/plans.py (opening, risks, consent, submitting),
handlers/plan_measures.py (measures), handlers/plan_status.py (moves and the review),
handlers/plan_pdf.py (the PDF).
"""

from dataclasses import dataclass
from typing import Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import RISK_GROUPS
from core.i18n import N_
from core.iap import AssembledIap, Gap, assemble_plan, blockers
from core.iap_view import render_iap
from core.ids import Id
from core.services.iaps import may_edit
from handlers.callbacks import OutcomeAsk, PlanOpen, PlanPdf
from handlers.markup import html
from handlers.pickers import button, buttons, entry_label, in_rows
from handlers.replies import answer_long

# The buttons' data: from the plan's message, and of its steps.


class PlStart(CallbackData, prefix="pl_o"):
    """Open a plan for the student (the student's card, /plan)."""

    student_id: Id


class PlStep(CallbackData, prefix="pl_s"):
    """A step from the plan's message: one of STEPS."""

    iap_id: Id
    step: str


class PlGroup(CallbackData, prefix="pl_g"):
    """Write the justification of a risk group."""

    iap_id: Id
    group: str


class PlAddGroup(CallbackData, prefix="pl_ag"):
    """The factors of a risk group, to name in the plan."""

    iap_id: Id
    group: str


class PlNewMeasure(CallbackData, prefix="pl_nm"):
    """Add a measure; for a risk factor no measure addresses yet, when given."""

    iap_id: Id
    factor: str = ""


class PlMeasure(CallbackData, prefix="pl_m"):
    iap_id: Id
    measure_id: Id


class PlEdit(CallbackData, prefix="pl_e"):
    """Change a measure: factors | amount | delete (ask) | drop (confirmed)."""

    iap_id: Id
    measure_id: Id
    what: str


# What a plan may move to next, for whom.


class PlanState(Protocol):
    """What `status_buttons` needs of a plan (an assembled plan has it)."""

    @property
    def iap_id(self) -> int | None: ...
    @property
    def status(self) -> str | None: ...
    @property
    def school_id(self) -> int: ...
    @property
    def preparer_id(self) -> int | None: ...


@dataclass(frozen=True)
class Shown:
    iap_id: int
    status: str
    school_id: int
    preparer_id: int | None


@dataclass(frozen=True)
class Move:
    label: str  # the button, at most 24 characters in every language
    question: str  # asked before the move, with {name} (and {reason} for a pause)
    done: str


START = Move(
    N_("Start implementation"),
    N_("{name}: do you really want to start implementing the support plan?"),
    N_("✓ The plan is being implemented now."),
)
PAUSE = Move(
    N_("Pause"),
    N_("{name}: do you really want to pause the support plan?\nReason: {reason}"),
    N_("✓ The plan is paused."),
)
RESUME = Move(
    N_("Resume"),
    N_("{name}: do you really want to resume the support plan?"),
    N_("✓ The plan is being implemented again."),
)
TO_REVIEW = Move(
    N_("Send for review"),
    N_("{name}: do you really want to send the support plan for review?"),
    N_("✓ The plan is under review. Evaluate each measure and the risk situation now."),
)
# The moves offered from each status, as (to status, move); IAP_MOVES in core decides.
MOVES: dict[str, list[tuple[str, Move]]] = {
    "approved": [("in_progress", START), ("paused", PAUSE)],
    "in_progress": [("under_review", TO_REVIEW), ("paused", PAUSE)],
    "paused": [("in_progress", RESUME)],
}


class PlanMove(CallbackData, prefix="pmv"):
    """Asks to move a plan: a confirmation (for a pause, the reason first)."""

    to: str
    iap_id: Id


class Review(CallbackData, prefix="prv"):
    """A step of the review. step: start | rate | next | risk | skip | end."""

    step: str
    iap_id: Id
    measure_id: int = 0
    code: str = ""  # the rating, the risk outcome, or close | continue


def may_move(plan: PlanState, actor: Actor) -> bool:
    """The plan's preparer and its school's coordinators move it (the core decides anyway)."""
    return actor.id == plan.preparer_id or plan.school_id in actor.coordinated_school_ids


def status_buttons(plan: PlanState, actor: Actor) -> list[tuple[str, CallbackData]]:
    """The moves the plan allows now, for this reader: start, pause, resume, send for review;
    on a plan under review, its evaluation. None for a reader who does not move plans."""
    if plan.iap_id is None or not may_move(plan, actor):
        return []
    if plan.status == "under_review":
        return [(_("Evaluate"), Review(step="start", iap_id=plan.iap_id))]
    return [
        (_(move.label), PlanMove(to=to, iap_id=plan.iap_id))
        for to, move in MOVES.get(plan.status or "", [])
    ]


def status_keyboard(plan: PlanState, actor: Actor) -> InlineKeyboardMarkup | None:
    items = status_buttons(plan, actor)
    return buttons(items, 2) if items else None


def read_keyboard(plan: PlanState, actor: Actor) -> InlineKeyboardMarkup | None:
    """Under a plan's text for staff: the moves it allows now, and its PDF to print."""
    items = status_buttons(plan, actor)
    if plan.iap_id is not None:
        items.append((_("PDF to print"), PlanPdf(iap_id=plan.iap_id)))
        items.append((_("Outcome"), OutcomeAsk(iap_id=plan.iap_id)))
    return buttons(items, 2) if items else None


def pdf_keyboard(iap_id: int | None) -> InlineKeyboardMarkup | None:
    """The button under a plan's text; none for a student without a plan."""
    if iap_id is None:
        return None
    return buttons([(_("PDF to print"), PlanPdf(iap_id=iap_id))])


# The plan's own message.


def locale() -> str:
    return get_i18n().current_locale


def back_to_plan(iap_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("Back to the plan"), callback_data=PlanOpen(iap_id=iap_id).pack()
    )


def fix_button(n: int, iap_id: int, gap: Gap) -> InlineKeyboardButton:
    """The step that removes a blocker, numbered as the plan lists it."""
    if gap.kind == "consent_missing":
        return button(_("{n}. Consent").format(n=n), PlStep(iap_id=iap_id, step="consent"))
    if gap.kind == "no_risks":
        return button(_("{n}. Name a risk").format(n=n), PlStep(iap_id=iap_id, step="addrisk"))
    if gap.kind == "justification_missing":
        text = _("{n}. Write justification").format(n=n)
        return button(text, PlGroup(iap_id=iap_id, group=gap.code or ""))
    if gap.kind == "amount_missing":
        text = _("{n}. Plan the amount").format(n=n)
        measure_id = gap.measure_id or 0  # always given for amount_missing
        return button(text, PlEdit(iap_id=iap_id, measure_id=measure_id, what="amount"))
    text = _("{n}. Add a measure").format(n=n)  # a risk without a measure
    return button(text, PlNewMeasure(iap_id=iap_id, factor=gap.code or ""))


def plan_id(plan: AssembledIap) -> int:
    """The id of a plan that exists: one read by its id, or past the check for none."""
    assert plan.iap_id is not None, "a student's semester without a plan has no plan steps"
    return plan.iap_id


def plan_keyboard(
    actor: Actor, plan: AssembledIap, found: list[Gap] | None
) -> InlineKeyboardMarkup:
    iap_id = plan_id(plan)
    rows = []
    if found is not None:
        fixes = [fix_button(n, iap_id, gap) for n, gap in enumerate(found, 1)]
        rows += in_rows(fixes, 2)
        steps = [
            button(_("Risks"), PlStep(iap_id=iap_id, step="risks")),
            button(_("Add a measure"), PlNewMeasure(iap_id=iap_id)),
        ]
        if plan.measures:
            steps.append(button(_("Measures"), PlStep(iap_id=iap_id, step="measures")))
        steps.append(button(_("Consent"), PlStep(iap_id=iap_id, step="consent")))
        rows += in_rows(steps, 2)
        rows.append([button(_("Submit for approval"), PlStep(iap_id=iap_id, step="submit"))])
    else:  # past draft: the moves it allows now (start, pause, resume, review), for its staff
        rows += in_rows([button(text, data) for text, data in status_buttons(plan, actor)], 2)
    if actor.staff_school_ids or actor.municipality_ids:
        rows.append(
            [
                button(_("PDF"), PlanPdf(iap_id=iap_id)),
                button(_("Outcome"), OutcomeAsk(iap_id=iap_id)),
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def send_plan(message: Message, actor: Actor, iap_id: int, lead: str | None = None) -> None:
    """The plan as its own message(s); for its editor, with what blocks it and the steps."""
    plan = await assemble_plan(actor, iap_id)
    found = blockers(plan) if may_edit(actor, plan) else None
    text = render_iap(plan, locale(), found)
    if lead:
        text = f"{html(lead)}\n\n{text}"
    await answer_long(message, text, plan_keyboard(actor, plan, found), html=True)


async def finish(message: Message, state: FSMContext, actor: Actor, lead: str) -> None:
    iap_id = (await state.get_data())["iap_id"]
    await state.clear()
    await send_plan(message, actor, iap_id, lead)


def groups_view(plan: AssembledIap) -> tuple[str, InlineKeyboardMarkup]:
    items = [
        button(entry_label(group), PlAddGroup(iap_id=plan_id(plan), group=group.code))
        for group in RISK_GROUPS
    ]
    rows = [*in_rows(items, 1), [back_to_plan(plan_id(plan))]]
    return _("Which group is the risk in?"), InlineKeyboardMarkup(inline_keyboard=rows)
