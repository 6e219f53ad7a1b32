"""Coordinators: invites whose links work, plans and needs waiting for them, reading an IAP."""

import re
from datetime import timedelta

import pytest

from core.clock import RIGA, now, today
from core.formatting import short_date
from core.services import iaps, needs, people, signals
from handlers.approvals import PlanAction
from handlers.callbacks import Menu
from handlers.iap_search import FoundStudent
from handlers.invites import ClassChoice, RoleChoice, SchoolChoice, StudentChoice
from storage.models import Iap, IapApproval, IapTransition, Invite, Membership
from tests.bot.conftest import make_simulator
from tests.world import teacher_at

STALE_LV = "Šī poga vairs nav aktīva"
DENIED_LV = "Jums tam nav piekļuves."
DENIED_RU = "У Вас нет доступа к этому."
REFUSED_LV = "Šādu komandu nezinu vai tā nav paredzēta Jūsu lomai."
LINK = re.compile(r"https://t\.me/pumpurs_bot\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
async def sim(db, redis):
    """These conversations are long: a flood limit no test reaches."""
    return await make_simulator(redis, flood_limit=1000)


def texts(replies) -> str:
    return "\n".join(reply.text for reply in replies)


def labels(reply) -> list[str]:
    return [text for text, _ in reply.buttons()]


def invite_code(reply) -> str:
    match = LINK.search(reply.text)
    assert match, reply.text
    return match.group(1)


async def plan_in_approval(student, preparer) -> Iap:
    await signals.record_risk_signal(preparer, student.id, "low_achievement")
    iap = await iaps.open_iap(preparer, student.id)
    await iaps.add_measure(
        preparer,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=6,
        risk_factors=["low_achievement"],
    )
    await iaps.record_consent(preparer, iap.id, given=True, method="paper", signed_on=today())
    return await iaps.submit_for_approval(preparer, iap.id)


# ---- /invite -----------------------------------------------------------------------------------


async def test_a_school_coordinator_invites_a_teacher_and_the_link_works_once(sim, world):
    coordinator = sim.user(104)
    replies = await coordinator.send("/invite")
    assert replies[-1].text == "Ko vēlaties uzaicināt?"
    assert labels(replies[-1]) == ["Pedagogs", "Atbalsta speciālists", "Vecāks"]

    replies = await coordinator.press("Pedagogs")  # one school: no need to ask which
    text = replies[-1].text
    assert text.startswith("Ielūgums: Pedagogs, Ezerkalnes vidusskola.")
    assert "Tā darbojas vienu reizi" in text
    expiry = short_date((now() + timedelta(days=7)).astimezone(RIGA).date(), "lv")
    assert f"Derīga līdz: {expiry}" in text
    invite = await Invite.get()
    assert (invite.role, invite.school_id, invite.created_by_id) == (
        "teacher",
        world.school_a.id,
        world.coordinator_a.id,
    )
    assert invite.used_at is None

    code = invite_code(replies[-1])
    newcomer = sim.user(6001, first_name="Liene")
    joined = await newcomer.send(f"/start {code}")
    assert joined[0].text == "Laipni lūdzam! Jūs pievienojāties kā: Pedagogs."
    membership = await Membership.get(person__telegram_id=6001)
    assert (membership.role, membership.school_id) == ("teacher", world.school_a.id)
    late = await sim.user(6002).send(f"/start {code}")
    assert "jau ir izmantots" in late[-1].text

    await coordinator.press("Vecāks")  # a button of the finished flow
    assert coordinator.alerts[-1].startswith(STALE_LV)
    assert await Invite.all().count() == 1


async def test_a_municipality_coordinator_invites_a_parent_in_russian(sim, world):
    await people.set_locale(world.coordinator_m1.id, "ru")
    coordinator = sim.user(106)
    await coordinator.send("/menu")
    replies = await coordinator.press("Пригласить")
    assert replies[-1].text == "Кого Вы хотите пригласить?"
    assert len(labels(replies[-1])) == 5

    replies = await coordinator.press("Родитель")
    assert replies[-1].text == "В какую школу?"
    assert labels(replies[-1]) == [
        "Ezerkalnes tehnikums",
        "Ezerkalnes vidusskola",
        "Liepu pamatskola",
    ]
    await coordinator.press_data(SchoolChoice(school_id=world.school_c.id).pack())
    assert coordinator.alerts[-1] == DENIED_RU
    replies = await coordinator.send("Ezerkalnes vidusskola")
    assert replies[-1].text.startswith("Пожалуйста, выберите кнопкой выше")

    replies = await coordinator.press("Ezerkalnes vidusskola")
    assert replies[-1].text == "Родителя ученика из какого класса?"
    assert labels(replies[-1]) == ["7.a", "8.b"]
    await coordinator.press_data(ClassChoice(class_id=world.class_b7.id).pack())
    assert coordinator.alerts[-1] == DENIED_RU

    replies = await coordinator.press("7.a")
    assert replies[-1].text == "Какой ученик?"
    assert labels(replies[-1]) == ["Anna Kalnina", "Janis Ozols"]
    await coordinator.press_data(StudentChoice(student_id=world.student_a3.id).pack())
    assert coordinator.alerts[-1] == DENIED_RU
    await coordinator.press_data(StudentChoice(student_id=world.student_c1.id).pack())
    assert coordinator.alerts[-1] == DENIED_RU
    assert not await Invite.exists()

    replies = await coordinator.press("Janis Ozols")
    assert replies[-1].text.startswith("Приглашение: Родитель (ученик: Janis Ozols).")
    assert "Действует до:" in replies[-1].text
    invite = await Invite.get()
    assert (invite.role, invite.student_id) == ("parent", world.student_a2.id)

    parent = sim.user(6003, language="ru")
    joined = await parent.send(f"/start {invite_code(replies[-1])}")
    assert joined[0].text == "Добро пожаловать! Вы присоединились как: Родитель."
    membership = await Membership.get(person__telegram_id=6003)
    assert (membership.role, membership.student_id) == ("parent", world.student_a2.id)


async def test_specialists_volunteers_and_school_coordinators_are_invited_with_their_scope(
    sim, world
):
    coordinator = sim.user(106)
    await coordinator.send("/invite")
    await coordinator.press("Atbalsta speciālists")
    replies = await coordinator.press("Liepu pamatskola")
    assert replies[-1].text == "Kāds speciālists?"
    assert "Pedagogs" not in labels(replies[-1])
    await coordinator.press_data("crd_spc:teacher")
    assert coordinator.alerts[-1].startswith(STALE_LV)
    replies = await coordinator.press("Sociālais pedagogs")
    assert replies[-1].text.startswith(
        "Ielūgums: Atbalsta speciālists (Sociālais pedagogs), Liepu pamatskola."
    )

    await coordinator.send("/invite")
    replies = await coordinator.press("Brīvprātīgais")  # one NGO in the municipality
    assert replies[-1].text.startswith("Ielūgums: Brīvprātīgais, Jauniesu klubs Tilts.")

    await coordinator.send("/invite")
    replies = await coordinator.press("Skolas koordinators")
    assert labels(replies[-1]) == [
        "Ezerkalnes tehnikums",
        "Ezerkalnes vidusskola",
        "Liepu pamatskola",
    ]
    await coordinator.press("Ezerkalnes tehnikums")

    stored = {(i.role, i.specialty, i.school_id, i.ngo_id) for i in await Invite.all()}
    assert stored == {
        ("specialist", "social_pedagogue", world.school_b.id, None),
        ("volunteer", None, None, world.ngo.id),
        ("school_coordinator", None, world.school_v.id, None),
    }
    volunteer = sim.user(6004)
    code = invite_code(
        next(s for s in coordinator.inbox if s.text.startswith("Ielūgums: Brīvprātīgais"))
    )
    joined = await volunteer.send(f"/start {code}")
    assert "Brīvprātīgais" in joined[0].text
    assert labels(joined[-1]) == ["Reģistrēt aktivitāti", "Manas aktivitātes"]


async def test_a_school_coordinator_cannot_invite_beyond_their_role(sim, world):
    coordinator = sim.user(104)
    await coordinator.send("/invite")
    for role in ("volunteer", "school_coordinator"):
        await coordinator.press_data(RoleChoice(role=role).pack())
        assert coordinator.alerts[-1] == DENIED_LV
    await coordinator.press_data("crd_role:director")
    assert coordinator.alerts[-1].startswith(STALE_LV)
    replies = await coordinator.send_photo()
    assert replies[-1].text.startswith("Lūdzu, izvēlieties ar pogām augstāk")
    await coordinator.press("Vecāks")
    await coordinator.press_data(ClassChoice(class_id=world.class_b7.id).pack())
    assert coordinator.alerts[-1] == DENIED_LV
    assert not await Invite.exists()

    for outsider in (101, 108, 109, 110):  # teacher, parent, volunteer, no role
        replies = await sim.user(outsider).send("/invite")
        assert replies[-1].text.startswith((REFUSED_LV, "Lai pievienotos")), outsider
    assert not await Invite.exists()


# ---- /pending ----------------------------------------------------------------------------------


async def pending_world(world) -> dict[str, Iap]:
    """Plans at every step of the chain and support needs asked and answered."""
    a1 = await plan_in_approval(world.student_a1, world.teacher_a)  # waits for school A
    a2 = await plan_in_approval(world.student_a2, world.teacher_a)
    await iaps.approve_iap(world.coordinator_a, a2.id)  # waits for the municipality
    teacher_v = await teacher_at(world.school_v, "Teacher V", 120)
    v1 = await plan_in_approval(world.student_v1, teacher_v)  # waits for school V
    c1 = await plan_in_approval(world.student_c1, world.coordinator_m2)  # school C: no one yet

    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    answered = await needs.ask_parent_about_need(
        world.teacher_a, world.student_a1.id, "learning_materials"
    )
    await needs.answer_need(world.parent_a1, answered.id, confirmed=False)
    issued = await people.create_invite(
        world.coordinator_m1, "parent", student_id=world.student_b1.id
    )
    await people.enroll_by_invite(issued.code, telegram_id=6010, display_name="Parent B1")
    await needs.ask_parent_about_need(world.teacher_b, world.student_b1.id, "lodging")
    return {"a1": a1, "a2": a2, "v1": v1, "c1": c1}


async def test_pending_shows_each_coordinator_exactly_their_own(sim, world):
    await pending_world(world)

    replies = await sim.user(104).send("/pending")  # coordinator_a
    assert replies[0].text == "Atbalsta plāni, kas gaida Jūsu saskaņojumu: 1"
    plan = replies[1]
    assert plan.text.startswith("Anna Kalnina, 7.a, Ezerkalnes vidusskola")
    assert "Sagatavoja: Teacher A" in plan.text
    assert "Saskaņojuši: IAP sagatavotājs" in plan.text
    assert labels(plan) == ["Skatīt", "Saskaņot", "Atgriezt"]
    assert replies[2].text.startswith("Atbalsta vajadzības, kas vēl gaida vecāku atbildi: 1")
    assert "• Anna Kalnina (7.a, Ezerkalnes vidusskola): Ēdināšana, jautāts" in replies[2].text
    assert len(replies) == 3
    assert "Janis" not in texts(replies) and "Peteris" not in texts(replies)
    assert "Mācību līdzekļi" not in texts(replies)  # answered: no longer waiting

    await people.set_locale(world.coordinator_m1.id, "ru")
    m1 = sim.user(106)
    await m1.send("/menu")
    replies = await m1.press("Ждут меня")
    assert replies[0].text == "Планы поддержки, ожидающие Вашего согласования: 1"
    assert replies[1].text.startswith("Janis Ozols, 7.a, Ezerkalnes vidusskola")
    assert "Согласовали: Составитель плана, Директор школы" in replies[1].text
    assert labels(replies[1]) == ["Открыть", "Согласовать", "Вернуть"]
    needs_text = replies[2].text
    assert needs_text.startswith("Потребности в поддержке, по которым ещё ждут ответа родителей: 2")
    assert "Anna Kalnina (7.a, Ezerkalnes vidusskola): Питание" in needs_text
    assert "Peteris Berzs (7.a, Liepu pamatskola): Общежитие" in needs_text
    assert "Rihards" not in texts(replies) and "Ilze" not in texts(replies)

    replies = await sim.user(105).send("/pending")  # coordinator_v: the state vocational school
    assert replies[1].text.startswith("Rihards Vitols, 1.k, Ezerkalnes tehnikums")
    assert len(replies) == 2
    replies = await sim.user(107).send("/pending")  # coordinator_m2: school C has no director
    assert [r.text for r in replies] == ["Pašlaik nekas negaida Jūsu rīcību."]
    replies = await sim.user(101).send("/pending")
    assert replies[-1].text.startswith(REFUSED_LV)


async def test_approving_from_pending_walks_the_chain(sim, world):
    plans = await pending_world(world)
    a1 = plans["a1"]
    coordinator = sim.user(104)
    await coordinator.send("/pending")
    replies = await coordinator.press("Skatīt")
    assert replies[0].text.startswith("Atbalsta plāns (IAP): Anna Kalnina")
    assert "Statuss: Saskaņošanā" in replies[0].text

    replies = await coordinator.press("Saskaņot")
    assert replies[-1].edited
    assert replies[-1].text.endswith(
        "✓ Jūs saskaņojāt plānu. Tas tiek nodots nākamajam saskaņotājam."
    )
    assert [t for t, _ in replies[-1].buttons()] == ["Gaida mani", "Izvēlne"]
    approvals = await IapApproval.filter(iap_id=a1.id).order_by("id")
    assert [(a.step, a.person_id) for a in approvals][-1] == ("school", world.coordinator_a.id)
    await coordinator.press_data(PlanAction(action="approve", iap_id=a1.id).pack())
    assert coordinator.alerts[-1] == "Šis plāns gaida cita saskaņotāja saskaņojumu."

    other = sim.user(107)  # coordinator_m2: another municipality
    await other.send("/pending")
    await other.press_data(PlanAction(action="approve", iap_id=a1.id).pack())
    assert other.alerts[-1] == "Nav atrasts."
    assert (await Iap.get(id=a1.id)).status == "in_approval"

    m1 = sim.user(106)
    replies = await m1.send("/pending")
    assert replies[0].text.endswith(": 2")
    await m1.press_data(PlanAction(action="approve", iap_id=a1.id).pack(), on=replies[1])
    assert m1.last.text.endswith("✓ Apstiprināts: plānu var sākt īstenot.")
    assert (await Iap.get(id=a1.id)).status == "approved"
    assert await IapApproval.filter(iap_id=a1.id).count() == 3


async def test_returning_a_plan_asks_for_a_comment(sim, world):
    plans = await pending_world(world)
    v1 = plans["v1"]
    coordinator = sim.user(105)
    await coordinator.send("/pending")
    replies = await coordinator.press("Atgriezt")
    assert replies[-1].text.startswith("Plāns: Rihards Vitols. Kas tajā jāmaina?")
    replies = await coordinator.send_photo()
    assert replies[-1].text.startswith("Lūdzu, uzrakstiet komentāru kā teksta ziņu")
    assert (await Iap.get(id=v1.id)).status == "in_approval"
    replies = await coordinator.send("x" * 2001)  # refused by the service; the step goes on
    assert "2000" in replies[-1].text
    assert (await Iap.get(id=v1.id)).status == "in_approval"

    replies = await coordinator.send("Lūdzu, pievienojiet sociālā pedagoga konsultācijas.")
    assert replies[-1].text == "Atgriezts sagatavotājam ar Jūsu komentāru. Plāns atkal ir projekts."
    assert (await Iap.get(id=v1.id)).status == "draft"
    transition = await IapTransition.filter(iap_id=v1.id).order_by("-id").first()
    assert transition.comment == "Lūdzu, pievienojiet sociālā pedagoga konsultācijas."
    assert not await IapApproval.exists(iap_id=v1.id)

    await coordinator.press("Saskaņot")
    assert coordinator.alerts[-1] == "Šis plāns negaida saskaņojumu."
    await coordinator.press("Atgriezt")
    assert coordinator.alerts[-1] == "Šis plāns negaida saskaņojumu."
    replies = await coordinator.send("Vēl kāds komentārs")
    assert "/menu" in replies[-1].text  # the return step is over: a stray text

    await coordinator.press_data(PlanAction(action="return", iap_id=plans["c1"].id).pack())
    assert coordinator.alerts[-1] == "Nav atrasts."
    await coordinator.press_data(PlanAction(action="read", iap_id=plans["a1"].id).pack())
    assert coordinator.alerts[-1] == "Nav atrasts."
    assert (await Iap.get(id=plans["c1"].id)).status == "in_approval"


async def test_returning_in_russian(sim, world):
    plans = await pending_world(world)
    await people.set_locale(world.coordinator_a.id, "ru")
    coordinator = sim.user(104)
    await coordinator.send("/pending")
    replies = await coordinator.press("Вернуть")
    assert replies[-1].text.startswith("План: Anna Kalnina. Что в нём нужно изменить?")
    replies = await coordinator.send("Добавьте часы психолога")
    assert replies[-1].text.startswith("Возвращено составителю с Вашим комментарием.")
    assert (await Iap.get(id=plans["a1"].id)).status == "draft"


# ---- /iap --------------------------------------------------------------------------------------


async def test_iap_finds_a_student_by_name_within_scope(sim, world):
    await plan_in_approval(world.student_a1, world.teacher_a)
    coordinator = sim.user(104)
    replies = await coordinator.send("/iap kalnin")
    assert len(replies) == 1
    assert replies[0].text.startswith("Atbalsta plāns (IAP): Anna Kalnina\n7.a klase")
    assert "Zemi mācību sasniegumi" in replies[0].text

    replies = await coordinator.send("/iap")
    assert replies[-1].text == "Kura skolēna plāns? Ierakstiet daļu no skolēna vārda vai uzvārda."
    replies = await coordinator.send_photo()
    assert replies[-1].text.startswith("Lūdzu, ierakstiet daļu no skolēna vārda")
    replies = await coordinator.send("Ilze")  # school C: not in scope
    assert replies[-1].text.startswith("Pēc „Ilze“ neviens skolēns netika atrasts.")
    replies = await coordinator.send("a")
    assert replies[-1].text == "Atbilst vairāki skolēni. Izvēlieties vienu:"
    assert labels(replies[-1]) == [
        "Anna Kalnina, 7.a, Ezerkalnes vidusskola",
        "Marta Liepa, 8.b, Ezerkalnes vidusskola",
        "Janis Ozols, 7.a, Ezerkalnes vidusskola",
    ]
    replies = await coordinator.press("Marta Liepa")
    assert replies[-1].text.startswith("Atbalsta plāns (IAP): Marta Liepa")
    assert "Statuss: plāna vēl nav" in replies[-1].text
    replies = await coordinator.press("Janis Ozols")  # the other choices still work
    assert replies[-1].text.startswith("Atbalsta plāns (IAP): Janis Ozols")
    await coordinator.press_data(FoundStudent(student_id=world.student_c1.id).pack())
    assert coordinator.alerts[-1] == "Nav atrasts."

    await coordinator.send("/cancel")
    await coordinator.press("Anna Kalnina")
    assert coordinator.alerts[-1].startswith(STALE_LV)


async def test_iap_in_russian_and_only_for_coordinators(sim, world):
    await people.set_locale(world.coordinator_m1.id, "ru")
    coordinator = sim.user(106)
    replies = await coordinator.send("/iap Ilze")
    assert replies[-1].text.startswith("По запросу «Ilze» ученик не найден.")
    replies = await coordinator.send("Berzs")
    assert replies[-1].text.startswith("План поддержки (IAP): Peteris Berzs")
    assert "Liepu pamatskola" in replies[-1].text

    for person in (101, 102, 108, 109):
        replies = await sim.user(person).send("/iap Anna")
        assert replies[-1].text.startswith(REFUSED_LV), person
        assert "Atbalsta plāns" not in texts(replies)
    await sim.user(101).press_data(FoundStudent(student_id=world.student_a1.id).pack())
    assert sim.user(101).alerts[-1].startswith(STALE_LV)
    await sim.user(101).press_data(Menu(action="invite").pack())
    assert sim.user(101).alerts[-1].startswith(STALE_LV)
