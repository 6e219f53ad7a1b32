"""The printable plan: an A4 PDF in the reader's language, drawn from the assembled plan."""

import re

import pytest

from core.clock import today
from core.errors import NotFound
from core.iap import assemble_iap
from core.iap_pdf import pdf_filename, render_iap_pdf
from core.services import consultations, iaps, signals
from storage.models import Student
from tests.pdf_text import is_a4, page_sizes, pdf_text
from tests.staff_words import COMMENT, EVALUATION, PAUSE, STAFF_WORDS, plan_with_staff_words
from tests.world import teacher_at

EVERY_LETTER = "ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž ЁёЇїЄєІіҐґ’"


async def student(world, first: str, last: str, school_class=None) -> Student:
    school_class = school_class or world.class_a7
    return await Student.create(
        school_id=school_class.school_id,
        school_class=school_class,
        first_name=first,
        last_name=last,
    )


async def a_plan(world, pupil: Student, preparer=None) -> int:
    """A plan with two risks, a consultation and a material measure, and a paper consent."""
    preparer = preparer or world.teacher_a
    await signals.record_risk_signal(preparer, pupil.id, "unexcused_absences", value=12)
    await signals.record_risk_signal(preparer, pupil.id, "family_crisis", level="high")
    iap = await iaps.open_iap(preparer, pupil.id)
    await iaps.add_measure(
        preparer,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=6,
        risk_factors=["unexcused_absences", "family_crisis"],
    )
    await iaps.add_measure(
        preparer,
        iap.id,
        kind="material",
        support_type="meals",
        planned_quantity=3,
        risk_factors=["family_crisis"],
    )
    await iaps.record_consent(preparer, iap.id, given=True, method="paper", signed_on=today())
    return iap.id


async def test_a_latvian_pdf_is_an_a4_form_with_every_section_and_its_diacritics(world):
    pupil = await student(world, "Mārīte", "Kalniņa-Šķēle")
    iap_id = await a_plan(world, pupil)
    await consultations.log_consultation(
        world.psychologist_a, pupil.id, held_on=today(), minutes=90, mode="in_person"
    )
    await iaps.submit_for_approval(world.teacher_a, iap_id)
    await iaps.approve_iap(world.coordinator_a, iap_id)

    data = render_iap_pdf(await assemble_iap(world.coordinator_a, iap_id), "lv")

    assert is_a4(data)
    text = pdf_text(data)
    assert (
        "Projekts Nr. 8.3.4.0/16/I/001 „Atbalsts priekšlaicīgas mācību pārtraukšanas "
        "samazināšanai“ (PuMPuRS)" in text
    )
    assert "Individuālais atbalsta plāns" in text
    assert "Mārīte Kalniņa-Šķēle" in text
    assert "7.a" in text and "Ezerkalnes vidusskola" in text
    assert "mācību gada I semestris" in text
    for words in ("Neattaisnoti kavējumi", "Ģimenes krīze", "Augsts risks"):
        assert words in text
    assert "1 signāls, 12 nokavētu mācību stundu" in text  # 12: the "zero" plural form
    assert "Piekrišana sniegta" in text
    assert "uz papīra veidlapas, ko parakstījis vecāks" in text
    assert "Reģistrēja Teacher A" in text  # staff see who entered the paper form
    assert "Psihologs" in text and "6 h" in text and "1 konsultācija, 1,5 h" in text
    assert "Ēdināšana" in text and "3 mēneši" in text
    assert "Skolas direktors Coordinator A" in text
    assert "Pašvaldības koordinators vēl nav saskaņots" in text
    for signer in ("IAP sagatavotājs", "Pašvaldības koordinators", "Vecāks vai likumiskais"):
        assert signer in text.split("Paraksti", 1)[1]


async def test_a_russian_reader_gets_russian_labels(world):
    iap_id = await a_plan(world, await student(world, "Мария", "Ёлкина"))
    text = pdf_text(render_iap_pdf(await assemble_iap(world.coordinator_a, iap_id), "ru"))
    assert "Индивидуальный план поддержки" in text
    assert "Мария Ёлкина" in text
    for words in ("Пропуски без уважительной причины", "Кризис в семье", "Согласие получено"):
        assert words in text
    assert "Психолог" in text and "Питание" in text
    assert "Individuālais" not in text


