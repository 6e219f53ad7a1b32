"""Joining, the menu, help, cancel, language and privacy, for everyone."""

from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage

from core.services.people import create_invite
from storage.models import Person


async def test_start_without_invite_explains_how_to_join(sim, world):
    stranger = sim.user(5001, language="lv")
    replies = await stranger.send("/start")
    assert "ielūguma saiti" in replies[-1].text
    ru = sim.user(5002, language="ru")
    assert "ссылку-приглашение" in (await ru.send("/start"))[-1].text


async def test_invite_link_binds_the_account_once(sim, world):
    issued = await create_invite(world.coordinator_a, "teacher", school_id=world.school_a.id)
    newcomer = sim.user(5003, first_name="Liene", language="ru")
    replies = await newcomer.send(f"/start {issued.code}")
    assert "Добро пожаловать" in replies[0].text
    assert "Учитель" in replies[0].text
    assert any("Отметить пропуски" in text for text, _ in replies[-1].buttons())
    person = await Person.get(telegram_id=5003)
    assert person.locale == "ru"

    other = sim.user(5004, language="lv")
    again = await other.send(f"/start {issued.code}")
    assert "jau ir izmantots" in again[-1].text
    wrong = await other.send("/start nonsense")
    assert "nav derīgs" in wrong[-1].text


async def test_language_is_stored_on_the_person_and_survives_cancel(sim, world):
    teacher = sim.user(101)  # world.teacher_a
    await teacher.send("/language")
    await teacher.press("Русский")
    assert "на этом языке" in teacher.last.text
    await teacher.send("/cancel")
    replies = await teacher.send("/help")
    assert "Что я могу" in replies[-1].text
    assert (await Person.get(telegram_id=101)).locale == "ru"


async def test_help_lists_the_commands_of_the_role(sim, world):
    parent = await sim.user(108).send("/help")  # world.parent_a1
    assert "/needs" in parent[-1].text
    assert "/absent" not in parent[-1].text
    volunteer = await sim.user(109).send("/help")
    assert "/activity" in volunteer[-1].text
    assert "/students" not in volunteer[-1].text


async def test_privacy_and_unknown_input_get_clear_answers(sim, world):
    teacher = sim.user(101)
    assert "Personas kodi" in (await teacher.send("/privacy"))[-1].text
    assert "/help" in (await teacher.send("/nonsense"))[-1].text
    assert "/menu" in (await teacher.send("hello"))[-1].text
    assert "teksta" in (await teacher.send_photo())[-1].text
    await teacher.press_data("zz:forged")
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")


async def test_a_redelivered_update_has_its_effect_once(sim, world):
    issued = await create_invite(world.coordinator_a, "teacher", school_id=world.school_a.id)
    newcomer = sim.user(5005)
    first = await newcomer.send(f"/start {issued.code}", update_id=777)
    again = await newcomer.send(f"/start {issued.code}", update_id=777)
    assert first and again == []


async def test_a_parent_sets_quiet_hours_and_questions_wait_for_them(sim, world):
    from datetime import datetime, timedelta

    from core.clock import RIGA
    from core.services import outbox

    parent = sim.user(108)
    asked = await parent.send("/quiet")
    assert "līdz rītam" in asked[-1].text
    await parent.press("22:00-07:00")
    assert parent.last.text == "Saglabāts: ievērošu šīs klusuma stundas."
    person = await Person.get(telegram_id=108)
    assert (person.quiet_start_minute, person.quiet_end_minute) == (22 * 60, 7 * 60)

    evening = datetime(2026, 11, 25, 21, 30, tzinfo=RIGA)  # quiet by default, not for this parent
    item = await outbox.enqueue(
        person.id, "need_question", {"need_id": 1}, respect_quiet_hours=True, now=evening
    )
    assert item.next_attempt_at == evening
    late = evening + timedelta(hours=1)
    item = await outbox.enqueue(
        person.id, "need_question", {"need_id": 2}, respect_quiet_hours=True, now=late
    )
    assert item.next_attempt_at == datetime(2026, 11, 26, 7, 0, tzinfo=RIGA)

    await parent.send("/quiet")
    await parent.press("Jebkurā laikā")
    item = await outbox.enqueue(
        person.id, "need_question", {"need_id": 3}, respect_quiet_hours=True, now=late
    )
    assert item.next_attempt_at == late


async def test_a_reply_telegram_refuses_ends_the_update_without_an_error(sim, world):
    """An error escaping the dispatcher would make a webhook answer 500, and Telegram resend."""
    teacher = sim.user(101)
    refusals = iter(
        [
            TelegramRetryAfter(
                method=SendMessage(chat_id=101, text="-"), message="Flood", retry_after=30
            ),  # too long a wait to retry the reply
            TelegramForbiddenError(method=SendMessage(chat_id=101, text="-"), message="Blocked"),
        ]
    )
    sim.session.fail = lambda method: (
        next(refusals, None) if isinstance(method, SendMessage) else None
    )
    assert await teacher.send("/help") == []  # flood limit: nothing sent, no error raised
    assert await teacher.send("/help") == []  # blocked
    assert "/absent" in (await teacher.send("/help"))[-1].text


async def test_staff_type_a_name_outside_a_flow_and_open_the_students_card(sim, world):
    teacher = sim.user(101)
    found = (await teacher.send("kaln"))[-1]
    assert [text for text, _ in found.buttons()] == ["Anna Kalnina"]
    card = await teacher.press("Anna Kalnina")
    assert "Anna Kalnina" in card[0].text
    other_school = (await teacher.send("Berzs"))[-1]  # school B's student is out of scope
    assert other_school.text.startswith("Pēc „Berzs“ neviens skolēns netika atrasts.")
    assert not other_school.buttons()


async def test_a_parents_free_text_says_how_to_reach_the_school(sim, world):
    answer = (await sim.user(108).send("Labdien, kad ir sapulce?"))[-1]
    assert "klases audzinātājam" in answer.text and "/needs" in answer.text
    assert "/menu" in (await sim.user(109).send("hello"))[-1].text  # a volunteer
