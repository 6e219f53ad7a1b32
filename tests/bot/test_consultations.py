"""Logging a consultation: every step by button and by typing, bad input, scope, storage."""

from datetime import date, timedelta

import pytest

from core.clock import today
from core.formatting import short_date
from core.services.people import set_locale
from handlers.callbacks import StudentAction
from handlers.consultations import CoClass, CoMinutes, CoSpecialist, CoStudent
from storage.models import Consultation, Student
from tests.bot.conftest import make_simulator

DENIED_LV = "Jums tam nav piekļuves."
DENIED_RU = "У Вас нет доступа к этому."
STALE_LV = "Šī poga vairs nav aktīva"
STALE_RU = "Эта кнопка больше не действует"


@pytest.fixture
async def sim(db, redis):
    """These conversations are long: a flood limit no test reaches."""
    return await make_simulator(redis, flood_limit=1000)


def labels(sent) -> list[str]:
    return [text for text, _ in sent.buttons()]


async def test_teacher_logs_a_session_by_buttons_in_latvian(sim, world):
    teacher = sim.user(101)  # teacher_a, specialty "teacher"
    first = (await teacher.send("/consult"))[-1]
    assert "Izvēlieties klasi" in first.text
    assert labels(first) == ["7.a", "8.b"]

    students = (await teacher.press("7.a"))[-1]
    assert students.edited and "7.a klase: izvēlieties skolēnu" in students.text
    assert labels(students) == ["Anna Kalnina", "Janis Ozols", "Atpakaļ"]

    specialists = (await teacher.press("Anna Kalnina"))[-1]
    assert specialists.text == "Anna Kalnina: kas vadīja konsultāciju?"
    assert labels(specialists)[:2] == ["✓ Pedagogs", "Psihologs"]
    assert len(labels(specialists)) == 8

    day = (await teacher.press("Psihologs"))[-1]
    assert "Kad tā notika?" in day.text and labels(day) == ["Šodien", "Vakar"]
    minutes = (await teacher.press("Vakar"))[-1]
    assert "Cik minūšu" in minutes.text
    assert labels(minutes) == ["30 min", "45 min", "60 min", "90 min"]
    mode = (await teacher.press("45 min"))[-1]
    assert mode.text == "Klātienē vai attālināti?"
    assert labels(mode) == ["Klātienē", "Attālināti"]
    topic = (await teacher.press("Attālināti"))[-1]
    assert "Ierakstiet tēmu" in topic.text and labels(topic) == ["Izlaist"]
    assert await Consultation.all().count() == 0

    saved = (await teacher.send("Mācību motivācija"))[-1]
    yesterday = today() - timedelta(days=1)
    assert saved.text == (
        "Konsultācija saglabāta: Anna Kalnina.\n"
        f"{short_date(yesterday, 'lv')} · 45 min · Psihologs · Attālināti\n"
        "Tēma: Mācību motivācija"
    )
    assert labels(saved) == ["Vēl viena konsultācija", "Skolēna kartīte", "Izvēlne"]

    stored = await Consultation.get()
    assert stored.student_id == world.student_a1.id
    assert stored.provider_id == world.teacher_a.id
    assert (stored.held_on, stored.minutes, stored.mode) == (yesterday, 45, "remote")
    assert (stored.specialist_type, stored.topic) == ("psychologist", "Mācību motivācija")


