"""Support needs through the bot: staff ask, the outbox delivers, the parent answers or consents."""

from datetime import date, datetime, time, timedelta

import pytest
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from babel.dates import get_month_names

from bot.i18n import create_i18n
from bot.sender import send_due
from bot.session import Sent
from core.clock import RIGA, Semester, today
from core.services import iaps, needs, outbox, people
from core.services.people import set_locale
from core.services.privacy import erase_student
from handlers.callbacks import Menu, StudentAction
from handlers.needs import ChildPlan, Consent, NeedMonth, NeedReply, NeedSave, NeedType
from storage.models import Iap, Membership, OutboxItem, Person, SupportNeed
from tests.staff_words import COMMENT, EVALUATION, PAUSE, STAFF_WORDS, plan_with_staff_words

MONTHS = Semester.current().months()


@pytest.fixture
def i18n():
    return create_i18n()


def riga(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=RIGA)


async def deliver(sim, i18n) -> int:
    """Run the sender at noon tomorrow: whatever was queued until now is due, quiet hours or not."""
    return await send_due(sim.bot, i18n, now=riga(today() + timedelta(days=1), 12))


def month(number: int, locale: str) -> str:
    return get_month_names("wide", context="stand-alone", locale=locale)[number]


def an_old_message(user) -> Sent:
    """A message of the bot's the user taps a button on (a student's card, an old question)."""
    return Sent(chat_id=user.id, message_id=1, text="…", keyboard=None)


async def tap_need(user, student_id: int) -> list[Sent]:
    """Tap "need" on a student's card (the card itself is handlers/students.py's)."""
    data = StudentAction(action="need", student_id=student_id).pack()
    return await user.press_data(data, an_old_message(user))


async def ask(teacher, student_id: int, support: str) -> None:
    """The teacher taps "need" on the student's card, then the support type."""
    await tap_need(teacher, student_id)
    await teacher.press(support)


async def test_round_trip_in_latvian_with_months_and_route(sim, world, i18n):
    teacher, parent = sim.user(101), sim.user(108)
    replies = await tap_need(teacher, world.student_a1.id)
    assert "Skolēns: Anna Kalnina" in replies[-1].text
    assert "Ēdināšana" in [text for text, _ in replies[-1].buttons()]
    typed = await teacher.send("transports")  # typed instead of tapped: the buttons still wait
    assert typed[-1].text.startswith("Lūdzu, izvēlieties kādu no pogām augstāk")
    replies = await teacher.press("Transporta biļetes")
    assert "Jautājums vecākam nosūtīts: Transporta biļetes" in replies[-1].text
    need = await SupportNeed.get(student_id=world.student_a1.id)
    assert (need.status, need.support_type, need.asked_by_id) == (
        "asked",
        "transport_tickets",
        world.teacher_a.id,
    )
    assert parent.inbox == []  # nothing reaches the parent until the sender runs

    assert await deliver(sim, i18n) == 1
    question = parent.last
    assert "Jautājums no skolas" in question.text
    assert "Skolēns: Anna Kalnina" in question.text
    assert "norādīsiet maršrutu" in question.text
    assert [text for text, _ in question.buttons()] == ["Jā", "Nē"]
    assert await deliver(sim, i18n) == 0  # sent once

    await parent.press("Jā")
    assert "Kuros mēnešos" in parent.last.text
    assert [text for text, _ in parent.last.buttons()] == [
        *(month(m, "lv").capitalize() for m in MONTHS),
        "Gatavs",
    ]
    await parent.press("Gatavs")  # nothing ticked
    assert parent.alerts[-1] == "Izvēlieties šī semestra mēnešus, kuros atbalsts ir nepieciešams."
    await parent.press(month(MONTHS[0], "lv").capitalize())
    await parent.press(month(MONTHS[1], "lv").capitalize())
    await parent.press(month(MONTHS[2], "lv").capitalize())
    await parent.press(month(MONTHS[2], "lv").capitalize())  # ticked off again
    assert parent.last.edited
    ticked = [text for text, _ in parent.last.buttons() if text.startswith("✓")]
    assert ticked == [f"✓ {month(m, 'lv').capitalize()}" for m in MONTHS[:2]]
    assert "Atzīmējiet mēnešus" in (await parent.send("septembris"))[-1].text
    assert "Atzīmējiet mēnešus" in (await parent.send_photo())[-1].text
    await parent.press("Gatavs")
    assert "Ierakstiet maršrutu" in parent.last.text

    assert "kā tekstu" in (await parent.send_photo())[-1].text
    assert "Norādiet maršrutu" in (await parent.send("   "))[-1].text
    assert "ne vairāk kā 300" in (await parent.send("x" * 301))[-1].text
    replies = await parent.send("Ezerkalne – Rīga, autobuss")
    summary = replies[-1].text
    assert "Lūdzu, pārbaudiet" in summary
    assert f"Mēneši: {month(MONTHS[0], 'lv')}, {month(MONTHS[1], 'lv')}" in summary
    assert "Maršruts: Ezerkalne – Rīga, autobuss" in summary
    assert "nospiediet" in (await parent.send("jā"))[-1].text
    assert (await SupportNeed.get(id=need.id)).status == "asked"  # nothing saved before Save

    replies = await parent.press("Saglabāt")
    assert "Jūsu atbilde ir saglabāta" in replies[-1].text
    need = await SupportNeed.get(id=need.id)
    assert (need.status, need.months, need.details, need.answered_by_id) == (
        "confirmed",
        MONTHS[:2],
        "Ezerkalne – Rīga, autobuss",
        world.parent_a1.id,
    )

    before = len(teacher.inbox)
    assert await deliver(sim, i18n) == 1
    assert len(teacher.inbox) == before + 1
    told = teacher.last.text
    assert "Vecāks apstiprināja vajadzību: Transporta biļetes." in told
    assert "Skolēns: Anna Kalnina" in told
    assert "Maršruts: Ezerkalne – Rīga, autobuss" in told

    # The old buttons: the question is answered, the flow's buttons are gone.
    await parent.press("Nē")
    assert parent.alerts[-1] == "Uz šo jautājumu jau ir atbildēts."
    await parent.press_data(NeedSave(save=True).pack())
    assert parent.alerts[-1].startswith("Šī poga vairs nav aktīva")
    await parent.press_data(NeedMonth(month=MONTHS[0]).pack())
    assert parent.alerts[-1].startswith("Šī poga vairs nav aktīva")
    assert await SupportNeed.filter(status="confirmed").count() == 1


