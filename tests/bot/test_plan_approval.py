"""A plan after submitting, through the real dispatcher and the outbox's real sender: each
approver is told, approves or returns; the preparer starts, pauses, resumes, sends the plan for
review, rates it and continues it; every refusal says why."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.i18n import create_i18n
from bot.sender import Pacer, Sender
from core import clock
from core.clock import RIGA, Semester, today
from core.formatting import semester_text
from core.services import iaps, people
from core.services.reminders import queue_reminders
from handlers.approvals import PlanAction
from handlers.callbacks import PlanOpen, StudentAction
from handlers.plan_message import PlanMove, Review
from handlers.plan_status import MoveAnswer
from storage.models import Iap, IapApproval, IapMeasure, OutboxItem, RiskSignal
from tests.bot.conftest import make_simulator
from tests.bot.virtual_time import VirtualTime
from tests.world import submitted_plan, teacher_at

NOON = datetime.combine(today() + timedelta(days=1), time(12), tzinfo=RIGA).astimezone(UTC)
STALE_LV = "Šī poga vairs nav aktīva"
NOT_FOUND_LV = "Nav atrasts."


@pytest.fixture
async def sim(db, redis):
    return await make_simulator(redis, flood_limit=1000)


async def deliver(sim) -> int:
    """Send what the outbox holds, as the bot's sender does, from noon tomorrow: a few seconds
    go by, so that a chat with two messages gets both, a second apart."""
    virtual = VirtualTime()
    pacer = Pacer(clock=virtual.clock, sleep=virtual.sleep)
    sender = Sender(sim.bot, create_i18n(), pacer=pacer)
    sent = 0
    for second in range(0, 10, 2):
        sender.wall_clock = lambda second=second: NOON + timedelta(seconds=second)
        await pacer.sleep(2)
        sent += await sender.drain()
    return sent


def labels(sent) -> list[str]:
    return [text for text, _ in sent.buttons()]


async def status(iap: Iap) -> str:
    return (await Iap.get(id=iap.id)).status


async def test_a_plan_goes_from_submitted_to_continued_next_semester_in_latvian(sim, world):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    assert await deliver(sim) == 1
    school = sim.user(104)
    [waiting] = school.inbox
    assert waiting.text.startswith(
        "Atbalsta plāns gaida Jūsu saskaņojumu.\n\nAnna Kalnina, 7.a, Ezerkalnes vidusskola"
    )
    assert "Sagatavoja: Teacher A" in waiting.text
    assert labels(waiting) == ["Skatīt", "Saskaņot", "Atgriezt"]
    for other in (101, 106, 107):
        assert sim.session.chats[other] == []

    replies = await school.press("Saskaņot")
    assert replies[-1].text.endswith(
        "✓ Jūs saskaņojāt plānu. Tas tiek nodots nākamajam saskaņotājam."
    )
    assert await deliver(sim) == 1
    municipality = sim.user(106)
    assert municipality.last.text.startswith("Atbalsta plāns gaida Jūsu saskaņojumu.")
    assert "Saskaņojuši: IAP sagatavotājs, Skolas direktors" in municipality.last.text
    assert sim.session.chats[107] == []
    await municipality.press("Saskaņot")
    assert municipality.last.text.endswith("✓ Apstiprināts: plānu var sākt īstenot.")

    assert await deliver(sim) == 1
    teacher = sim.user(101)
    approved = teacher.last
    assert approved.text == (
        "Atbalsta plāns skolēnam Anna Kalnina ir apstiprināts. Tagad var sākt tā īstenošanu."
    )
    assert labels(approved) == ["Sākt īstenošanu", "Apturēt"]

    replies = await teacher.press("Sākt īstenošanu")
    assert replies[-1].text == "Anna Kalnina: vai tiešām sākt atbalsta plāna īstenošanu?"
    assert labels(replies[-1]) == ["Jā", "Nē"]
    assert await status(iap) == "approved"  # nothing before the confirmation
    replies = await teacher.press("Jā")
    assert replies[-1].edited
    assert replies[-1].text.endswith("✓ Plāna īstenošana ir sākta.")
    assert labels(replies[-1]) == ["Nodot pārskatīšanai", "Apturēt", "Atpakaļ uz plānu"]
    assert await status(iap) == "in_progress"

    replies = await teacher.press("Apturēt")
    assert replies[-1].text == "Anna Kalnina: kāpēc plāns tiek apturēts? Uzrakstiet iemeslu."
    replies = await teacher.send_photo()
    assert replies[-1].text.startswith("Lūdzu, uzrakstiet iemeslu kā teksta ziņu")
    replies = await teacher.send("Ilgstoša slimība")
    assert replies[-1].text == (
        "Anna Kalnina: vai tiešām apturēt atbalsta plānu?\nIemesls: Ilgstoša slimība"
    )
    replies = await teacher.press("Nē")
    assert replies[-1].text.endswith("Nekas netika mainīts.")
    assert labels(replies[-1]) == ["Atpakaļ uz plānu"]
    assert await status(iap) == "in_progress"
    await teacher.press("Apturēt")
    await teacher.send("Ilgstoša slimība")
    replies = await teacher.press("Jā")
    assert replies[-1].text.endswith("✓ Plāns ir apturēts.")
    assert labels(replies[-1]) == ["Atsākt", "Atpakaļ uz plānu"]
    paused = await Iap.get(id=iap.id)
    assert (paused.status, paused.pause_reason) == ("paused", "Ilgstoša slimība")

    await teacher.press("Atsākt")
    assert teacher.last.text == "Anna Kalnina: vai tiešām atsākt atbalsta plāna īstenošanu?"
    replies = await teacher.press("Jā")
    assert replies[-1].text.endswith("✓ Plāna īstenošana ir atsākta.")
    await teacher.press("Nodot pārskatīšanai")
    replies = await teacher.press("Jā")
    assert replies[-1].text.endswith(
        "✓ Plāns nodots pārskatīšanai. Tagad izvērtējiet katru pasākumu un riska situāciju."
    )
    assert labels(replies[-1]) == ["Izvērtēt", "Atpakaļ uz plānu"]
    assert await status(iap) == "under_review"

    replies = await teacher.press("Izvērtēt")
    assert replies[0].text.startswith("Atbalsta plāna pārskatīšana: Anna Kalnina.")
    assert replies[1].text.startswith("Pasākums 1 no 2: Psihologs (plānotas 4 h;")
    assert labels(replies[1]) == ["Īstenots pilnībā", "Īstenots daļēji", "Nav īstenots"]
    replies = await teacher.press("Īstenots pilnībā")
    assert replies[0].text.endswith("→ Īstenots pilnībā")
    assert replies[-1].text.startswith("Ja vēlaties, uzrakstiet piezīmi")
    replies = await teacher.send("Notika visas konsultācijas")
    assert replies[0].text == "Piezīme saglabāta."
    assert replies[1].text.startswith("Pasākums 2 no 2: Sociālais pedagogs")
    await teacher.press("Nav īstenots")
    replies = await teacher.press("Tālāk")
    assert replies[-1].text == "Kā šajā semestrī mainījusies skolēna riska situācija?"
    assert labels(replies[-1]) == ["Risks mazinājies", "Risks nav mainījies", "Risks palielinājies"]
    replies = await teacher.press("Risks mazinājies")
    assert replies[-1].text == "Uzrakstiet semestra kopējo izvērtējumu vai izlaidiet šo soli."
    replies = await teacher.send("Apmeklējums uzlabojās")
    assert replies[-1].text == "Turpināt plānu nākamajā semestrī vai noslēgt to?"
    assert labels(replies[-1]) == ["Turpināt", "Noslēgt"]
    replies = await teacher.press("Turpināt")
    assert replies[-1].text.startswith(
        "✓ Pārskatīšana saglabāta. Plāns turpinās nākamajā semestrī kā jauns projekts"
    )

    reviewed = await Iap.get(id=iap.id)
    assert (reviewed.risk_outcome, reviewed.evaluation, reviewed.continues) == (
        "reduced",
        "Apmeklējums uzlabojās",
        True,
    )
    measures = await IapMeasure.filter(iap_id=iap.id).order_by("id")
    assert [(m.realised, m.evaluation_note) for m in measures] == [
        ("full", "Notika visas konsultācijas"),
        ("not", None),
    ]
    successor = await Iap.get(continued_from_id=iap.id)
    following = Semester.current().next()
    assert (successor.school_year, successor.semester, successor.consent) == (
        following.school_year,
        following.number,
        "missing",
    )
    assert replies[-1].buttons() == [
        ("Atvērt plānu", PlanOpen(iap_id=successor.id).pack()),
        ("Skolēna kartīte", StudentAction(action="card", student_id=iap.student_id).pack()),
        ("Izvēlne", "m:menu"),
    ]
    assert await IapMeasure.filter(iap_id=successor.id).count() == 2
    assert await deliver(sim) == 1
    consent = sim.user(108).last.text
    assert consent.startswith("Skola ir sagatavojusi Jūsu bērnam atbalsta plānu (IAP).")
    assert semester_text(following, "lv") in consent


async def test_a_state_vocational_plan_skips_the_municipality_and_closes_in_russian(sim, world):
    teacher = await teacher_at(world.school_v, "Teacher V", 120)
    for person in (teacher, world.coordinator_v):
        await people.set_locale(person.id, "ru")
    iap = await submitted_plan(world.student_v1, teacher)
    await deliver(sim)
    coordinator = sim.user(105)
    assert coordinator.last.text.startswith("План поддержки ожидает Вашего согласования.")
    assert labels(coordinator.last) == ["Открыть", "Согласовать", "Вернуть"]
    await coordinator.press("Согласовать")
    assert await status(iap) == "approved"
    assert await deliver(sim) == 1
    assert sim.session.chats[106] == []  # the municipality is skipped
    preparer = sim.user(120)
    assert preparer.last.text == (
        "План поддержки ученика Rihards Vitols утверждён. Теперь можно начать его выполнение."
    )
    assert labels(preparer.last) == ["Начать выполнение", "Приостановить"]

    await preparer.press("Начать выполнение")
    assert preparer.last.text == (
        "Rihards Vitols: Вы действительно хотите начать выполнение плана поддержки?"
    )
    await preparer.press("Да")
    await preparer.press("Передать на пересмотр")
    replies = await preparer.press("Да")
    assert replies[-1].text.endswith(
        "✓ План передан на пересмотр. Теперь оцените каждую меру и ситуацию с рисками."
    )
    await preparer.press("Оценить")
    assert preparer.last.text.startswith("Мера 1 из 2: Психолог")
    await preparer.press("Выполнена частично")
    await preparer.press("Далее")
    await preparer.press("Выполнена полностью")
    await preparer.press("Далее")
    await preparer.press("Риск не изменился")
    replies = await preparer.press("Пропустить")
    assert replies[-1].text == "Продолжить план в следующем семестре или завершить его?"
    replies = await preparer.press("Завершить")
    assert replies[-1].text == "✓ Пересмотр сохранён. План завершён."
    reviewed = await Iap.get(id=iap.id)
    assert (reviewed.risk_outcome, reviewed.evaluation, reviewed.continues) == (
        "unchanged",
        None,
        False,
    )
    assert not await Iap.exists(continued_from_id=iap.id)


async def test_a_returned_plan_reaches_its_preparer_with_the_comment_and_a_way_to_fix_it(
    sim, world
):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    await deliver(sim)
    coordinator = sim.user(104)
    await coordinator.press("Atgriezt")
    await coordinator.send("Lūdzu, pievienojiet sociālā pedagoga stundas.")
    assert await deliver(sim) == 1
    returned = sim.user(101).last
    assert returned.text == (
        "Atbalsta plāns skolēnam Anna Kalnina ir atgriezts projekta statusā.\n"
        "Komentārs: Lūdzu, pievienojiet sociālā pedagoga stundas.\n"
        "Izlabojiet plānu un nosūtiet to saskaņošanai vēlreiz."
    )
    assert "/students" not in returned.text
    assert returned.buttons() == [("Labot plānu", PlanOpen(iap_id=iap.id).pack())]

    await people.set_locale(world.teacher_a.id, "ru")
    await iaps.submit_for_approval(world.teacher_a, iap.id)
    await deliver(sim)
    await coordinator.press("Atgriezt")
    await coordinator.send("Добавьте часы")
    await deliver(sim)
    returned = sim.user(101).last
    assert returned.text.endswith("Исправьте план и снова отправьте его на согласование.")
    assert returned.buttons() == [("Изменить план", PlanOpen(iap_id=iap.id).pack())]


async def test_a_message_no_longer_true_when_it_goes_out_is_not_sent(sim, world):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    await iaps.return_iap(world.coordinator_a, iap.id, "Vēl ne")  # before the sender ran
    assert await deliver(sim) == 1  # the return, not the plan that no longer waits
    assert sim.session.chats[104] == []
    waiting = await OutboxItem.get(kind="iap_waiting")
    assert (waiting.status, waiting.last_error) == (
        "failed",
        "obsolete: no longer waiting for this approver",
    )


async def test_every_refusal_says_why(sim, world):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    teacher = sim.user(101)
    await teacher.send("/menu")
    start = PlanMove(to="in_progress", iap_id=iap.id).pack()
    await teacher.press_data(start)
    assert teacher.alerts[-1] == (
        "Plāns vēl tiek saskaņots: to varēs izdarīt, kad plāns būs apstiprināts."
    )
    await iaps.approve_iap(world.coordinator_a, iap.id)
    await iaps.approve_iap(world.coordinator_m1, iap.id)
    await teacher.press_data(PlanMove(to="under_review", iap_id=iap.id).pack())
    assert (
        teacher.alerts[-1]
        == "Plāns ir apstiprināts, bet tā īstenošana vēl nav sākta: vispirms sāciet to."
    )
    await teacher.press_data(Review(step="start", iap_id=iap.id).pack())
    assert teacher.alerts[-1] == "Izvērtēt var tikai plānu, kas ir pārskatīšanā."

    for person, alert in ((108, STALE_LV), (109, STALE_LV), (103, NOT_FOUND_LV)):
        user = sim.user(person)  # a parent, a volunteer, a teacher of another school
        await user.send("/menu")
        await user.press_data(start)
        assert user.alerts[-1].startswith(alert), person
    assert await status(iap) == "approved"

    await teacher.press_data(start)
    await teacher.press("Jā")
    await teacher.press_data(start, on=teacher.inbox[-1])
    assert teacher.alerts[-1] == "Plāns jau tiek īstenots."
    await teacher.press_data(MoveAnswer(yes=True, to="in_progress", iap_id=iap.id).pack())
    assert teacher.alerts[-1] == "Plāns jau tiek īstenots."

    # the preparer may not approve their own plan, and is not told it waits
    mine = await submitted_plan(world.student_a2, world.coordinator_a)
    await deliver(sim)
    coordinator = sim.user(104)
    assert all("Janis Ozols" not in sent.text for sent in coordinator.inbox)
    await coordinator.send("/menu")
    await coordinator.press_data(PlanAction(action="approve", iap_id=mine.id).pack())
    assert coordinator.alerts[-1] == (
        "Jūs šo plānu sagatavojāt, reģistrējāt tā piekrišanu vai jau saskaņojāt: "
        "tas jāsaskaņo citam saskaņotājam."
    )
    assert not await IapApproval.exists(iap_id=mine.id, step="school")


async def test_coordinators_move_a_plan_from_iap(sim, world):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    coordinator = sim.user(104)
    replies = await coordinator.send("/iap kalnin")
    assert labels(replies[-1]) == ["PDF drukāšanai", "Rezultāts"]  # in approval: nothing to move
    await iaps.approve_iap(world.coordinator_a, iap.id)
    await iaps.approve_iap(world.coordinator_m1, iap.id)
    replies = await coordinator.send("/iap kalnin")
    assert labels(replies[-1]) == ["Sākt īstenošanu", "Apturēt", "PDF drukāšanai", "Rezultāts"]
    await coordinator.press("Sākt īstenošanu")
    await coordinator.press("Jā")
    assert await status(iap) == "in_progress"
    replies = await sim.user(106).send("/iap kalnin")  # the municipality reads, does not move
    assert labels(replies[-1]) == ["PDF drukāšanai", "Rezultāts"]


async def test_reminders_reach_teachers_preparers_and_approvers(sim, world, monkeypatch):
    waiting = await submitted_plan(world.student_a1, world.teacher_a)
    semester = Semester.current()
    day = semester.start + timedelta(days=2)
    monkeypatch.setattr(clock, "today", lambda: day)
    await RiskSignal.create(
        student_id=world.student_a3.id,
        school_id=world.school_a.id,
        group="learning",
        factor="behaviour",
        level="high",
        observed_from=day,
        observed_to=day,
        reporter_id=world.teacher_a.id,
    )
    await IapApproval.filter(iap_id=waiting.id).update(
        at=datetime.combine(day - timedelta(days=14), time(12), tzinfo=RIGA)
    )
    await OutboxItem.all().delete()
    counts = await queue_reminders()
    assert (counts["plan_start"], counts["approval"]) == (1, 1)
    await deliver(sim)
    teacher = sim.user(101)
    assert teacher.last.text.startswith(
        "Semestris ir sācies. 1 skolēnam, kuram atzīmējāt augstu risku, vēl nav atbalsta plāna:\n"
        "• Marta Liepa, 8.b"
    )
    assert labels(teacher.last) == ["Marta Liepa"]
    coordinator = sim.user(104)
    assert coordinator.last.text == (
        "1 atbalsta plāns gaida Jūsu saskaņojumu jau vairāk nekā piecas mācību dienas."
    )
    replies = await coordinator.press("Gaida mani")
    assert replies[0].text == "Atbalsta plāni, kas gaida Jūsu saskaņojumu: 1"

    await iaps.approve_iap(world.coordinator_a, waiting.id)
    await iaps.approve_iap(world.coordinator_m1, waiting.id)
    await iaps.move_iap(world.teacher_a, waiting.id, "in_progress")
    end_day = (
        date(semester.start.year, 12, 10)
        if semester.number == 1
        else date(semester.start.year, 5, 25)
    )
    monkeypatch.setattr(clock, "today", lambda: end_day)
    assert (await queue_reminders())["review"] == 1
    await deliver(sim)
    assert teacher.last.text.startswith("Semestra beigas: ")
    assert "1 Jūsu atbalsta plāns vēl tiek īstenots" in teacher.last.text
    assert teacher.last.buttons() == [("Anna Kalnina", PlanOpen(iap_id=waiting.id).pack())]


async def test_the_plan_message_offers_its_moves_to_the_preparer(sim, world):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    await iaps.approve_iap(world.coordinator_a, iap.id)
    await iaps.approve_iap(world.coordinator_m1, iap.id)
    await iaps.move_iap(world.teacher_a, iap.id, "in_progress")
    teacher = sim.user(101)
    await teacher.send("/menu")
    replies = await teacher.press_data(PlanOpen(iap_id=iap.id).pack())
    assert "Nodot pārskatīšanai" in labels(replies[-1])
    await teacher.press("Nodot pārskatīšanai")
    await teacher.press("Jā")
    assert await status(iap) == "under_review"
