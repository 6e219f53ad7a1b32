"""One risk signal: student, group, factor, value, note, summary, save and undo; lv and ru."""

from datetime import timedelta

import pytest

from core.access import workable_student
from core.clock import now, today
from core.errors import AccessDenied, NotFound
from core.services.people import set_locale
from handlers.callbacks import StudentAction
from handlers.risk import RiskFlow, RsClass, RsStudent
from storage.models import RiskSignal
from storage.query_counter import count_queries
from tests.bot.conftest import left_every_school


def labels(sent) -> list[str]:
    return [text for text, _ in sent.buttons()]


async def test_a_teacher_logs_absences_as_a_risk_signal_in_latvian(sim, world):
    teacher = sim.user(101)  # world.teacher_a
    who = await teacher.send("/risk")
    assert who[-1].text.startswith("Par kuru skolēnu ir riska signāls?")
    assert labels(who[-1]) == ["7.a", "8.b"]

    students = await teacher.press("7.a")
    assert students[-1].text == "7.a: izvēlieties skolēnu."
    assert labels(students[-1]) == ["Anna Kalnina", "Janis Ozols"]

    groups = await teacher.press("Anna Kalnina")
    assert groups[-1].text == "Anna Kalnina, 7.a\nKura riska grupa?"
    assert labels(groups[-1]) == [
        "Mācību darba un izglītības iestādes riski",
        "Ekonomiskie riski",
        "Ar ģimeni saistītie riski",
        "Sociālās vides un veselības riski",
    ]

    factors = await teacher.press("Mācību darba")
    assert factors[-1].text.endswith("Kurš riska faktors?")
    assert labels(factors[-1]) == [
        "Neattaisnoti kavējumi",
        "Zemi mācību sasniegumi",
        "Mācīšanās traucējumi",
        "Uzvedības problēmas",
        "Konflikti skolā, mobings",
        "Motivācijas trūkums",
        "Atpakaļ",
    ]

    value = await teacher.press("Neattaisnoti kavējumi")
    assert value[-1].text == (
        "Anna Kalnina, 7.a\nNeattaisnoti kavējumi\nCik mācību stundas skolēns šodien kavēja? "
        "Nospiediet skaitli vai ierakstiet skaitli no 1 līdz 12."
    )
    assert labels(value[-1]) == ["1", "2", "3", "4", "5", "6"]

    note = await teacher.send("3")
    assert note[-1].text.endswith(
        "Pievienot piezīmi? Ierakstiet to (ne vairāk kā 1000 rakstzīmes) vai nospiediet „Izlaist“."
    )
    assert labels(note[-1]) == ["Izlaist"]

    summary = await teacher.send("Kavē pirmdienās")
    assert summary[-1].text == (
        "Lūdzu, pārbaudiet riska signālu:\n"
        "Skolēns: Anna Kalnina, 7.a\n"
        "Grupa: Mācību darba un izglītības iestādes riski\n"
        "Faktors: Neattaisnoti kavējumi\n"
        "Kavēts: 3 mācību stundas\n"
        f"Datums: {today():%d.%m.%Y}.\n"
        "Līmenis: Uzmanību\n"  # 3 of four weeks' ~120 lessons is under 10%
        "Piezīme: Kavē pirmdienās"
    )
    assert labels(summary[-1]) == ["Saglabāt", "Mainīt uz: Augsts risks", "Labot", "Atcelt"]

    toggled = await teacher.press("Mainīt uz")
    assert "Līmenis: Augsts risks" in toggled[-1].text
    assert "Mainīt uz: Uzmanību" in labels(toggled[-1])
    toggled = await teacher.press("Mainīt uz")
    assert "Līmenis: Uzmanību" in toggled[-1].text
    assert await RiskSignal.all().count() == 0

    saved = await teacher.press("Saglabāt")
    assert saved[-1].text.startswith("Saglabāts. To var atsaukt 10 minūšu laikā.\nSkolēns:")
    assert labels(saved[-1]) == ["Atsaukt", "Vēl viens signāls", "Skolēna kartīte", "Izvēlne"]
    [signal] = await RiskSignal.all()
    assert signal.student_id == world.student_a1.id
    assert (signal.group, signal.factor, signal.value) == ("learning", "unexcused_absences", 3)
    assert signal.level == "caution"
    assert signal.reporter_id == world.teacher_a.id
    assert signal.note == "Kavē pirmdienās"
    assert signal.observed_from == signal.observed_to == today()


