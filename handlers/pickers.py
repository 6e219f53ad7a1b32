"""Buttons that pick a school or a class, shared by the flows that start from one."""

from collections.abc import Callable, Iterable
from typing import Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.utils.keyboard import InlineKeyboardBuilder

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
