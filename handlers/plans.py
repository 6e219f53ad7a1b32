"""The support plan in the bot: open one, plan it step by step, send it for approval.

The plan is its own message (`PlanOpen`), with what its reader may do next; every step ends
there again. A draft's preparer (or staff of the school) names and justifies its risks, adds,
changes and removes measures, records consent, and sends it for approval once nothing blocks it;
each blocker is a button to the step that fixes it. Every step saves what it asks for at once,
through the services, and FSM data holds only ids and codes: /cancel or a restart loses at most
the answer being given. A button of a step no longer under way answers "no longer active".
The measures' steps are in handlers/plan_measures.py.
"""

from datetime import date, timedelta

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import (
    ADULT_STUDENT,
    CONSENT_STATES,
    PAPER,
    PARENT,
    RISK_FACTORS,
    RISK_GROUPS,
)
from core.clock import Semester, date_problem, today
from core.errors import DomainError, InvalidInput
from core.formatting import semester_text
from core.iap import AssembledIap, assemble_for_student, assemble_plan
from core.iap_view import risk_text
from core.ids import Id
from core.services.iaps import (
    NotReady,
    add_risk_factor,
    draft_to_edit,
    open_iap,
    record_consent,
    remove_risk_factor,
    semesters_to_open,
    semesters_without_plan,
    set_risk_justification,
    submit_plan,
)
from core.services.needs import ask_parent_for_consent
from handlers.callbacks import PlanOpen
from handlers.filters import STAFF, TYPED_TEXT, HasRole, IsStaff
from handlers.markup import appended
from handlers.pickers import button, buttons, entry_label, in_rows, pgettext
from handlers.plan_message import (
    PlAddGroup,
    PlGroup,
    PlStart,
    PlStep,
    back_to_plan,
    finish,
    groups_view,
    locale,
    plan_id,
    send_plan,
)
from handlers.replies import edit_or_keep, show, stale_button, tapped
from handlers.student_search import only_match
from handlers.typed import parse_day

CONSENT_WAYS = {  # how a paper form was signed: (given, method)
    "paper": (True, PAPER),
    "adult": (True, ADULT_STUDENT),
    "paper_no": (False, PAPER),
    "adult_no": (False, ADULT_STUDENT),
}
STEPS = ("risks", "addrisk", "consent", "submit")  # "measures": handlers/plan_measures.py


class PlanFlow(StatesGroup):
    name = State()  # /plan: a part of the student's name
    justification = State()  # data: iap_id, group
    consent_day = State()  # data: iap_id, way


class PlNew(CallbackData, prefix="pl_n"):
    """Open the student's plan for this semester (when two can be opened)."""

    student_id: Id
    year: int
    number: int


class PlStudent(CallbackData, prefix="pl_st"):
    student_id: Id


class PlFactor(CallbackData, prefix="pl_f"):
    """Name a risk factor in the plan, or take it back."""

    iap_id: Id
    factor: str


class PlConsent(CallbackData, prefix="pl_c"):
    """ask (the parents, in the bot), or a paper form: one of CONSENT_WAYS."""

    iap_id: Id
    way: str


class PlDay(CallbackData, prefix="pl_dd"):
    days_ago: int


async def plan_opened(
    callback: CallbackQuery, callback_data: PlanOpen, state: FSMContext, actor: Actor
) -> None:
    await state.clear()  # back to the plan: a step under way ends
    await send_plan(tapped(callback), actor, callback_data.iap_id)
    await callback.answer()


# Opening a plan: from the student's card, or /plan and a part of the name.


def semester_choice(student_id: int, semesters: list[Semester]) -> InlineKeyboardMarkup:
    labels = (_("This semester"), _("Next semester"))
    return buttons(
        [
            (label, PlNew(student_id=student_id, year=s.school_year, number=s.number))
            for label, s in zip(labels, semesters, strict=False)
        ],
        2,
    )


async def open_for(message: Message, actor: Actor, student_id: int, semester: Semester) -> None:
    iap = await open_iap(actor, student_id, semester)
    lead = _("Opened: a draft plan for {semester}. It is saved as you go.").format(
        semester=semester_text(semester, locale())
    )
    await send_plan(message, actor, iap.id, lead)


