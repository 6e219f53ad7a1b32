"""My students: who is listed for whom, counts and plan status, paging, and the card."""

import pytest

from core.clock import Semester, today
from core.services import consultations, iaps, signals
from core.services.people import set_locale
from handlers.callbacks import PlanOpen, StudentAction
from handlers.students import StConsent, StOpen, StPage
from storage.models import Student, SupportNeed
from tests.bot.conftest import make_simulator

SEMESTER = Semester.current()
DENIED_LV = "Jums tam nav piekļuves."
STALE_LV = "Šī poga vairs nav aktīva"


@pytest.fixture
async def sim(db, redis):
    """Paging takes many taps: a flood limit no test reaches."""
    return await make_simulator(redis, flood_limit=1000)


def labels(sent) -> list[str]:
    return [text for text, _ in sent.buttons()]


async def _at_risk_everywhere(world) -> None:
    """a1: two signals; a3: a plan only; b1, v1, c1: one signal each; a2: nothing."""
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "low_motivation")
    await iaps.open_iap(world.teacher_a, world.student_a3.id, SEMESTER)
    await signals.record_risk_signal(world.teacher_b, world.student_b1.id, "health")
    await signals.record_risk_signal(world.coordinator_v, world.student_v1.id, "starting_work")
    await signals.record_risk_signal(world.coordinator_m2, world.student_c1.id, "family_crisis")


async def test_a_teacher_sees_the_at_risk_students_of_their_school(sim, world):
    await _at_risk_everywhere(world)
    listed = (await sim.user(101).send("/students"))[-1]
    assert listed.text.startswith("Šajā semestrī ir 2 skolēni ar riska signāliem (")
    assert listed.text.endswith("Nospiediet skolēna vārdu, lai atvērtu viņa kartīti.")
    assert labels(listed) == [
        "Anna Kalnina, 7.a: 2 signāli, nav plāna",
        "Marta Liepa, 8.b: 0 signālu, Projekts",
    ]
    assert listed.buttons()[0][1] == StOpen(student_id=world.student_a1.id, page=0).pack()

    assert labels((await sim.user(103).send("/students"))[-1]) == [
        "Peteris Berzs, 7.a: 1 signāls, nav plāna"
    ]


async def test_the_list_in_russian(sim, world):
    await _at_risk_everywhere(world)
    await set_locale(world.teacher_a.id, "ru")
    listed = (await sim.user(101).send("/students"))[-1]
    assert listed.text.startswith("В этом семестре 2 ученика с сигналами риска (")
    assert "Нажмите на ученика" in listed.text
    assert labels(listed) == [
        "Anna Kalnina, 7.a: 2 сигнала, нет плана",
        "Marta Liepa, 8.b: 0 сигналов, Черновик",
    ]


async def test_coordinators_see_their_school_or_municipality(sim, world):
    await _at_risk_everywhere(world)
    m1 = (await sim.user(106).send("/students"))[-1]
    assert m1.text.startswith("Šajā semestrī ir 4 skolēni ar riska signāliem (")
    assert "Ezerkalnes tehnikums: Rihards Vitols" in m1.text
    assert "Ezerkalnes vidusskola: Anna Kalnina, Marta Liepa" in m1.text
    assert "Liepu pamatskola: Peteris Berzs" in m1.text
    assert [label.split(":")[0] for label in labels(m1)] == [
        "Rihards Vitols, 1.k",
        "Anna Kalnina, 7.a",
        "Marta Liepa, 8.b",
        "Peteris Berzs, 7.a",
    ]
    m2 = (await sim.user(107).send("/students"))[-1]
    assert labels(m2) == ["Ilze Egle, 9.a: 1 signāls, nav plāna"]
    school_a = (await sim.user(104).send("/students"))[-1]
    assert [label.split(",")[0] for label in labels(school_a)] == ["Anna Kalnina", "Marta Liepa"]
    assert "Ezerkalnes vidusskola:" not in school_a.text  # one school: no grouping


async def test_nobody_at_risk_says_so(sim, world):
    lv = (await sim.user(105).send("/students"))[-1]
    assert lv.text.startswith("Šajā semestrī nav neviena skolēna ar riska signāliem (")
    assert [t for t, _ in lv.buttons()] == ["Izvēlne"]
    await set_locale(world.coordinator_v.id, "ru")
    ru = (await sim.user(105).send("/students"))[-1]
    assert ru.text.startswith("В этом семестре учеников с сигналами риска нет (")


