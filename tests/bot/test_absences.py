"""/absent: a class's absences of one day, a count per student, another day, saved at once."""

from datetime import date

import pytest

from core import clock
from core.services.people import set_locale
from handlers.absences import AbClass, AbDay, AbsenceFlow
from storage.models import Absence, RiskSignal, SchoolClass, Student
from storage.query_counter import count_queries
from tests.bot.conftest import left_every_school
from tests.conftest import TEST_DATABASE_URL

FRIDAY = date(2026, 2, 27)  # the 28 days up to it hold 20 school days: 120 lessons


@pytest.fixture(autouse=True)
def on_friday(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: FRIDAY)


async def stored() -> dict[tuple[int, date], int]:
    return {(a.student_id, a.day): a.unexcused for a in await Absence.all()}


async def test_a_teacher_gives_each_student_their_own_count(sim, world):
    teacher = sim.user(101)  # world.teacher_a
    classes = await teacher.send("/absent")
    assert classes[-1].text == "Kurā klasē atzīmēt kavējumus?"
    roster = await teacher.press("7.a")
    assert roster[-1].text.startswith("7.a, 27.02.2026.\nNospiediet uz skolēna")
    names = [text for text, _ in roster[-1].buttons()]
    assert names == ["Anna Kalnina", "Janis Ozols", "Cita diena", "Saglabāt"]  # not Marta of 8.b

    ask = await teacher.press("Anna Kalnina")
    assert ask[-1].text.startswith("Anna Kalnina, 27.02.2026.\nCik mācību stundu kavēts")
    assert [t for t, _ in ask[-1].buttons()] == ["1", "2", "3", "4", "5", "6", "Atpakaļ"]
    listed = await teacher.press("2")
    assert [t for t, _ in listed[-1].buttons()][:2] == ["Anna Kalnina · 2", "Janis Ozols"]
    await teacher.press("Janis Ozols")
    listed = await teacher.send("5")  # typed
    assert [t for t, _ in listed[-1].buttons()][:2] == ["Anna Kalnina · 2", "Janis Ozols · 5"]
    assert "Izvēlēti: 2" in listed[-1].text
    assert await Absence.all().count() == 0  # nothing saved before Save

    saved = await teacher.press("Saglabāt")
    text = saved[-1].text
    assert text.startswith("Saglabāts: 2 skolēni\nNeattaisnoti kavējumi, 27.02.2026.")
    assert "• Anna Kalnina — 2 mācību stundas\n• Janis Ozols — 5 mācību stundas" in text
    taps = [t for t, _ in saved[-1].buttons()]
    assert taps == ["Atzīmēt vēl kavējumus", "Izvēlne"]  # two students: no one card to open
    assert await stored() == {(world.student_a1.id, FRIDAY): 2, (world.student_a2.id, FRIDAY): 5}
    rows = await Absence.all()
    assert {(a.source, a.reporter_id) for a in rows} == {("bot", world.teacher_a.id)}


async def test_a_backdated_day_and_who_rose_are_told(sim, world):
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    days = await teacher.press("Cita diena")
    assert days[-1].text == "Kura diena? Pēdējo divu nedēļu mācību dienas."
    labels = [t for t, _ in days[-1].buttons()]
    # Two weeks back from Friday 27 February: eleven school days, newest first; no weekends.
    assert labels[:3] == ["27.02.2026.", "26.02.2026.", "25.02.2026."]
    assert labels[-2:] == ["13.02.2026.", "Atpakaļ"]
    assert len(labels) == 12
    await teacher.press("24.02.2026.")
    for name, lessons in (("Anna Kalnina", "6"), ("Janis Ozols", "6")):
        await teacher.press(name)
        await teacher.press(lessons)
    await teacher.press("Saglabāt")
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("6")
    saved = await teacher.press("Saglabāt")
    # Anna: 12 of 120 lessons by Friday (10%), Janis stays at caution (6 of 120, 5%).
    assert "Tagad augsts risks:\n• Anna Kalnina: 12 no 120 mācību stundām 28 dienās (10.0%)" in (
        saved[-1].text
    )
    assert "Janis" not in saved[-1].text.split("Tagad")[1]
    levels = {s.id: s.absence_level for s in await Student.filter(school_id=world.school_a.id)}
    assert levels[world.student_a1.id] == "high" and levels[world.student_a2.id] == "caution"
    assert await RiskSignal.filter(student_id=world.student_a1.id).count() == 2