async def test_psychologist_searches_types_and_skips_in_russian(sim, world):
    await set_locale(world.psychologist_a.id, "ru")
    psychologist = sim.user(102)
    first = (await psychologist.send("/consult"))[-1]
    assert "Выберите класс или введите часть имени ученика" in first.text

    found = (await psychologist.send("ozol"))[-1]
    assert found.text == "Выберите ученика:"
    assert labels(found) == ["Janis Ozols, 7.a"]
    specialists = (await psychologist.press("Janis Ozols"))[-1]
    assert specialists.text == "Janis Ozols: кто провёл консультацию?"
    assert labels(specialists)[0] == "✓ Психолог"

    day = (await psychologist.press("✓ Психолог"))[-1]
    assert "дд.мм" in day.text and labels(day) == ["Сегодня", "Вчера"]
    new_year = date(today().year, 1, 1)
    minutes = (await psychologist.send(new_year.strftime("%d.%m")))[-1]
    assert "Сколько минут" in minutes.text and labels(minutes)[0] == "30 мин"
    mode = (await psychologist.send("50"))[-1]
    assert mode.text == "Очно или дистанционно?"
    topic = (await psychologist.press("Очно"))[-1]
    assert "«Пропустить»" in topic.text
    saved = (await psychologist.press("Пропустить"))[-1]
    assert saved.text == (
        "Консультация сохранена: Janis Ozols.\n"
        f"{short_date(new_year, 'ru')} · 50 мин · Психолог · Очно"
    )

    stored = await Consultation.get()
    assert stored.student_id == world.student_a2.id
    assert (stored.held_on, stored.minutes, stored.mode) == (new_year, 50, "in_person")
    assert (stored.specialist_type, stored.topic) == ("psychologist", None)


async def test_bad_input_at_every_step_is_asked_again_in_latvian(sim, world):
    teacher = sim.user(101)
    await teacher.send("/consult")
    assert "Lūdzu, atbildiet ar tekstu vai pogu." in (await teacher.send_photo())[-1].text
    nobody = (await teacher.send("Zzyzx"))[-1]
    assert nobody.text.startswith("Pēc „Zzyzx“ neviens skolēns netika atrasts.")
    assert labels(nobody) == ["7.a", "8.b"]
    assert "Ierakstiet daļu" in (await teacher.send("   "))[-1].text
    await teacher.send("Marta")
    await teacher.press("Marta Liepa")

    again = (await teacher.send("psihologs"))[-1]
    assert again.text.startswith("Lūdzu, izvēlieties ar pogu.\nMarta Liepa:")
    assert len(labels(again)) == 8
    assert "Marta Liepa" in (await teacher.send_photo())[-1].text
    await teacher.press("✓ Pedagogs")

    tomorrow = today() + timedelta(days=1)
    future = "Datums nevar būt nākotnē."
    this_year = [(tomorrow.strftime("%d.%m"), future)] if tomorrow.year == today().year else []
    for typed, problem in this_year + [
        ("31.02", "Neizdevās nolasīt šo datumu."),
        ("vakar", "Neizdevās nolasīt šo datumu."),
        ("12.13.2026", "Neizdevās nolasīt šo datumu."),
        (tomorrow.strftime("%d.%m.%Y"), future),
        ("01.01.2020", "Datums ir senāks par vienu gadu."),
    ]:
        reply = (await teacher.send(typed))[-1]
        assert reply.text.startswith(problem + "\nKad tā notika?"), typed
        assert labels(reply) == ["Šodien", "Vakar"]
    assert "Kad tā notika?" in (await teacher.send_photo())[-1].text
    await teacher.press("Šodien")

    for typed in ("četrdesmit", "0", "1000", "-5", "4.5", "²", "9" * 5000):
        reply = (await teacher.send(typed))[-1]
        assert reply.text.startswith("Ievadiet ilgumu minūtēs no 1 līdz 480.\nCik minūšu"), typed
    assert "Cik minūšu" in (await teacher.send_photo())[-1].text
    await teacher.send("480")

    assert (await teacher.send("klātienē"))[-1].text == (
        "Lūdzu, izvēlieties ar pogu.\nKlātienē vai attālināti?"
    )
    assert "Klātienē vai attālināti?" in (await teacher.send_photo())[-1].text
    await teacher.press("Klātienē")

    too_long = (await teacher.send("x" * 501))[-1]
    assert too_long.text.startswith("Tēma ir pārāk gara: ne vairāk kā 500 rakstzīmes.")
    assert "Ierakstiet tēmu" in (await teacher.send_photo())[-1].text
    assert await Consultation.all().count() == 0

    await teacher.send("y" * 500)
    stored = await Consultation.get()
    assert (stored.student_id, stored.minutes, stored.held_on) == (
        world.student_a3.id,
        480,
        today(),
    )
    assert (stored.specialist_type, stored.mode, stored.topic) == (
        "teacher",
        "in_person",
        "y" * 500,
    )


