"""Volunteers register peer activities (numbers, never names) and list their own."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.clock import today
from core.formatting import short_date
from core.person_changes import person_changed
from core.services import activities, organisations, people
from handlers.activities import ActivityFlow, PlaceChoice
from handlers.callbacks import Menu, StudentAction
from storage.models import Membership, Ngo, PeerActivity
from tests.bot.conftest import make_simulator

STALE_LV = "Šī poga vairs nav aktīva"
DENIED_LV = "Jums tam nav piekļuves."
REFUSED = (
    "Šādu komandu nezinu vai tā nav paredzēta Jūsu lomai.",
    DENIED_LV,
)


@pytest.fixture
async def sim(db, redis):
    """These conversations are long: a flood limit no test reaches."""
    return await make_simulator(redis, flood_limit=1000)


def texts(replies) -> str:
    return "\n".join(reply.text for reply in replies)


async def reach_participants(volunteer, title: str = "Galda spēļu vakars") -> None:
    """Walk a Latvian volunteer through to the participants question, the happy way."""
    await volunteer.send("/activity")
    await volunteer.send(title)
    await volunteer.press("Vakar")
    await volunteer.press("Visa pašvaldība")
    await volunteer.press("Darbnīca")


async def test_a_volunteer_registers_an_activity_and_every_bad_answer_is_asked_again(sim, world):
    volunteer = sim.user(109)
    replies = await volunteer.send("/activity")
    assert "Ierakstiet īsu nosaukumu (ne vairāk kā 200 rakstzīmes)" in replies[-1].text

    replies = await volunteer.send_photo()
    assert "Lūdzu, atbildiet ar teksta ziņu." in texts(replies)
    assert "Kas bija aktivitāte?" in replies[-1].text
    replies = await volunteer.send("x" * 201)
    assert replies[-1].text == "Ievadiet nosaukumu (ne vairāk kā 200 rakstzīmes)."

    replies = await volunteer.send("  Galda spēļu vakars  ")
    assert "Kad tā notika?" in replies[-1].text
    assert [text for text, _ in replies[-1].buttons()] == ["Šodien", "Vakar"]
    replies = await volunteer.send("31.02")
    assert "Ierakstiet datumu formātā dd.mm" in replies[-1].text
    replies = await volunteer.send("vakar")
    assert "Ierakstiet datumu formātā dd.mm" in replies[-1].text
    tomorrow = today() + timedelta(days=1)
    replies = await volunteer.send(f"{tomorrow:%d.%m.%Y}")
    assert replies[-1].text == "Datums nevar būt nākotnē."
    long_ago = today() - timedelta(days=400)
    replies = await volunteer.send(f"{long_ago:%d.%m.%Y}.")
    assert replies[-1].text == "Datums ir senāks par vienu gadu."
    await volunteer.press_data("act_day:5")  # a forged day button
    assert volunteer.alerts[-1].startswith(STALE_LV)

    replies = await volunteer.send(f"{today():%d.%m}")
    assert "Kur tā notika" in replies[-1].text
    places = [text for text, _ in replies[-1].buttons()]
    assert places == [
        "Visa pašvaldība",
        "Ezerkalnes tehnikums",
        "Ezerkalnes vidusskola",
        "Liepu pamatskola",
    ]  # the schools of the NGO's municipality, never school C
    replies = await volunteer.send("Liepu pamatskola")
    assert replies[0].text == "Lūdzu, izvēlieties ar pogām."
    assert replies[-1].buttons()[0][0] == "Visa pašvaldība"
    await volunteer.press_data(PlaceChoice(school_id=world.school_c.id).pack())
    assert volunteer.alerts[-1] == DENIED_LV
    replies = await volunteer.press("Liepu pamatskola")
    assert replies[0].edited and replies[0].text.endswith("→ Liepu pamatskola")
    assert "Kāda veida aktivitāte" in replies[-1].text

    await volunteer.press_data("act_fmt:chess")
    assert volunteer.alerts[-1].startswith(STALE_LV)
    replies = await volunteer.press("Sports")
    assert replies[-1].text == "Cik bija dalībnieku? Ierakstiet skaitli."
    for wrong in ("desmit", "0", "1001", "-3", "2,5"):
        replies = await volunteer.send(wrong)
        assert replies[-1].text == "Ievadiet dalībnieku skaitu no 1 līdz 1000.", wrong
    replies = await volunteer.send("12")
    assert "Ierakstiet skaitli no 0 līdz 12" in replies[-1].text

    for wrong in ("Anna Kalnina", "13", "-1"):
        replies = await volunteer.send(wrong)
        assert "skaitlis no 0 līdz 12" in replies[-1].text, wrong
    replies = await volunteer.send("3")
    assert "Cik stundas tā ilga?" in replies[-1].text

    for wrong in ("0", "stunda", "101", "0,1", "NaN"):
        replies = await volunteer.send(wrong)
        assert replies[-1].text.startswith("Ierakstiet stundas kā skaitli no 0,25 līdz 100"), wrong
    replies = await volunteer.send("1,5")
    assert "pievienojiet īsu aprakstu" in replies[-1].text

    replies = await volunteer.send_photo()
    assert replies[0].text == "Lūdzu, atbildiet ar teksta ziņu."
    replies = await volunteer.send("x" * 1001)
    assert "Apraksts ir pārāk garš" in replies[-1].text
    replies = await volunteer.send("Spēles un sarunas par mācībām")
    summary = replies[-1].text
    assert summary.startswith("Lūdzu, pārbaudiet aktivitāti:")
    for line in (
        "Organizācija: Jauniesu klubs Tilts",
        "Nosaukums: Galda spēļu vakars",
        f"Datums: {short_date(today(), 'lv')}",
        "Kur: Liepu pamatskola",
        "Formāts: Sports",
        "Dalībnieki: 12",
        "No tiem skolēni ar riska signāliem: 3",
        "Stundas: 1,5",
        "Apraksts: Spēles un sarunas par mācībām",
    ):
        assert line in summary
    assert [text for text, _ in replies[-1].buttons()] == ["Saglabāt", "Atcelt"]
    replies = await volunteer.send("Saglabāt")
    assert replies[0].text == "Lūdzu, izvēlieties ar pogām."
    assert not await PeerActivity.exists()

    replies = await volunteer.press("Saglabāt")
    assert replies[-1].text.startswith("Saglabāts: „Galda spēļu vakars“")
    activity = await PeerActivity.get()
    assert (activity.ngo_id, activity.municipality_id) == (world.ngo.id, world.m1.id)
    assert activity.school_id == world.school_b.id
    assert activity.volunteer_id == world.volunteer.id
    assert activity.held_on == today()
    assert (activity.format, activity.participants, activity.at_risk_participants) == (
        "sport",
        12,
        3,
    )
    assert activity.hours == Decimal("1.50")
    assert activity.title == "Galda spēļu vakars"
    assert activity.description == "Spēles un sarunas par mācībām"

    await volunteer.press("Saglabāt")  # a second tap on the same button
    assert volunteer.alerts[-1].startswith(STALE_LV)
    assert await PeerActivity.all().count() == 1


async def test_in_russian_from_the_menu_with_the_description_skipped(sim, world):
    await people.set_locale(world.volunteer.id, "ru")
    volunteer = sim.user(109)
    replies = await volunteer.send("/menu")
    assert [text for text, _ in replies[-1].buttons()] == [
        "Записать мероприятие",
        "Мои мероприятия",
    ]
    replies = await volunteer.press("Записать мероприятие")
    assert "Что это было за мероприятие?" in replies[-1].text
    await volunteer.send("Турнир по футболу")
    replies = await volunteer.press("Сегодня")
    assert "Где оно прошло" in replies[-1].text
    await volunteer.press("Всё самоуправление")
    replies = await volunteer.press("Онлайн")
    assert replies[-1].text == "Сколько было участников? Введите число."
    replies = await volunteer.send("сорок")
    assert replies[-1].text == "Укажите число участников: от 1 до 1000."
    await volunteer.send("40")
    replies = await volunteer.send("41")
    assert replies[-1].text.startswith("Ученики с сигналами риска: число от 0 до 40")
    await volunteer.send("0")
    replies = await volunteer.send("0")
    assert replies[-1].text.startswith("Введите часы числом от 0,25 до 100")
    replies = await volunteer.send("2")
    assert "Пропустить" in replies[-1].buttons()[0][0]
    replies = await volunteer.press("Пропустить")
    summary = replies[-1].text
    assert "Где: всё самоуправление (Ezerkalnes novads)" in summary
    assert "Формат: Онлайн" in summary
    assert "Из них учеников с сигналами риска: 0" in summary
    assert "Описание" not in summary
    replies = await volunteer.press("Сохранить")
    assert replies[-1].text.startswith("Сохранено: «Турнир по футболу»")

    activity = await PeerActivity.get()
    assert activity.school_id is None
    assert activity.description is None
    assert (activity.participants, activity.at_risk_participants) == (40, 0)
    assert activity.hours == Decimal("2.00")
    assert activity.format == "online"


async def test_stopping_saves_nothing_and_leaves_old_buttons_inactive(sim, world):
    volunteer = sim.user(109)
    await reach_participants(volunteer)
    await volunteer.send("5")
    await volunteer.send("1")
    await volunteer.send("2")
    await volunteer.press("Izlaist")
    replies = await volunteer.press("Atcelt")
    assert replies[-1].text == "Pārtraukts. Nekas netika saglabāts."
    await volunteer.press("Saglabāt")
    assert volunteer.alerts[-1].startswith(STALE_LV)

    await reach_participants(volunteer)
    await volunteer.send("/cancel")
    await volunteer.press("Darbnīca")
    assert volunteer.alerts[-1].startswith(STALE_LV)
    replies = await volunteer.send("12")
    assert "/menu" in replies[-1].text  # no longer in the flow: a stray text
    assert not await PeerActivity.exists()


async def test_a_volunteer_of_two_organisations_chooses_one_first(sim, world):
    ngo_m2 = await Ngo.create(name="Priedaines jauniesi", municipality=world.m2)
    stranger_ngo = await Ngo.create(name="Cits klubs", municipality=world.m2)
    issued = await people.create_invite(world.coordinator_m2, "volunteer", ngo_id=ngo_m2.id)
    await people.enroll_by_invite(issued.code, telegram_id=109, display_name="Volunteer")
    volunteer = sim.user(109)

    replies = await volunteer.send("/activity")
    assert "Kuras organizācijas aktivitāti" in replies[-1].text
    assert [text for text, _ in replies[-1].buttons()] == [
        "Jauniesu klubs Tilts",
        "Priedaines jauniesi",
    ]
    replies = await volunteer.send("Pārgājiens")
    assert replies[0].text == "Lūdzu, izvēlieties ar pogām."
    await volunteer.press_data(f"act_ngo:{stranger_ngo.id}")
    assert volunteer.alerts[-1] == DENIED_LV
    await volunteer.press("Priedaines jauniesi")
    await volunteer.send("Pārgājiens")
    replies = await volunteer.press("Šodien")
    assert [text for text, _ in replies[-1].buttons()] == [
        "Visa pašvaldība",
        "Priedaines vidusskola",
    ]
    await volunteer.press("Priedaines vidusskola")
    await volunteer.press("Nometne")
    for answer in ("20", "4", "6"):
        await volunteer.send(answer)
    await volunteer.press("Izlaist")
    replies = await volunteer.press("Saglabāt")
    assert replies[-1].text.startswith("Saglabāts")
    activity = await PeerActivity.get()
    assert (activity.ngo_id, activity.municipality_id, activity.school_id) == (
        ngo_m2.id,
        world.m2.id,
        world.school_c.id,
    )


async def test_activities_lists_only_the_volunteers_own(sim, world):
    volunteer = sim.user(109)
    replies = await volunteer.send("/activities")
    assert replies[-1].text.startswith("Jums vēl nav reģistrētu aktivitāšu.")

    issued = await people.create_invite(world.coordinator_m1, "volunteer", ngo_id=world.ngo.id)
    colleague = await people.enroll_by_invite(issued.code, telegram_id=6101, display_name="Co")
    yesterday = today() - timedelta(days=1)
    for actor, title, at_risk in ((world.volunteer, "Debates", 2), (colleague, "Koncerts", 5)):
        await activities.register_peer_activity(
            actor,
            world.ngo.id,
            title=title,
            held_on=yesterday,
            format="event",
            participants=15,
            at_risk_participants=at_risk,
            hours="2.5",
        )

    replies = await volunteer.send("/activities")
    listing = replies[-1].text
    assert listing.startswith("Jūsu aktivitātes:")
    day = short_date(yesterday, "lv")
    expected = f"• {day} Debates: dalībnieki 15, ar riska signāliem 2, stundas 2,5"
    assert expected in listing
    assert "Koncerts" not in listing

    await people.set_locale(world.volunteer.id, "ru")
    await volunteer.send("/menu")
    replies = await volunteer.press("Мои мероприятия")
    assert replies[-1].text.startswith("Ваши мероприятия:")
    assert "участников 15, с сигналами риска 2, часов 2,5" in replies[-1].text


async def test_a_volunteer_never_sees_student_data(sim, world):
    volunteer = sim.user(109)
    names = ("Anna", "Kalnina", "Janis", "Marta", "Peteris", "Ilze", "Rihards")
    commands = ("/students", "/iap", "/iap Anna", "/risk", "/absent", "/consult", "/needs")
    for command in (*commands, "/pending", "/invite", "/digest"):
        replies = await volunteer.send(command)
        assert replies, command
        assert replies[-1].text.startswith(REFUSED), command
    for data in (
        StudentAction(action="card", student_id=world.student_a1.id).pack(),
        StudentAction(action="risk", student_id=world.student_a1.id).pack(),
        Menu(action="students").pack(),
        Menu(action="pending").pack(),
        f"crd_iap:read:{world.student_a1.id}",
        f"crd_find:{world.student_a1.id}",
    ):
        await volunteer.press_data(data)
        assert volunteer.alerts[-1].startswith((STALE_LV, DENIED_LV)), data
    seen = texts(volunteer.inbox) + "\n".join(volunteer.alerts)
    assert not any(name in seen for name in names)


async def test_only_volunteers_register_activities(sim, world):
    teacher = sim.user(101)
    replies = await teacher.send("/activity")
    assert replies[-1].text.startswith(REFUSED[0])
    await teacher.press_data(Menu(action="activity").pack())
    assert teacher.alerts[-1].startswith(STALE_LV)
    replies = await teacher.send("Galda spēles")
    assert "Kas bija aktivitāte" not in texts(replies)


async def reach_description(volunteer, place: str = "Visa pašvaldība") -> None:
    """Through to the description question, the happy way."""
    await volunteer.send("/activity")
    await volunteer.send("Galda spēļu vakars")
    await volunteer.press("Vakar")
    await volunteer.press(place)
    await volunteer.press("Darbnīca")
    for answer in ("12", "3", "1.5"):
        await volunteer.send(answer)


async def test_a_volunteer_moved_to_another_organisation_mid_flow_is_refused(sim, world):
    volunteer = sim.user(109)
    await reach_description(volunteer)
    other = await Ngo.create(name="Cits klubs", municipality=world.m2)
    await Membership.filter(person_id=world.volunteer.id).update(ngo_id=other.id)
    await person_changed(world.volunteer.id)
    asked = volunteer.last
    assert await volunteer.press("Izlaist") == []  # refused on the tap itself
    assert volunteer.alerts[-1] == "Nav atrasts."
    assert volunteer.last == asked  # the question and its Skip stay as they were
    flow = sim.dispatcher.fsm.get_context(sim.bot, chat_id=volunteer.id, user_id=volunteer.id)
    assert await flow.get_state() == ActivityFlow.description.state
    assert await PeerActivity.all().count() == 0


async def test_a_school_left_behind_by_its_organisation_s_move_is_asked_for_again(sim, world):
    volunteer = sim.user(109)
    await reach_description(volunteer, place="Liepu pamatskola")
    await organisations.edit_ngo(world.admin, world.ngo.id, municipality_id=world.m2.id)
    replies = await volunteer.press("Izlaist")
    assert replies[-2].text == "Izvēlieties skolu organizācijas pašvaldībā."
    assert replies[-1].text.startswith("Kur tā notika")
    assert "Liepu pamatskola" not in [text for text, _ in replies[-1].buttons()]
    replies = await volunteer.press("Visa pašvaldība")  # straight back to the summary
    assert [text for text, _ in replies[-1].buttons()] == ["Saglabāt", "Atcelt"]
    await volunteer.press("Saglabāt")
    activity = await PeerActivity.get()
    assert (activity.school_id, activity.municipality_id) == (None, world.m2.id)
    assert (activity.participants, activity.at_risk_participants) == (12, 3)