async def test_a_teacher_searches_by_name_and_edits_in_russian(sim, world):
    await set_locale(world.teacher_a.id, "ru")
    teacher = sim.user(101)
    await teacher.send("/menu")
    who = await teacher.press("Записать сигнал риска")
    assert who[-1].text.startswith("О каком ученике сигнал риска?")

    nobody = await teacher.send("Петров")
    assert nobody[-1].text == "По запросу «Петров» ученик не найден. Введите другую часть имени."
    found = await teacher.send("ozol")
    assert found[-1].text == "Выберите ученика:"
    assert labels(found[-1]) == ["Janis Ozols · 7.a"]

    groups = await teacher.press("Janis Ozols")
    assert groups[-1].text == "Janis Ozols, 7.a\nКакая группа риска?"
    factors = await teacher.press("Экономические риски")
    assert labels(factors[-1]) == ["Материальные условия", "Начало трудовой деятельности", "Назад"]
    groups = await teacher.press("Назад")
    assert "Какая группа риска?" in groups[-1].text
    factors = await teacher.press("Риски, связанные с семьёй")
    assert factors[-1].text == "Janis Ozols, 7.a\nРиски, связанные с семьёй\nКакой фактор риска?"

    note = await teacher.press("Кризис в семье")  # no number to give: straight to the note
    assert "Добавить заметку?" in note[-1].text
    summary = await teacher.press("Пропустить")
    assert summary[-1].text == (
        "Пожалуйста, проверьте сигнал риска:\n"
        "Ученик: Janis Ozols, 7.a\n"
        "Группа: Риски, связанные с семьёй\n"
        "Фактор: Кризис в семье\n"
        f"Дата: {today():%d.%m.%Y}\n"
        "Уровень: Внимание"
    )
    assert labels(summary[-1]) == ["Сохранить", "Изменить на: Высокий риск", "Изменить", "Отмена"]

    again = await teacher.press_data("rs_a:edit")  # Edit: back to the group, the student kept
    assert again[-1].text == "Janis Ozols, 7.a\nКакая группа риска?"
    await teacher.press("Риски, связанные с учёбой")
    await teacher.press("Проблемы с поведением")
    summary = await teacher.send("Спорит с учителями")
    assert "Фактор: Проблемы с поведением" in summary[-1].text
    assert "Заметка: Спорит с учителями" in summary[-1].text
    await teacher.press("Изменить на: Высокий риск")
    saved = await teacher.press("Сохранить")
    assert saved[-1].text.startswith("Сохранено. Это можно отменить в течение 10 минут.")
    assert labels(saved[-1]) == ["Отменить", "Ещё один сигнал", "Карточка ученика", "Меню"]

    [signal] = await RiskSignal.all()
    assert (signal.student_id, signal.factor, signal.group) == (
        world.student_a2.id,
        "behaviour",
        "learning",
    )
    assert (signal.value, signal.level, signal.note) == (None, "high", "Спорит с учителями")
    assert signal.reporter_id == world.teacher_a.id


async def test_from_a_student_card_and_the_value_by_button(sim, world):
    psychologist = sim.user(102)
    await psychologist.send("/menu")  # a card's button comes on a message of the bot
    groups = await psychologist.press_data(
        StudentAction(action="risk", student_id=world.student_a3.id).pack()
    )
    assert groups[-1].text == "Marta Liepa, 8.b\nKura riska grupa?"
    await psychologist.press("Mācību darba")
    await psychologist.press("Neattaisnoti kavējumi")
    note = await psychologist.press("2")
    assert note[-1].edited and "Pievienot piezīmi?" in note[-1].text
    summary = await psychologist.press("Izlaist")
    assert "Kavēts: 2 mācību stundas" in summary[-1].text
    await psychologist.press("Saglabāt")
    [signal] = await RiskSignal.all()
    assert (signal.student_id, signal.value, signal.note) == (world.student_a3.id, 2, None)
    assert signal.reporter_id == world.psychologist_a.id