async def test_bad_input_is_answered_in_russian(sim, world):
    await set_locale(world.teacher_a.id, "ru")
    teacher = sim.user(101)
    await teacher.send("/consult")
    assert (await teacher.send("Zzyzx"))[-1].text.startswith("По запросу «Zzyzx» ученик не найден")
    assert "ответьте текстом или кнопкой" in (await teacher.send_photo())[-1].text
    await teacher.press("7.a")
    await teacher.press("Anna")
    assert (await teacher.send("учитель"))[-1].text.startswith("Пожалуйста, выберите кнопкой.")
    await teacher.press("✓ Учитель")
    assert (await teacher.send("31.02"))[-1].text.startswith("Не удалось распознать эту дату.")
    tomorrow = (today() + timedelta(days=1)).strftime("%d.%m.%Y")
    assert (await teacher.send(tomorrow))[-1].text.startswith("Дата не может быть в будущем")
    await teacher.press("Вчера")
    assert (await teacher.send("сорок"))[-1].text.startswith("Укажите продолжительность в минутах")
    assert (await teacher.send("0"))[-1].text.startswith("Укажите продолжительность в минутах")
    await teacher.press("90")
    await teacher.press("Дистанционно")
    assert (await teacher.send("т" * 501))[-1].text.startswith("Тема слишком длинная")
    assert await Consultation.all().count() == 0
    await teacher.press("Пропустить")
    assert (await Consultation.get()).minutes == 90


async def test_stale_and_forged_buttons_save_nothing(sim, world):
    teacher = sim.user(101)
    await teacher.send("/consult")
    await teacher.press_data(CoMinutes(minutes=45).pack())  # a step not reached yet
    assert teacher.alerts[-1].startswith(STALE_LV)

    await teacher.press_data(CoStudent(student_id=world.student_c1.id).pack())
    assert teacher.alerts[-1] == "Nav atrasts."  # out of scope: as if there were none
    await teacher.press_data(CoStudent(student_id=999_999).pack())
    assert teacher.alerts[-1] == "Nav atrasts."
    school_c_class = await Student.get(id=world.student_c1.id).values_list(
        "school_class_id", flat=True
    )
    await teacher.press_data(CoClass(school_id=world.school_c.id, class_id=school_c_class).pack())
    assert teacher.alerts[-1] == "Nav atrasts."
    await teacher.press_data(CoClass(school_id=world.school_a.id, class_id=999).pack())
    assert teacher.alerts[-1] == "Nav atrasts."

    await teacher.press("7.a")
    await teacher.press("Anna")
    await teacher.press_data(CoSpecialist(code="wizard").pack())
    assert teacher.alerts[-1].startswith(STALE_LV)
    await teacher.press("Pedagogs")
    await teacher.press("Šodien")
    await teacher.press_data(CoMinutes(minutes=1000).pack())
    assert teacher.alerts[-1].startswith(STALE_LV)
    await teacher.press("Šodien")  # the date step is over
    assert teacher.alerts[-1].startswith(STALE_LV)

    await teacher.send("/cancel")
    assert "Nekas vairāk netika saglabāts" in teacher.inbox[-2].text
    await teacher.press("60 min")
    assert teacher.alerts[-1].startswith(STALE_LV)
    assert await Consultation.all().count() == 0


async def test_forged_buttons_are_refused_in_russian(sim, world):
    await set_locale(world.teacher_a.id, "ru")
    teacher = sim.user(101)
    await teacher.send("/consult")
    await teacher.press_data(CoStudent(student_id=world.student_b1.id).pack())
    assert teacher.alerts[-1] == "Не найдено."
    await teacher.press_data(CoSpecialist(code="teacher").pack())
    assert teacher.alerts[-1].startswith(STALE_RU)
    await teacher.press_data(StudentAction(action="consult", student_id=world.student_c1.id).pack())
    assert teacher.alerts[-1] == "Не найдено."
    assert await Consultation.all().count() == 0


