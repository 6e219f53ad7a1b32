"""The taps under the message that ends a flow: the next useful ones (another of the same, the
student's card, the plan, the menu) instead of a bare result.

Each tap reuses the callback data of an existing entry point (a menu button, a card's button,
a plan's), so it starts exactly what the menu or the card starts. A tap is shown only to a
person whose roles its handler takes (the same filter the handler is registered with).
"""

from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import PROGRAMME_ADMIN, ROLES
from handlers.callbacks import Menu, PlanOpen, StudentAction
from handlers.filters import HasRole, IsStaff
from handlers.pickers import buttons, pgettext

MENU = "menu"  # Menu(action=MENU): the menu itself (handlers/common.py)
# The roles the menu has something for: everyone but the programme administrator, whose
# administration is at the command line and the API (handlers/common.py MENU).
HasAMenu = HasRole(*(role for role in ROLES.codes() if role != PROGRAMME_ADMIN))


@dataclass(frozen=True)
class Tap:
    """A button to show after a flow: its label, the entry point's data, whose handler takes it."""

    label: str
    data: CallbackData
    who: HasRole | None = None  # None: anyone who got this far


def another(label: str, action: str, who: HasRole) -> Tap:
    """Start the flow again, as its menu button does (`action` is the menu's, e.g. "absent")."""
    return Tap(label, Menu(action=action), who)


def card(student_id: int) -> Tap:
    """The student's card, as a card's own button shows it again."""
    return Tap(
        pgettext("button", "Student card"),
        StudentAction(action="card", student_id=student_id),
        IsStaff,
    )


def to_plan(iap_id: int) -> Tap:
    """Back to the plan's own message, with its steps."""
    return Tap(_("Back to the plan"), PlanOpen(iap_id=iap_id))


def menu() -> Tap:
    return Tap(pgettext("button", "Menu"), Menu(action=MENU), HasAMenu)


def next_taps(actor: Actor, *taps: Tap) -> InlineKeyboardMarkup | None:
    """The taps this person may use, two a row; None when there is none."""
    shown = [(tap.label, tap.data) for tap in taps if tap.who is None or tap.who.allows(actor)]
    return buttons(shown, 2) if shown else None
