"""The printable plan: a "PDF" button under a plan sends its A4 PDF in the reader's language."""

from aiogram import Router
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import PARENT
from core.iap import assemble_iap
from core.iap_pdf import iap_pdf, pdf_filename
from handlers.callbacks import PlanPdf
from handlers.filters import STAFF, HasRole
from handlers.replies import tapped


async def send_pdf(
    callback: CallbackQuery, callback_data: PlanPdf, actor: Actor, i18n: I18n
) -> None:
    """The plan as this person may read it (a parent's copy has no staff comments)."""
    plan = await assemble_iap(actor, callback_data.iap_id)
    await callback.answer()
    document = BufferedInputFile(
        await iap_pdf(plan, i18n.current_locale), filename=pdf_filename(plan)
    )
    caption = _("Support plan: {name}. Print it and sign it.").format(
        name=f"{plan.first_name} {plan.last_name}"
    )
    await tapped(callback).answer_document(document, caption=caption)


def create_router() -> Router:
    router = Router(name="plan_pdf")
    router.callback_query.register(send_pdf, PlanPdf.filter(), HasRole(*STAFF, PARENT))
    return router