async def test_from_a_students_card_the_student_is_known(sim, world):
    psychologist = sim.user(102)
    await psychologist.send("/menu")
    action = StudentAction(action="consult", student_id=world.student_a3.id).pack()
    start = (await psychologist.press_data(action))[-1]
    assert start.text == "Marta Liepa: kas vadīja konsultāciju?"
    assert not start.edited
    await psychologist.press("Psihologs")
    await psychologist.press("Šodien")
    await psychologist.press("30 min")
    await psychologist.press("Klātienē")
    await psychologist.send("Stress")
    stored = await Consultation.get()
    assert (stored.student_id, stored.minutes, stored.topic) == (world.student_a3.id, 30, "Stress")


async def test_municipality_coordinator_chooses_the_school_first(sim, world):
    coordinator = sim.user(106)  # coordinator_m1: schools A, B and V
    first = (await coordinator.send("/consult"))[-1]
    assert "Izvēlieties skolu" in first.text
    assert labels(first) == ["Ezerkalnes tehnikums", "Ezerkalnes vidusskola", "Liepu pamatskola"]
    classes = (await coordinator.press("Liepu pamatskola"))[-1]
    assert labels(classes) == ["7.a", "Atpakaļ"]
    schools = (await coordinator.press("Atpakaļ"))[-1]
    assert "Izvēlieties skolu" in schools.text
    await coordinator.press("Liepu pamatskola")
    await coordinator.press("7.a")
    specialists = (await coordinator.press("Peteris Berzs"))[-1]
    assert not any(label.startswith("✓") for label in labels(specialists))
    await coordinator.press("Sociālais pedagogs")
    await coordinator.press("Vakar")
    await coordinator.send("20")
    await coordinator.press("Klātienē")
    await coordinator.press("Izlaist")
    stored = await Consultation.get()
    assert (stored.student_id, stored.specialist_type) == (world.student_b1.id, "social_pedagogue")

    await coordinator.send("/consult")
    found = (await coordinator.send("Egle"))[-1]
    assert found.text.startswith("Pēc „Egle“ neviens skolēns netika atrasts")  # school C is in M2


async def test_search_with_too_many_matches_asks_for_more(sim, world):
    for n in range(11):
        await Student.create(
            school_id=world.school_a.id,
            school_class_id=world.class_a8.id,
            first_name=f"Vārds{n}",
            last_name="Bērziņš",
        )
    teacher = sim.user(101)
    await teacher.send("/consult")
    assert (await teacher.send("bērziņš"))[-1].text == (
        "Atbilst 11 skolēnu. Ierakstiet garāku vārda daļu."
    )
    found = (await teacher.send("Vārds1 Bērziņš"))[-1]
    assert labels(found) == ["Vārds1 Bērziņš, 8.b", "Vārds10 Bērziņš, 8.b"]


async def test_menu_starts_it_and_other_roles_cannot(sim, world):
    teacher = sim.user(101)
    await teacher.send("/menu")
    assert "Izvēlieties klasi" in (await teacher.press("Reģistrēt konsultāciju"))[-1].text
    await teacher.press("7.a")
    await teacher.press("Janis")
    await teacher.press("Pedagogs")
    await teacher.press("Šodien")
    await teacher.press("60")
    await teacher.press("Klātienē")
    await teacher.press("Izlaist")
    again = (await teacher.press("Vēl viena konsultācija"))[-1]
    assert "Izvēlieties klasi" in again.text

    parent = sim.user(108)
    assert "nav paredzēta Jūsu lomai" in (await parent.send("/consult"))[-1].text
    await parent.press_data(StudentAction(action="consult", student_id=world.student_a1.id).pack())
    assert parent.alerts[-1].startswith(STALE_LV)
    volunteer = sim.user(109)
    assert "nav paredzēta Jūsu lomai" in (await volunteer.send("/consult"))[-1].text
    assert await Consultation.all().count() == 1