async def test_round_trip_in_russian(sim, world, i18n):
    await set_locale(world.teacher_a.id, "ru")
    await set_locale(world.parent_a1.id, "ru")
    teacher, parent = sim.user(101), sim.user(108)
    await ask(teacher, world.student_a1.id, "Питание")
    assert "Вопрос родителю отправлен: Питание" in teacher.last.text
    assert await deliver(sim, i18n) == 1
    assert "Вопрос от школы" in parent.last.text
    assert "Нужна ли Вашему ребёнку эта поддержка: Питание?" in parent.last.text
    assert "маршрут" not in parent.last.text

    await parent.press("Да")
    assert "В какие месяцы" in parent.last.text
    await parent.press("Готово")
    assert parent.alerts[-1] == "Выберите месяцы этого семестра, в которые нужна поддержка."
    await parent.press(month(MONTHS[-1], "ru").capitalize())
    replies = await parent.press("Готово")  # no route for meals: straight to the check
    assert "Пожалуйста, проверьте ответ" in replies[-1].text
    assert f"Месяцы: {month(MONTHS[-1], 'ru')}" in replies[-1].text
    await parent.press("Сохранить")
    assert "Ваш ответ сохранён" in parent.last.text
    need = await SupportNeed.get(student_id=world.student_a1.id)
    assert (need.status, need.months, need.details) == ("confirmed", [MONTHS[-1]], None)

    assert await deliver(sim, i18n) == 1
    assert "Родитель подтвердил потребность: Питание." in teacher.last.text
    assert f"Месяцы: {month(MONTHS[-1], 'ru')}" in teacher.last.text


async def test_each_side_reads_in_their_own_language_and_no_is_one_tap(sim, world, i18n):
    await set_locale(world.teacher_a.id, "ru")  # the parent stays Latvian
    teacher, parent = sim.user(101), sim.user(108)
    await ask(teacher, world.student_a1.id, "Общежитие")
    await deliver(sim, i18n)
    assert "Vai Jūsu bērnam ir nepieciešams šis atbalsts: Dienesta viesnīca?" in parent.last.text
    replies = await parent.press("Nē")
    assert "šis atbalsts nav nepieciešams" in replies[-1].text
    assert replies[-1].edited  # the question's Yes / No are gone; what to read next instead
    assert [t for t, _ in replies[-1].buttons()] == ["Skatīt plānu", "Atbalsta vajadzības"]
    need = await SupportNeed.get(student_id=world.student_a1.id)
    assert (need.status, need.months) == ("declined", [])
    await deliver(sim, i18n)
    assert "Родитель ответил, что эта поддержка не нужна: Общежитие." in teacher.last.text

    await parent.press_data(NeedReply(need_id=need.id, yes=True).pack())  # a double answer
    assert parent.alerts[-1] == "Uz šo jautājumu jau ir atbildēts."


