"""Measures of a draft plan in the bot: add one (kind, type, the risks it addresses, hours or
months), change its risks or amount, delete it. A new measure is saved whole at its last step;
until then the FSM data holds its codes, and /cancel leaves the plan as it was."""

import re

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import RISK_FACTORS, SPECIALIST_TYPES, SUPPORT_TYPES
from core.errors import DomainError, InvalidInput, NotFound
from core.formatting import month_name
from core.i18n import N_
from core.iap import AssembledIap, MeasureLine, assemble_plan
from core.iap_view import measure_subject, measure_text
from core.services.iaps import add_measure, draft_to_edit, remove_measure, update_measure
from handlers.filters import TYPED_TEXT, IsStaff
from handlers.pickers import button, buttons, entry_label, in_rows
from handlers.plan_message import (
    PlEdit,
    PlMeasure,
    PlNewMeasure,
    PlStep,
    back_to_plan,
    finish,
    groups_view,
    locale,
    plan_id,
    send_plan,
)
from handlers.replies import buttons_due, edit_or_keep, show, stale_button, tapped

HOUR_CHOICES = (2, 4, 6, 10, 20)
TYPED_HOURS = re.compile(r"\d{1,3}([.,]\d{1,2})?")
GONE = N_("This measure is no longer in the plan.")


class MeasureFlow(StatesGroup):
    kind = State()  # a new measure; data: iap_id, factors
    type = State()  # data: + kind
    factors = State()  # data: iap_id, factors, and kind + code (new) or measure_id (change)
    hours = State()  # data: iap_id, and kind + code + factors (new) or measure_id (change)
    months = State()  # data: as hours, + months


# Buttons of a step under way: what they act on is in the FSM data.


class PlKind(CallbackData, prefix="pl_k"):
    kind: str


class PlType(CallbackData, prefix="pl_t"):
    code: str


class PlTick(CallbackData, prefix="pl_x"):
    code: str


class PlMonth(CallbackData, prefix="pl_mo"):
    month: int


class PlDone(CallbackData, prefix="pl_d"):
    """The ticks are done."""


class PlHours(CallbackData, prefix="pl_h"):
    hours: int


def month_label(month: int) -> str:
    return month_name(month, locale()).capitalize()


# Measures: add (kind, type, risks, hours or months), change, remove.


