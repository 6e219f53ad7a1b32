"""Buttons that pick something (a school, a class, an item of a list), shared by the flows."""

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Protocol, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from cachetools import TTLCache

from core import i18n
from core.access import Actor
from core.catalogues import Entry
from core.errors import AccessDenied
from core.services.schools import list_schools
from handlers.markup import appended
from handlers.replies import edit_or_keep, tapped

CLASSES_PER_ROW = 4
T = TypeVar("T")


class Named(Protocol):
    """A school or a class as the core lists them."""

    id: int
    name: str


Data = CallbackData | str  # a button's callback data, or it already packed


async def school_to_open(actor: Actor) -> tuple[int | None, Sequence[Named]]:
    """The school a flow opens without asking, when the actor has one (a teacher of one school:
    not even read), else None and the schools to choose from (none at all: an empty list)."""
    if actor.only_school is not None:
        return actor.only_school, []
    schools = await list_schools(actor)
    if len(schools) == 1:
        return schools[0].id, schools
    return None, schools


def school_buttons(
    schools: Iterable[Named], data: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    """A school a row; `data` makes each button's callback from the school's id."""
    return buttons([(school.name, data(school.id)) for school in schools])


def class_buttons(
    classes: Iterable[Named], data: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    """Classes four a row; `data` makes each button's callback from the class's id."""
    items = [(school_class.name, data(school_class.id)) for school_class in classes]
    return buttons(items, CLASSES_PER_ROW)


@lru_cache(maxsize=8192)
def student_data(kind: Callable[..., CallbackData], student_id: int) -> str:
    """`kind(student_id=student_id).pack()`, kept: a class's list packs each of its students'
    again on every tap of the everyday flows (a few microseconds each)."""
    return kind(student_id=student_id).pack()


def entry_label(entry: Entry) -> str:
    """The text of a button that picks a catalogue entry: its short label when the official
    name is too long for a phone (plans, PDFs and reports keep the official name)."""
    return entry.button_text(get_i18n().current_locale)


def pgettext(context: str, message: str) -> str:
    """A message with a gettext context, e.g. `pgettext("button", "Submit for approval")`, in
    the reader's language (aiogram's i18n has no pgettext)."""
    return i18n.pgettext(context, message, get_i18n().current_locale)


def buttons(items: Sequence[tuple[str, Data]], width: int = 1) -> InlineKeyboardMarkup:
    """`width` buttons a row."""
    return button_rows(in_rows(items, width))


def in_rows(items: Sequence[T], width: int) -> list[list[T]]:
    """The items (buttons, or (text, callback data) pairs for `button_rows`), `width` a row,
    for a keyboard with rows of one's own after them."""
    return [list(items[start : start + width]) for start in range(0, len(items), width)]


def button_rows(rows: Iterable[Sequence[tuple[str, Data]]]) -> InlineKeyboardMarkup:
    """Rows of (text, callback data) buttons. Built directly: aiogram's keyboard builder copies
    the whole keyboard on every button, a class of 25 students about 6,000 deep copies."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(text, data) for text, data in row] for row in rows]
    )


def button(text: str, data: Data) -> InlineKeyboardButton:
    """A button that sends `data` back when tapped. Kept for BUTTON_SECONDS: a class's list is
    drawn again on every tick, and pydantic makes a button slowly (its private attributes set
    one by one). Never written to: a button may be in several keyboards."""
    key = (text, data if isinstance(data, str) else data.pack())
    try:
        return _buttons[key]  # TTLCache.get would look the key up twice
    except KeyError:
        made = _buttons[key] = InlineKeyboardButton(text=key[0], callback_data=key[1])
        return made


def drop_expired_buttons() -> None:
    """Let the buttons past BUTTON_SECONDS go now, names with them (a TTLCache drops them when
    it is next written to)."""
    _buttons.expire()


BUTTON_SECONDS = 300
_buttons: TTLCache[tuple[str, str], InlineKeyboardButton] = TTLCache(
    maxsize=4096, ttl=BUTTON_SECONDS
)


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