async def test_abandoned_flow_loses_nothing_and_the_parent_can_start_again(sim, world, i18n):
    parent = sim.user(108)
    await ask(sim.user(101), world.student_a1.id, "Ēdināšana")
    await deliver(sim, i18n)
    await parent.press("Jā")
    await parent.press(month(MONTHS[0], "lv").capitalize())
    await parent.press("Gatavs")
    await parent.press("Atcelt")
    assert "Nekas netika saglabāts" in parent.last.text
    assert (await SupportNeed.get(student_id=world.student_a1.id)).status == "asked"
    await parent.send("/cancel")
    await parent.press("Jā")  # the question's buttons still work
    assert "Kuros mēnešos" in parent.last.text


async def test_a_parent_forgotten_mid_flow_is_answered_as_a_stranger(sim, world, i18n):
    """The only child is erased while the parent answers: the next tap is stale, the next text a
    stranger's; no error, and nothing of the flow is kept."""
    parent = sim.user(108)
    await ask(sim.user(101), world.student_a1.id, "Ēdināšana")
    await deliver(sim, i18n)
    await parent.press("Jā")
    await erase_student(world.student_a1.id)
    await parent.press(month(MONTHS[0], "lv").capitalize())
    assert parent.alerts[-1] == "Šī poga vairs nav aktīva. Sāciet no jauna izvēlnē /menu."
    reply = (await parent.send("Ezere – Rīga"))[-1].text
    assert "atveriet koordinatora atsūtīto ielūguma saiti" in reply
    flow = sim.dispatcher.fsm.get_context(sim.bot, chat_id=parent.id, user_id=parent.id)
    assert await flow.get_state() is None


async def test_when_the_other_parent_answers_first_the_flow_ends(sim, world, i18n):
    second = await Person.create(display_name="Parent A1 bis", telegram_id=5108, locale="ru")
    await Membership.create(person=second, role="parent", student=world.student_a1)
    await ask(sim.user(101), world.student_a1.id, "Ēdināšana")
    assert await deliver(sim, i18n) == 2  # each parent, in their own language
    parent, other = sim.user(108), sim.user(5108)
    assert "Нужна ли Вашему ребёнку" in other.last.text
    await parent.press("Jā")
    await parent.press(month(MONTHS[0], "lv").capitalize())
    await other.press("Нет")
    await parent.press("Gatavs")
    assert parent.alerts[-1] == "Uz šo jautājumu jau ir atbildēts."
    assert "/needs" in (await parent.send("Ezere – Rīga"))[-1].text  # the flow is over
    need = await SupportNeed.get(student_id=world.student_a1.id)
    assert (need.status, need.answered_by_id) == ("declined", second.id)


async def test_forged_and_unknown_needs_are_refused(sim, world, i18n):
    other_parent = await Person.create(display_name="Parent A2", telegram_id=5208)
    await Membership.create(person=other_parent, role="parent", student=world.student_a2)
    other_need = await needs.ask_parent_about_need(world.teacher_a, world.student_a2.id, "meals")
    parent = sim.user(108)
    forged = an_old_message(parent)
    await parent.press_data(NeedReply(need_id=other_need.id, yes=True).pack(), forged)
    assert parent.alerts[-1] == "Nav atrasts."  # not their child: as if there were none
    await parent.press_data(NeedReply(need_id=other_need.id, yes=False).pack(), forged)
    assert parent.alerts[-1] == "Nav atrasts."
    assert (await SupportNeed.get(id=other_need.id)).status == "asked"
    await parent.press_data(NeedReply(need_id=999_999, yes=False).pack(), forged)
    assert parent.alerts[-1] == "Nav atrasts."
    beyond = NeedReply(need_id=999_999, yes=False).pack().replace("999999", str(2**40))
    await parent.press_data(beyond, forged)  # no record can have such an id
    assert parent.alerts[-1].startswith("Šī poga vairs nav aktīva")

    teacher_b = sim.user(103)
    await tap_need(teacher_b, world.student_a1.id)
    assert teacher_b.alerts[-1] == "Nav atrasts."
    await tap_need(parent, world.student_a1.id)
    assert parent.alerts[-1].startswith("Šī poga vairs nav aktīva")  # not for parents
    teacher = sim.user(101)
    await teacher.press_data(NeedType(code="meals").pack(), an_old_message(teacher))  # no flow
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")