async def test_counts_can_be_changed_and_taken_back_before_saving(sim, world):
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("3")
    again = await teacher.press("Anna Kalnina · 3")
    assert "Nekavēja" in [t for t, _ in again[-1].buttons()]
    listed = await teacher.press("Nekavēja")
    assert [t for t, _ in listed[-1].buttons()][0] == "Anna Kalnina"
    await teacher.press("Saglabāt")
    assert teacher.alerts[-1] == "Izvēlieties vismaz vienu skolēnu."
    await teacher.press("Janis Ozols")
    await teacher.press("1")
    await teacher.press("Janis Ozols · 1")
    await teacher.press("4")  # a second count replaces the first
    await teacher.press("Saglabāt")
    assert await stored() == {(world.student_a2.id, FRIDAY): 4}


async def test_bad_input_is_asked_again_in_russian(sim, world):
    await set_locale(world.teacher_a.id, "ru")
    teacher = sim.user(101)
    await teacher.send("/absent")
    assert "нажмите одну из кнопок" in (await teacher.send("7.a"))[-1].text
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    assert "цифрами" in (await teacher.send("два"))[-1].text
    reply = await teacher.send("7")  # a day has six lessons in this school
    assert "от 1 до 6" in reply[-1].text
    photo = await teacher.send_photo()
    assert "Сколько уроков пропущено без уважительной причины?" in photo[-1].text
    await teacher.send("3")
    saved = await teacher.press("Сохранить")
    assert saved[-1].text.startswith("Сохранено: 1 ученик")
    assert await stored() == {(world.student_a1.id, FRIDAY): 3}


async def test_forged_and_stale_buttons_are_refused(sim, world):
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press_data(AbClass(class_id=world.class_b7.id).pack())
    assert teacher.alerts[-1] == "Jums tam nav piekļuves."
    await teacher.press("7.a")
    await teacher.press_data(f"ab_t:{world.student_b1.id}")  # a student of school B
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    await teacher.press("Cita diena")
    await teacher.press_data(AbDay(ordinal=date(2026, 2, 1).toordinal()).pack())  # a Sunday
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    assert await Absence.all().count() == 0


async def test_a_municipality_coordinator_picks_the_school_first(sim, world):
    coordinator = sim.user(106)  # world.coordinator_m1: schools A, B and V
    schools = await coordinator.send("/absent")
    assert schools[-1].text == "Kurā skolā atzīmēt kavējumus?"
    classes = await coordinator.press("Ezerkalnes vidusskola")
    assert [t for t, _ in classes[-1].buttons()] == ["7.a", "8.b"]


async def test_a_class_tap_is_three_statements(sim, world):
    for telegram_id, school in ((101, None), (106, "Ezerkalnes vidusskola")):  # teacher A, m1
        user = sim.user(telegram_id)
        await user.send("/absent")
        if school:
            await user.press(school)
        with count_queries() as tapped:
            roster = await user.press("7.a")
        assert [t for t, _ in roster[-1].buttons()][:2] == ["Anna Kalnina", "Janis Ozols"]
        assert tapped.queries == 3  # the class with its school, the holidays, the class's list


async def test_ticking_the_list_reads_nothing_again(sim, world):
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    with count_queries() as ticks:
        await teacher.press("Anna Kalnina")
        await teacher.press("2")
        await teacher.press("Janis Ozols")
        roster = await teacher.press("Atpakaļ")
    assert [t for t, _ in roster[-1].buttons()][:2] == ["Anna Kalnina · 2", "Janis Ozols"]
    assert ticks.queries == 0  # the list read when the class was tapped, kept in the process


