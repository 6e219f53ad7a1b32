"""The assembled IAP as a readable message: Latvian by default, Russian on request."""

from core.access import load_actor
from core.clock import Semester
from core.demo import load_demo_data
from core.formatting import short_date
from core.iap import assemble_for_student
from core.iap_view import render_iap
from core.markup import plain


async def test_demo_student_plan_reads_in_latvian(db):
    summary = await load_demo_data()
    coordinator = await load_actor(summary.school_coordinator_id)
    plan = await assemble_for_student(coordinator, summary.example_student_id, Semester.current())

    text = plain(render_iap(plan, "lv"))

    assert text.startswith(f"Atbalsta plāns (IAP): {plan.first_name} {plan.last_name}")
    assert "Statuss: Īstenošanā" in text
    assert "Neattaisnoti kavējumi (Mācību darba un izglītības iestādes riski)" in text
    assert "Psihologs: plānotas" in text
    assert "Transporta biļetes" in text
    absences = next(r for r in plan.risks if r.factor == "unexcused_absences")
    assert short_date(absences.first_seen, "lv") in text
    assert short_date(absences.first_seen, "lv").endswith(".")
    for english in ("Status:", "Identified risks", "planned", "Unexcused", "session"):
        assert english not in text


async def test_the_same_plan_reads_in_russian(db):
    summary = await load_demo_data()
    parent = await load_actor(summary.parent_id)
    plan = await assemble_for_student(parent, summary.example_student_id, Semester.current())
    text = plain(render_iap(plan, "ru"))
    assert text.startswith("План поддержки (IAP):")
    assert "Пропуски без уважительной причины" in text
