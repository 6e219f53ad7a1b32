"""Logging a consultation session: student, specialist, date, minutes, mode, topic, saved."""

from collections.abc import Awaitable
from datetime import date, timedelta
from functools import partial
from typing import Protocol

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n, get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.access import Actor, visible_student, workable_student
from core.catalogues import CONSULTATION_MODES, SPECIALIST_TYPES
from core.clock import date_problem, today
from core.errors import InvalidInput, NotFound
from core.formatting import short_date
from core.ids import Id
from core.services.consultations import MAX_MINUTES, TOPIC_LIMIT, log_consultation
from core.services.pending import find_students
from core.services.schools import class_list, list_classes
from core.text import clean_text
from handlers.callbacks import Menu, StudentAction
from handlers.filters import TYPED_TEXT, IsStaff
from handlers.markup import filled, html
from handlers.next_taps import another, card, menu, next_taps
from handlers.pickers import class_buttons, entry_label, pgettext, school_buttons, school_to_open
from handlers.replies import edit_or_keep, show, tapped
from handlers.typed import parse_day, whole_number

MINUTE_CHOICES = (30, 45, 60, 90)
SEARCH_LIMIT = 10


class Say(Protocol):
    """Answer the way the flow goes on (see `say_to`); the text in Telegram HTML if `html`."""

    def __call__(
        self, text: str, markup: InlineKeyboardMarkup | None, *, html: bool = False
    ) -> Awaitable[object]: ...


class ConsultFlow(StatesGroup):
    student = State()
    specialist = State()
    day = State()
    minutes = State()
    mode = State()
    topic = State()


class CoSchools(CallbackData, prefix="co_ss"):
    """Back to the list of schools."""


class CoSchool(CallbackData, prefix="co_sc"):
    school_id: Id


class CoClass(CallbackData, prefix="co_cl"):
    school_id: Id
    class_id: Id


class CoStudent(CallbackData, prefix="co_st"):
    student_id: Id


class CoSpecialist(CallbackData, prefix="co_sp"):
    code: str


class CoDay(CallbackData, prefix="co_d"):
    days_ago: int


class CoMinutes(CallbackData, prefix="co_m"):
    minutes: int


class CoMode(CallbackData, prefix="co_mo"):
    code: str


class CoSkip(CallbackData, prefix="co_sk"):
    """Save without a topic."""


def say_to(event: Message | CallbackQuery) -> Say:
    """Typed answers get a new message; a tapped button turns its message into the next step."""
    if isinstance(event, CallbackQuery):
        return partial(edit_or_keep, tapped(event))
    return partial(show, event, edit=False)


def with_problem(problem: str | None, prompt: str) -> str:
    return f"{problem}\n{prompt}" if problem else prompt


def student_name(student) -> str:
    return f"{student.first_name} {student.last_name}"


def back_button(target: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("Back"), callback_data=target.pack())


# Step 1: the student — school (when several), class, student; or a part of the name typed.


async def ask_student(say: Say, actor: Actor, problem: str | None = None) -> None:
    school_id, schools = await school_to_open(actor)
    if school_id is not None:
        await ask_class(say, actor, school_id, problem)
        return
    keyboard = school_buttons(schools, lambda pk: CoSchool(school_id=pk))
    prompt = _("Log a consultation. Choose the school, or type part of the student's name.")
    await say(with_problem(problem, prompt), keyboard)


async def ask_class(
    say: Say, actor: Actor, school_id: int, problem: str | None = None, *, back: bool = False
) -> None:
    classes = await list_classes(actor, school_id)
    keyboard = class_buttons(classes, lambda pk: CoClass(school_id=school_id, class_id=pk))
    if back:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[*keyboard.inline_keyboard, [back_button(CoSchools())]]
        )
    prompt = _("Log a consultation. Choose the class, or type part of the student's name.")
    await say(with_problem(problem, prompt), keyboard)


def students_keyboard(
    students: list, class_names: dict[int, str] | None = None
) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    for student in students:
        label = student_name(student)
        if class_names is not None:
            label += f", {class_names.get(student.school_class_id, '')}"
        builder.button(text=label, callback_data=CoStudent(student_id=student.id))
    builder.adjust(2 if class_names is None else 1)
    return builder


