"""One risk signal: student, group, factor, value, note, a summary to check, save, undo."""

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.access import Actor, workable_student
from core.catalogues import CAUTION, HIGH, LESSONS, RISK_FACTORS, RISK_GROUPS, RISK_LEVELS
from core.clock import today
from core.errors import AccessDenied, InvalidInput
from core.formatting import short_date
from core.ids import Id
from core.kept import kept, new_token
from core.services.pending import find_students
from core.services.schools import class_list, list_classes
from core.services.signals import (
    NOTE_LIMIT,
    record_risk_signal,
    suggested_level,
    undo_risk_signal,
)
from core.text import clean_text
from handlers.callbacks import Menu, StudentAction
from handlers.checked_first import check_first
from handlers.filters import TYPED_TEXT, IsStaff
from handlers.lessons import LESSON_BUTTONS, MAX_LESSONS_A_DAY, lessons_row, typed_lessons
from handlers.markup import filled, html
from handlers.names import full_name
from handlers.next_taps import Tap, another, card, menu, next_taps
from handlers.pickers import (
    button,
    buttons,
    class_buttons,
    pgettext,
    school_buttons,
    school_to_open,
    student_data,
)
from handlers.replies import buttons_due, edit_or_keep, show, stale_button, tapped

SEARCH_RESULTS = 10


class RiskFlow(StatesGroup):
    school = State()
    school_class = State()
    student = State()
    group = State()
    factor = State()
    value = State()
    note = State()
    summary = State()


CHOOSING_STUDENT = StateFilter(RiskFlow.school, RiskFlow.school_class, RiskFlow.student)


class RsSchool(CallbackData, prefix="rs_s"):
    school_id: Id


class RsClass(CallbackData, prefix="rs_c"):
    class_id: Id


class RsStudent(CallbackData, prefix="rs_p"):
    student_id: Id


class RsGroup(CallbackData, prefix="rs_g"):
    code: str


class RsFactor(CallbackData, prefix="rs_f"):
    code: str


class RsValue(CallbackData, prefix="rs_v"):
    value: int


class RsStep(CallbackData, prefix="rs_a"):
    action: str  # "groups", "skip" (the note), "level", "save", "edit", "cancel"


class RsUndo(CallbackData, prefix="rs_u"):
    signal_id: Id


def step_button(text: str, action: str) -> InlineKeyboardButton:
    return button(text, RsStep(action=action))


def who_prompt() -> str:
    return _("Whom is the risk signal about? Choose a class, or type part of the student's name.")


# Step 1: the student: school (when several) and class by buttons, or a name typed.


