"""Buttons that pick something (a school, a class, an item of a list), shared by the flows."""

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core import i18n
from core.catalogues import Entry
from core.errors import AccessDenied
from handlers.markup import appended
from handlers.replies import edit_or_keep, tapped

CLASSES_PER_ROW = 4


class Named(Protocol):
    """A school or a class as the core lists them."""

    id: int
    name: str


def school_buttons(
    schools: Iterable[Named], data: Callable[[int], CallbackData]
) -> InlineKeyboardBuilder:
    """A school a row; `data` makes each button's callback from the school's id."""
    builder = InlineKeyboardBuilder()
    for school in schools:
        builder.button(text=school.name, callback_data=data(school.id))
    builder.adjust(1)
    return builder


def class_buttons(
    classes: Iterable[Named], data: Callable[[int], CallbackData]
) -> InlineKeyboardBuilder:
    """Classes four a row; `data` makes each button's callback from the class's id."""
    builder = InlineKeyboardBuilder()
    for school_class in classes:
        builder.button(text=school_class.name, callback_data=data(school_class.id))
    builder.adjust(CLASSES_PER_ROW)
    return builder


def entry_label(entry: Entry) -> str:
    """The text of a button that picks a catalogue entry: its short label when the official
    name is too long for a phone (plans, PDFs and reports keep the official name)."""
    return entry.button_text(get_i18n().current_locale)


def pgettext(context: str, message: str) -> str:
    """A message with a gettext context, e.g. `pgettext("button", "Submit for approval")`, in
    the reader's language (aiogram's i18n has no pgettext)."""
    return i18n.pgettext(context, message, get_i18n().current_locale)


def buttons(items: Sequence[tuple[str, CallbackData]], width: int = 1) -> InlineKeyboardMarkup:
    """`width` buttons a row. Built directly: aiogram's keyboard builder copies the whole
    keyboard on every button, a class of 25 students about 6,000 deep copies."""
    row = [InlineKeyboardButton(text=text, callback_data=data.pack()) for text, data in items]
    rows = [row[start : start + width] for start in range(0, len(row), width)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def mark_chosen(callback: CallbackQuery, label: str) -> None:
    """Answer the tap and keep the choice in the question, without its buttons."""
    await callback.answer()
    await edit_or_keep(tapped(callback), appended(tapped(callback), f"→ {label}"), html=True)


def chosen(items: list, wanted: int):
    """The item with the id a button carried; a forged id outside the offered list is denied."""
    for item in items:
        if item.id == wanted:
            return item
    raise AccessDenied()