async def test_a_student_out_of_scope_is_refused_and_nothing_saved(sim, world):
    teacher = sim.user(101)
    await teacher.send("/menu")
    await teacher.press_data(StudentAction(action="risk", student_id=world.student_b1.id).pack())
    assert teacher.alerts[-1] == "Nav atrasts."
    assert "/menu" in (await teacher.send("Berzs"))[-1].text  # no flow was started

    await set_locale(world.teacher_a.id, "ru")
    await teacher.press_data(StudentAction(action="risk", student_id=world.student_c1.id).pack())
    assert teacher.alerts[-1] == "Не найдено."

    await teacher.send("/risk")
    await teacher.press_data(RsStudent(student_id=world.student_b1.id).pack())
    assert teacher.alerts[-1] == "Не найдено."
    await teacher.press_data(RsClass(class_id=world.class_b7.id).pack())
    assert teacher.alerts[-1] == "У Вас нет доступа к этому."
    assert await RiskSignal.all().count() == 0


async def test_a_teacher_of_school_b_sees_only_school_b(sim, world):
    teacher_b = sim.user(103)
    who = await teacher_b.send("/risk")
    assert labels(who[-1]) == ["7.a"]
    students = await teacher_b.press("7.a")
    assert labels(students[-1]) == ["Peteris Berzs"]
    await teacher_b.send("/risk")
    nobody = await teacher_b.send("Anna")
    assert nobody[-1].text.startswith("Pēc „Anna“ neviens skolēns netika atrasts.")


async def to_the_absences_value(teacher) -> None:
    await teacher.send("/risk")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press_data("rs_g:learning")
    await teacher.press_data("rs_f:unexcused_absences")


async def test_bad_input_while_choosing_the_student_group_and_factor(sim, world):
    teacher = sim.user(101)
    await teacher.send("/risk")
    assert (await teacher.send_photo())[-1].text.startswith("Par kuru skolēnu")
    nobody = await teacher.send("Zzz")
    assert (
        nobody[-1].text == "Pēc „Zzz“ neviens skolēns netika atrasts. Ierakstiet citu vārda daļu."
    )
    pasted = await teacher.send("Anna " * 800)  # not echoed back: too long for one message
    assert pasted[-1].text == "Ierakstiet daļu no skolēna vārda."
    await teacher.send("Anna")
    await teacher.press("Anna Kalnina")
    assert "izvēlieties kādu no pogām" in (await teacher.send("Mācību"))[-1].text
    await teacher.press_data("rs_g:nonsense")
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    await teacher.press("Ekonomiskie riski")
    await teacher.press_data("rs_f:unexcused_absences")  # a factor of another group
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    assert "izvēlieties kādu no pogām" in (await teacher.send_photo())[-1].text
    groups = await teacher.press("Atpakaļ")
    assert groups[-1].text.endswith("Kura riska grupa?")
    assert await RiskSignal.all().count() == 0


async def test_bad_input_for_the_number_of_lessons(sim, world):
    teacher = sim.user(101)
    await to_the_absences_value(teacher)
    word = await teacher.send("trīs")
    assert word[-1].text.startswith("Lūdzu, ierakstiet mācību stundu skaitu ar cipariem")
    assert "Cik mācību stundas skolēns šodien kavēja?" in word[-1].text
    assert labels(word[-1]) == ["1", "2", "3", "4", "5", "6"]
    for number in ("0", "13", "200"):
        reply = await teacher.send(number)
        assert reply[-1].text.startswith("Mācību stundu skaitam jābūt no 1 līdz 12."), number
    assert "Cik mācību stundas" in (await teacher.send_photo())[-1].text
    await teacher.press_data("rs_v:99")
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    note = await teacher.send("12")
    assert "Pievienot piezīmi?" in note[-1].text
    assert await RiskSignal.all().count() == 0