async def test_every_latvian_russian_and_ukrainian_letter_is_printed(world):
    iap_id = await a_plan(world, await student(world, EVERY_LETTER, "Test"))
    text = pdf_text(render_iap_pdf(await assemble_iap(world.teacher_a, iap_id), "uk"))
    assert "Індивідуальний план підтримки" in text
    assert f"{EVERY_LETTER} Test" in text


async def test_a_character_the_font_lacks_shows_as_a_replacement_not_nothing(world):
    iap_id = await a_plan(world, await student(world, "Anna", "Kalniņa 😀"))
    text = pdf_text(render_iap_pdf(await assemble_iap(world.teacher_a, iap_id), "lv"))
    assert "Anna Kalniņa \ufffd" in text


async def test_a_parents_copy_has_no_staff_words_while_the_coordinators_has_them(world):
    iap_id = await plan_with_staff_words(world)

    parent = pdf_text(render_iap_pdf(await assemble_iap(world.parent_a1, iap_id), "lv"))
    staff = pdf_text(render_iap_pdf(await assemble_iap(world.coordinator_a, iap_id), "lv"))

    for words in (COMMENT, PAUSE, EVALUATION):
        assert words in staff
    assert "Komentārs" in staff
    for words in STAFF_WORDS:
        assert words not in parent
    assert "Komentārs" not in parent
    assert "Individuālais atbalsta plāns" in parent and "Psihologs" in parent


async def test_a_state_vocational_school_has_no_municipality_signature(world):
    teacher = await teacher_at(world.school_v, "Teacher V", 120)
    iap_id = await a_plan(world, world.student_v1, teacher)
    text = pdf_text(render_iap_pdf(await assemble_iap(teacher, iap_id), "lv"))
    assert "Skolas direktors" in text
    assert "Pašvaldības koordinators" not in text


async def test_long_names_and_many_measures_wrap_and_go_on_to_more_a4_pages(world):
    long_name = "Anna-Marija Kalniņa-Šķēle-Ozoliņa-Bērziņa-Žagata-Vītola-Liepiņa-Kļaviņa"
    pupil = await student(world, long_name, "Ābele")
    iap_id = await a_plan(world, pupil)
    for specialist in ("teacher", "social_pedagogue", "teacher_assistant", "special_ed_teacher"):
        await iaps.add_measure(
            world.teacher_a,
            iap_id,
            kind="consultation",
            specialist_type=specialist,
            planned_quantity=4,
            risk_factors=["unexcused_absences", "family_crisis"],
        )
    for support in ("transport_tickets", "learning_materials", "personal_items", "lodging"):
        await iaps.add_measure(
            world.teacher_a,
            iap_id,
            kind="material",
            support_type=support,
            planned_quantity=2,
            risk_factors=["family_crisis"],
        )
    for _ in range(4):
        await iaps.submit_for_approval(world.teacher_a, iap_id)
        await iaps.return_iap(world.coordinator_a, iap_id, "Lūdzu, precizējiet. " * 20)

    data = render_iap_pdf(await assemble_iap(world.coordinator_a, iap_id), "lv")

    pages = len(page_sizes(data))
    assert pages >= 2 and is_a4(data)
    text = pdf_text(data)
    assert f"{long_name} Ābele" in text
    for label in ("Pedagoga palīgs", "Speciālās izglītības pedagogs", "Dienesta viesnīca"):
        assert label in text
    assert f"{pages}. lapa no {pages}" in text


async def test_the_file_name_is_ascii_with_surname_and_semester(world):
    iap_id = await a_plan(world, await student(world, "Mārīte", "Kalniņa-Šķēle"))
    name = pdf_filename(await assemble_iap(world.teacher_a, iap_id))
    assert re.fullmatch(r"IAP_Kalnina-Skele_\d{4}-\d{2}-[12]\.pdf", name)


async def test_a_plan_out_of_scope_is_missing_like_one_that_does_not_exist(world):
    iap_id = await a_plan(world, world.student_a1)
    for actor in (world.teacher_b, world.coordinator_m2, world.volunteer, world.outsider):
        with pytest.raises(NotFound):
            await assemble_iap(actor, iap_id)
    with pytest.raises(NotFound):
        await assemble_iap(world.coordinator_a, iap_id + 1000)