async def school_chosen(callback: CallbackQuery, callback_data: CoSchool, actor: Actor) -> None:
    school_id, _schools = await school_to_open(actor)
    await ask_class(say_to(callback), actor, callback_data.school_id, back=school_id is None)
    await callback.answer()


async def schools_again(callback: CallbackQuery, actor: Actor) -> None:
    await ask_student(say_to(callback), actor)
    await callback.answer()


async def class_chosen(callback: CallbackQuery, callback_data: CoClass, actor: Actor) -> None:
    classes = await list_classes(actor, callback_data.school_id)
    school_class = next((c for c in classes if c.id == callback_data.class_id), None)
    if school_class is None:
        raise NotFound()
    students = await class_list(actor, school_class.id)
    builder = students_keyboard(students)
    builder.row(back_button(CoSchool(school_id=callback_data.school_id)))
    text = (
        _("Class {name}: choose the student, or type part of the name.")
        if students
        else _("There are no students in class {name}.")
    )
    await edit_or_keep(tapped(callback), text.format(name=school_class.name), builder.as_markup())
    await callback.answer()


async def student_typed(message: Message, actor: Actor) -> None:
    """A part of the name typed: the students who match, as buttons."""
    words = (message.text or "").strip()
    try:
        found = await find_students(actor, words)
    except InvalidInput as problem:
        await ask_student(say_to(message), actor, problem.text(get_i18n().current_locale))
        return
    if not found:
        nobody = _("No student matches “{text}”.").format(text=words)
        await ask_student(say_to(message), actor, nobody)
        return
    if len(found) > SEARCH_LIMIT:
        count = len(found)
        await message.answer(
            ngettext(
                "{n} student matches. Type more of the name.",
                "{n} students match. Type more of the name.",
                count,
            ).format(n=count)
        )
        return
    class_names = {s.school_class_id: s.school_class.name for s in found}
    await message.answer(
        _("Choose the student:"), reply_markup=students_keyboard(found, class_names).as_markup()
    )


async def student_chosen(
    callback: CallbackQuery, callback_data: CoStudent, state: FSMContext, actor: Actor
) -> None:
    student = await workable_student(actor, callback_data.student_id)
    await state.update_data(student_id=student.id)
    await state.set_state(ConsultFlow.specialist)
    await ask_specialist(say_to(callback), actor, student_name(student))
    await callback.answer()


# Step 2: who held it — the person's own specialty first.


def specialist_keyboard(actor: Actor) -> InlineKeyboardMarkup:
    own = actor.specialty
    codes = sorted(SPECIALIST_TYPES.codes(), key=lambda code: code != own)
    builder = InlineKeyboardBuilder()
    for code in codes:
        label = entry_label(SPECIALIST_TYPES[code])
        builder.button(
            text=f"✓ {label}" if code == own else label, callback_data=CoSpecialist(code=code)
        )
    builder.adjust(2)
    return builder.as_markup()


async def ask_specialist(say: Say, actor: Actor, name: str, problem: str | None = None) -> None:
    prompt = _("{name}: who held the consultation?").format(name=name)
    await say(with_problem(problem, prompt), specialist_keyboard(actor))


async def specialist_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    student = await workable_student(actor, (await state.get_data())["student_id"])
    problem = _("Please choose with a button.")
    await ask_specialist(say_to(message), actor, student_name(student), problem)


async def specialist_chosen(
    callback: CallbackQuery, callback_data: CoSpecialist, state: FSMContext
) -> None:
    await state.update_data(specialist_type=callback_data.code)
    await state.set_state(ConsultFlow.day)
    await ask_day(say_to(callback))
    await callback.answer()


# Step 3: the date.


async def ask_day(say: Say, problem: str | None = None) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Today"), callback_data=CoDay(days_ago=0))
    builder.button(text=_("Yesterday"), callback_data=CoDay(days_ago=1))
    prompt = _(
        "When was it? Tap a button or type the date as dd.mm (for another year, dd.mm.yyyy)."
    )
    await say(with_problem(problem, prompt), builder.as_markup())


def day_problem(day: date | None) -> str | None:
    if day is None:
        return _("I could not read this date.")
    problem = date_problem(day)
    return problem and _(problem)


