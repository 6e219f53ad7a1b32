"""Unexcused absences of a class on one day: class, (another day), each student's lessons, saved.

The day is today (or the latest school day) unless the teacher picks another school day of the
last two weeks. Tapping a student asks how many lessons they missed; the list shows the counts
so far; Save stores them all at once, and the reply names who rose to caution or high risk.
"""

from datetime import date

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import CAUTION, HIGH
from core.errors import AccessDenied, NotFound
from core.formatting import short_date
from core.ids import Id
from core.kept import kept, new_token
from core.services.absence_levels import LevelChange
from core.services.attendance import LoggableDays, loggable_days, record_absences
from core.services.schools import Listed, kept_class_list, list_classes
from handlers.callbacks import Menu
from handlers.checked_first import check_first
from handlers.filters import TYPED_TEXT, IsStaff
from handlers.lessons import LESSON_BUTTONS, lessons_row, typed_lessons
from handlers.markup import bold_name, filled
from handlers.names import Named, full_name
from handlers.next_taps import another, card, menu, next_taps
from handlers.pickers import (
    Data,
    button,
    button_rows,
    class_buttons,
    in_rows,
    pgettext,
    school_buttons,
    school_to_open,
    student_data,
)
from handlers.replies import buttons_due, edit_or_keep, show, stale_button, tapped


class AbsenceFlow(StatesGroup):
    school = State()
    school_class = State()
    students = State()
    day = State()
    lessons = State()


class AbSchool(CallbackData, prefix="ab_s"):
    school_id: Id


class AbClass(CallbackData, prefix="ab_c"):
    class_id: Id


class AbStudent(CallbackData, prefix="ab_t"):
    student_id: Id


class AbDay(CallbackData, prefix="ab_d"):
    ordinal: int  # date.toordinal()


class AbStep(CallbackData, prefix="ab_a"):
    action: str  # "save", "day" (pick another), "back" (to the list), "remove" (the count)


class AbLessons(CallbackData, prefix="ab_l"):
    lessons: int


def counted(name: str, lessons: int | None) -> str:
    return f"{name} · {lessons}" if lessons else name


def day_text(day: date) -> str:
    return short_date(day, get_i18n().current_locale)


# Step 1: the school (only when the person works with several), then the class.


