"""Support needs: staff ask the parent; the parent answers (months, route) or consents; /needs.

A parent reads their child's plan from /needs and from a consent request, as `core.iap.for_parent`
shows it.

The question, the answer and the consent request reach the other side through the outbox
(bot/sender.py renders them with the views below, in the recipient's language).
"""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core import formatting
from core.access import Actor, visible_student, workable_student
from core.catalogues import NEED_STATUSES, SUPPORT_TYPES
from core.clock import Semester
from core.errors import Conflict, InvalidInput
from core.formatting import semester_text
from core.iap import assemble_for_student
from core.iap_view import render_iap
from core.ids import Id
from core.services import iaps, needs
from handlers.callbacks import Menu, StudentAction
from handlers.filters import IsParent, IsStaff
from handlers.markup import appended, bold_name, filled, html
from handlers.next_taps import Tap, card, menu, next_taps
from handlers.pickers import entry_label, pgettext
from handlers.plan_message import pdf_keyboard
from handlers.replies import answer_long, buttons_due, edit_or_keep, tapped

MONTHS_DONE = 0  # NeedMonth's month for the Done button


class NeedType(CallbackData, prefix="nd_t"):
    code: str


class NeedReply(CallbackData, prefix="nd_r"):
    need_id: Id
    yes: bool


class NeedMonth(CallbackData, prefix="nd_m"):
    month: int


class NeedSave(CallbackData, prefix="nd_s"):
    save: bool


class Consent(CallbackData, prefix="nd_c"):
    iap_id: Id
    given: bool


class ChildPlan(CallbackData, prefix="nd_p"):
    """A parent reads their child's plan of a semester."""

    student_id: Id
    school_year: int
    semester: int


class AskNeed(StatesGroup):
    support_type = State()


class AnswerNeed(StatesGroup):
    months = State()
    route = State()
    confirm = State()


# Views, also used by the sender outside any handler (within the recipient's locale).


def student_line(student) -> Text:
    """`Student: Anna Kalnina`, the name in bold."""
    return filled(_("Student: {student}"), student=bold_name(student))


def support_label(code: str) -> str:
    return _(SUPPORT_TYPES[code].label)


def month_names(months: list[int]) -> str:
    return formatting.month_names(months, get_i18n().current_locale)