async def start_plan(
    callback: CallbackQuery, callback_data: PlStart, state: FSMContext, actor: Actor
) -> None:
    await state.clear()
    semesters = await semesters_without_plan(actor, callback_data.student_id)
    await callback.answer()
    if not semesters:
        plan = await assemble_for_student(actor, callback_data.student_id, Semester.current())
        await send_plan(tapped(callback), actor, plan_id(plan))
    elif len(semesters) == 1:
        await open_for(tapped(callback), actor, callback_data.student_id, semesters[0])
    else:
        names = ", ".join(semester_text(s, locale()) for s in semesters)
        await tapped(callback).answer(
            _("For which semester? ({semesters})").format(semesters=names),
            reply_markup=semester_choice(callback_data.student_id, semesters),
        )


async def semester_chosen(callback: CallbackQuery, callback_data: PlNew, actor: Actor) -> None:
    semester = Semester(callback_data.year, callback_data.number)
    if semester not in semesters_to_open(today()):
        await stale_button(callback)
        return
    await callback.answer()
    await edit_or_keep(
        tapped(callback),
        appended(tapped(callback), f"→ {semester_text(semester, locale())}"),
        html=True,
    )
    await open_for(tapped(callback), actor, callback_data.student_id, semester)


async def plan_command(
    message: Message, command: CommandObject, state: FSMContext, actor: Actor
) -> None:
    await state.clear()
    if not command.args:
        await state.set_state(PlanFlow.name)
        await message.answer(_("Whose plan? Type part of the student's name."))
        return
    await search(message, state, actor, command.args)


async def name_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    await search(message, state, actor, message.text or "")


async def search(message: Message, state: FSMContext, actor: Actor, text: str) -> None:
    """One match: their plan (or opening one); several: buttons; none: ask again."""
    student_id = await only_match(message, actor, text, lambda id: PlStudent(student_id=id))
    if student_id is None:
        await state.set_state(PlanFlow.name)
        return
    await state.clear()
    await student_plan(message, actor, student_id)


async def match_chosen(
    callback: CallbackQuery, callback_data: PlStudent, state: FSMContext, actor: Actor
) -> None:
    await state.clear()
    await callback.answer()
    await student_plan(tapped(callback), actor, callback_data.student_id)


async def student_plan(message: Message, actor: Actor, student_id: int) -> None:
    """This semester's plan of the student, or the offer to open one."""
    plan = await assemble_for_student(actor, student_id, Semester.current())
    if plan.iap_id is not None:
        await send_plan(message, actor, plan.iap_id)
        return
    text = _("{name} has no support plan for {semester}.").format(
        name=f"{plan.first_name} {plan.last_name}",
        semester=semester_text(plan.semester, locale()),
    )
    markup = buttons([(_("Open a plan"), PlStart(student_id=student_id))])
    await message.answer(text, reply_markup=markup)


async def name_missing(message: Message) -> None:
    await message.answer(_("Please type part of the student's name, or stop with /cancel."))


# The steps from the plan's message.


async def step_chosen(
    callback: CallbackQuery, callback_data: PlStep, state: FSMContext, actor: Actor
) -> None:
    iap_id = callback_data.iap_id
    await draft_to_edit(actor, iap_id)  # a plan past draft: the reason, as an alert
    await state.clear()
    if callback_data.step == "submit":
        await submit(callback, actor, iap_id)
        return
    await callback.answer()
    plan = await assemble_plan(actor, iap_id)
    if callback_data.step == "risks":
        text, markup = risks_view(plan)
    elif callback_data.step == "addrisk":
        text, markup = groups_view(plan)
    else:
        text, markup = consent_view(plan)
    await tapped(callback).answer(text, reply_markup=markup)


# Risks: what was logged and named, a justification per group.