async def test_many_students_are_paged(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    for n in range(20):
        student = await Student.create(
            school_id=world.school_a.id,
            school_class_id=world.class_a8.id,
            first_name="Skolēns",
            last_name=f"Z{n:02d}",
        )
        await signals.record_risk_signal(world.teacher_a, student.id, "low_achievement")
    teacher = sim.user(101)

    first = (await teacher.send("/students"))[-1]
    assert "Šajā semestrī ir 21 skolēns ar riska signāliem (" in first.text
    assert "1. lapa no 3." in first.text
    assert labels(first)[0].startswith("Anna Kalnina")
    assert labels(first)[1:8] == [f"Skolēns Z{n:02d}, 8.b: 1 signāls, nav plāna" for n in range(7)]
    assert labels(first)[8:] == ["Nākamā lapa"]

    second = (await teacher.press("Nākamā lapa"))[-1]
    assert second.edited and second.message_id == first.message_id
    assert "2. lapa no 3." in second.text
    assert [label.split(",")[0] for label in labels(second)[:8]] == [
        f"Skolēns Z{n:02d}" for n in range(7, 15)
    ]
    assert labels(second)[8:] == ["Iepriekšējā lapa", "Nākamā lapa"]

    third = (await teacher.press("Nākamā lapa"))[-1]
    assert "3. lapa no 3." in third.text
    assert len(labels(third)) == 6 and labels(third)[-1] == "Iepriekšējā lapa"
    assert "2. lapa no 3." in (await teacher.press("Iepriekšējā lapa"))[-1].text

    assert "3. lapa no 3." in (await teacher.press_data(StPage(page=99).pack()))[-1].text
    await teacher.press_data("st_p:-1")
    assert teacher.alerts[-1].startswith(STALE_LV)

    await set_locale(world.teacher_a.id, "ru")
    ru = (await teacher.send("/students"))[-1]
    assert "Страница 1 из 3." in ru.text and labels(ru)[-1] == "Следующая страница"
    assert "В этом семестре 21 ученик с сигналами риска (" in ru.text


async def _full_record_for_a1(world) -> int:
    """Signals, a draft plan with measures, sessions and a need for a1; the plan's id."""
    teacher, a1 = world.teacher_a, world.student_a1.id
    await signals.record_risk_signal(teacher, a1, "unexcused_absences", value=3)
    await signals.record_risk_signal(teacher, a1, "unexcused_absences", value=4, level="high")
    await signals.record_risk_signal(teacher, a1, "behaviour")
    iap = await iaps.open_iap(teacher, a1, SEMESTER)
    await iaps.add_measure(
        teacher,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=6,
        risk_factors=["unexcused_absences"],
    )
    await iaps.add_measure(
        teacher,
        iap.id,
        kind="material",
        support_type="meals",
        planned_quantity=4,
        risk_factors=["material_conditions"],
    )
    for _ in range(2):
        await consultations.log_consultation(
            world.psychologist_a, a1, held_on=today(), minutes=45, mode="in_person"
        )
    await SupportNeed.create(
        student_id=a1,
        support_type="meals",
        school_year=SEMESTER.school_year,
        semester=SEMESTER.number,
    )
    return iap.id


async def test_the_card_shows_risks_measures_sessions_and_needs(sim, world):
    plan_id = await _full_record_for_a1(world)
    teacher = sim.user(101)
    await teacher.send("/students")
    card = (await teacher.press("Anna Kalnina"))[-1]
    assert not card.edited
    assert card.text == (
        "Anna Kalnina\n"
        "7.a klase, Ezerkalnes vidusskola\n"
        "Statuss: Projekts\n"
        "Nav piekrišanas\n"
        "\n"
        "Identificētie riski:\n"
        "• Neattaisnoti kavējumi: Augsts risks; 2 signāli, 7 nokavētas mācību stundas\n"
        "• Uzvedības problēmas: Uzmanību; 1 signāls\n"
        "\n"
        "Atbalsta pasākumi (plānots / īstenots):\n"
        "• Psihologs: plānotas 6 h / 2 konsultācijas, 1,5 h\n"
        "• Ēdināšana: 4 plānoti mēneši / 0 apstiprinātu mēnešu\n"
        "\n"
        "Konsultācijas šajā semestrī:\n"
        "• Psihologs: 2 konsultācijas, 1,5 h\n"
        "\n"
        "Atbalsta vajadzības:\n"
        "• Ēdināšana: Gaida vecāka atbildi"
    )
    a1 = world.student_a1.id
    assert card.buttons() == [
        ("Reģistrēt signālu", StudentAction(action="risk", student_id=a1).pack()),
        ("Reģistrēt konsultāciju", StudentAction(action="consult", student_id=a1).pack()),
        ("Jautāt vecākam", StudentAction(action="need", student_id=a1).pack()),
        ("Plāns", PlanOpen(iap_id=plan_id).pack()),
        ("Lūgt piekrišanu", StConsent(iap_id=plan_id).pack()),  # a draft without consent
        ("Atpakaļ uz sarakstu", StPage(page=0).pack()),
    ]


async def test_the_card_in_russian(sim, world):
    await _full_record_for_a1(world)
    await set_locale(world.coordinator_m1.id, "ru")
    coordinator = sim.user(106)
    await coordinator.send("/students")
    card = (await coordinator.press("Anna Kalnina"))[-1]
    assert card.text.startswith("Anna Kalnina\nКласс 7.a, Ezerkalnes vidusskola\nСтатус: Черновик")
    assert "• Пропуски без уважительной причины: Высокий риск; 2 сигнала" in card.text
    assert "• Питание: 4 месяца запланировано / 0 месяцев подтверждено" in card.text
    assert "Консультации в этом семестре:\n• Психолог: 2 консультации, 1,5 ч" in card.text
    assert "Потребности в поддержке:\n• Питание: Ожидает ответа родителя" in card.text
    assert labels(card) == [
        "Записать сигнал",
        "Записать консультацию",
        "Спросить родителя",
        "План",
        "Запросить согласие",
        "Назад к списку",
    ]


async def test_a_card_without_records_and_the_way_back(sim, world):
    await iaps.open_iap(world.teacher_a, world.student_a3.id, SEMESTER)
    for n in range(9):
        student = await Student.create(
            school_id=world.school_a.id,
            school_class_id=world.class_a7.id,
            first_name="Skolēns",
            last_name=f"A{n}",
        )
        await signals.record_risk_signal(world.teacher_a, student.id, "health")
    teacher = sim.user(101)
    await teacher.send("/students")
    await teacher.press("Nākamā lapa")
    card = (await teacher.press("Marta Liepa"))[-1]
    assert card.text == (
        "Marta Liepa\n8.b klase, Ezerkalnes vidusskola\nStatuss: Projekts\nNav piekrišanas\n\n"
        "Identificētie riski:\n  šajā semestrī nav reģistrēti"
    )
    assert card.buttons()[-1] == ("Atpakaļ uz sarakstu", StPage(page=1).pack())
    back = (await teacher.press("Atpakaļ uz sarakstu"))[-1]
    assert back.edited and back.message_id == card.message_id
    assert "2. lapa no 2." in back.text

    card_again = StudentAction(action="card", student_id=world.student_a3.id).pack()
    again = (await teacher.press_data(card_again))[-1]
    assert again.text.startswith("Marta Liepa\n")
    assert again.buttons()[-1][1] == StPage(page=0).pack()


async def test_the_card_starts_a_consultation_for_the_student(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    psychologist = sim.user(102)
    await psychologist.send("/students")
    await psychologist.press("Anna Kalnina")
    start = (await psychologist.press("Reģistrēt konsultāciju"))[-1]
    assert start.text == "Anna Kalnina: kas vadīja konsultāciju?"


async def test_out_of_scope_and_other_roles_are_refused(sim, world):
    await _at_risk_everywhere(world)
    teacher = sim.user(101)
    await teacher.send("/students")
    await teacher.press_data(StOpen(student_id=world.student_c1.id, page=0).pack())
    assert teacher.alerts[-1] == "Nav atrasts."
    await teacher.press_data(StudentAction(action="card", student_id=world.student_b1.id).pack())
    assert teacher.alerts[-1] == "Nav atrasts."
    await teacher.press_data(StOpen(student_id=999_999, page=0).pack())
    assert teacher.alerts[-1] == "Nav atrasts."
    await set_locale(world.teacher_a.id, "ru")
    await teacher.press_data(StOpen(student_id=world.student_v1.id, page=0).pack())
    assert teacher.alerts[-1] == "Не найдено."

    parent = sim.user(108)
    assert "nav paredzēta Jūsu lomai" in (await parent.send("/students"))[-1].text
    await parent.press_data(StOpen(student_id=world.student_a1.id, page=0).pack())
    assert parent.alerts[-1].startswith(STALE_LV)
    await parent.press_data(StPage(page=0).pack())
    assert parent.alerts[-1].startswith(STALE_LV)
    assert "nav paredzēta Jūsu lomai" in (await sim.user(109).send("/students"))[-1].text


async def test_the_menu_opens_the_list_and_a_new_view_ends_a_flow(sim, world):
    await _at_risk_everywhere(world)
    teacher = sim.user(101)
    consult = (await teacher.send("/consult"))[-1]
    await teacher.send("/menu")
    listed = (await teacher.press("Mani skolēni"))[-1]
    assert listed.text.startswith("Šajā semestrī ir 2 skolēni ar riska signāliem (")
    class_button = consult.buttons()[0][1]
    await teacher.press_data(class_button, consult)  # the consultation flow has ended
    assert teacher.alerts[-1].startswith(STALE_LV)