def question_view(need) -> tuple[str, InlineKeyboardMarkup]:
    """The question to a parent (need with its student), with Yes / No."""
    next_step = (
        _("If yes, you will choose the months and give the route.")
        if need.support_type in needs.TRANSPORT_TYPES
        else _("If yes, you will choose the months.")
    )
    text = html(
        Bold(_("A question from the school")),
        student_line(need.student),
        semester_text(Semester(need.school_year, need.semester), get_i18n().current_locale),
        "",
        _("Does your child need this support: {support}?").format(
            support=support_label(need.support_type)
        ),
        next_step,
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes"), callback_data=NeedReply(need_id=need.id, yes=True))
    builder.button(text=_("No"), callback_data=NeedReply(need_id=need.id, yes=False))
    return text, builder.as_markup()


def answered_view(need) -> str:
    """What the one who asked is told (need with its student)."""
    support = support_label(need.support_type)
    if need.status == "declined":
        return html(
            _("The parent answered that this support is not needed: {support}.").format(
                support=support
            ),
            student_line(need.student),
        )
    lines: list[str | Text] = [
        _("The parent confirmed the need: {support}.").format(support=support),
        student_line(need.student),
        _("Months: {months}").format(months=month_names(need.months)),
    ]
    if need.details:
        lines.append(_("Route: {route}").format(route=need.details))
    return html(*lines)


def consent_view(iap) -> tuple[str, InlineKeyboardMarkup]:
    """The request for a parent's consent to a plan (iap with its student)."""
    text = html(
        Bold(_("The school has prepared a support plan (IAP) for your child.")),
        student_line(iap.student),
        semester_text(Semester(iap.school_year, iap.semester), get_i18n().current_locale),
        "",
        _("Do you consent to the support? Nothing starts without your consent."),
    )
    builder = InlineKeyboardBuilder()
    agree, refuse = pgettext("button", "Give consent"), pgettext("button", "Refuse")
    builder.button(text=agree, callback_data=Consent(iap_id=iap.id, given=True))
    builder.button(text=refuse, callback_data=Consent(iap_id=iap.id, given=False))
    semester = Semester(iap.school_year, iap.semester)
    builder.button(text=_("Read the plan"), callback_data=plan_button(iap.student_id, semester))
    builder.adjust(2, 1)
    return text, builder.as_markup()


def plan_button(student_id: int, semester: Semester) -> ChildPlan:
    return ChildPlan(
        student_id=student_id, school_year=semester.school_year, semester=semester.number
    )


def parent_taps(actor: Actor, student_id: int, semester: Semester) -> InlineKeyboardMarkup | None:
    """After a parent's answer: the child's plan of that semester, and their support needs."""
    return next_taps(
        actor,
        Tap(_("Read the plan"), plan_button(student_id, semester), IsParent),
        Tap(_("Support needs"), Menu(action="needs"), IsParent),
    )


# Staff: from a student's card, ask the parent about a need.


def support_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for entry in SUPPORT_TYPES:
        builder.button(text=entry_label(entry), callback_data=NeedType(code=entry.code))
    builder.adjust(1)  # long labels: one a row
    return builder.as_markup()


async def start_asking(
    callback: CallbackQuery, callback_data: StudentAction, actor: Actor, state: FSMContext
) -> None:
    student = await workable_student(actor, callback_data.student_id)
    await state.set_state(AskNeed.support_type)
    await state.set_data({"student_id": student.id})
    await callback.answer()
    prompt = _("Which support should I ask the parent about?")
    await tapped(callback).answer(
        html(student_line(student), prompt), reply_markup=support_keyboard(), parse_mode="HTML"
    )


async def support_chosen(
    callback: CallbackQuery, callback_data: NeedType, actor: Actor, state: FSMContext, i18n: I18n
) -> None:
    student_id = (await state.get_data())["student_id"]
    try:
        asked = await needs.ask_about_need(actor, student_id, callback_data.code)
    except InvalidInput as error:  # no parent yet, or a forged type
        await state.clear()
        await callback.answer()
        taps = next_taps(actor, card(student_id), menu())
        await edit_or_keep(tapped(callback), error.text(i18n.current_locale), taps)
        return
    await state.clear()
    await callback.answer()
    need = await needs.get_need(actor, asked.need.id)
    told = (
        _(
            "The parent has already been asked about: {support}. "
            "No answer yet; you will be told it too."
        )
        if asked.already_open
        else _("I have asked the parent about: {support}. You will be told the answer.")
    )
    text = html(told.format(support=support_label(need.support_type)), student_line(need.student))
    await edit_or_keep(
        tapped(callback), text, next_taps(actor, card(student_id), menu()), html=True
    )


# Parent: answer the question.


def months_keyboard(need, chosen: list[int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for month in Semester(need.school_year, need.semester).months():
        label = formatting.month_name(month, get_i18n().current_locale).capitalize()
        text = f"✓ {label}" if month in chosen else label
        builder.button(text=text, callback_data=NeedMonth(month=month))
    builder.adjust(3)
    done = InlineKeyboardButton(text=_("Done"), callback_data=NeedMonth(month=MONTHS_DONE).pack())
    builder.row(done)
    return builder.as_markup()


def months_prompt() -> str:
    return _("In which months is the support needed? Tick them, then press Done.")


async def answer_yes(
    callback: CallbackQuery, callback_data: NeedReply, actor: Actor, state: FSMContext
) -> None:
    need = await needs.need_to_answer(actor, callback_data.need_id)
    await state.set_state(AnswerNeed.months)
    await state.set_data({"need_id": need.id, "months": []})
    await callback.answer()
    await tapped(callback).answer(months_prompt(), reply_markup=months_keyboard(need, []))


async def answer_no(
    callback: CallbackQuery, callback_data: NeedReply, actor: Actor, state: FSMContext
) -> None:
    need = await needs.answer_need(actor, callback_data.need_id, confirmed=False)
    if (await state.get_data()).get("need_id") == callback_data.need_id:
        await state.clear()
    await callback.answer()
    thanks = _("Thank you! The school will be told that this support is not needed.")
    await edit_or_keep(
        tapped(callback), appended(tapped(callback), "", thanks), need_taps(actor, need), html=True
    )


def need_taps(actor: Actor, need) -> InlineKeyboardMarkup | None:
    return parent_taps(actor, need.student_id, Semester(need.school_year, need.semester))


async def flow_need(actor: Actor, state: FSMContext):
    """The need this flow answers, while it is open; the flow ends once it has been answered."""
    try:
        return await needs.need_to_answer(actor, (await state.get_data())["need_id"])
    except Conflict:
        await state.clear()
        raise


async def toggle_month(
    callback: CallbackQuery, callback_data: NeedMonth, actor: Actor, state: FSMContext
) -> None:
    need = await flow_need(actor, state)
    data = await state.get_data()
    chosen = set(data["months"])
    if callback_data.month in Semester(need.school_year, need.semester).months():
        chosen ^= {callback_data.month}
    await state.update_data(months=sorted(chosen))
    await callback.answer()
    await edit_or_keep(tapped(callback), months_prompt(), months_keyboard(need, sorted(chosen)))


async def months_done(callback: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    need = await flow_need(actor, state)
    data = await state.get_data()
    needs.check_months(need, data["months"])  # none ticked: the error handler says so
    await callback.answer()
    chosen = _("Months: {months}").format(months=month_names(data["months"]))
    await edit_or_keep(tapped(callback), chosen)  # the months are set: no more ticks
    if need.support_type in needs.TRANSPORT_TYPES:
        await state.set_state(AnswerNeed.route)
        await tapped(callback).answer(route_prompt())
        return
    await state.set_state(AnswerNeed.confirm)
    await ask_to_confirm(tapped(callback), actor, state)


def route_prompt() -> str:
    return _("Type the route: where from and where to (at most {max} characters).").format(
        max=needs.DETAILS_LIMIT
    )


async def route_typed(message: Message, actor: Actor, state: FSMContext) -> None:
    need = await flow_need(actor, state)
    route = needs.check_details(need, message.text)  # empty or too long: the error handler says
    await state.update_data(route=route)
    await state.set_state(AnswerNeed.confirm)
    await ask_to_confirm(message, actor, state)


async def route_not_text(message: Message) -> None:
    await message.answer(_("Please type the route as text.") + "\n" + route_prompt())


async def months_not_pressed(message: Message) -> None:
    await message.answer(_("Tick the months with the buttons above, then press Done."))


async def ask_to_confirm(message: Message, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    need = await needs.get_need(actor, data["need_id"])
    lines: list[str | Text] = [
        Bold(_("Please check your answer:")),
        student_line(need.student),
        _("Support: {support}").format(support=support_label(need.support_type)),
        _("Months: {months}").format(months=month_names(data["months"])),
    ]
    if data.get("route"):
        lines.append(_("Route: {route}").format(route=data["route"]))
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Save"), callback_data=NeedSave(save=True))
    builder.button(text=_("Cancel"), callback_data=NeedSave(save=False))
    await message.answer(html(*lines), reply_markup=builder.as_markup(), parse_mode="HTML")


async def confirm_pressed(message: Message) -> None:
    await message.answer(_("Please press Save or Cancel above."))


async def save_answer(
    callback: CallbackQuery, callback_data: NeedSave, actor: Actor, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    if not callback_data.save:
        await callback.answer()
        stopped = _("Stopped. Nothing was saved. You can answer later in /needs.")
        taps = need_taps(actor, await needs.get_need(actor, data["need_id"]))
        await edit_or_keep(
            tapped(callback), appended(tapped(callback), "", stopped), taps, html=True
        )
        return
    need = await needs.answer_need(
        actor, data["need_id"], confirmed=True, months=data["months"], details=data.get("route")
    )
    await callback.answer()
    thanks = _("Thank you! Your answer is saved, and the school will be told.")
    await edit_or_keep(
        tapped(callback), appended(tapped(callback), "", thanks), need_taps(actor, need), html=True
    )


# Parent: consent to a plan.


async def consent_answered(callback: CallbackQuery, callback_data: Consent, actor: Actor) -> None:
    iap = await iaps.record_consent(actor, callback_data.iap_id, given=callback_data.given)
    await callback.answer()
    result = (
        _("Thank you: your consent is recorded.")
        if callback_data.given
        else _("Your refusal is recorded. The school may contact you.")
    )
    taps = parent_taps(actor, iap.student_id, Semester(iap.school_year, iap.semester))
    await edit_or_keep(tapped(callback), appended(tapped(callback), "", result), taps, html=True)


# Parent: /needs.


def need_line(need) -> str:
    support = support_label(need.support_type)
    if need.status == "asked":
        return "• " + _("{support}: awaiting your answer").format(support=support)
    line = f"• {support}: {_(NEED_STATUSES[need.status].label)}"
    if need.months:
        line += "\n  " + _("Months: {months}").format(months=month_names(need.months))
    if need.details:
        line += "\n  " + _("Route: {route}").format(route=need.details)
    return line


async def child_needs_text(actor: Actor, student_id: int) -> tuple[str, list]:
    """The child's needs by semester, and the questions still open."""
    student = await visible_student(actor, student_id)
    child_needs = await needs.list_needs(actor, student.id)
    lines: list[str | Text] = [Bold(_("Support needs")), student_line(student)]
    if not child_needs:
        lines.append(_("No support needs are recorded yet."))
    semester = None
    for need in child_needs:
        if (need.school_year, need.semester) != semester:
            semester = (need.school_year, need.semester)
            lines += ["", Bold(semester_text(Semester(*semester), get_i18n().current_locale))]
        lines.append(need_line(need))
    return html(*lines), [n for n in child_needs if n.status == "asked"]


async def show_needs(message: Message, actor: Actor) -> None:
    for student_id in sorted(actor.child_ids):
        text, open_questions = await child_needs_text(actor, student_id)
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Read the plan"), callback_data=plan_button(student_id, Semester.current())
        )
        await answer_long(message, text, builder.as_markup(), html=True)
        for need in reversed(open_questions):
            question, keyboard = question_view(need)
            await message.answer(question, reply_markup=keyboard, parse_mode="HTML")


async def show_child_plan(
    callback: CallbackQuery, callback_data: ChildPlan, actor: Actor, i18n: I18n
) -> None:
    """The child's plan as a parent may read it: no staff notes, comments or evaluations."""
    semester = Semester(callback_data.school_year, callback_data.semester)
    plan = await assemble_for_student(actor, callback_data.student_id, semester)
    await callback.answer()
    await answer_long(
        tapped(callback),
        render_iap(plan, i18n.current_locale),
        pdf_keyboard(plan.iap_id),
        html=True,
    )


async def needs_command(message: Message, actor: Actor) -> None:
    await show_needs(message, actor)


async def needs_menu(callback: CallbackQuery, actor: Actor) -> None:
    await callback.answer()
    await show_needs(tapped(callback), actor)


def create_router() -> Router:
    router = Router(name="needs")
    router.callback_query.register(start_asking, StudentAction.filter(F.action == "need"), IsStaff)
    router.callback_query.register(support_chosen, NeedType.filter(), AskNeed.support_type)
    router.message.register(buttons_due, AskNeed.support_type, ~F.text.startswith("/"))
    router.callback_query.register(answer_yes, NeedReply.filter(F.yes), IsParent)
    router.callback_query.register(answer_no, NeedReply.filter(~F.yes), IsParent)
    router.callback_query.register(
        months_done, NeedMonth.filter(F.month == MONTHS_DONE), AnswerNeed.months
    )
    router.callback_query.register(toggle_month, NeedMonth.filter(), AnswerNeed.months)
    router.message.register(months_not_pressed, AnswerNeed.months, ~F.text.startswith("/"))
    router.message.register(route_typed, AnswerNeed.route, F.text, ~F.text.startswith("/"))
    router.message.register(route_not_text, AnswerNeed.route, ~F.text)
    router.callback_query.register(save_answer, NeedSave.filter(), AnswerNeed.confirm)
    router.message.register(confirm_pressed, AnswerNeed.confirm, ~F.text.startswith("/"))
    router.callback_query.register(consent_answered, Consent.filter(), IsParent)
    router.callback_query.register(
        show_child_plan,
        ChildPlan.filter(F.semester.in_({1, 2}) & F.school_year.in_(range(2000, 2101))),
        IsParent,
    )
    router.message.register(needs_command, Command("needs"), IsParent)
    router.callback_query.register(needs_menu, Menu.filter(F.action == "needs"), IsParent)
    return router