def risks_view(plan: AssembledIap) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("Identified risks:")]
    lines += [risk_text(risk, locale()) for risk in plan.risks] or ["  " + _("none yet")]
    groups = list(dict.fromkeys(risk.group for risk in plan.risks))
    for group in groups:
        text = plan.justifications.get(group, _("no justification yet"))
        lines += ["", f"{_(RISK_GROUPS[group].label)}: {text}"]
    lines += ["", _("Tap a group to write its justification, or name another risk.")]
    items = [
        button(
            ("✓ " if group in plan.justifications else "") + entry_label(RISK_GROUPS[group]),
            PlGroup(iap_id=plan_id(plan), group=group),
        )
        for group in groups
    ]
    rows = in_rows(items, 1)
    rows.append([button(_("Name a risk"), PlStep(iap_id=plan_id(plan), step="addrisk"))])
    rows.append([back_to_plan(plan_id(plan))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def factors_view(plan: AssembledIap, group: str) -> tuple[str, InlineKeyboardMarkup]:
    in_plan = {risk.factor for risk in plan.risks}
    items = [
        button(
            ("✓ " if factor.code in in_plan else "") + entry_label(factor),
            PlFactor(iap_id=plan_id(plan), factor=factor.code),
        )
        for factor in RISK_FACTORS
        if factor.group == group
    ]
    rows = [*in_rows(items, 1), [back_to_plan(plan_id(plan))]]
    text = "\n".join(
        [
            _(RISK_GROUPS[group].label),
            _("Tap a risk factor to name it in the plan; tap it again to take it back."),
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def group_to_name(
    callback: CallbackQuery, callback_data: PlAddGroup, state: FSMContext, actor: Actor
) -> None:
    if callback_data.group not in RISK_GROUPS:
        await stale_button(callback)
        return
    await draft_to_edit(actor, callback_data.iap_id)
    await state.clear()
    plan = await assemble_plan(actor, callback_data.iap_id)
    await callback.answer()
    await edit_or_keep(tapped(callback), *factors_view(plan, callback_data.group))


async def factor_tapped(callback: CallbackQuery, callback_data: PlFactor, actor: Actor) -> None:
    """Saved at once: named, or taken back (a factor the signals show stays)."""
    factor, iap_id = callback_data.factor, callback_data.iap_id
    if factor not in RISK_FACTORS:
        await stale_button(callback)
        return
    plan = await assemble_plan(actor, iap_id)
    risk = next((r for r in plan.risks if r.factor == factor), None)
    if risk is not None and risk.from_signals:
        await callback.answer(_("This risk comes from the logged signals."), show_alert=True)
        return
    if risk is None:
        await add_risk_factor(actor, iap_id, factor)
    else:
        await remove_risk_factor(actor, iap_id, factor)
    plan = await assemble_plan(actor, iap_id)
    await callback.answer()
    await edit_or_keep(tapped(callback), *factors_view(plan, RISK_FACTORS[factor].group))


async def ask_justification(
    callback: CallbackQuery, callback_data: PlGroup, state: FSMContext, actor: Actor
) -> None:
    group = callback_data.group
    if group not in RISK_GROUPS:
        await stale_button(callback)
        return
    await draft_to_edit(actor, callback_data.iap_id)
    plan = await assemble_plan(actor, callback_data.iap_id)
    await state.clear()
    await state.set_state(PlanFlow.justification)
    await state.update_data(iap_id=plan.iap_id, group=group)
    lines = [_(RISK_GROUPS[group].label)]
    lines += [risk_text(risk, locale()) for risk in plan.risks if risk.group == group]
    if group in plan.justifications:
        lines += ["", _("Now: {text}").format(text=plan.justifications[group])]
    lines += [
        "",
        _("Write a short justification: why is the student at risk in this group? (or /cancel)"),
    ]
    await callback.answer()
    await tapped(callback).answer("\n".join(lines))


async def justification_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    data = await state.get_data()
    try:
        await set_risk_justification(actor, data["iap_id"], data["group"], message.text or "")
    except InvalidInput as problem:
        await message.answer(problem.text(locale()))  # still the justification that is due
        return
    except DomainError:
        await state.clear()  # the plan moved on meanwhile: nothing left to ask
        raise
    await state.clear()
    await send_plan(message, actor, data["iap_id"], _("Saved: the justification."))


async def justification_missing(message: Message) -> None:
    await message.answer(_("Please write the justification as a text message, or /cancel."))


# Consent: ask the parents in the bot, or enter a signed paper form with its date.


def consent_view(plan: AssembledIap) -> tuple[str, InlineKeyboardMarkup]:
    iap_id = plan_id(plan)
    text = "\n".join([_(CONSENT_STATES[plan.consent].label), _("How was the consent given?")])
    items = [
        (pgettext("button", "Ask the parent"), PlConsent(iap_id=iap_id, way="ask")),
        (pgettext("button", "Signed by the parent"), PlConsent(iap_id=iap_id, way="paper")),
        (pgettext("button", "Signed by student (18+)"), PlConsent(iap_id=iap_id, way="adult")),
        (pgettext("button", "Refused by the parent"), PlConsent(iap_id=iap_id, way="paper_no")),
        (pgettext("button", "Refused by student (18+)"), PlConsent(iap_id=iap_id, way="adult_no")),
        (_("Back to the plan"), PlanOpen(iap_id=iap_id)),
    ]
    return text, buttons(items, 1)


async def consent_way(
    callback: CallbackQuery, callback_data: PlConsent, state: FSMContext, actor: Actor
) -> None:
    way, iap_id = callback_data.way, callback_data.iap_id
    await draft_to_edit(actor, iap_id)
    await state.clear()
    if way == "ask":
        await ask_parent_for_consent(actor, iap_id)
        await callback.answer()
        await edit_or_keep(
            tapped(callback),
            _("The parents have been asked for consent to the plan. They answer in the bot."),
            InlineKeyboardMarkup(inline_keyboard=[[back_to_plan(iap_id)]]),
        )
        return
    if way not in CONSENT_WAYS:
        await stale_button(callback)
        return
    await state.set_state(PlanFlow.consent_day)
    await state.update_data(iap_id=iap_id, way=way)
    await callback.answer()
    await ask_day(tapped(callback), edit=True)


async def ask_day(message: Message, problem: str | None = None, *, edit: bool = False) -> None:
    markup = buttons([(_("Today"), PlDay(days_ago=0)), (_("Yesterday"), PlDay(days_ago=1))], 2)
    prompt = _("What date is on the signed form? Tap a button or type it as dd.mm.yyyy.")
    await show(message, f"{problem}\n{prompt}" if problem else prompt, markup, edit=edit)


async def day_chosen(
    callback: CallbackQuery, callback_data: PlDay, state: FSMContext, actor: Actor
) -> None:
    await callback.answer()
    await save_consent(
        tapped(callback), state, actor, today() - timedelta(days=callback_data.days_ago)
    )


async def day_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    day = parse_day(message.text or "", today().year)
    problem = _("I could not read this date.") if day is None else date_problem(day)
    if problem or day is None:
        await ask_day(message, problem and _(problem))
        return
    await save_consent(message, state, actor, day)


async def save_consent(message: Message, state: FSMContext, actor: Actor, day: date) -> None:
    data = await state.get_data()
    given, method = CONSENT_WAYS[data["way"]]
    try:
        await record_consent(actor, data["iap_id"], given=given, method=method, signed_on=day)
    except DomainError:
        await state.clear()
        raise
    lead = _("Recorded: consent given.") if given else _("Recorded: consent refused.")
    await finish(message, state, actor, lead)


# Sending for approval.


async def submit(callback: CallbackQuery, actor: Actor, iap_id: int) -> None:
    try:
        await submit_plan(actor, iap_id)
    except NotReady:
        await callback.answer(_("Not yet: fix what the plan lists first."), show_alert=True)
        await send_plan(tapped(callback), actor, iap_id)
        return
    await callback.answer()
    await send_plan(tapped(callback), actor, iap_id, _("Sent for approval."))


def create_router() -> Router:
    router = Router(name="plans")
    reader = HasRole(*STAFF, PARENT)
    router.callback_query.register(plan_opened, PlanOpen.filter(), reader)

    router.message.register(plan_command, Command("plan"), IsStaff)
    router.message.register(name_typed, PlanFlow.name, TYPED_TEXT, IsStaff)
    router.callback_query.register(match_chosen, PlanFlow.name, PlStudent.filter(), IsStaff)
    router.message.register(name_missing, PlanFlow.name, ~F.text.startswith("/"))
    router.callback_query.register(start_plan, PlStart.filter(), IsStaff)
    router.callback_query.register(semester_chosen, PlNew.filter(F.number.in_({1, 2})), IsStaff)

    router.callback_query.register(step_chosen, PlStep.filter(F.step.in_(STEPS)), IsStaff)
    router.callback_query.register(group_to_name, PlAddGroup.filter(), IsStaff)
    router.callback_query.register(factor_tapped, PlFactor.filter(), IsStaff)
    router.callback_query.register(ask_justification, PlGroup.filter(), IsStaff)
    router.message.register(justification_typed, PlanFlow.justification, TYPED_TEXT)

    router.callback_query.register(consent_way, PlConsent.filter(), IsStaff)
    days = PlDay.filter(F.days_ago.in_({0, 1}))
    router.callback_query.register(day_chosen, PlanFlow.consent_day, days)
    router.message.register(day_typed, PlanFlow.consent_day, TYPED_TEXT)

    router.message.register(justification_missing, PlanFlow.justification, ~F.text.startswith("/"))
    return router