async def test_bad_input_for_the_note_and_the_summary(sim, world):
    teacher = sim.user(101)
    await to_the_absences_value(teacher)
    await teacher.send("1")
    too_long = await teacher.send("x" * 1001)
    assert too_long[-1].text.startswith("Piezīme ir pārāk gara: ne vairāk kā 1000 rakstzīmes.")
    assert "Pievienot piezīmi?" in too_long[-1].text
    assert labels(too_long[-1]) == ["Izlaist"]
    assert "Pievienot piezīmi?" in (await teacher.send_photo())[-1].text
    summary = await teacher.send("x" * 1000)
    assert "Piezīme: " + "x" * 1000 in summary[-1].text
    assert "izvēlieties kādu no pogām" in (await teacher.send("Saglabāt"))[-1].text
    assert await RiskSignal.all().count() == 0

    await teacher.press("Saglabāt")
    [signal] = await RiskSignal.all()
    assert (signal.value, signal.level, len(signal.note)) == (1, "caution", 1000)


async def test_bad_input_in_russian(sim, world):
    await set_locale(world.teacher_a.id, "ru")
    teacher = sim.user(101)
    await teacher.send("/risk")
    assert "не найден" in (await teacher.send("Zzz"))[-1].text
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    assert "нажмите одну из кнопок" in (await teacher.send("что-то"))[-1].text
    await teacher.press("учёбой")
    await teacher.press("Пропуски без уважительной причины")
    assert "цифрами" in (await teacher.send("три"))[-1].text
    assert "от 1 до 12" in (await teacher.send("50"))[-1].text
    await teacher.send("2")
    too_long = await teacher.send("я" * 1001)
    assert too_long[-1].text.startswith("Заметка слишком длинная: не более 1000 символов.")
    assert await RiskSignal.all().count() == 0


async def test_cancel_keeps_nothing_and_old_buttons_go_stale(sim, world):
    teacher = sim.user(101)
    await teacher.send("/risk")
    await teacher.press("7.a")
    await teacher.press("Janis Ozols")
    await teacher.press("Ar ģimeni")
    await teacher.press("Vecāki ārzemēs")
    await teacher.press("Izlaist")
    save_sent, save_data = teacher.find_button("Saglabāt")
    cancelled = await teacher.press("Atcelt")
    assert cancelled[-1].text == "Atcelts. Nekas netika saglabāts."
    assert labels(cancelled[-1]) == ["Vēl viens signāls", "Skolēna kartīte", "Izvēlne"]
    await teacher.press_data(save_data, save_sent)
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    assert await RiskSignal.all().count() == 0

    await set_locale(world.teacher_a.id, "ru")
    await teacher.send("/risk")
    await teacher.press("7.a")
    await teacher.press("Janis Ozols")
    await teacher.press("Риски, связанные с семьёй")
    await teacher.press("Родители за границей")
    await teacher.press("Пропустить")
    cancelled = await teacher.press("Отмена")
    assert cancelled[-1].text == "Отменено. Ничего не сохранено."
    assert await RiskSignal.all().count() == 0


async def save_a_signal(teacher) -> None:
    await teacher.send("/risk")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press_data("rs_g:social_health")
    await teacher.press_data("rs_f:health")
    await teacher.press_data("rs_a:skip")
    await teacher.press_data("rs_a:save")


async def test_undo_within_ten_minutes(sim, world):
    teacher = sim.user(101)
    await save_a_signal(teacher)
    assert await RiskSignal.all().count() == 1
    undone = await teacher.press("Atsaukt")
    assert undone[-1].text == "Riska signāls atsaukts. Nekas netiek glabāts."
    assert labels(undone[-1]) == ["Vēl viens signāls", "Izvēlne"]
    assert await RiskSignal.all().count() == 0

    await set_locale(world.teacher_a.id, "ru")
    await save_a_signal(teacher)
    undone = await teacher.press("Отменить")
    assert undone[-1].text == "Сигнал риска отменён. Ничего не сохранено."
    assert await RiskSignal.all().count() == 0


async def test_undo_after_ten_minutes_is_refused(sim, world):
    teacher = sim.user(101)
    await save_a_signal(teacher)
    await RiskSignal.all().update(created_at=now() - timedelta(minutes=11))
    await teacher.press("Atsaukt")
    assert teacher.alerts[-1] == "Riska signālu var atsaukt tikai 10 minūšu laikā."
    assert await RiskSignal.all().count() == 1

    await set_locale(world.teacher_a.id, "ru")
    await teacher.press("Atsaukt")
    assert teacher.alerts[-1] == "Сигнал можно отменить только в течение 10 минут."
    assert await RiskSignal.all().count() == 1