async def day_typed(message: Message, state: FSMContext) -> None:
    day = parse_day(message.text or "", today().year)
    problem = day_problem(day)
    if problem or day is None:
        await ask_day(say_to(message), problem)
        return
    await accept_day(say_to(message), state, day)


async def day_chosen(callback: CallbackQuery, callback_data: CoDay, state: FSMContext) -> None:
    await accept_day(say_to(callback), state, today() - timedelta(days=callback_data.days_ago))
    await callback.answer()


async def accept_day(say: Say, state: FSMContext, day: date) -> None:
    await state.update_data(held_on=day.isoformat())
    await state.set_state(ConsultFlow.minutes)
    await ask_minutes(say)


# Step 4: how long.


async def ask_minutes(say: Say, problem: str | None = None) -> None:
    builder = InlineKeyboardBuilder()
    for minutes in MINUTE_CHOICES:
        builder.button(
            text=_("{n} min").format(n=minutes), callback_data=CoMinutes(minutes=minutes)
        )
    builder.adjust(4)
    prompt = _("How many minutes did it last? Tap a button or type a number.")
    await say(with_problem(problem, prompt), builder.as_markup())


def parse_minutes(text: str) -> int | None:
    """A whole number of minutes in range, or None."""
    minutes = whole_number(text)
    return minutes if minutes is not None and 1 <= minutes <= MAX_MINUTES else None


async def minutes_typed(message: Message, state: FSMContext) -> None:
    minutes = parse_minutes(message.text or "")
    if minutes is None:
        problem = _("Give the length in minutes, from 1 to {max}.").format(max=MAX_MINUTES)
        await ask_minutes(say_to(message), problem)
        return
    await accept_minutes(say_to(message), state, minutes)


async def minutes_chosen(
    callback: CallbackQuery, callback_data: CoMinutes, state: FSMContext
) -> None:
    await accept_minutes(say_to(callback), state, callback_data.minutes)
    await callback.answer()


async def accept_minutes(say: Say, state: FSMContext, minutes: int) -> None:
    await state.update_data(minutes=minutes)
    await state.set_state(ConsultFlow.mode)
    await ask_mode(say)


# Step 5: in person or remote.


async def ask_mode(say: Say, problem: str | None = None) -> None:
    builder = InlineKeyboardBuilder()
    for mode in CONSULTATION_MODES:
        builder.button(text=_(mode.label), callback_data=CoMode(code=mode.code))
    await say(with_problem(problem, _("In person or remote?")), builder.as_markup())


async def mode_typed(message: Message) -> None:
    await ask_mode(say_to(message), _("Please choose with a button."))


async def mode_chosen(callback: CallbackQuery, callback_data: CoMode, state: FSMContext) -> None:
    await state.update_data(mode=callback_data.code)
    await state.set_state(ConsultFlow.topic)
    await ask_topic(say_to(callback))
    await callback.answer()


# Step 6: the topic, or none; then save.


async def ask_topic(say: Say, problem: str | None = None) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=CoSkip())
    prompt = _("What was it about? Type the topic in a few words, or tap Skip.")
    await say(with_problem(problem, prompt), builder.as_markup())


async def topic_typed(message: Message, state: FSMContext, actor: Actor, i18n: I18n) -> None:
    try:
        topic = clean_text(message.text or "")
    except InvalidInput as problem:
        await ask_topic(say_to(message), problem.text(i18n.current_locale))
        return
    if len(topic) > TOPIC_LIMIT:
        too_long = _("The topic is too long: at most {max} characters.").format(max=TOPIC_LIMIT)
        await ask_topic(say_to(message), too_long)
        return
    await save(say_to(message), state, actor, i18n, topic)


async def topic_skipped(
    callback: CallbackQuery, state: FSMContext, actor: Actor, i18n: I18n
) -> None:
    await save(say_to(callback), state, actor, i18n, None)
    await callback.answer()


