"""What several flows show of a student or ask about them: the name, lessons missed in a day."""

from typing import Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import gettext as _

from handlers.typed import whole_number

MAX_LESSONS_A_DAY = 12
LESSON_BUTTONS = range(1, 7)


class Named(Protocol):
    first_name: str
    last_name: str


def full_name(student: Named) -> str:
    return f"{student.first_name} {student.last_name}"


def typed_lessons(text: str) -> int | str:
    """The number of lessons (in one school day) typed, or why it is not acceptable."""
    lessons = whole_number(text)
    if lessons is None:
        return _("Please type the number of lessons as a number, for example 2.")
    if not 1 <= lessons <= MAX_LESSONS_A_DAY:
        return _("The number of lessons must be from 1 to {max}.").format(max=MAX_LESSONS_A_DAY)
    return lessons


def lessons_row(callback: type[CallbackData], field: str) -> list[InlineKeyboardButton]:
    """One row of buttons 1-6: the usual numbers of lessons missed in a day."""
    return [
        InlineKeyboardButton(text=str(n), callback_data=callback(**{field: n}).pack())
        for n in LESSON_BUTTONS
    ]