async def start(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    school_id, schools = await school_to_open(actor)
    if school_id is not None:
        await show_classes(message, state, actor, school_id, edit=False)
        return
    if not schools:
        await message.answer(
            _("You have no school to mark absences in."), reply_markup=next_taps(actor, menu())
        )
        return
    keyboard = school_buttons(schools, lambda pk: AbSchool(school_id=pk))
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
        await message.answer(
            _("This school has no classes yet."), reply_markup=next_taps(actor, menu())
        )
        return
    if len(classes) == 1:
        await show_students(message, state, actor, classes[0].id, edit=edit)
        return
    keyboard = class_buttons(classes, lambda pk: AbClass(class_id=pk))
    await state.set_state(AbsenceFlow.school_class)
    await show(message, _("Mark absences in which class?"), keyboard, edit=edit)


async def class_chosen(
    callback: CallbackQuery, callback_data: AbClass, state: FSMContext, actor: Actor
) -> None:
    await show_students(tapped(callback), state, actor, callback_data.class_id, edit=True)
    await callback.answer()


async def class_days(actor: Actor, data: dict, class_id: int) -> LoggableDays:
    """The class's days and name, if it is one of the chosen school's classes; AccessDenied
    otherwise (one the actor may not log for at all too, as for any class of another school)."""
    try:
        loggable = await loggable_days(actor, class_id)
    except NotFound:
        raise AccessDenied() from None
    if loggable.school_id != data["school_id"]:
        raise AccessDenied()
    return loggable


# Step 2: the class list with the counts given so far; a student's count, another day, Save.


async def flow_class(actor: Actor, data: dict) -> LoggableDays:
    """The flow's class (`class_days`), kept in this process under the flow's token: read again,
    access checked anew, once the copy is older or the actor's scope has changed."""
    class_id = data["class_id"]
    return await kept(
        data["list"], ("days", class_id), actor, lambda: class_days(actor, data, class_id)
    )


async def show_students(
    message: Message, state: FSMContext, actor: Actor, class_id: int, *, edit: bool
) -> None:
    # the flow's token: its class and the class's list are kept in this process under it
    chosen = {**await state.get_data(), "class_id": class_id, "list": new_token()}
    loggable = await flow_class(actor, chosen)  # refuses a stranger
    if not loggable.days:
        await state.clear()
        nothing = _("There was no school day in the last two weeks.")
        await show(message, nothing, next_taps(actor, menu()), edit=edit)
        return
    await state.update_data(
        class_id=class_id,
        class_name=loggable.class_name,
        day=loggable.days[0].toordinal(),
        days=[day.toordinal() for day in loggable.days],
        most=loggable.lessons_per_day,
        counts={},
        list=chosen["list"],
    )
    await state.set_state(AbsenceFlow.students)
    text, markup = await students_step(actor, await state.get_data())
    await show(message, text, markup, edit=edit)


async def flow_class_list(actor: Actor, data: dict) -> list[Listed]:
    """The class's list this flow keeps: read, access checked, once a flow (`kept_class_list`)."""
    return await kept_class_list(actor, data["class_id"], data["list"])


async def students_step(actor: Actor, data: dict) -> tuple[str, InlineKeyboardMarkup]:
    """The class's students, each with the lessons given so far."""
    roster = await flow_class_list(actor, data)
    counts = data["counts"]
    buttons: list[tuple[str, Data]] = [
        (
            full_name(student)
            + (f" · {counts[str(student.id)]}" if str(student.id) in counts else ""),
            student_data(AbStudent, student.id),
        )
        for student in roster
    ]
    rows = in_rows(buttons, 2)
    rows.append([(_("Another day"), AbStep(action="day")), (_("Save"), AbStep(action="save"))])
    text = _("{name}, {date}\nTap a student who missed lessons without excuse, then Save.").format(
        name=data["class_name"], date=day_text(date.fromordinal(data["day"]))
    )
    if counts:
        text += "\n" + _("Chosen: {count}").format(count=len(counts))
    return text, button_rows(rows)


async def back_to_students(
    message: Message, state: FSMContext, actor: Actor, *, edit: bool
) -> None:
    await state.set_state(AbsenceFlow.students)
    text, markup = await students_step(actor, await state.get_data())
    await show(message, text, markup, edit=edit)


async def student_tapped(
    callback: CallbackQuery, callback_data: AbStudent, state: FSMContext, actor: Actor
) -> None:
    student = await listed_student(actor, await state.get_data(), callback_data.student_id)
    if student is None:
        await stale_button(callback)
        return
    await callback.answer()
    data = await state.update_data(student_id=student.id)
    await state.set_state(AbsenceFlow.lessons)
    text, markup = lessons_step(full_name(student), data)
    await edit_or_keep(tapped(callback), text, markup)


async def listed_student(actor: Actor, data: dict, student_id: int) -> Listed | None:
    """The student on the flow's copy of the class's list; None if no longer on it. Only the
    id goes to the flow's data, never the name."""
    roster = await flow_class_list(actor, data)
    return next((student for student in roster if student.id == student_id), None)


# Step 3: one student's lessons, by a button or typed.


def lessons_step(name: str, data: dict) -> tuple[str, InlineKeyboardMarkup]:
    question = _(
        "{name}, {date}\nHow many lessons were missed without excuse? "
        "Tap a number or type one from 1 to {max}."
    ).format(name=name, date=day_text(date.fromordinal(data["day"])), max=data["most"])
    last_row = [button(_("Back"), AbStep(action="back"))]
    if str(data["student_id"]) in data["counts"]:
        last_row.insert(0, button(_("Not absent"), AbStep(action="remove")))
    rows = [lessons_row(AbLessons, "lessons", data["most"]), last_row]
    return question, InlineKeyboardMarkup(inline_keyboard=rows)


async def set_count(
    message: Message, state: FSMContext, actor: Actor, lessons: int | None, *, edit: bool
):
    data = await state.get_data()
    counts = dict(data["counts"])
    if lessons is None:
        counts.pop(str(data["student_id"]), None)
    else:
        counts[str(data["student_id"])] = lessons
    await state.update_data(counts=counts)
    await back_to_students(message, state, actor, edit=edit)


async def lessons_tapped(
    callback: CallbackQuery, callback_data: AbLessons, state: FSMContext, actor: Actor
) -> None:
    if callback_data.lessons > (await state.get_data())["most"]:
        await stale_button(callback)
        return
    await callback.answer()
    await set_count(tapped(callback), state, actor, callback_data.lessons, edit=True)


async def lessons_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    data = await state.get_data()
    lessons = typed_lessons(message.text or "", data["most"])
    if isinstance(lessons, str):
        await ask_lessons_again(message, state, actor, lessons)
        return
    await set_count(message, state, actor, lessons, edit=False)


async def lessons_not_text(message: Message, state: FSMContext, actor: Actor) -> None:
    await ask_lessons_again(message, state, actor)


async def ask_lessons_again(
    message: Message, state: FSMContext, actor: Actor, why: str | None = None
) -> None:
    """The question again, under why the answer was not taken; the list if the student has
    left it meanwhile."""
    data = await state.get_data()
    student = await listed_student(actor, data, data["student_id"])
    if student is None:
        await back_to_students(message, state, actor, edit=False)
        return
    text, markup = lessons_step(full_name(student), data)
    await message.answer("\n".join(filter(None, [why, text])), reply_markup=markup)


async def count_removed(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await set_count(tapped(callback), state, actor, None, edit=True)


async def lessons_back(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await back_to_students(tapped(callback), state, actor, edit=True)


# Another day: the school days of the last two weeks.


async def days_shown(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    data = await state.get_data()
    days: list[tuple[str, Data]] = [
        (day_text(date.fromordinal(o)), AbDay(ordinal=o)) for o in data["days"]
    ]
    rows = in_rows(days, 3)
    rows.append([(_("Back"), AbStep(action="back"))])
    await state.set_state(AbsenceFlow.day)
    await edit_or_keep(
        tapped(callback),
        _("Which day? The school days of the last two weeks."),
        button_rows(rows),
    )


async def day_chosen(
    callback: CallbackQuery, callback_data: AbDay, state: FSMContext, actor: Actor
) -> None:
    if callback_data.ordinal not in (await state.get_data())["days"]:
        await stale_button(callback)
        return
    await callback.answer()
    await state.update_data(day=callback_data.ordinal)
    await back_to_students(tapped(callback), state, actor, edit=True)


async def day_back(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await back_to_students(tapped(callback), state, actor, edit=True)


# Save: everything at once; who rose is told.


async def save(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    data = await state.get_data()
    if not data["counts"]:
        await callback.answer(_("Choose at least one student."), show_alert=True)
        return
    day = date.fromordinal(data["day"])
    counts = {int(student_id): lessons for student_id, lessons in data["counts"].items()}
    report = await record_absences(actor, data["class_id"], counts, day)
    await callback.answer()  # after the save: a failure is told in the alert
    await state.clear()
    names = {student.id: full_name(student) for student in report.listed}
    lines = [
        ngettext("Saved: {n} student", "Saved: {n} students", len(counts)).format(n=len(counts)),
        _("Unexcused absences, {date}").format(date=day_text(day)),
    ]
    for student in report.listed:
        missed = ngettext("{n} lesson", "{n} lessons", counts[student.id])
        lines.append(f"• {names[student.id]} — {missed.format(n=counts[student.id])}")
    for level, heading in ((HIGH, _("Now at high risk:")), (CAUTION, _("Now at caution:"))):
        risen = [c for c in report.levels.rises if c.after == level]
        if risen:
            lines.append(heading)
            lines += [f"• {names.get(c.student_id, '')}: {share_text(c)}" for c in risen]
    await edit_or_keep(tapped(callback), "\n".join(lines), saved_taps(actor, list(counts)))


def saved_taps(actor: Actor, student_ids: list[int]) -> InlineKeyboardMarkup | None:
    """Another class or day; the student's card when the absences were one student's."""
    taps = [another(pgettext("button", "Mark more absences"), "absent", IsStaff)]
    if len(student_ids) == 1:
        taps.append(card(student_ids[0]))
    return next_taps(actor, *taps, menu())


def share_text(change: LevelChange) -> str:
    return ngettext(
        "{missed} of {lessons} lessons in {days} day ({percent}%)",
        "{missed} of {lessons} lessons in {days} days ({percent}%)",
        (change.window_to - change.window_from).days + 1,
    ).format(
        missed=change.unexcused,
        lessons=change.lessons,
        days=(change.window_to - change.window_from).days + 1,
        percent=f"{change.share_tenths / 10:.1f}",
    )


def absence_high_view(student: Named, payload: dict) -> tuple[str, None]:
    """The early warning sent when a student's absences rise to high (outbox kind absence_high),
    in HTML: the name in bold."""
    locale = get_i18n().current_locale
    text = filled(
        _(
            "Early warning: {name} missed {missed} of {lessons} lessons without excuse from "
            "{start} to {end} ({percent}%), a high risk of leaving school early. A talk with the "
            "family and a support plan may help."
        ),
        name=bold_name(student),
        missed=payload["unexcused"],
        lessons=payload["lessons"],
        start=short_date(date.fromordinal(payload["window_from"]), locale),
        end=short_date(date.fromordinal(payload["window_to"]), locale),
        percent=f"{payload['share_tenths'] / 10:.1f}",
    ).as_html()
    return text, None


def create_router() -> Router:
    router = Router(name="absences")
    check_first(  # the steps after the class was chosen
        router, flow_class, AbsenceFlow.students, AbsenceFlow.day, AbsenceFlow.lessons
    )
    router.message.register(start, Command("absent"), IsStaff)
    router.callback_query.register(start_from_menu, Menu.filter(F.action == "absent"), IsStaff)
    router.callback_query.register(school_chosen, AbSchool.filter(), AbsenceFlow.school)
    router.callback_query.register(class_chosen, AbClass.filter(), AbsenceFlow.school_class)
    router.callback_query.register(student_tapped, AbStudent.filter(), AbsenceFlow.students)
    router.callback_query.register(save, AbStep.filter(F.action == "save"), AbsenceFlow.students)
    router.callback_query.register(
        days_shown, AbStep.filter(F.action == "day"), AbsenceFlow.students
    )
    router.callback_query.register(day_chosen, AbDay.filter(), AbsenceFlow.day)
    router.callback_query.register(day_back, AbStep.filter(F.action == "back"), AbsenceFlow.day)
    router.callback_query.register(
        lessons_back, AbStep.filter(F.action == "back"), AbsenceFlow.lessons
    )
    router.callback_query.register(
        count_removed, AbStep.filter(F.action == "remove"), AbsenceFlow.lessons
    )
    router.callback_query.register(
        lessons_tapped, AbLessons.filter(F.lessons.in_(LESSON_BUTTONS)), AbsenceFlow.lessons
    )
    router.message.register(lessons_typed, AbsenceFlow.lessons, TYPED_TEXT)
    router.message.register(lessons_not_text, AbsenceFlow.lessons, ~F.text)
    router.message.register(
        buttons_due,
        StateFilter(
            AbsenceFlow.school, AbsenceFlow.school_class, AbsenceFlow.students, AbsenceFlow.day
        ),
        ~F.text.startswith("/"),
    )
    return router
