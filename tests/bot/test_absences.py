"""Absences for a class at once: class, tick students, lessons, saved; in Latvian and Russian."""

from core.clock import today
from core.services import signals
from core.services.people import set_locale
from handlers.absences import AbClass
from storage.models import RiskSignal


async def absences_of(student_id: int) -> list[RiskSignal]:
    return await RiskSignal.filter(student_id=student_id, factor="unexcused_absences")


async def test_a_teacher_marks_two_students_in_latvian(sim, world):
    teacher = sim.user(101)  # world.teacher_a
    classes = await teacher.send("/absent")
    assert classes[-1].text == "Kurā klasē atzīmēt kavējumus?"
    assert [text for text, _ in classes[-1].buttons()] == ["7.a", "8.b"]

    roster = await teacher.press("7.a")
    assert roster[-1].edited
    assert roster[-1].text.startswith("7.a: atzīmējiet skolēnus")
    names = [text for text, _ in roster[-1].buttons()]
    assert names == ["Anna Kalnina", "Janis Ozols", "Tālāk"]  # only 7.a, not Marta of 8.b

    await teacher.press("Anna Kalnina")
    ticked = await teacher.press("Janis Ozols")
    assert [t for t, _ in ticked[-1].buttons()][:2] == ["✓ Anna Kalnina", "✓ Janis Ozols"]
    assert "Izvēlēti: 2" in ticked[-1].text
    untick = await teacher.press("✓ Janis Ozols")  # a second tap takes the mark away
    assert [t for t, _ in untick[-1].buttons()][:2] == ["✓ Anna Kalnina", "Janis Ozols"]
    await teacher.press("Janis Ozols")

    lessons = await teacher.press("Tālāk")
    assert lessons[-1].edited
    assert "Anna Kalnina, Janis Ozols" in lessons[-1].text
    assert "Cik mācību stundas viņi šodien kavēja?" in lessons[-1].text
    assert [t for t, _ in lessons[-1].buttons()] == ["1", "2", "3", "4", "5", "6", "Atpakaļ"]

    saved = await teacher.press("2")
    assert saved[-1].text.startswith("Saglabāts: 2 skolēni, pa 2 mācību stundām katram.")
    assert f"Neattaisnoti kavējumi, {today():%d.%m.%Y}." in saved[-1].text
    assert "• Anna Kalnina\n• Janis Ozols" in saved[-1].text
    assert saved[-1].buttons() == []

    stored = await RiskSignal.filter(factor="unexcused_absences").order_by("student_id")
    assert [s.student_id for s in stored] == [world.student_a1.id, world.student_a2.id]
    for signal in stored:
        assert (signal.value, signal.level, signal.group) == (2, "caution", "learning")
        assert signal.reporter_id == world.teacher_a.id
        assert signal.observed_from == signal.observed_to == today()


async def test_a_teacher_marks_absences_in_russian_from_the_menu(sim, world):
    await set_locale(world.psychologist_a.id, "ru")
    specialist = sim.user(102)
    await specialist.send("/menu")
    classes = await specialist.press("Отметить пропуски")
    assert classes[-1].text == "В каком классе отметить пропуски?"
    roster = await specialist.press("8.b")
    assert roster[-1].text.startswith("8.b: отметьте учеников, которые сегодня пропустили уроки")
    await specialist.press("Marta Liepa")
    lessons = await specialist.press("Далее")
    assert "Сколько уроков они сегодня пропустили?" in lessons[-1].text
    assert "Назад" in [t for t, _ in lessons[-1].buttons()]

    saved = await specialist.send("3")
    assert saved[-1].text.startswith("Сохранено: 1 ученик, по 3 урока у каждого.")
    assert "Пропуски без уважительной причины" in saved[-1].text
    assert "• Marta Liepa" in saved[-1].text
    [signal] = await absences_of(world.student_a3.id)
    assert (signal.value, signal.reporter_id) == (3, world.psychologist_a.id)


async def test_plural_forms_follow_the_numbers(sim, world):
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("Tālāk")
    one = await teacher.send("1")
    assert one[-1].text.startswith("Saglabāts: 1 skolēns, pa 1 mācību stundai katram.")

    await set_locale(world.teacher_a.id, "ru")
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("Janis Ozols")
    await teacher.press("Далее")
    many = await teacher.send("11")
    assert many[-1].text.startswith("Сохранено: 2 ученика, по 11 уроков у каждого.")


async def test_a_student_with_many_absences_is_marked_high_risk(sim, world):
    await signals.record_absences(world.teacher_a, world.class_a7.id, [world.student_a1.id], 12)
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("Janis Ozols")
    await teacher.press("Tālāk")
    saved = await teacher.press("1")
    assert "• Anna Kalnina — Augsts risks\n• Janis Ozols\n" in saved[-1].text + "\n"
    levels = {s.student_id: s.level for s in await RiskSignal.filter(value=1)}
    assert levels == {world.student_a1.id: "high", world.student_a2.id: "caution"}