def measures_view(plan: AssembledIap) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("Measures (planned / realised):")]
    lines += [measure_text(measure, locale()) for measure in plan.measures]
    lines += ["", _("Tap a measure to change or delete it.")]
    items = [
        button(measure_subject(m, locale()), PlMeasure(iap_id=plan_id(plan), measure_id=m.id))
        for m in plan.measures
    ]
    rows = in_rows(items, 2)
    rows.append([button(_("Add a measure"), PlNewMeasure(iap_id=plan_id(plan)))])
    rows.append([back_to_plan(plan_id(plan))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def find_measure(plan: AssembledIap, measure_id: int) -> MeasureLine:
    measure = next((m for m in plan.measures if m.id == measure_id), None)
    if measure is None:
        raise NotFound(GONE)
    return measure


def factor_names(codes: list[str]) -> str:
    return ", ".join(_(RISK_FACTORS[code].label) for code in codes if code in RISK_FACTORS)


async def measure_chosen(
    callback: CallbackQuery, callback_data: PlMeasure, state: FSMContext, actor: Actor
) -> None:
    await draft_to_edit(actor, callback_data.iap_id)
    await state.clear()
    plan = await assemble_plan(actor, callback_data.iap_id)
    measure = find_measure(plan, callback_data.measure_id)
    lines = [
        measure_text(measure, locale()),
        _("Addresses: {risks}").format(risks=factor_names(measure.risk_factors)),
    ]
    edit = {"iap_id": plan_id(plan), "measure_id": measure.id}
    amount = _("Change hours") if measure.kind == "consultation" else _("Change months")
    rows = [
        [
            button(_("Change risks"), PlEdit(**edit, what="factors")),
            button(amount, PlEdit(**edit, what="amount")),
        ],
        [button(_("Delete"), PlEdit(**edit, what="delete")), back_to_plan(plan_id(plan))],
    ]
    await callback.answer()
    await tapped(callback).answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


async def new_measure(
    callback: CallbackQuery, callback_data: PlNewMeasure, state: FSMContext, actor: Actor
) -> None:
    await draft_to_edit(actor, callback_data.iap_id)
    plan = await assemble_plan(actor, callback_data.iap_id)
    await state.clear()
    await callback.answer()
    if not plan.risks:
        text, markup = groups_view(plan)
        await tapped(callback).answer(
            _("First name the risks the measures address.") + "\n" + text, reply_markup=markup
        )
        return
    factors = (
        [callback_data.factor] if callback_data.factor in {r.factor for r in plan.risks} else []
    )
    await state.set_state(MeasureFlow.kind)
    await state.update_data(iap_id=plan.iap_id, factors=factors)
    lines = [_("A new measure.")]
    if factors:
        lines.append(_("For: {risks}").format(risks=factor_names(factors)))
    lines.append(_("What kind of support?"))
    markup = buttons(
        [
            (_("Consultations"), PlKind(kind="consultation")),
            (_("Material support"), PlKind(kind="material")),
        ],
        2,
    )
    await tapped(callback).answer("\n".join(lines), reply_markup=markup)


async def kind_chosen(
    callback: CallbackQuery, callback_data: PlKind, state: FSMContext, actor: Actor
) -> None:
    data = await state.get_data()
    plan = await assemble_plan(actor, data["iap_id"])
    kind = callback_data.kind
    catalogue = SPECIALIST_TYPES if kind == "consultation" else SUPPORT_TYPES
    planned = {m.specialist_type or m.support_type for m in plan.measures if m.kind == kind}
    free = [entry for entry in catalogue if entry.code not in planned]
    await callback.answer()
    if not free:
        await edit_or_keep(
            tapped(callback),
            _("Every type of this support is in the plan already: change one of its measures."),
            InlineKeyboardMarkup(inline_keyboard=[[back_to_plan(plan_id(plan))]]),
        )
        await state.clear()
        return
    await state.update_data(kind=kind)
    await state.set_state(MeasureFlow.type)
    prompt = (
        _("Who gives the consultations?")
        if kind == "consultation"
        else _("Which material support?")
    )
    markup = buttons([(entry_label(entry), PlType(code=entry.code)) for entry in free], 2)
    await edit_or_keep(tapped(callback), prompt, markup)


async def type_chosen(
    callback: CallbackQuery, callback_data: PlType, state: FSMContext, actor: Actor
) -> None:
    data = await state.get_data()
    catalogue = SPECIALIST_TYPES if data["kind"] == "consultation" else SUPPORT_TYPES
    if callback_data.code not in catalogue:
        await stale_button(callback)
        return
    await state.update_data(code=callback_data.code)
    await state.set_state(MeasureFlow.factors)
    await callback.answer()
    await show_factors(tapped(callback), state, actor, edit=True)


def ticked(label: str, on: bool) -> str:
    return f"✓ {label}" if on else label


async def factor_choices(actor: Actor, data: dict) -> list[str]:
    """The plan's risk factors, those no measure addresses yet first; a measure's own too."""
    plan = await assemble_plan(actor, data["iap_id"])
    addressed = {f for m in plan.measures for f in m.risk_factors if m.id != data.get("measure_id")}
    codes = [risk.factor for risk in plan.risks]
    codes += [code for code in data["factors"] if code not in codes and code in RISK_FACTORS]
    return sorted(codes, key=lambda code: code in addressed)


async def show_factors(message: Message, state: FSMContext, actor: Actor, *, edit: bool) -> None:
    data = await state.get_data()
    codes = await factor_choices(actor, data)
    items = [
        button(ticked(entry_label(RISK_FACTORS[code]), code in data["factors"]), PlTick(code=code))
        for code in codes
    ]
    rows = [*in_rows(items, 1), [button(_("Done"), PlDone())]]
    prompt = _(
        "Which risks does the measure address? Tick them, then press Done. "
        "Risks no measure addresses yet come first."
    )
    await show(message, prompt, InlineKeyboardMarkup(inline_keyboard=rows), edit=edit)


async def factor_ticked(
    callback: CallbackQuery, callback_data: PlTick, state: FSMContext, actor: Actor
) -> None:
    data = await state.get_data()
    if callback_data.code not in await factor_choices(actor, data):
        await stale_button(callback)
        return
    chosen = list(data["factors"])
    if callback_data.code in chosen:
        chosen.remove(callback_data.code)
    else:
        chosen.append(callback_data.code)
    await state.update_data(factors=chosen)
    await callback.answer()
    await show_factors(tapped(callback), state, actor, edit=True)


async def factors_done(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    data = await state.get_data()
    if not data["factors"]:
        await callback.answer(_("Tick at least one risk."), show_alert=True)
        return
    await callback.answer()
    await edit_or_keep(
        tapped(callback), _("Addresses: {risks}").format(risks=factor_names(data["factors"]))
    )
    if data.get("measure_id"):
        try:
            await update_measure(
                actor, data["iap_id"], data["measure_id"], risk_factors=data["factors"]
            )
        except DomainError:
            await state.clear()  # the plan or the measure moved on meanwhile
            raise
        await finish(tapped(callback), state, actor, _("Saved: the measure's risks."))
    elif data["kind"] == "consultation":
        await state.set_state(MeasureFlow.hours)
        await ask_hours(tapped(callback))
    else:
        await state.update_data(months=[])
        await state.set_state(MeasureFlow.months)
        await show_months(tapped(callback), state, actor, edit=False)


async def ask_hours(message: Message, problem: str | None = None) -> None:
    markup = buttons([(_("{n} h").format(n=n), PlHours(hours=n)) for n in HOUR_CHOICES], 5)
    prompt = _("How many hours of consultations are planned this semester? Tap or type a number.")
    await message.answer(f"{problem}\n{prompt}" if problem else prompt, reply_markup=markup)


async def hours_chosen(
    callback: CallbackQuery, callback_data: PlHours, state: FSMContext, actor: Actor
) -> None:
    if callback_data.hours not in HOUR_CHOICES:
        await stale_button(callback)
        return
    await callback.answer()
    await edit_or_keep(tapped(callback), _("{n} h").format(n=callback_data.hours))
    await save_amount(tapped(callback), state, actor, planned_quantity=callback_data.hours)


async def hours_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    text = (message.text or "").strip()
    if not TYPED_HOURS.fullmatch(text):
        await ask_hours(message, _("Give the hours as a number, e.g. 6 or 1,5."))
        return
    try:
        await save_amount(message, state, actor, planned_quantity=text)
    except InvalidInput as problem:
        await ask_hours(message, problem.text(locale()))


async def show_months(message: Message, state: FSMContext, actor: Actor, *, edit: bool) -> None:
    data = await state.get_data()
    plan = await assemble_plan(actor, data["iap_id"])
    items = [
        button(ticked(month_label(month), month in data["months"]), PlMonth(month=month))
        for month in plan.semester.months()
    ]
    rows = [*in_rows(items, 3), [button(_("Done"), PlDone())]]
    prompt = _("Which months does the support cover? Tick them, then press Done.")
    await show(message, prompt, InlineKeyboardMarkup(inline_keyboard=rows), edit=edit)


async def month_ticked(
    callback: CallbackQuery, callback_data: PlMonth, state: FSMContext, actor: Actor
) -> None:
    data = await state.get_data()
    plan = await assemble_plan(actor, data["iap_id"])
    if callback_data.month not in plan.semester.months():
        await stale_button(callback)
        return
    chosen = set(data["months"]) ^ {callback_data.month}
    await state.update_data(months=sorted(chosen))
    await callback.answer()
    await show_months(tapped(callback), state, actor, edit=True)


async def months_done(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    months = (await state.get_data())["months"]
    if not months:
        await callback.answer(_("Tick at least one month."), show_alert=True)
        return
    await callback.answer()
    names = ", ".join(month_label(month) for month in months)
    await edit_or_keep(tapped(callback), _("Months: {months}").format(months=names))
    await save_amount(tapped(callback), state, actor, months=months)


async def save_amount(message: Message, state: FSMContext, actor: Actor, **amount) -> None:
    """The last step: a new measure is saved whole, a changed one gets its hours or months."""
    data = await state.get_data()
    try:
        if data.get("measure_id"):
            await update_measure(actor, data["iap_id"], data["measure_id"], **amount)
        else:
            catalogue_field = (
                "specialist_type" if data["kind"] == "consultation" else "support_type"
            )
            await add_measure(
                actor,
                data["iap_id"],
                kind=data["kind"],
                risk_factors=data["factors"],
                **{catalogue_field: data["code"]},
                **amount,
            )
    except InvalidInput:
        raise  # the amount: said why; the step stays
    except DomainError:
        await state.clear()  # the plan moved on meanwhile: nothing left to ask
        raise
    await finish(message, state, actor, _("Saved: the measure."))


async def measure_edit(
    callback: CallbackQuery, callback_data: PlEdit, state: FSMContext, actor: Actor
) -> None:
    iap_id, what = callback_data.iap_id, callback_data.what
    await draft_to_edit(actor, iap_id)
    plan = await assemble_plan(actor, iap_id)
    measure = find_measure(plan, callback_data.measure_id)
    await state.clear()
    await callback.answer()
    if what == "drop":
        await remove_measure(actor, iap_id, measure.id)
        await edit_or_keep(tapped(callback), tapped(callback).html_text, html=True)
        await send_plan(tapped(callback), actor, iap_id, _("Deleted: the measure."))
        return
    if what == "delete":
        question = _("Delete this measure from the plan?") + "\n" + measure_text(measure, locale())
        markup = buttons(
            [
                (_("Delete"), PlEdit(iap_id=iap_id, measure_id=measure.id, what="drop")),
                (_("Back"), PlMeasure(iap_id=iap_id, measure_id=measure.id)),
            ],
            2,
        )
        await edit_or_keep(tapped(callback), question, markup)
        return
    await state.update_data(iap_id=iap_id, measure_id=measure.id, factors=measure.risk_factors)
    if what == "factors":
        await state.set_state(MeasureFlow.factors)
        await show_factors(tapped(callback), state, actor, edit=False)
    elif measure.kind == "consultation":
        await state.set_state(MeasureFlow.hours)
        await ask_hours(tapped(callback))
    else:
        await state.update_data(months=measure.months)
        await state.set_state(MeasureFlow.months)
        await show_months(tapped(callback), state, actor, edit=False)


async def measures_shown(
    callback: CallbackQuery, callback_data: PlStep, state: FSMContext, actor: Actor
) -> None:
    await draft_to_edit(actor, callback_data.iap_id)
    await state.clear()
    text, markup = measures_view(await assemble_plan(actor, callback_data.iap_id))
    await callback.answer()
    await tapped(callback).answer(text, reply_markup=markup)


def create_router() -> Router:
    router = Router(name="plan_measures")
    router.callback_query.register(measures_shown, PlStep.filter(F.step == "measures"), IsStaff)
    router.callback_query.register(new_measure, PlNewMeasure.filter(), IsStaff)
    router.callback_query.register(measure_chosen, PlMeasure.filter(), IsStaff)
    edits = PlEdit.filter(F.what.in_({"factors", "amount", "delete", "drop"}))
    router.callback_query.register(measure_edit, edits, IsStaff)
    kinds = PlKind.filter(F.kind.in_({"consultation", "material"}))
    router.callback_query.register(kind_chosen, MeasureFlow.kind, kinds)
    router.callback_query.register(type_chosen, MeasureFlow.type, PlType.filter())
    router.callback_query.register(factor_ticked, MeasureFlow.factors, PlTick.filter())
    router.callback_query.register(factors_done, MeasureFlow.factors, PlDone.filter())
    router.callback_query.register(hours_chosen, MeasureFlow.hours, PlHours.filter())
    router.message.register(hours_typed, MeasureFlow.hours, TYPED_TEXT)
    router.callback_query.register(month_ticked, MeasureFlow.months, PlMonth.filter())
    router.callback_query.register(months_done, MeasureFlow.months, PlDone.filter())
    waiting = StateFilter(
        MeasureFlow.kind, MeasureFlow.type, MeasureFlow.factors, MeasureFlow.months
    )
    router.message.register(buttons_due, waiting, ~F.text.startswith("/"))
    return router