async def test_staff_are_told_when_the_student_has_no_parent_yet(sim, world):
    teacher = sim.user(101)
    await ask(teacher, world.student_a2.id, "Ēdināšana")
    assert "vēl nav pievienots neviens vecāks" in teacher.last.text
    assert await SupportNeed.all().count() == 0
    await teacher.press("Ēdināšana")  # the flow is over
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")


async def test_a_question_queued_at_half_past_ten_arrives_at_eight(sim, world, i18n):
    need = await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    await OutboxItem.all().delete()  # queue it again at a chosen moment instead
    evening = riga(today(), 22, 30)
    await outbox.enqueue(
        world.parent_a1.id,
        outbox.NEED_QUESTION,
        {"need_id": need.id},
        respect_quiet_hours=True,
        now=evening,
    )
    parent = sim.user(108)
    morning = riga(today() + timedelta(days=1), 8)
    assert await send_due(sim.bot, i18n, now=evening + timedelta(minutes=30)) == 0
    assert await send_due(sim.bot, i18n, now=morning - timedelta(minutes=1)) == 0
    assert parent.inbox == []
    assert await send_due(sim.bot, i18n, now=morning) == 1
    assert "Jautājums no skolas" in parent.last.text


async def test_sender_marks_what_could_not_be_sent(sim, world, i18n):
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    sim.session.fail = lambda method: (
        TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        if isinstance(method, SendMessage)
        else None
    )
    assert await deliver(sim, i18n) == 0
    item = await OutboxItem.get(kind="need_question")
    assert (item.status, item.attempts) == ("failed", 1)
    assert "bot was blocked by the user" in item.last_error

    sim.session.fail = None
    offline = await Person.create(display_name="Parent without Telegram")
    await Membership.create(person=offline, role="parent", student=world.student_a3)
    await needs.ask_parent_about_need(world.teacher_a, world.student_a3.id, "meals")
    assert await deliver(sim, i18n) == 0
    assert (await OutboxItem.get(recipient_id=offline.id)).last_error == "no Telegram account"


async def test_a_question_answered_before_it_goes_out_is_not_sent(sim, world, i18n):
    need = await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    await needs.answer_need(world.parent_a1, need.id, confirmed=False)
    assert await send_due(sim.bot, i18n, now=riga(today() + timedelta(days=1), 12)) == 1
    assert sim.user(108).inbox == []  # only the teacher's answer went out
    question = await OutboxItem.get(kind="need_question")
    assert (question.status, question.last_error) == ("failed", "obsolete: already answered")


async def test_consent_is_asked_and_given_through_the_bot(sim, world, i18n):
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id)
    teacher = sim.user(101)
    await teacher.send("/students")
    await teacher.press("Anna Kalnina")
    asked = await teacher.press("Lūgt piekrišanu")  # on the card of a draft without consent
    assert asked[-1].text == "Vecākiem nosūtīts lūgums dot piekrišanu plānam."
    parent = sim.user(108)
    assert await deliver(sim, i18n) == 1
    assert "Skola ir sagatavojusi Jūsu bērnam atbalsta plānu (IAP)." in parent.last.text
    assert [text for text, _ in parent.last.buttons()] == ["Piekrist", "Nepiekrist", "Skatīt plānu"]
    plan = (await parent.press("Skatīt plānu"))[-1]
    assert plan.text.startswith("Atbalsta plāns (IAP): Anna Kalnina")
    assert "Statuss: Projekts" in plan.text
    replies = await parent.press("Piekrist")
    assert "Jūsu piekrišana ir reģistrēta" in replies[-1].text
    iap = await Iap.get(id=iap.id)
    assert (iap.consent, iap.consent_by_id) == ("given", world.parent_a1.id)

    await iaps.add_measure(
        world.teacher_a,
        iap.id,
        kind="material",
        support_type="meals",
        planned_quantity=3,
        risk_factors=["material_conditions"],
    )
    await iaps.submit_for_approval(world.teacher_a, iap.id)
    await parent.press_data(Consent(iap_id=iap.id, given=False).pack())  # stale: not a draft
    assert parent.alerts[-1].startswith("Piekrišanu reģistrē, kamēr plāns")
    assert (await Iap.get(id=iap.id)).consent == "given"

    other = await iaps.open_iap(world.teacher_b, world.student_b1.id)
    await parent.press_data(Consent(iap_id=other.id, given=True).pack())  # another family
    assert parent.alerts[-1] == "Nav atrasts."
    assert (await Iap.get(id=other.id)).consent == "missing"