async def save(say: Say, state: FSMContext, actor: Actor, i18n: I18n, topic: str | None) -> None:
    data = await state.get_data()
    consultation = await log_consultation(
        actor,
        data["student_id"],
        held_on=date.fromisoformat(data["held_on"]),
        minutes=data["minutes"],
        mode=data["mode"],
        specialist_type=data["specialist_type"],
        topic=topic,
    )
    await state.clear()
    student = await visible_student(actor, consultation.student_id)
    details = " · ".join(
        [
            short_date(consultation.held_on, i18n.current_locale),
            _("{n} min").format(n=consultation.minutes),
            _(SPECIALIST_TYPES[consultation.specialist_type].label),
            _(CONSULTATION_MODES[consultation.mode].label),
        ]
    )
    saved = _("Saved: a consultation with {name}.")
    lines: list[str | Text] = [filled(saved, name=Bold(student_name(student))), details]
    if consultation.topic:
        lines.append(_("Topic: {topic}").format(topic=consultation.topic))
    another_one = another(pgettext("button", "Another consultation"), "consult", IsStaff)
    taps = next_taps(actor, another_one, card(student.id), menu())
    await say(html(*lines), taps, html=True)


# Other input at any step: say what is expected, and ask again.


async def not_text(message: Message, state: FSMContext, actor: Actor) -> None:
    say, problem = say_to(message), _("Please answer with text or a button.")
    current = await state.get_state()
    if current == ConsultFlow.student.state:
        await ask_student(say, actor, problem)
    elif current == ConsultFlow.specialist.state:
        student = await workable_student(actor, (await state.get_data())["student_id"])
        await ask_specialist(say, actor, student_name(student), problem)
    elif current == ConsultFlow.day.state:
        await ask_day(say, problem)
    elif current == ConsultFlow.minutes.state:
        await ask_minutes(say, problem)
    elif current == ConsultFlow.mode.state:
        await ask_mode(say, problem)
    else:
        await ask_topic(say, problem)


# Starting: /consult, the menu, or a student's card.


async def start(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    await state.set_state(ConsultFlow.student)
    await ask_student(say_to(message), actor)


async def start_from_menu(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    await state.set_state(ConsultFlow.student)
    await ask_student(say_to(tapped(callback)), actor)
    await callback.answer()


async def start_for_student(
    callback: CallbackQuery, callback_data: StudentAction, state: FSMContext, actor: Actor
) -> None:
    student = await workable_student(actor, callback_data.student_id)
    await state.clear()
    await state.update_data(student_id=student.id)
    await state.set_state(ConsultFlow.specialist)
    await ask_specialist(say_to(tapped(callback)), actor, student_name(student))
    await callback.answer()


def create_router() -> Router:
    router = Router(name="consultations")
    router.message.register(start, Command("consult"), IsStaff)
    router.callback_query.register(start_from_menu, Menu.filter(F.action == "consult"), IsStaff)
    router.callback_query.register(
        start_for_student, StudentAction.filter(F.action == "consult"), IsStaff
    )

    router.callback_query.register(school_chosen, ConsultFlow.student, CoSchool.filter())
    router.callback_query.register(schools_again, ConsultFlow.student, CoSchools.filter())
    router.callback_query.register(class_chosen, ConsultFlow.student, CoClass.filter())
    router.callback_query.register(student_chosen, ConsultFlow.student, CoStudent.filter())
    router.message.register(student_typed, ConsultFlow.student, TYPED_TEXT)

    specialists = CoSpecialist.filter(F.code.in_(SPECIALIST_TYPES.codes()))
    router.callback_query.register(specialist_chosen, ConsultFlow.specialist, specialists)
    router.message.register(specialist_typed, ConsultFlow.specialist, TYPED_TEXT)

    router.callback_query.register(
        day_chosen, ConsultFlow.day, CoDay.filter(F.days_ago.in_({0, 1}))
    )
    router.message.register(day_typed, ConsultFlow.day, TYPED_TEXT)

    minutes = CoMinutes.filter(F.minutes.in_(MINUTE_CHOICES))
    router.callback_query.register(minutes_chosen, ConsultFlow.minutes, minutes)
    router.message.register(minutes_typed, ConsultFlow.minutes, TYPED_TEXT)

    modes = CoMode.filter(F.code.in_(CONSULTATION_MODES.codes()))
    router.callback_query.register(mode_chosen, ConsultFlow.mode, modes)
    router.message.register(mode_typed, ConsultFlow.mode, TYPED_TEXT)

    router.callback_query.register(topic_skipped, ConsultFlow.topic, CoSkip.filter())
    router.message.register(topic_typed, ConsultFlow.topic, TYPED_TEXT)

    router.message.register(not_text, StateFilter(ConsultFlow), ~F.text)
    return router