async def test_bad_input_is_asked_again_and_nothing_is_saved_until_the_end(sim, world):
    teacher = sim.user(101)
    await teacher.send("/absent")
    assert "izvēlieties kādu no pogām" in (await teacher.send("7.a"))[-1].text
    await teacher.press("7.a")
    assert "izvēlieties kādu no pogām" in (await teacher.send("Anna"))[-1].text
    assert "izvēlieties kādu no pogām" in (await teacher.send_photo())[-1].text

    await teacher.press("Tālāk")
    assert teacher.alerts[-1] == "Izvēlieties vismaz vienu skolēnu."
    await teacher.press("Janis Ozols")
    await teacher.press("Tālāk")

    word = await teacher.send("divas")
    assert word[-1].text.startswith("Lūdzu, ierakstiet mācību stundu skaitu ar cipariem")
    assert "1" in [t for t, _ in word[-1].buttons()]
    for number in ("0", "13", "-2"):
        reply = await teacher.send(number)
        assert reply[-1].text.startswith("Mācību stundu skaitam jābūt no 1 līdz 12."), number
    photo = await teacher.send_photo()
    assert "Cik mācību stundas viņi šodien kavēja?" in photo[-1].text
    assert await RiskSignal.all().count() == 0

    back = await teacher.press("Atpakaļ")  # back to the ticks, which are kept
    assert "✓ Janis Ozols" in [t for t, _ in back[-1].buttons()]
    await teacher.press("Tālāk")
    stale_sent, stale_tick = teacher.find_button("1")
    await teacher.send("4")
    assert [s.value for s in await absences_of(world.student_a2.id)] == [4]

    await teacher.press_data(stale_tick, stale_sent)  # a button from before the save
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    assert await RiskSignal.all().count() == 1


async def test_bad_input_in_russian(sim, world):
    await set_locale(world.teacher_a.id, "ru")
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Далее")
    assert teacher.alerts[-1] == "Выберите хотя бы одного ученика."
    assert "нажмите одну из кнопок" in (await teacher.send("Анна"))[-1].text
    await teacher.press("Anna Kalnina")
    await teacher.press("Далее")
    assert "цифрами" in (await teacher.send("два"))[-1].text
    assert "от 1 до 12" in (await teacher.send("20"))[-1].text
    assert await RiskSignal.all().count() == 0


async def test_a_forged_class_of_another_school_is_refused(sim, world):
    teacher = sim.user(101)
    await teacher.send("/absent")
    await teacher.press_data(AbClass(class_id=world.class_b7.id).pack())
    assert teacher.alerts[-1] == "Jums tam nav piekļuves."
    await teacher.press_data("ab_t:999999")  # a toggle before any class: stale
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")


async def test_a_teacher_of_school_b_sees_only_school_b(sim, world):
    teacher_b = sim.user(103)
    roster = await teacher_b.send("/absent")  # school B has one class: straight to its students
    assert roster[-1].text.startswith("7.a: atzīmējiet skolēnus")
    assert [t for t, _ in roster[-1].buttons()] == ["Peteris Berzs", "Tālāk"]
    await teacher_b.press_data(f"ab_t:{world.student_a1.id}")  # a student of school A
    assert teacher_b.alerts[-1].startswith("Šī poga vairs nav aktīva")
    await teacher_b.press("Peteris Berzs")
    await teacher_b.press("Tālāk")
    await teacher_b.press("1")
    assert await RiskSignal.filter(student_id=world.student_a1.id).count() == 0
    assert await RiskSignal.filter(student_id=world.student_b1.id).count() == 1


async def test_a_municipality_coordinator_picks_the_school_first(sim, world):
    coordinator = sim.user(106)  # world.coordinator_m1: schools A, B and V
    schools = await coordinator.send("/absent")
    assert schools[-1].text == "Kurā skolā atzīmēt kavējumus?"
    names = [t for t, _ in schools[-1].buttons()]
    assert set(names) == {"Ezerkalnes vidusskola", "Liepu pamatskola", "Ezerkalnes tehnikums"}
    classes = await coordinator.press("Ezerkalnes vidusskola")
    assert [t for t, _ in classes[-1].buttons()] == ["7.a", "8.b"]


async def test_absences_are_for_staff_only(sim, world):
    parent = sim.user(108)
    reply = await parent.send("/absent")
    assert "nav paredzēta Jūsu lomai" in reply[-1].text
    assert await RiskSignal.all().count() == 0
