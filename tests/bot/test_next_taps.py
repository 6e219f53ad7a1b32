"""No dead ends: the message that ends a flow offers the next useful taps, and each tap starts
what the menu or the card starts (handlers/next_taps.py)."""

from datetime import date

import pytest

from bot.i18n import create_i18n
from core import clock
from core.services import iaps
from handlers.callbacks import Menu, StudentAction
from handlers.next_taps import HasAMenu
from storage.models import Iap
from tests.bot.conftest import make_simulator
from tests.bot.test_needs import an_old_message, ask, deliver
from tests.core.test_reports import busy_semester
from tests.world import submitted_plan

FRIDAY = date(2026, 2, 27)  # a school day with the two weeks before it (tests/bot/test_absences.py)
MENU_LV = "Ko vēlaties darīt?"
CARD_LV = "Skolēna kartīte"


def taps(sent) -> list[str]:
    return [text for text, _ in sent.buttons()]


@pytest.fixture
async def sim(db, redis):
    """Whole flows, one after another: a flood limit no test reaches."""
    return await make_simulator(redis, flood_limit=1000)


async def shows_the_card_of(user, name: str) -> None:
    card = (await user.press(CARD_LV))[-1]
    assert card.text.startswith(f"{name}\n")
    assert "Identificētie riski:" in card.text
    assert "Reģistrēt signālu" in taps(card)


async def test_after_absences_of_one_student_another_round_their_card_or_the_menu(
    sim, world, monkeypatch
):
    monkeypatch.setattr(clock, "today", lambda: FRIDAY)
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("2")
    saved = (await teacher.press("Saglabāt"))[-1]
    assert taps(saved) == ["Atzīmēt vēl kavējumus", CARD_LV, "Izvēlne"]

    again = (await teacher.press("Atzīmēt vēl kavējumus"))[-1]
    assert again.text == "Kurā klasē atzīmēt kavējumus?"  # as the menu's "Mark absences" starts
    await shows_the_card_of(teacher, "Anna Kalnina")
    menu = (await teacher.press("Izvēlne"))[-1]
    assert menu.text == MENU_LV
    assert taps(menu)[:2] == ["Atzīmēt kavējumus", "Reģistrēt riska signālu"]


async def test_after_a_risk_signal_another_one_or_the_card(sim, world):
    teacher = sim.user(101)
    await teacher.send("/risk")
    await teacher.press("7.a")
    await teacher.press("Janis Ozols")
    await teacher.press_data("rs_g:family")
    await teacher.press_data("rs_f:parents_abroad")
    await teacher.press_data("rs_a:skip")
    saved = (await teacher.press_data("rs_a:save"))[-1]
    assert taps(saved) == ["Atsaukt", "Vēl viens signāls", CARD_LV, "Izvēlne"]

    again = (await teacher.press("Vēl viens signāls"))[-1]
    assert again.text.startswith("Par kuru skolēnu ir riska signāls?")
    await shows_the_card_of(teacher, "Janis Ozols")


async def test_after_a_consultation_another_one_or_the_card(sim, world):
    teacher = sim.user(101)
    await teacher.send("/consult")
    await teacher.press("7.a")
    await teacher.press("Anna")
    await teacher.press("Pedagogs")
    await teacher.press("Šodien")
    await teacher.press("45")
    await teacher.press("Klātienē")
    saved = (await teacher.press("Izlaist"))[-1]
    assert saved.text.startswith("Konsultācija saglabāta: Anna Kalnina.")
    assert taps(saved) == ["Vēl viena konsultācija", CARD_LV, "Izvēlne"]

    again = (await teacher.press("Vēl viena konsultācija"))[-1]
    assert "Izvēlieties klasi" in again.text
    await shows_the_card_of(teacher, "Anna Kalnina")


async def test_the_parent_reads_the_plan_after_answering_and_staff_see_the_card_after_asking(
    sim, world
):
    i18n = create_i18n()
    teacher, parent = sim.user(101), sim.user(108)
    await ask(teacher, world.student_a1.id, "Dienesta viesnīca")
    assert taps(teacher.last) == [CARD_LV, "Izvēlne"]
    await shows_the_card_of(teacher, "Anna Kalnina")
    await deliver(sim, i18n)
    await parent.press("Nē")
    assert taps(parent.last) == ["Skatīt plānu", "Atbalsta vajadzības"]  # no staff card
    needs = await parent.press("Atbalsta vajadzības")
    assert needs[0].text.startswith("Atbalsta vajadzības\nSkolēns: Anna Kalnina")

    plan = await iaps.open_iap(world.teacher_a, world.student_a1.id)
    await teacher.press_data(StudentAction(action="card", student_id=world.student_a1.id).pack())
    await teacher.press("Lūgt piekrišanu")
    assert taps(teacher.last) == ["Atpakaļ uz plānu", "Izvēlne"]
    await deliver(sim, i18n)
    await parent.press("Piekrist")
    assert parent.last.text.endswith("Jūsu piekrišana ir reģistrēta.")
    assert taps(parent.last) == ["Skatīt plānu", "Atbalsta vajadzības"]
    read = await parent.press("Skatīt plānu")
    assert read[0].text.startswith("Atbalsta plāns (IAP): Anna Kalnina")
    assert (await Iap.get(id=plan.id)).consent == "given"