async def test_each_flow_reads_the_class_s_list_anew(sim, world):
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await Student.create(
        school_id=world.school_a.id,
        school_class_id=world.class_a7.id,
        first_name="Zane",
        last_name="Zariņa",
    )
    ticked = await teacher.press("Anna Kalnina")
    ticked = await teacher.press("Atpakaļ")
    assert "Zane Zariņa" not in [t for t, _ in ticked[-1].buttons()]  # this flow's list
    await teacher.send("/absent")
    anew = await teacher.press("7.a")
    assert "Zane Zariņa" in [t for t, _ in anew[-1].buttons()]


async def test_a_teacher_who_lost_access_mid_flow_is_refused_on_the_tap(
    sim, world, forget_kept_copies
):
    """Access lost and the list's copy gone: the count's tap itself gets the refusal as an alert,
    the message stays as it was, and the flow neither moves on nor keeps the count."""
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    asked = await teacher.press("Anna Kalnina")
    await left_every_school(world.teacher_a.id)
    forget_kept_copies()  # expired
    assert await teacher.press("2") == []
    assert teacher.alerts[-1] in ("Jums tam nav piekļuves.", "Nav atrasts.")
    assert teacher.last == asked[-1]
    flow = sim.dispatcher.fsm.get_context(sim.bot, chat_id=teacher.id, user_id=teacher.id)
    assert await flow.get_state() == AbsenceFlow.lessons.state
    assert (await flow.get_data())["counts"] == {}


async def test_a_coordinator_s_class_of_another_school_is_refused(sim, world):
    coordinator = sim.user(106)  # world.coordinator_m1: schools A, B and V
    await coordinator.send("/absent")
    await coordinator.press("Ezerkalnes vidusskola")
    await coordinator.press_data(AbClass(class_id=world.class_b7.id).pack())  # school B's
    assert coordinator.alerts[-1] == "Jums tam nav piekļuves."
    not_theirs = await SchoolClass.get(name="9.a")  # school C, another municipality
    await coordinator.press_data(AbClass(class_id=not_theirs.id).pack())
    assert coordinator.alerts[-1] == "Jums tam nav piekļuves."


async def test_absences_are_for_staff_only(sim, world):
    parent = sim.user(108)
    reply = await parent.send("/absent")
    assert "nav paredzēta Jūsu lomai" in reply[-1].text
    assert await Absence.all().count() == 0


async def saving(teacher, marks: dict[str, str]):
    """Mark these students' lessons in 7.a, then count what Save sends."""
    await teacher.send("/absent")
    await teacher.press("7.a")
    for name, lessons in marks.items():
        await teacher.press(name)
        await teacher.press(lessons)
    with count_queries() as saved:
        replies = await teacher.press("Saglabāt")
    return saved, replies[-1].text


async def test_a_save_is_seven_statements_in_one_transaction(sim, world):
    teacher = sim.user(101)
    saved, text = await saving(teacher, {"Anna Kalnina": "2", "Janis Ozols": "1"})
    assert text.startswith("Saglabāts: 2 skolēni")
    # The class and its school, the students, the holidays; in the transaction the upsert, the
    # students locked, their absences summed, the audit. No savepoint, no roster read again.
    assert saved.queries == 7
    if TEST_DATABASE_URL.startswith("postgres"):
        assert saved.transaction == 2  # BEGIN, COMMIT


async def test_a_rise_adds_the_level_the_signal_and_its_audit(sim, world):
    teacher = sim.user(101)
    saved, text = await saving(teacher, {"Janis Ozols": "6"})
    assert "Tagad — uzmanību:\n• Janis Ozols: 6 no 120" in text
    assert saved.queries == 7 + 3
    assert await RiskSignal.filter(student_id=world.student_a2.id).count() == 1


async def test_absent_for_a_teacher_of_one_school_is_one_statement(sim, world):
    teacher = sim.user(101)
    await teacher.send("/help")  # the actor kept
    with count_queries() as started:
        classes = await teacher.send("/absent")
    assert classes[-1].text == "Kurā klasē atzīmēt kavējumus?"
    assert started.queries == 1  # the classes (which school, and that it is theirs: no query)