async def test_consent_refused_in_russian(sim, world, i18n):
    await set_locale(world.parent_a1.id, "ru")
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id)
    await needs.ask_parent_for_consent(world.teacher_a, iap.id)
    await deliver(sim, i18n)
    parent = sim.user(108)
    assert "Школа подготовила для Вашего ребёнка план поддержки (IAP)." in parent.last.text
    await parent.press("Отказаться")
    assert "Ваш отказ зарегистрирован" in parent.last.text
    assert (await Iap.get(id=iap.id)).consent == "refused"


async def test_needs_lists_answers_and_offers_open_questions_again(sim, world, i18n):
    parent = sim.user(108)
    replies = await parent.send("/needs")
    assert "Atbalsta vajadzības vēl nav reģistrētas." in replies[-1].text

    confirmed = await needs.ask_parent_about_need(
        world.teacher_a, world.student_a1.id, "transport_tickets"
    )
    await needs.answer_need(
        world.parent_a1, confirmed.id, confirmed=True, months=MONTHS[:1], details="Ezere – Rīga"
    )
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    replies = await parent.send("/needs")
    listing = replies[0].text
    assert "Skolēns: Anna Kalnina" in listing
    assert "• Transporta biļetes: Vecāks apstiprināja" in listing
    assert f"Mēneši: {month(MONTHS[0], 'lv')}" in listing
    assert "Maršruts: Ezere – Rīga" in listing
    assert "• Ēdināšana: gaida Jūsu atbildi" in listing
    assert "Jautājums no skolas" in replies[-1].text
    assert [text for text, _ in replies[-1].buttons()] == ["Jā", "Nē"]
    await parent.press("Jā")  # the parent starts themselves, no message from the sender needed
    assert "Kuros mēnešos" in parent.last.text

    await set_locale(world.parent_a1.id, "ru")
    replies = await parent.press_data(Menu(action="needs").pack())
    assert "Потребности в поддержке" in replies[0].text
    assert "Питание: ждёт Вашего ответа" in replies[0].text
    assert [text for text, _ in replies[-1].buttons()] == ["Да", "Нет"]

    teacher = await sim.user(101).send("/needs")  # not for staff
    assert "nav paredzēta Jūsu lomai" in teacher[-1].text


async def test_a_parent_reads_the_plan_from_needs_without_staff_words(sim, world):
    await plan_with_staff_words(world)
    parent = sim.user(108)
    await parent.send("/needs")
    plan = (await parent.press("Skatīt plānu"))[-1].text
    assert plan.startswith("Atbalsta plāns (IAP): Anna Kalnina")
    assert "Statuss: Apturēts" in plan
    assert "Uzvedības problēmas" in plan and "Psihologs: plānotas 6 h / 1 konsultācija" in plan
    for words in STAFF_WORDS:
        assert words not in plan

    staff = "\n".join(r.text for r in await sim.user(104).send("/iap kalnin"))
    for words in (COMMENT, PAUSE, EVALUATION):
        assert words in staff

    other_family = ChildPlan(student_id=world.student_b1.id, school_year=2026, semester=1)
    await parent.press_data(other_family.pack())
    assert parent.alerts[-1] == "Nav atrasts."  # another family's child: as if there were none


async def test_a_question_already_open_reaches_a_parent_who_joined_and_answers_every_asker(
    sim, world, i18n
):
    teacher, psychologist, first_parent = sim.user(101), sim.user(102), sim.user(108)
    await ask(teacher, world.student_a1.id, "Ēdināšana")
    assert await deliver(sim, i18n) == 1
    assert "Jautājums no skolas" in first_parent.last.text

    issued = await people.create_invite(
        world.coordinator_a, "parent", student_id=world.student_a1.id
    )
    second_parent = sim.user(7101)
    await second_parent.send(f"/start {issued.code}")
    assert await deliver(sim, i18n) == 1  # the question, to the parent who just joined
    assert "Jautājums no skolas" in second_parent.last.text

    await tap_need(psychologist, world.student_a1.id)
    told = await psychologist.press("Ēdināšana")
    assert told[-1].text.startswith("Vecākam par šo jau ir jautāts: Ēdināšana.")
    assert "Atbilde vēl nav saņemta; to saņemsiet arī Jūs." in told[-1].text
    assert await deliver(sim, i18n) == 0  # both parents have the question already

    await second_parent.send("/needs")
    await second_parent.press("Nē")
    assert await deliver(sim, i18n) == 2
    for asker in (teacher, psychologist):
        assert "Vecāks atbildēja, ka šis atbalsts nav nepieciešams: Ēdināšana." in asker.last.text
