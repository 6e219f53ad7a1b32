"""Typed text the bot cannot keep (NUL, direction overrides): a clear answer, the step goes on."""

import pytest

from core.clock import today
from core.services import iaps, people, signals
from storage.models import Consultation, Iap, IapTransition, PeerActivity, RiskSignal
from tests.bot.conftest import make_simulator
from tests.world import teacher_at

CANNOT_SAVE_LV = (
    "Tekstā ir rakstzīme, ko nevar saglabāt: {char} (vadības vai teksta virziena rakstzīme). "
    "Lūdzu, izdzēsiet to un mēģiniet vēlreiz."
)
CANNOT_SAVE_RU = (
    "В тексте есть символ, который нельзя сохранить: {char} (управляющий символ или символ "
    "направления текста). Пожалуйста, удалите его и попробуйте ещё раз."
)


@pytest.fixture
async def sim(db, redis):
    """These conversations are long: a flood limit no test reaches."""
    return await make_simulator(redis, flood_limit=1000)


def labels(sent) -> list[str]:
    return [text for text, _ in sent.buttons()]


async def test_a_student_search_with_a_nul_is_refused_and_can_be_typed_again(sim, world):
    teacher = sim.user(101)
    await teacher.send("/risk")
    refused = await teacher.send("Anna\x00")
    assert refused[-1].text == CANNOT_SAVE_LV.format(char="U+0000")
    found = await teacher.send("Anna")
    assert labels(found[-1]) == ["Anna Kalnina · 7.a"]

    coordinator = sim.user(104)
    await coordinator.send("/iap")
    refused = await coordinator.send("Oz\u202eols")
    assert refused[-1].text == CANNOT_SAVE_LV.format(char="U+202E")


async def test_a_topic_with_a_nul_is_asked_again_and_nothing_saved(sim, world):
    teacher = sim.user(101)
    await teacher.send("/consult")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("Psihologs")
    await teacher.press("Vakar")
    await teacher.press("45 min")
    await teacher.press("Attālināti")
    refused = (await teacher.send("Mācību\x00 motivācija"))[-1]
    assert refused.text.startswith(CANNOT_SAVE_LV.format(char="U+0000"))
    assert "Ierakstiet tēmu" in refused.text and labels(refused) == ["Izlaist"]
    assert await Consultation.all().count() == 0

    await teacher.send("Mācību\u200b motivācija")
    [consultation] = await Consultation.all()
    assert consultation.topic == "Mācību motivācija"  # the zero-width space is dropped


async def test_a_note_with_a_direction_override_is_asked_again_in_russian(sim, world):
    await people.set_locale(world.teacher_a.id, "ru")
    teacher = sim.user(101)
    await teacher.send("/risk")
    await teacher.send("ozol")
    await teacher.press("Janis Ozols")
    await teacher.press("Риски, связанные с учёбой")
    await teacher.press("Проблемы с поведением")
    refused = (await teacher.send("Спорит \u202eс учителями"))[-1]
    assert refused.text.startswith(CANNOT_SAVE_RU.format(char="U+202E"))
    assert "Добавить заметку?" in refused.text

    summary = await teacher.send("Спорит с учителями")
    assert "Заметка: Спорит с учителями" in summary[-1].text
    await teacher.press("Сохранить")
    [signal] = await RiskSignal.all()
    assert signal.note == "Спорит с учителями"


async def test_an_activity_title_with_a_nul_is_refused(sim, world):
    volunteer = sim.user(109)
    await volunteer.send("/activity")
    refused = await volunteer.send("Galda\x00 spēles")
    assert refused[-1].text == CANNOT_SAVE_LV.format(char="U+0000")
    asked = await volunteer.send("Galda spēles")
    assert "Kad tā notika?" in asked[-1].text
    assert not await PeerActivity.exists()


async def test_a_return_comment_with_a_nul_is_refused_and_the_plan_stays(sim, world):
    preparer = await teacher_at(world.school_v, "Teacher V", 120)
    student = world.student_v1
    await signals.record_risk_signal(preparer, student.id, "low_achievement")
    iap = await iaps.open_iap(preparer, student.id)
    await iaps.add_measure(
        preparer,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=4,
        risk_factors=["low_achievement"],
    )
    await iaps.record_consent(preparer, iap.id, given=True, method="paper", signed_on=today())
    await iaps.submit_for_approval(preparer, iap.id)

    coordinator = sim.user(105)
    await coordinator.send("/pending")
    await coordinator.press("Atgriezt")
    refused = await coordinator.send("Pievienojiet\x00 konsultācijas.")
    assert refused[-1].text == CANNOT_SAVE_LV.format(char="U+0000")
    assert (await Iap.get(id=iap.id)).status == "in_approval"

    await coordinator.send("Pievienojiet konsultācijas.")
    assert (await Iap.get(id=iap.id)).status == "draft"
    transition = await IapTransition.filter(iap_id=iap.id).order_by("-id").first()
    assert transition.comment == "Pievienojiet konsultācijas."