async def test_only_the_reporter_may_undo(sim, world):
    teacher = sim.user(101)
    await save_a_signal(teacher)
    _, undo = teacher.find_button("Atsaukt")
    colleague = sim.user(102)
    await colleague.send("/menu")
    await colleague.press_data(undo)  # the teacher's button data, forged in their own chat
    assert colleague.alerts[-1] == "Jums tam nav piekļuves."
    assert await RiskSignal.all().count() == 1


async def test_a_municipality_coordinator_picks_the_school_first(sim, world):
    coordinator = sim.user(106)
    who = await coordinator.send("/risk")
    assert who[-1].text.startswith("Par kuru skolēnu ir riska signāls? Izvēlieties skolu")
    await coordinator.press("Liepu pamatskola")
    await coordinator.press("7.a")
    groups = await coordinator.press("Peteris Berzs")
    assert groups[-1].text.startswith("Peteris Berzs, 7.a")


async def test_risk_is_for_staff_only(sim, world):
    parent = sim.user(108)
    assert "nav paredzēta Jūsu lomai" in (await parent.send("/risk"))[-1].text
    await parent.send("/menu")
    await parent.press_data(StudentAction(action="risk", student_id=world.student_a1.id).pack())
    assert parent.alerts[-1].startswith("Šī poga vairs nav aktīva")
    assert await RiskSignal.all().count() == 0


async def test_choosing_the_class_and_the_student_is_a_statement_each(sim, world):
    teacher = sim.user(101)
    await teacher.send("/risk")
    with count_queries() as listed:
        students = await teacher.press("7.a")
    assert labels(students[-1]) == ["Anna Kalnina", "Janis Ozols"]
    # the class's list (the school's classes were read for the step before)
    assert listed.queries == 1
    with count_queries() as chosen:
        groups = await teacher.press("Anna Kalnina")
    assert groups[-1].text == "Anna Kalnina, 7.a\nKura riska grupa?"
    assert chosen.queries == 1  # the student with their school and class: access and label


async def test_a_parent_may_not_log_a_signal_for_their_child(world):
    with pytest.raises(AccessDenied):
        await workable_student(world.parent_a1, world.student_a1.id, with_class=True)
    with pytest.raises(NotFound):
        await workable_student(world.teacher_b, world.student_a1.id)
    student = await workable_student(world.coordinator_m1, world.student_a1.id, with_class=True)
    assert (student.school.name, student.school_class.name) == ("Ezerkalnes vidusskola", "7.a")


async def test_the_student_s_name_is_read_again_once_its_copy_is_gone(
    sim, world, forget_kept_copies
):
    teacher = sim.user(101)
    await teacher.send("/risk")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    with count_queries() as kept_copy:
        factors = await teacher.press("Mācību darba")
    assert factors[-1].text.startswith("Anna Kalnina, 7.a\n")
    assert kept_copy.queries == 0
    forget_kept_copies()  # expired
    with count_queries() as read_again:
        value = await teacher.press("Neattaisnoti kavējumi")
    assert value[-1].text.startswith("Anna Kalnina, 7.a\nNeattaisnoti kavējumi\n")
    assert read_again.queries == 1  # the student with their school and class: access and name
    await left_every_school(world.teacher_a.id)
    forget_kept_copies()
    await teacher.send("3")
    assert "Anna Kalnina" not in teacher.last.text
    assert await RiskSignal.all().count() == 0


async def test_a_teacher_who_lost_access_mid_flow_is_refused_on_the_tap(
    sim, world, forget_kept_copies
):
    """Access lost and the name's copy gone: the next step's tap itself gets the refusal as an
    alert, the message stays as it was, and the flow does not move on."""
    teacher = sim.user(101)
    await teacher.send("/risk")
    await teacher.press("7.a")
    groups = await teacher.press("Anna Kalnina")
    await left_every_school(world.teacher_a.id)
    forget_kept_copies()  # expired
    assert await teacher.press("Mācību darba") == []
    assert teacher.alerts[-1] in ("Jums tam nav piekļuves.", "Nav atrasts.")
    assert teacher.last == groups[-1]
    flow = sim.dispatcher.fsm.get_context(sim.bot, chat_id=teacher.id, user_id=teacher.id)
    assert await flow.get_state() == RiskFlow.group.state
