"""Callback data: short prefixes and ids only, never payloads (Telegram allows 64 bytes)."""

from aiogram.filters.callback_data import CallbackData

from core.ids import Id


class Menu(CallbackData, prefix="m"):
    """A menu button: starts the flow of `action` (handlers/common.py MENU); "menu" shows the
    menu itself. The taps that end a flow reuse these (handlers/next_taps.py)."""

    action: str


class Language(CallbackData, prefix="lang"):
    code: str


class Quiet(CallbackData, prefix="quiet"):
    code: str


class StudentAction(CallbackData, prefix="sa"):
    """A button on a student's card: start a flow for this student.

    action: "risk" (handlers/risk.py), "consult" (handlers/consultations.py),
    "need" (handlers/needs.py), "card" (handlers/students.py: show the card again).
    """

    action: str
    student_id: Id


class PlanOpen(CallbackData, prefix="plan"):
    """Show a support plan as its own message, with what the reader may do next with it.

    Handled in handlers/plans.py; other flows (a returned plan, a reminder) link to it.
    """

    iap_id: Id


class PlanPdf(CallbackData, prefix="pdf"):
    """Send the printable A4 PDF of a support plan (handlers/plan_pdf.py)."""

    iap_id: Id


class OutcomeAsk(CallbackData, prefix="oc"):
    """Record how the semester of a plan's student ended (handlers/outcomes.py)."""

    iap_id: Id
