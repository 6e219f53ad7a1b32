"""Asking for a number of lessons missed in a day: buttons 1-6, or a number typed."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import gettext as _

from handlers.pickers import button
from handlers.typed import whole_number

MAX_LESSONS_A_DAY = 12
LESSON_BUTTONS = range(1, 7)


def typed_lessons(text: str, most: int = MAX_LESSONS_A_DAY) -> int | str:
    """The number of lessons (in one school day) typed, or why it is not acceptable."""
    lessons = whole_number(text)
    if lessons is None:
        return _("Please type the number of lessons as a number, for example 2.")
    if not 1 <= lessons <= most:
        return _("The number of lessons must be from 1 to {max}.").format(max=most)
    return lessons


def lessons_row(
    callback: type[CallbackData], field: str, most: int = MAX_LESSONS_A_DAY
) -> list[InlineKeyboardButton]:
    """One row of buttons 1-6 (fewer if a day has fewer lessons): the usual numbers missed."""
    return [button(str(n), callback(**{field: n})) for n in LESSON_BUTTONS if n <= most]