async def start(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    school_id, schools = await school_to_open(actor)
    if school_id is not None:
        await show_classes(message, state, actor, school_id, edit=False)
        return
    if not schools:
        await message.answer(
            _("You have no school to log risk signals in."), reply_markup=next_taps(actor, menu())
        )
        return
    keyboard = school_buttons(schools, lambda pk: RsSchool(school_id=pk))
    await state.set_state(RiskFlow.school)
    text = _("Whom is the risk signal about? Choose a school, or type part of the student's name.")
    await message.answer(text, reply_markup=keyboard)


async def start_from_menu(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await start(tapped(callback), state, actor)


async def start_for_student(
    callback: CallbackQuery, callback_data: StudentAction, state: FSMContext, actor: Actor
) -> None:
    """From a student's card: straight to the risk group (the card stays)."""
    await go_on_with(callback, state, actor, callback_data.student_id, edit=False)


async def school_chosen(
    callback: CallbackQuery, callback_data: RsSchool, state: FSMContext, actor: Actor
) -> None:
    await show_classes(tapped(callback), state, actor, callback_data.school_id, edit=True)
    await callback.answer()


async def show_classes(
    message: Message, state: FSMContext, actor: Actor, school_id: int, *, edit: bool
) -> None:
    classes = await list_classes(actor, school_id)
    await state.update_data(school_id=school_id, classes=[(c.id, c.name) for c in classes])
    await state.set_state(RiskFlow.school_class)
    keyboard = class_buttons(classes, lambda pk: RsClass(class_id=pk))
    await show(message, who_prompt(), keyboard, edit=edit)


async def class_chosen(
    callback: CallbackQuery, callback_data: RsClass, state: FSMContext, actor: Actor
) -> None:
    classes = dict((await state.get_data())["classes"])  # those shown: the school's
    if callback_data.class_id not in classes:
        raise AccessDenied()
    await callback.answer()
    students = await class_list(actor, callback_data.class_id)
    keyboard = buttons([(full_name(s), student_data(RsStudent, s.id)) for s in students], width=2)
    await state.set_state(RiskFlow.student)
    text = _("{name}: choose the student.").format(name=classes[callback_data.class_id])
    await edit_or_keep(tapped(callback), text, keyboard)


async def name_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    query = (message.text or "").strip()
    found = await find_students(actor, query)
    if not found:
        text = _("No student found for “{query}”. Type another part of the name.").format(
            query=query
        )
        await message.answer(text)
        return
    builder = InlineKeyboardBuilder()
    for student in found[:SEARCH_RESULTS]:
        label = f"{full_name(student)} · {student.school_class.name}"
        builder.button(text=label, callback_data=RsStudent(student_id=student.id))
    builder.adjust(1)
    text = _("Choose the student:")
    if len(found) > SEARCH_RESULTS:
        text += "\n" + _("Only the first {count} are shown: type more of the name.").format(
            count=SEARCH_RESULTS
        )
    await state.set_state(RiskFlow.student)
    await message.answer(text, reply_markup=builder.as_markup())


async def name_not_text(message: Message) -> None:
    await message.answer(who_prompt())


async def student_chosen(
    callback: CallbackQuery, callback_data: RsStudent, state: FSMContext, actor: Actor
) -> None:
    await go_on_with(callback, state, actor, callback_data.student_id, edit=True)


async def go_on_with(
    callback: CallbackQuery, state: FSMContext, actor: Actor, student_id: int, *, edit: bool
) -> None:
    """A new signal about this student: access checked (and the label kept) before the tap is
    answered, then the risk group asked; whatever the flow held before is dropped."""
    data = {"student_id": student_id, "kept": new_token()}
    await student_label(actor, data)  # refuses a stranger
    await callback.answer()
    await state.set_data(data)
    await show_groups(tapped(callback), state, actor, edit=edit)


async def student_label(actor: Actor, data: dict) -> str:
    """The student's name and class, e.g. `Anna Kalnina, 7.a`: read (access checked) once a
    flow and kept in this process (`core.kept`), never in the flow's data; core checks again
    when the signal is saved."""
    student_id = data["student_id"]

    async def read() -> str:
        student = await workable_student(actor, student_id, with_class=True)
        return f"{full_name(student)}, {student.school_class.name}"

    return await kept(data["kept"], ("label", student_id), actor, read)


async def heading(actor: Actor, data: dict) -> str:
    """What the signal is about so far: the student and class, then the group or the factor."""
    lines = [await student_label(actor, data)]
    factor, group = data.get("factor"), data.get("group")
    if factor is not None:
        lines.append(_(RISK_FACTORS[factor].label))
    elif group is not None:
        lines.append(_(RISK_GROUPS[group].label))
    return "\n".join(lines)


# Step 2: the risk group and the factor.


async def show_groups(message: Message, state: FSMContext, actor: Actor, *, edit: bool) -> None:
    chosen = await state.get_data()
    data = {"student_id": chosen["student_id"], "kept": chosen["kept"]}
    await state.set_data(data)
    await state.set_state(RiskFlow.group)
    keyboard = buttons([(_(group.label), RsGroup(code=group.code)) for group in RISK_GROUPS])
    text = await heading(actor, data) + "\n" + _("Which risk group?")
    await show(message, text, keyboard, edit=edit)


async def group_chosen(
    callback: CallbackQuery, callback_data: RsGroup, state: FSMContext, actor: Actor
) -> None:
    await callback.answer()
    data = await state.update_data(group=callback_data.code)
    await state.set_state(RiskFlow.factor)
    keyboard = buttons(
        [(_(f.label), RsFactor(code=f.code)) for f in RISK_FACTORS if f.group == callback_data.code]
    )
    keyboard.inline_keyboard.append([step_button(_("Back"), "groups")])
    text = await heading(actor, data) + "\n" + _("Which factor?")
    await edit_or_keep(tapped(callback), text, keyboard)


async def back_to_groups(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await show_groups(tapped(callback), state, actor, edit=True)


async def factor_chosen(
    callback: CallbackQuery, callback_data: RsFactor, state: FSMContext, actor: Actor
) -> None:
    factor = RISK_FACTORS[callback_data.code]
    if factor.group != (await state.get_data())["group"]:
        await stale_button(callback)
        return
    await callback.answer()
    await state.update_data(factor=factor.code)
    if factor.unit is None:
        await ask_note(tapped(callback), state, actor, edit=True)
        return
    await ask_value(tapped(callback), state, actor, edit=True)


# Step 3: the value (for a factor that counts something) and the note.


async def ask_value(
    message: Message, state: FSMContext, actor: Actor, *, edit: bool, error: str | None = None
) -> None:
    """Ask for the factor's value in its unit (lessons missed today), after an error if any."""
    data = await state.get_data()
    assert RISK_FACTORS[data["factor"]].unit == LESSONS  # the only unit a factor has
    await state.set_state(RiskFlow.value)
    question = _(
        "How many lessons did the student miss today? Tap a number or type one from 1 to {max}."
    ).format(max=MAX_LESSONS_A_DAY)
    text = "\n".join(filter(None, [error, await heading(actor, data), question]))
    markup = InlineKeyboardMarkup(inline_keyboard=[lessons_row(RsValue, "value")])
    await show(message, text, markup, edit=edit)


async def value_tapped(
    callback: CallbackQuery, callback_data: RsValue, state: FSMContext, actor: Actor
) -> None:
    await callback.answer()
    await state.update_data(value=callback_data.value)
    await ask_note(tapped(callback), state, actor, edit=True)


async def value_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    value = typed_lessons(message.text or "")
    if isinstance(value, str):
        await ask_value(message, state, actor, edit=False, error=value)
        return
    await state.update_data(value=value)
    await ask_note(message, state, actor, edit=False)


async def value_not_text(message: Message, state: FSMContext, actor: Actor) -> None:
    await ask_value(message, state, actor, edit=False)


async def ask_note(
    message: Message, state: FSMContext, actor: Actor, *, edit: bool, error: str | None = None
) -> None:
    await state.set_state(RiskFlow.note)
    markup = InlineKeyboardMarkup(inline_keyboard=[[step_button(_("Skip"), "skip")]])
    question = _("Add a note? Type it (at most {max} characters), or tap Skip.").format(
        max=NOTE_LIMIT
    )
    heading_now = await heading(actor, await state.get_data())
    text = "\n".join(filter(None, [error, heading_now, question]))
    await show(message, text, markup, edit=edit)


async def note_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    try:
        note = clean_text(message.text or "")
    except InvalidInput as problem:
        error = problem.text(get_i18n().current_locale)
        await ask_note(message, state, actor, edit=False, error=error)
        return
    if len(note) > NOTE_LIMIT:
        error = _("The note is too long: at most {max} characters.").format(max=NOTE_LIMIT)
        await ask_note(message, state, actor, edit=False, error=error)
        return
    await state.update_data(note=note or None)
    await show_summary(message, state, actor, edit=False)


async def note_skipped(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await state.update_data(note=None)
    await show_summary(tapped(callback), state, actor, edit=True)


async def note_not_text(message: Message, state: FSMContext, actor: Actor) -> None:
    await ask_note(message, state, actor, edit=False)


# Step 4: the summary, with the suggested level; save, change the level, edit or cancel.


async def show_summary(message: Message, state: FSMContext, actor: Actor, *, edit: bool) -> None:
    data = await state.get_data()
    if "level" not in data:
        # the attendance is read: access checked again
        student = await workable_student(actor, data["student_id"])
        data["level"] = await suggested_level(student, data["factor"], data.get("value"), today())
        await state.update_data(level=data["level"])
    await state.set_state(RiskFlow.summary)
    other = CAUTION if data["level"] == HIGH else HIGH
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [step_button(_("Save"), "save")],
            [
                step_button(
                    _("Change to: {level}").format(level=_(RISK_LEVELS[other].label)), "level"
                )
            ],
            [step_button(_("Edit"), "edit"), step_button(_("Cancel"), "cancel")],
        ]
    )
    label = await student_label(actor, data)
    text = html(Bold(_("Please check the risk signal:"))) + "\n" + summary(label, data)
    await show(message, text, markup, edit=edit, html=True)


def summary(label: str, data: dict) -> str:
    """The signal in HTML: the student (`student_label`) in bold, the note escaped."""
    factor = RISK_FACTORS[data["factor"]]
    lines: list[str | Text] = [
        filled(_("Student: {student}"), student=Bold(label)),
        _("Group: {group}").format(group=_(RISK_GROUPS[factor.group].label)),
        _("Factor: {factor}").format(factor=_(factor.label)),
    ]
    if data.get("value") is not None:
        lines.append(
            _("Missed: {lessons}").format(
                lessons=ngettext("{n} lesson", "{n} lessons", data["value"]).format(n=data["value"])
            )
        )
    lines.append(_("Date: {date}").format(date=short_date(today(), get_i18n().current_locale)))
    level = RISK_LEVELS[data["level"]]
    lines.append(_("Level: {level}").format(level=_(level.label)))
    if data.get("note"):
        lines.append(_("Note: {note}").format(note=data["note"]))
    return html(*lines)


async def level_toggled(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    level = (await state.get_data())["level"]
    await state.update_data(level=CAUTION if level == HIGH else HIGH)
    await show_summary(tapped(callback), state, actor, edit=True)


async def edit_chosen(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await show_groups(tapped(callback), state, actor, edit=True)


def another_signal() -> Tap:
    return another(pgettext("button", "Another signal"), "risk", IsStaff)


async def cancelled(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    student_id = (await state.get_data())["student_id"]
    await state.clear()
    taps = next_taps(actor, another_signal(), card(student_id), menu())
    await edit_or_keep(tapped(callback), _("Cancelled. Nothing was saved."), taps)


async def saved(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    data = await state.get_data()
    label = await student_label(actor, data)
    signal = await record_risk_signal(
        actor,
        data["student_id"],
        data["factor"],
        value=data.get("value"),
        level=data["level"],
        note=data.get("note"),
    )
    await callback.answer()
    await state.clear()
    text = html(_("Saved. You can undo it within 10 minutes.")) + "\n" + summary(label, data)
    undo = Tap(_("Undo"), RsUndo(signal_id=signal.id))
    taps = next_taps(actor, undo, another_signal(), card(data["student_id"]), menu())
    await edit_or_keep(tapped(callback), text, taps, html=True)


async def undone(callback: CallbackQuery, callback_data: RsUndo, actor: Actor) -> None:
    await undo_risk_signal(actor, callback_data.signal_id)
    await callback.answer()
    taps = next_taps(actor, another_signal(), menu())
    await edit_or_keep(tapped(callback), _("The risk signal was undone. Nothing is kept."), taps)


def create_router() -> Router:
    router = Router(name="risk")
    check_first(  # the steps after the student was chosen
        router,
        student_label,
        RiskFlow.group,
        RiskFlow.factor,
        RiskFlow.value,
        RiskFlow.note,
        RiskFlow.summary,
    )
    router.message.register(start, Command("risk"), IsStaff)
    router.callback_query.register(start_from_menu, Menu.filter(F.action == "risk"), IsStaff)
    router.callback_query.register(
        start_for_student, StudentAction.filter(F.action == "risk"), IsStaff
    )
    router.callback_query.register(undone, RsUndo.filter(), IsStaff)
    router.callback_query.register(school_chosen, RsSchool.filter(), RiskFlow.school)
    router.callback_query.register(class_chosen, RsClass.filter(), RiskFlow.school_class)
    router.callback_query.register(student_chosen, RsStudent.filter(), CHOOSING_STUDENT)
    router.message.register(name_typed, CHOOSING_STUDENT, TYPED_TEXT)
    router.message.register(name_not_text, CHOOSING_STUDENT, ~F.text)
    router.callback_query.register(
        group_chosen, RsGroup.filter(F.code.in_(RISK_GROUPS.codes())), RiskFlow.group
    )
    router.callback_query.register(
        factor_chosen, RsFactor.filter(F.code.in_(RISK_FACTORS.codes())), RiskFlow.factor
    )
    router.callback_query.register(
        back_to_groups, RsStep.filter(F.action == "groups"), RiskFlow.factor
    )
    router.callback_query.register(
        value_tapped, RsValue.filter(F.value.in_(LESSON_BUTTONS)), RiskFlow.value
    )
    router.message.register(value_typed, RiskFlow.value, TYPED_TEXT)
    router.message.register(value_not_text, RiskFlow.value, ~F.text)
    router.callback_query.register(note_skipped, RsStep.filter(F.action == "skip"), RiskFlow.note)
    router.message.register(note_typed, RiskFlow.note, TYPED_TEXT)
    router.message.register(note_not_text, RiskFlow.note, ~F.text)
    router.callback_query.register(saved, RsStep.filter(F.action == "save"), RiskFlow.summary)
    router.callback_query.register(
        level_toggled, RsStep.filter(F.action == "level"), RiskFlow.summary
    )
    router.callback_query.register(edit_chosen, RsStep.filter(F.action == "edit"), RiskFlow.summary)
    router.callback_query.register(cancelled, RsStep.filter(F.action == "cancel"), RiskFlow.summary)
    router.message.register(
        buttons_due,
        StateFilter(RiskFlow.group, RiskFlow.factor, RiskFlow.summary),
        ~F.text.startswith("/"),
    )
    return router
