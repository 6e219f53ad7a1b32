"""Unexcused absences for a whole class at once: class, tick the students, lessons, saved."""

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import HIGH, RISK_LEVELS
from core.clock import today
from core.errors import AccessDenied
from core.formatting import short_date
from core.ids import Id
from core.services.schools import list_classes, list_schools, list_students
from core.services.signals import record_absences
from handlers.callbacks import Menu
from handlers.filters import TYPED_TEXT, IsStaff
from handlers.names import (
    LESSON_BUTTONS,
    MAX_LESSONS_A_DAY,
    full_name,
    lessons_row,
    typed_lessons,
)
from handlers.pickers import class_buttons, school_buttons
from handlers.replies import buttons_due, edit_or_keep, show, stale_button, tapped


class AbsenceFlow(StatesGroup):
    school = State()
    school_class = State()
    students = State()
    lessons = State()


class AbSchool(CallbackData, prefix="ab_s"):
    school_id: Id


class AbClass(CallbackData, prefix="ab_c"):
    class_id: Id


class AbToggle(CallbackData, prefix="ab_t"):
    student_id: Id


class AbStep(CallbackData, prefix="ab_a"):
    action: str  # "next" (to the lessons) or "back" (to the students)


class AbLessons(CallbackData, prefix="ab_l"):
    lessons: int


# Step 1: the school (only when the person works with several), then the class.