async def test_after_an_activity_another_one_or_the_volunteers_menu(sim, world):
    volunteer = sim.user(109)
    await volunteer.send("/activity")
    await volunteer.send("Galda spēles")
    await volunteer.press("Vakar")
    await volunteer.press("Visa pašvaldība")
    await volunteer.press("Darbnīca")
    for answer in ("12", "3", "1,5"):
        await volunteer.send(answer)
    await volunteer.press("Izlaist")
    saved = (await volunteer.press("Saglabāt"))[-1]
    assert saved.text.startswith("Saglabāts: „Galda spēles“")
    assert taps(saved) == ["Vēl viena aktivitāte", "Izvēlne"]  # no student card for a volunteer

    again = (await volunteer.press("Vēl viena aktivitāte"))[-1]
    assert again.text.startswith("Kas bija aktivitāte?")
    await volunteer.send("/cancel")
    menu = (await volunteer.press_data(Menu(action="menu").pack(), saved))[-1]
    assert taps(menu) == ["Reģistrēt aktivitāti", "Manas aktivitātes"]


async def test_a_coordinator_goes_on_after_signing_and_after_an_invite(sim, world):
    await submitted_plan(world.student_a1, world.teacher_a)
    coordinator = sim.user(104)
    await coordinator.send("/pending")
    signed = (await coordinator.press("Saskaņot"))[-1]
    assert taps(signed) == ["Gaida mani", "Izvēlne"]
    waiting = await coordinator.press("Gaida mani")
    assert waiting[-1].text == "Pašlaik nekas negaida Jūsu rīcību."  # the one plan moved on

    await coordinator.send("/invite")
    issued = (await coordinator.press("Pedagogs"))[-1]
    assert issued.text.startswith("Ielūgums: Pedagogs")
    assert taps(issued) == ["Vēl viens ielūgums", "Izvēlne"]
    again = (await coordinator.press("Vēl viens ielūgums"))[-1]
    assert again.text == "Ko vēlaties uzaicināt?"


async def test_after_an_outcome_back_to_the_plan_or_the_card(sim, world):
    await busy_semester(world)
    coordinator = sim.user(104)
    await coordinator.send("/iap liepa")
    await coordinator.press("Rezultāts")
    done = (await coordinator.press("Turpina mācības"))[-1]
    assert done.text.startswith("Rezultāts reģistrēts:")
    assert taps(done) == ["Atpakaļ uz plānu", CARD_LV, "Izvēlne"]
    plan = await coordinator.press("Atpakaļ uz plānu")
    assert plan[0].text.startswith("Atbalsta plāns (IAP): Marta Liepa")
    await shows_the_card_of(coordinator, "Marta Liepa")


async def test_the_report_ends_with_the_menu_but_not_for_the_administrator(sim, world):
    coordinator, admin = sim.user(104), sim.user(111)
    assert taps((await coordinator.send("/report"))[-1]) == ["Izvēlne"]
    section = (await admin.send("/report"))[-1]
    assert section.text.startswith("Vai pasākumi palīdzēja?")
    assert taps(section) == []  # the administrator's menu has nothing to tap


async def test_the_digest_ends_with_another_week_or_the_menu(sim, world):
    coordinator = sim.user(104)
    await coordinator.send("/digest")
    chart = (await coordinator.press("Šī nedēļa"))[-1]
    assert chart.photo and taps(chart) == ["Cita nedēļa", "Izvēlne"]
    again = (await coordinator.press("Cita nedēļa"))[-1]
    assert again.text == "Kuras nedēļas kopsavilkumu?"


async def test_a_language_change_ends_with_the_menu_in_the_new_language(sim, world):
    teacher = sim.user(101)
    await teacher.send("/language")
    done = (await teacher.press("Русский"))[-1]
    assert taps(done) == ["Меню"]
    assert (await teacher.press("Меню"))[-1].text == "Что Вы хотите сделать?"


async def test_a_menu_tap_from_someone_unknown_says_how_to_join(sim, world):
    outsider = sim.user(110)
    await outsider.send("/start")
    replies = await outsider.press_data(Menu(action="menu").pack(), an_old_message(outsider))
    assert "ielūguma saiti" in replies[-1].text


def test_everyone_with_a_menu_gets_the_menu_tap():
    from handlers.common import MENU

    assert HasAMenu.roles == {role for role, actions in MENU.items() if actions}
