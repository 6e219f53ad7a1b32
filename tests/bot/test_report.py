"""/report: the semester report as a short text, a chart and the XLSX file; the outcome button."""

import io

from aiogram.methods import SendDocument, SendMessage
from openpyxl import load_workbook

from core.clock import Semester
from handlers.callbacks import OutcomeAsk
from storage.models import Iap, Membership, StudentOutcome
from tests.core.test_reports import busy_semester, programme_admin


def last(sim, kind):
    return next(call for call in reversed(sim.session.calls) if isinstance(call, kind))


async def test_a_school_coordinator_gets_text_chart_and_spreadsheet(sim, world):
    await busy_semester(world)
    coordinator = sim.user(104)

    replies = await coordinator.send("/report")

    kinds = [(r.photo, r.document) for r in replies]
    assert kinds == [(False, False), (True, False), (False, True), (False, False)]
    text = replies[0].text
    assert text.startswith("Semestra pārskats: Ezerkalnes vidusskola\n")
    assert replies[0].bold() == ["Semestra pārskats: Ezerkalnes vidusskola"]
    assert "Iesaistītie izglītojamie: 3" in text
    assert "Atbalsta plāni: 2" in text
    assert "<5" not in text  # a school's own figures are exact
    first = next(call for call in sim.session.calls if isinstance(call, SendMessage))
    assert first.parse_mode == "HTML"
    document = last(sim, SendDocument).document
    assert document.filename == f"report_school-{world.school_a.id}_2026-27-1.xlsx"
    book = load_workbook(io.BytesIO(document.data))
    assert book.worksheets[0]["A4"].value == "Ezerkalnes vidusskola"


async def test_the_report_ends_with_whether_the_measures_worked(sim, world):
    await busy_semester(world)  # one student of school A has seen the psychologist
    coordinator = sim.user(104)

    section = (await coordinator.send("/report"))[-1]

    assert section.text.startswith("Vai pasākumi palīdzēja? Ezerkalnes vidusskola\n")
    assert "Konsultācijas: Psihologs (1)" in section.text  # a school's exact count
    assert "Jauniešu NVO iesaiste: no datiem nav iespējams novērtēt" in section.text


async def test_the_programme_administrator_picks_a_scope_and_small_counts_are_hidden(sim, world):
    await busy_semester(world)
    admin = await programme_admin()
    analyst = sim.user(admin.person.telegram_id)

    replies = await analyst.send("/report")

    assert replies[0].text.startswith("Semestra pārskats: Latvija\n")
    assert "Iesaistītie izglītojamie: 5" in replies[0].text
    assert "Reģistrētie rezultāti: <5" in replies[0].text
    assert "Skaits, kas mazāks par 5, norādīts kā <5." in replies[0].text
    section = replies[-1].text  # plain text: the country's small count shown as it is
    assert section.startswith("Vai pasākumi palīdzēja? Latvija\n")
    assert "Konsultācijas: Psihologs (<5)" in section
    assert last(sim, SendMessage).parse_mode != "HTML"


async def test_a_teacher_has_no_report(sim, world):
    teacher = sim.user(101)
    replies = await teacher.send("/report")
    assert not any(reply.document for reply in replies)


async def test_staff_record_an_outcome_from_the_plan_in_three_taps(sim, world):
    await busy_semester(world)
    iap = await Iap.get(student_id=world.student_a3.id)
    coordinator = sim.user(104)
    plan = (await coordinator.send("/iap liepa"))[-1]
    assert ("Rezultāts", OutcomeAsk(iap_id=iap.id).pack()) in plan.buttons()

    question = (await coordinator.press("Rezultāts"))[-1]
    assert question.text.startswith("Marta Liepa: kā noslēdzās")
    await coordinator.press("Pārtrauca mācības")
    done = (await coordinator.press("Izbraukšana uz ārvalstīm"))[-1]

    assert done.text == (
        "Rezultāts reģistrēts: Priekšlaicīgi pārtrauca mācības (Izbraukšana uz ārvalstīm)"
    )
    semester = Semester.current()
    outcome = await StudentOutcome.get(
        student_id=world.student_a3.id, school_year=semester.school_year, semester=semester.number
    )
    assert (outcome.outcome, outcome.reason) == ("left_early", "moved_abroad")


async def test_a_coordinator_of_two_scopes_picks_one(sim, world):
    await Membership.create(
        person_id=world.coordinator_a.id, role="municipality_coordinator", municipality=world.m2
    )
    coordinator = sim.user(104)

    question = (await coordinator.send("/report"))[-1]
    assert question.text == "Kuru pārskatu?"
    assert [text for text, _ in question.buttons()] == [
        "Priedaines novads",
        "Ezerkalnes vidusskola",
    ]
    replies = await coordinator.press("Priedaines novads")
    assert replies[0].text.startswith("Semestra pārskats: Priedaines novads\n")
    assert replies[-2].document
    assert replies[-1].text.startswith("Vai pasākumi palīdzēja? Priedaines novads\n")
