"""The "PDF" button under a plan: the bot sends the A4 plan in the person's language."""

from aiogram.methods import SendDocument

from bot.session import Sent
from core.services.people import set_locale
from handlers.approvals import PlanAction
from handlers.callbacks import PlanPdf
from tests.pdf_text import is_a4, pdf_text
from tests.staff_words import COMMENT, EVALUATION, PAUSE, STAFF_WORDS, plan_with_staff_words

PDF_BUTTON = "PDF drukāšanai"


def an_old_message(user) -> Sent:
    """A message of the bot's the user taps a button on (a list of plans, an old plan)."""
    return Sent(chat_id=user.id, message_id=1, text="…", keyboard=None)


def last_document(sim) -> SendDocument:
    return next(call for call in reversed(sim.session.calls) if isinstance(call, SendDocument))


async def test_a_coordinator_taps_pdf_under_the_plan_and_gets_the_document(sim, world):
    iap_id = await plan_with_staff_words(world)
    coordinator = sim.user(104)
    plan = (await coordinator.send("/iap kalnin"))[-1]
    assert plan.text.startswith("Atbalsta plāns (IAP): Anna Kalnina")
    assert (PDF_BUTTON, PlanPdf(iap_id=iap_id).pack()) in plan.buttons()

    replies = await coordinator.press(PDF_BUTTON)

    assert [sent.document for sent in replies] == [True]
    assert replies[0].text == "Atbalsta plāns: Anna Kalnina. Izdrukājiet un parakstiet to."
    document = last_document(sim).document
    assert document.filename.startswith("IAP_Kalnina_") and document.filename.endswith(".pdf")
    assert is_a4(document.data)
    text = pdf_text(document.data)
    assert "Individuālais atbalsta plāns" in text
    for words in (COMMENT, PAUSE, EVALUATION):
        assert words in text


async def test_the_plan_read_from_pending_has_the_pdf_button_too(sim, world):
    iap_id = await plan_with_staff_words(world)
    coordinator = sim.user(104)
    read = PlanAction(action="read", iap_id=iap_id).pack()
    plan = (await coordinator.press_data(read, an_old_message(coordinator)))[-1]
    assert (PDF_BUTTON, PlanPdf(iap_id=iap_id).pack()) in plan.buttons()


async def test_a_parent_gets_their_childs_pdf_without_staff_words_in_their_language(sim, world):
    await plan_with_staff_words(world)
    parent = sim.user(108)
    await parent.send("/needs")
    await parent.press("Skatīt plānu")

    await parent.press(PDF_BUTTON)
    text = pdf_text(last_document(sim).document.data)
    assert "Individuālais atbalsta plāns" in text and "Psihologs" in text
    for words in STAFF_WORDS:
        assert words not in text

    await set_locale(world.parent_a1.id, "ru")
    await parent.press(PDF_BUTTON)
    assert "Индивидуальный план поддержки" in pdf_text(last_document(sim).document.data)


async def test_another_familys_plan_is_not_found_and_nothing_is_sent(sim, world):
    iap_id = await plan_with_staff_words(world)
    other_school = sim.user(103)  # Teacher B, of another school
    forged = PlanPdf(iap_id=iap_id).pack()
    replies = await other_school.press_data(forged, an_old_message(other_school))
    assert replies == []
    assert other_school.alerts == ["Nav atrasts."]
    assert not any(isinstance(call, SendDocument) for call in sim.session.calls)
