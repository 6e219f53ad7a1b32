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
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
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
from core.iap import AssembledIap, Gap, assemble_for_student, assemble_plan, blockers
from core.iap_view import render_iap, risk_text
from core.ids import Id
from core.services.iaps import (
    NotReady,
    add_risk_factor,
    draft_to_edit,
    may_edit,
    open_iap,
    record_consent,
    remove_risk_factor,
    semesters_to_open,
    semesters_without_plan,
    set_risk_justification,
    submit_plan,
)
from core.services.needs import ask_parent_for_consent
from core.services.pending import find_students
from handlers.callbacks import PlanOpen, PlanPdf
from handlers.filters import STAFF, TYPED_TEXT, HasRole, IsStaff
from handlers.pickers import buttons, entry_label, pgettext
from handlers.plan_status import status_buttons
from handlers.replies import answer_long, edit_or_keep, show
from handlers.typed import parse_day

MATCHES_SHOWN = 10
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
    kind = State()  # a new measure; data: iap_id, factors
    type = State()  # data: + kind
    factors = State()  # data: iap_id, factors, and kind + code (new) or measure_id (change)
    hours = State()  # data: iap_id, and kind + code + factors (new) or measure_id (change)
    months = State()  # data: as hours, + months
    consent_day = State()  # data: iap_id, way


class PlStart(CallbackData, prefix="pl_o"):
    """Open a plan for the student (the student's card, /plan)."""

    student_id: Id


class PlNew(CallbackData, prefix="pl_n"):
    """Open the student's plan for this semester (when two can be opened)."""

    student_id: Id
    year: int
    number: int


class PlStudent(CallbackData, prefix="pl_st"):
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


class PlFactor(CallbackData, prefix="pl_f"):
    """Name a risk factor in the plan, or take it back."""

    iap_id: Id
    factor: str


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


class PlConsent(CallbackData, prefix="pl_c"):
    """ask (the parents, in the bot), or a paper form: one of CONSENT_WAYS."""

    iap_id: Id
    way: str


class PlDay(CallbackData, prefix="pl_dd"):
    days_ago: int


def locale() -> str:
    return get_i18n().current_locale