async def start(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    schools = await list_schools(actor)
    if not schools:
        await message.answer(_("You have no school to mark absences in."))
        return
    if len(schools) == 1:
        await show_classes(message, state, actor, schools[0].id, edit=False)
        return
    keyboard = school_buttons(schools, lambda pk: AbSchool(school_id=pk)).as_markup()
    await state.set_state(AbsenceFlow.school)
    await message.answer(_("Mark absences in which school?"), reply_markup=keyboard)


async def start_from_menu(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await start(tapped(callback), state, actor)


async def school_chosen(
    callback: CallbackQuery, callback_data: AbSchool, state: FSMContext, actor: Actor
) -> None:
    await show_classes(tapped(callback), state, actor, callback_data.school_id, edit=True)
    await callback.answer()


async def show_classes(
    message: Message, state: FSMContext, actor: Actor, school_id: int, *, edit: bool
) -> None:
    classes = await list_classes(actor, school_id)
    await state.update_data(school_id=school_id)
    if not classes:
        await state.clear()
        await message.answer(_("This school has no classes yet."))
        return
    if len(classes) == 1:
        await show_students(message, state, actor, classes[0].id, edit=edit)
        return
    keyboard = class_buttons(classes, lambda pk: AbClass(class_id=pk)).as_markup()
    await state.set_state(AbsenceFlow.school_class)
    await show(message, _("Mark absences in which class?"), keyboard, edit=edit)


async def class_chosen(
    callback: CallbackQuery, callback_data: AbClass, state: FSMContext, actor: Actor
) -> None:
    await show_students(tapped(callback), state, actor, callback_data.class_id, edit=True)
    await callback.answer()


# Step 2: tick the students who missed lessons.


async def show_students(
    message: Message, state: FSMContext, actor: Actor, class_id: int, *, edit: bool
) -> None:
    name = await class_name(actor, await state.get_data(), class_id)  # refuses one out of scope
    await state.update_data(class_id=class_id, class_name=name, chosen=[])
    await state.set_state(AbsenceFlow.students)
    text, markup = await students_step(actor, await state.get_data())
    await show(message, text, markup, edit=edit)


async def class_name(actor: Actor, data: dict, class_id: int) -> str:
    """The class's name, if it is one of the chosen school's classes; AccessDenied otherwise."""
    for school_class in await list_classes(actor, data["school_id"]):
        if school_class.id == class_id:
            return school_class.name
    raise AccessDenied()


async def students_step(
    actor: Actor, data: dict, roster: list | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The class's students to tick; `roster` when the caller has just read it."""
    if roster is None:
        roster = await list_students(actor, class_id=data["class_id"])
    chosen = set(data["chosen"])
    # Built directly: a keyboard builder copies itself on every button, and this one is
    # rebuilt on every tap of the everyday flow.
    buttons = [
        InlineKeyboardButton(
            text=("✓ " if student.id in chosen else "") + full_name(student),
            callback_data=AbToggle(student_id=student.id).pack(),
        )
        for student in roster
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(text=_("Next"), callback_data=AbStep(action="next").pack())])
    text = _("{name}: tap the students who missed lessons today, then Next.").format(
        name=data["class_name"]
    )
    if chosen:
        text += "\n" + _("Chosen: {count}").format(count=len(chosen))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def student_toggled(
    callback: CallbackQuery, callback_data: AbToggle, state: FSMContext, actor: Actor
) -> None:
    data = await state.get_data()
    roster = await list_students(actor, class_id=data["class_id"])
    if callback_data.student_id not in {s.id for s in roster}:
        await stale_button(callback)
        return
    await callback.answer()
    chosen = set(data["chosen"]) ^ {callback_data.student_id}
    await state.update_data(chosen=sorted(chosen))
    text, markup = await students_step(actor, await state.get_data(), roster)
    await edit_or_keep(tapped(callback), text, markup)


async def students_done(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    data = await state.get_data()
    if not data["chosen"]:
        await callback.answer(_("Choose at least one student."), show_alert=True)
        return
    await callback.answer()
    await state.set_state(AbsenceFlow.lessons)
    text, markup = await lessons_step(actor, data)
    await edit_or_keep(tapped(callback), text, markup)


# Step 3: how many lessons, then everything is saved at once.


async def lessons_step(actor: Actor, data: dict) -> tuple[str, InlineKeyboardMarkup]:
    roster = await list_students(actor, class_id=data["class_id"])
    names = ", ".join(full_name(s) for s in roster if s.id in data["chosen"])
    question = _("How many lessons did they miss today? Tap a number or type one from 1 to {max}.")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            lessons_row(AbLessons, "lessons"),
            [InlineKeyboardButton(text=_("Back"), callback_data=AbStep(action="back").pack())],
        ]
    )
    return f"{names}\n{question.format(max=MAX_LESSONS_A_DAY)}", markup


async def back_to_students(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await state.set_state(AbsenceFlow.students)
    text, markup = await students_step(actor, await state.get_data())
    await edit_or_keep(tapped(callback), text, markup)


async def lessons_tapped(
    callback: CallbackQuery, callback_data: AbLessons, state: FSMContext, actor: Actor
) -> None:
    await save(tapped(callback), state, actor, callback_data.lessons, edit=True)
    await callback.answer()


async def lessons_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    lessons = typed_lessons(message.text or "")
    if isinstance(lessons, str):
        text, markup = await lessons_step(actor, await state.get_data())
        await message.answer(f"{lessons}\n{text}", reply_markup=markup)
        return
    await save(message, state, actor, lessons, edit=False)


async def lessons_not_text(message: Message, state: FSMContext, actor: Actor) -> None:
    text, markup = await lessons_step(actor, await state.get_data())
    await message.answer(text, reply_markup=markup)


async def save(
    message: Message, state: FSMContext, actor: Actor, lessons: int, *, edit: bool
) -> None:
    data = await state.get_data()
    signals = await record_absences(actor, data["class_id"], data["chosen"], lessons)
    await state.clear()
    saved = ngettext("Saved: {n} student", "Saved: {n} students", len(signals)).format(
        n=len(signals)
    )
    each = ngettext("{n} lesson each", "{n} lessons each", lessons).format(n=lessons)
    lines = [
        f"{saved}, {each}.",
        _("Unexcused absences, {date}").format(date=short_date(today(), get_i18n().current_locale)),
    ]
    levels = {signal.student_id: signal.level for signal in signals}
    for student in await list_students(actor, class_id=data["class_id"]):
        if student.id in levels:
            high = f" — {_(RISK_LEVELS[HIGH].label)}" if levels[student.id] == HIGH else ""
            lines.append(f"• {full_name(student)}{high}")
    await show(message, "\n".join(lines), None, edit=edit)


def create_router() -> Router:
    router = Router(name="absences")
    router.message.register(start, Command("absent"), IsStaff)
    router.callback_query.register(start_from_menu, Menu.filter(F.action == "absent"), IsStaff)
    router.callback_query.register(school_chosen, AbSchool.filter(), AbsenceFlow.school)
    router.callback_query.register(class_chosen, AbClass.filter(), AbsenceFlow.school_class)
    router.callback_query.register(student_toggled, AbToggle.filter(), AbsenceFlow.students)
    router.callback_query.register(
        students_done, AbStep.filter(F.action == "next"), AbsenceFlow.students
    )
    router.callback_query.register(
        back_to_students, AbStep.filter(F.action == "back"), AbsenceFlow.lessons
    )
    router.callback_query.register(
        lessons_tapped, AbLessons.filter(F.lessons.in_(LESSON_BUTTONS)), AbsenceFlow.lessons
    )
    router.message.register(lessons_typed, AbsenceFlow.lessons, TYPED_TEXT)
    router.message.register(lessons_not_text, AbsenceFlow.lessons, ~F.text)
    router.message.register(
        buttons_due,
        StateFilter(AbsenceFlow.school, AbsenceFlow.school_class, AbsenceFlow.students),
        ~F.text.startswith("/"),
    )
    return router
