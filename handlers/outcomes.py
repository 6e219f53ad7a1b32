"""Staff: how a student's semester ended, from the "Outcome" button under their plan."""

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import EARLY_LEAVING_REASONS, LEFT_EARLY, OUTCOMES
from core.formatting import semester_text
from core.iap_view import outcome_text
from core.ids import Id
from core.services.outcomes import plan_outcome_target, record_plan_outcome
from handlers.callbacks import OutcomeAsk
from handlers.filters import IsStaff
from handlers.names import full_name
from handlers.next_taps import card, menu, next_taps, to_plan
from handlers.pickers import buttons, entry_label, mark_chosen
from handlers.replies import tapped


class OcPick(CallbackData, prefix="ocp"):
    iap_id: Id
    outcome: str


class OcReason(CallbackData, prefix="ocr"):
    iap_id: Id
    reason: str


async def outcome_asked(
    callback: CallbackQuery, callback_data: OutcomeAsk, actor: Actor, i18n: I18n
) -> None:
    """The plan's student and semester, and the outcomes to choose from."""
    student, semester = await plan_outcome_target(actor, callback_data.iap_id)
    await callback.answer()
    question = _("{name}: how did the semester {semester} end?").format(
        name=full_name(student),
        semester=semester_text(semester, i18n.current_locale),
    )
    items = [
        (entry_label(entry), OcPick(iap_id=callback_data.iap_id, outcome=entry.code))
        for entry in OUTCOMES
    ]
    await tapped(callback).answer(question, reply_markup=buttons(items, 2))


async def outcome_picked(
    callback: CallbackQuery, callback_data: OcPick, actor: Actor, i18n: I18n
) -> None:
    """Left early asks why; any other outcome is recorded at once."""
    if callback_data.outcome != LEFT_EARLY:
        await _record(callback, actor, i18n, callback_data.iap_id, callback_data.outcome)
        return
    await plan_outcome_target(actor, callback_data.iap_id)
    await mark_chosen(callback, entry_label(OUTCOMES[LEFT_EARLY]))
    items = [
        (entry_label(entry), OcReason(iap_id=callback_data.iap_id, reason=entry.code))
        for entry in EARLY_LEAVING_REASONS
    ]
    await tapped(callback).answer(_("Why did the student leave?"), reply_markup=buttons(items))


async def reason_picked(
    callback: CallbackQuery, callback_data: OcReason, actor: Actor, i18n: I18n
) -> None:
    await _record(callback, actor, i18n, callback_data.iap_id, LEFT_EARLY, callback_data.reason)


async def _record(
    callback: CallbackQuery,
    actor: Actor,
    i18n: I18n,
    iap_id: int,
    outcome: str,
    reason: str | None = None,
) -> None:
    recorded = await record_plan_outcome(actor, iap_id, outcome, reason)
    what = outcome_text(recorded.outcome, recorded.reason, i18n.current_locale)
    await mark_chosen(callback, what)
    taps = next_taps(actor, to_plan(iap_id), card(recorded.student_id), menu())
    await tapped(callback).answer(
        _("Outcome recorded: {outcome}").format(outcome=what), reply_markup=taps
    )


def create_router() -> Router:
    router = Router(name="outcomes")
    router.callback_query.register(outcome_asked, OutcomeAsk.filter(), IsStaff)
    router.callback_query.register(outcome_picked, OcPick.filter(), IsStaff)
    router.callback_query.register(reason_picked, OcReason.filter(), IsStaff)
    return router