def back_to_plan(iap_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("Back to the plan"), callback_data=PlanOpen(iap_id=iap_id).pack()
    )


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def in_rows(items: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [items[i : i + width] for i in range(0, len(items), width)]


# The plan's own message.


def fix_button(n: int, iap_id: int, gap: Gap) -> InlineKeyboardButton:
    """The step that removes a blocker, numbered as the plan lists it."""
    if gap.kind == "consent_missing":
        return button(_("{n}. Consent").format(n=n), PlStep(iap_id=iap_id, step="consent"))
    if gap.kind == "no_risks":
        return button(_("{n}. Name a risk").format(n=n), PlStep(iap_id=iap_id, step="addrisk"))
    if gap.kind == "justification_missing":
        text = _("{n}. Write justification").format(n=n)
        return button(text, PlGroup(iap_id=iap_id, group=gap.code))
    if gap.kind == "amount_missing":
        text = _("{n}. Plan the amount").format(n=n)
        return button(text, PlEdit(iap_id=iap_id, measure_id=gap.measure_id, what="amount"))
    text = _("{n}. Add a measure").format(n=n)  # a risk without a measure
    return button(text, PlNewMeasure(iap_id=iap_id, factor=gap.code))


def plan_keyboard(
    actor: Actor, plan: AssembledIap, found: list[Gap] | None
) -> InlineKeyboardMarkup:
    iap_id = plan.iap_id
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
        rows.append([button(_("PDF"), PlanPdf(iap_id=iap_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def send_plan(message: Message, actor: Actor, iap_id: int, lead: str | None = None) -> None:
    """The plan as its own message(s); for its editor, with what blocks it and the steps."""
    plan = await assemble_plan(actor, iap_id)
    found = blockers(plan) if may_edit(actor, plan) else None
    text = render_iap(plan, locale(), found)
    if lead:
        text = f"{lead}\n\n{text}"
    await answer_long(message, text, plan_keyboard(actor, plan, found))


async def plan_opened(
    callback: CallbackQuery, callback_data: PlanOpen, state: FSMContext, actor: Actor
) -> None:
    await state.clear()  # back to the plan: a step under way ends
    await send_plan(callback.message, actor, callback_data.iap_id)
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
        await send_plan(callback.message, actor, plan.iap_id)
    elif len(semesters) == 1:
        await open_for(callback.message, actor, callback_data.student_id, semesters[0])
    else:
        names = ", ".join(semester_text(s, locale()) for s in semesters)
        await callback.message.answer(
            _("For which semester? ({semesters})").format(semesters=names),
            reply_markup=semester_choice(callback_data.student_id, semesters),
        )


async def semester_chosen(callback: CallbackQuery, callback_data: PlNew, actor: Actor) -> None:
    semester = Semester(callback_data.year, callback_data.number)
    if semester not in semesters_to_open(today()):
        await stale(callback)
        return
    await callback.answer()
    await edit_or_keep(
        callback.message, f"{callback.message.text}\n→ {semester_text(semester, locale())}"
    )
    await open_for(callback.message, actor, callback_data.student_id, semester)


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
    await search(message, state, actor, message.text)


async def search(message: Message, state: FSMContext, actor: Actor, text: str) -> None:
    """One match: their plan (or opening one); several: buttons; none: ask again."""
    try:
        students = await find_students(actor, text)
    except InvalidInput as problem:
        await state.set_state(PlanFlow.name)
        await message.answer(problem.text(locale()))
        return
    if len(students) == 1:
        await state.clear()
        await student_plan(message, actor, students[0].id)
        return
    await state.set_state(PlanFlow.name)
    if not students:
        await message.answer(
            _("No student matches “{text}”. Type another part of the name, or /cancel.").format(
                text=text.strip()
            )
        )
        return
    items = [
        (f"{s.first_name} {s.last_name}, {s.school_class.name}", PlStudent(student_id=s.id))
        for s in students[:MATCHES_SHOWN]
    ]
    prompt = _("Several students match. Choose one:")
    if len(students) > MATCHES_SHOWN:
        prompt += "\n" + _("Only the first {count} are shown: type more of the name.").format(
            count=MATCHES_SHOWN
        )
    await message.answer(prompt, reply_markup=buttons(items))


async def match_chosen(
    callback: CallbackQuery, callback_data: PlStudent, state: FSMContext, actor: Actor
) -> None:
    await state.clear()
    await callback.answer()
    await student_plan(callback.message, actor, callback_data.student_id)


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
    await callback.message.answer(text, reply_markup=markup)


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
            PlGroup(iap_id=plan.iap_id, group=group),
        )
        for group in groups
    ]
    rows = in_rows(items, 1)
    rows.append([button(_("Name a risk"), PlStep(iap_id=plan.iap_id, step="addrisk"))])
    rows.append([back_to_plan(plan.iap_id)])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def groups_view(plan: AssembledIap) -> tuple[str, InlineKeyboardMarkup]:
    items = [
        button(entry_label(group), PlAddGroup(iap_id=plan.iap_id, group=group.code))
        for group in RISK_GROUPS
    ]
    rows = [*in_rows(items, 1), [back_to_plan(plan.iap_id)]]
    return _("Which group is the risk in?"), InlineKeyboardMarkup(inline_keyboard=rows)


def factors_view(plan: AssembledIap, group: str) -> tuple[str, InlineKeyboardMarkup]:
    in_plan = {risk.factor for risk in plan.risks}
    items = [
        button(
            ("✓ " if factor.code in in_plan else "") + entry_label(factor),
            PlFactor(iap_id=plan.iap_id, factor=factor.code),
        )
        for factor in RISK_FACTORS
        if factor.group == group
    ]
    rows = [*in_rows(items, 1), [back_to_plan(plan.iap_id)]]
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
        await stale(callback)
        return
    await draft_to_edit(actor, callback_data.iap_id)
    await state.clear()
    plan = await assemble_plan(actor, callback_data.iap_id)
    await callback.answer()
    await edit_or_keep(callback.message, *factors_view(plan, callback_data.group))


async def factor_tapped(callback: CallbackQuery, callback_data: PlFactor, actor: Actor) -> None:
    """Saved at once: named, or taken back (a factor the signals show stays)."""
    factor, iap_id = callback_data.factor, callback_data.iap_id
    if factor not in RISK_FACTORS:
        await stale(callback)
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
    await edit_or_keep(callback.message, *factors_view(plan, RISK_FACTORS[factor].group))


async def ask_justification(
    callback: CallbackQuery, callback_data: PlGroup, state: FSMContext, actor: Actor
) -> None:
    group = callback_data.group
    if group not in RISK_GROUPS:
        await stale(callback)
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
    await callback.message.answer("\n".join(lines))


async def justification_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    data = await state.get_data()
    try:
        await set_risk_justification(actor, data["iap_id"], data["group"], message.text)
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


async def finish(message: Message, state: FSMContext, actor: Actor, lead: str) -> None:
    iap_id = (await state.get_data())["iap_id"]
    await state.clear()
    await send_plan(message, actor, iap_id, lead)


# Consent: ask the parents in the bot, or enter a signed paper form with its date.


def consent_view(plan: AssembledIap) -> tuple[str, InlineKeyboardMarkup]:
    iap_id = plan.iap_id
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
            callback.message,
            _("The parents have been asked for consent to the plan. They answer in the bot."),
            InlineKeyboardMarkup(inline_keyboard=[[back_to_plan(iap_id)]]),
        )
        return
    if way not in CONSENT_WAYS:
        await stale(callback)
        return
    await state.set_state(PlanFlow.consent_day)
    await state.update_data(iap_id=iap_id, way=way)
    await callback.answer()
    await ask_day(callback.message, edit=True)


async def ask_day(message: Message, problem: str | None = None, *, edit: bool = False) -> None:
    markup = buttons([(_("Today"), PlDay(days_ago=0)), (_("Yesterday"), PlDay(days_ago=1))], 2)
    prompt = _("What date is on the signed form? Tap a button or type it as dd.mm.yyyy.")
    await show(message, f"{problem}\n{prompt}" if problem else prompt, markup, edit=edit)


async def day_chosen(
    callback: CallbackQuery, callback_data: PlDay, state: FSMContext, actor: Actor
) -> None:
    await callback.answer()
    await save_consent(
        callback.message, state, actor, today() - timedelta(days=callback_data.days_ago)
    )


async def day_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    day = parse_day(message.text, today().year)
    problem = _("I could not read this date.") if day is None else date_problem(day)
    if problem:
        await ask_day(message, _(problem))
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
        await send_plan(callback.message, actor, iap_id)
        return
    await callback.answer()
    await send_plan(callback.message, actor, iap_id, _("Sent for approval."))


# A button whose step is over.


async def stale(callback: CallbackQuery) -> None:
    await callback.answer(
        _("This button is no longer active. Start again from /menu."), show_alert=True
    )


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
