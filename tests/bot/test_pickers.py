"""The pickers' keyboards are the ones aiogram's keyboard builder makes, built for less."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from cachetools import TTLCache

from handlers import pickers
from handlers.absences import AbClass, AbStudent
from handlers.pickers import CLASSES_PER_ROW, button_rows, buttons, class_buttons, student_data
from handlers.risk import RsStudent


class Pick(CallbackData, prefix="pk"):
    school_id: int


class Item:
    def __init__(self, id: int, name: str) -> None:
        self.id, self.name = id, name


def built(items: list[tuple[str, CallbackData]], width: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, data in items:
        builder.button(text=text, callback_data=data)
    builder.adjust(width)
    return builder.as_markup()


def same(one: InlineKeyboardMarkup, other: InlineKeyboardMarkup) -> None:
    assert one == other
    assert one.model_dump_json(exclude_none=True) == other.model_dump_json(exclude_none=True)


def test_buttons_and_class_buttons_are_the_builder_s():
    for count in (0, 1, 4, 5, 9):
        classes = [Item(10 + n, f"{5 + n}.a") for n in range(count)]
        items = [(c.name, AbClass(class_id=c.id)) for c in classes]
        same(class_buttons(classes, lambda pk: AbClass(class_id=pk)), built(items, CLASSES_PER_ROW))
        for width in (1, 2, 3):
            same(buttons(items, width), built(items, width))


def test_a_packed_student_is_the_callback_data_packed():
    for kind in (AbStudent, RsStudent):
        for student_id in (1, 42, 2_000_000_000):
            assert student_data(kind, student_id) == kind(student_id=student_id).pack()
    rows = [[("Anna Kalnina · 2", student_data(AbStudent, 7)), ("Skola", Pick(school_id=3))]]
    markup = button_rows(rows)
    assert [button.model_fields_set for button in markup.inline_keyboard[0]] == [
        {"text", "callback_data"}
    ] * 2
    same(
        markup,
        InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="Anna Kalnina · 2", callback_data="ab_t:7"),
                    InlineKeyboardButton(text="Skola", callback_data="pk:3"),
                ]
            ]
        ),
    )


def test_a_button_is_made_once_and_forgotten_after_a_few_minutes(monkeypatch):
    now = [0.0]
    kept = TTLCache(maxsize=100, ttl=pickers.BUTTON_SECONDS, timer=lambda: now[0])
    monkeypatch.setattr(pickers, "_buttons", kept)
    first = button_rows([[("Anna Kalnina", student_data(AbStudent, 7))]])
    ticked = button_rows([[("Anna Kalnina · 2", student_data(AbStudent, 7))]])
    again = button_rows([[("Anna Kalnina", student_data(AbStudent, 7))]])
    assert again.inline_keyboard[0][0] is first.inline_keyboard[0][0]
    assert ticked.inline_keyboard[0][0] is not first.inline_keyboard[0][0]
    now[0] += pickers.BUTTON_SECONDS
    later = button_rows([[("Baiba Liepa", student_data(AbStudent, 8))]])
    assert [text for text, _ in kept] == ["Baiba Liepa"]  # the names shown before are gone
    assert later.inline_keyboard[0][0].text == "Baiba Liepa"
