"""Editing a draft plan: who may, risks and their justification, measures, blockers, sending."""

from datetime import date
from decimal import Decimal

import pytest

from core.clock import Semester, today
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.iap import assemble_for_student, assemble_plan, blockers
from core.iap_view import iap_to_dict, render_iap
from core.markup import plain
from core.services import iaps, signals

SEMESTER = Semester.current()


def kinds(found) -> list[tuple[str, str | None]]:
    return [(gap.kind, gap.code) for gap in found]


async def _draft(world, *factors: str):
    """Anna's draft this semester, after a signal for each factor."""
    for factor in factors:
        await signals.record_risk_signal(world.teacher_a, world.student_a1.id, factor)
    return await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)


async def _psychologist(world, iap_id: int, *factors: str):
    return await iaps.add_measure(
        world.teacher_a,
        iap_id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=6,
        risk_factors=list(factors),
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 1), [Semester(2026, 1)]),
        (date(2026, 11, 30), [Semester(2026, 1)]),
        (date(2026, 12, 1), [Semester(2026, 1), Semester(2026, 2)]),
        (date(2027, 1, 4), [Semester(2026, 2)]),
        (date(2027, 4, 30), [Semester(2026, 2)]),
        (date(2027, 5, 1), [Semester(2026, 2), Semester(2027, 1)]),
        (date(2027, 8, 31), [Semester(2026, 2), Semester(2027, 1)]),
    ],
)
def test_the_next_semester_opens_in_the_last_weeks_of_a_semester(day, expected):
    assert iaps.semesters_to_open(day) == expected


async def test_a_semester_with_a_plan_is_not_offered_again(world):
    offered = await iaps.semesters_without_plan(world.teacher_a, world.student_a1.id)
    assert offered[0] == SEMESTER
    await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    assert SEMESTER not in await iaps.semesters_without_plan(world.teacher_a, world.student_a1.id)


async def test_only_the_preparer_or_the_schools_staff_edit_and_only_a_draft(world):
    iap = await _draft(world, "behaviour")
    await iaps.set_risk_justification(world.psychologist_a, iap.id, "learning", "Fights in class")
    with pytest.raises(NotFound):  # another school's teacher: as if there were no plan
        await iaps.set_risk_justification(world.teacher_b, iap.id, "learning", "text")
    with pytest.raises(NotFound):
        await iaps.remove_measure(world.teacher_a, 999_999, 1)
    for reader in (world.coordinator_m1, world.parent_a1):  # they see the plan, may not edit it
        with pytest.raises(AccessDenied):
            await iaps.set_risk_justification(reader, iap.id, "learning", "text")

    measure = await _psychologist(world, iap.id, "behaviour")
    await iaps.record_consent(world.parent_a1, iap.id, given=True)
    await iaps.submit_plan(world.teacher_a, iap.id)
    with pytest.raises(Conflict) as refused:
        await iaps.update_measure(world.teacher_a, iap.id, measure.id, planned_quantity=2)
    assert refused.value.text("en").startswith("Only a draft can be changed")
    with pytest.raises(Conflict):
        await iaps.remove_measure(world.teacher_a, iap.id, measure.id)
    with pytest.raises(Conflict):
        await iaps.set_risk_justification(world.teacher_a, iap.id, "learning", "Changed")


async def test_material_support_is_planned_for_months_of_the_plans_semester(world):
    iap = await _draft(world, "material_conditions")
    months = SEMESTER.months()
    meals = await iaps.add_measure(
        world.teacher_a,
        iap.id,
        kind="material",
        support_type="meals",
        months=[months[2], months[0], months[2]],
        risk_factors=["material_conditions"],
    )
    assert (meals.months, meals.planned_quantity) == ([months[0], months[2]], Decimal(2))
    other_semester = SEMESTER.next().months()[0]
    with pytest.raises(InvalidInput):
        await iaps.add_measure(
            world.teacher_a,
            iap.id,
            kind="material",
            support_type="lodging",
            months=[other_semester],
            risk_factors=["material_conditions"],
        )
    with pytest.raises(InvalidInput):
        await iaps.add_measure(
            world.teacher_a,
            iap.id,
            kind="consultation",
            specialist_type="teacher",
            planned_quantity=2,
            months=[months[0]],
            risk_factors=["material_conditions"],
        )

    changed = await iaps.update_measure(world.teacher_a, iap.id, meals.id, months=months[:3])
    assert (changed.months, changed.planned_quantity) == (months[:3], Decimal(3))
    with pytest.raises(InvalidInput):
        await iaps.update_measure(world.teacher_a, iap.id, meals.id, planned_quantity=5)
    with pytest.raises(InvalidInput):
        await iaps.update_measure(world.teacher_a, iap.id, meals.id, months=[])

    plan = await assemble_plan(world.teacher_a, iap.id)
    assert plan.measures[0].months == months[:3]
    assert iap_to_dict(plan, "en")["measures"][0]["months"] == months[:3]


async def test_measures_are_changed_and_removed(world):
    iap = await _draft(world, "behaviour", "low_motivation")
    measure = await _psychologist(world, iap.id, "behaviour")
    changed = await iaps.update_measure(
        world.teacher_a,
        iap.id,
        measure.id,
        planned_quantity="7,5",
        risk_factors=["behaviour", "low_motivation"],
    )
    assert (changed.planned_quantity, changed.risk_factors) == (
        Decimal("7.5"),
        ["behaviour", "low_motivation"],
    )
    for wrong in ({"planned_quantity": 0}, {"risk_factors": []}, {"months": [9]}):
        with pytest.raises(InvalidInput):
            await iaps.update_measure(world.teacher_a, iap.id, measure.id, **wrong)

    other = await iaps.open_iap(world.teacher_a, world.student_a2.id, SEMESTER)
    with pytest.raises(NotFound):  # a measure of another plan
        await iaps.remove_measure(world.teacher_a, other.id, measure.id)

    await iaps.remove_measure(world.teacher_a, iap.id, measure.id)
    assert (await assemble_plan(world.teacher_a, iap.id)).measures == []
    with pytest.raises(NotFound):
        await iaps.remove_measure(world.teacher_a, iap.id, measure.id)


async def test_a_justification_is_cleaned_replaced_and_limited(world):
    iap = await _draft(world, "family_crisis")
    await iaps.set_risk_justification(world.teacher_a, iap.id, "family", "  Parents divorcing  ")
    await iaps.set_risk_justification(world.teacher_a, iap.id, "family", "Parents\r\ndivorcing")
    plan = await assemble_plan(world.teacher_a, iap.id)
    assert plan.justifications == {"family": "Parents\ndivorcing"}
    for wrong in ("   ", "x" * (iaps.JUSTIFICATION_LIMIT + 1), "bad\x00text"):
        with pytest.raises(InvalidInput):
            await iaps.set_risk_justification(world.teacher_a, iap.id, "family", wrong)
    with pytest.raises(InvalidInput):
        await iaps.set_risk_justification(world.teacher_a, iap.id, "astrology", "text")
    assert "Parents\ndivorcing" in plain(render_iap(plan, "lv"))


async def test_a_student_without_signals_gets_risks_named_by_the_preparer(world):
    iap = await _draft(world)
    assert kinds(blockers(await assemble_plan(world.teacher_a, iap.id)))[:2] == [
        ("consent_missing", None),
        ("no_risks", None),
    ]
    await iaps.add_risk_factor(world.teacher_a, iap.id, "parents_abroad")
    await iaps.add_risk_factor(world.teacher_a, iap.id, "parents_abroad")  # once is enough
    await iaps.add_risk_factor(world.teacher_a, iap.id, "health")
    plan = await assemble_plan(world.teacher_a, iap.id)
    assert [(r.factor, r.group, r.from_signals) for r in plan.risks] == [
        ("parents_abroad", "family", False),
        ("health", "social_health", False),
    ]
    assert plan.risks[0].first_seen == today()
    assert "named by the preparer on" in plain(render_iap(plan, "en"))

    await _psychologist(world, iap.id, "health")
    with pytest.raises(Conflict):  # a measure addresses it
        await iaps.remove_risk_factor(world.teacher_a, iap.id, "health")
    await iaps.remove_risk_factor(world.teacher_a, iap.id, "parents_abroad")
    with pytest.raises(NotFound):
        await iaps.remove_risk_factor(world.teacher_a, iap.id, "parents_abroad")
    plan = await assemble_plan(world.teacher_a, iap.id)
    assert [r.factor for r in plan.risks] == ["health"]


async def test_a_factor_both_logged_and_named_is_one_risk(world):
    iap = await _draft(world, "behaviour")
    await iaps.add_risk_factor(world.teacher_a, iap.id, "behaviour")
    risks = (await assemble_plan(world.teacher_a, iap.id)).risks
    assert [(r.factor, r.from_signals, r.signals) for r in risks] == [("behaviour", True, 1)]


async def test_blockers_name_what_to_fix_and_submitting_waits_for_none(world):
    iap = await _draft(world, "behaviour", "material_conditions")
    teacher = world.teacher_a
    assert kinds(await iaps.plan_blockers(teacher, iap.id)) == [
        ("consent_missing", None),
        ("justification_missing", "learning"),
        ("justification_missing", "economic"),
        ("risk_without_measure", "behaviour"),
        ("risk_without_measure", "material_conditions"),
    ]
    with pytest.raises(iaps.NotReady) as refused:
        await iaps.submit_plan(teacher, iap.id)
    assert refused.value.text("en") == (
        "The plan cannot be sent for approval yet: The parent's consent is missing; "
        "No justification for: Learning and school-related risks; "
        "No justification for: Economic risks; No measure addresses: Behaviour problems; "
        "No measure addresses: Material conditions"
    )

    await _psychologist(world, iap.id, "behaviour")
    meals = await iaps.add_measure(  # as planned before months were kept: none
        teacher,
        iap.id,
        kind="material",
        support_type="meals",
        planned_quantity=3,
        risk_factors=["material_conditions"],
    )
    await iaps.set_risk_justification(teacher, iap.id, "learning", "Fights")
    await iaps.set_risk_justification(teacher, iap.id, "economic", "No money for lunch")
    await iaps.record_consent(teacher, iap.id, given=True, method="paper", signed_on=today())
    found = await iaps.plan_blockers(teacher, iap.id)
    assert [(g.kind, g.code, g.measure_id) for g in found] == [
        ("amount_missing", "meals", meals.id)
    ]
    await iaps.update_measure(teacher, iap.id, meals.id, months=SEMESTER.months()[:1])
    assert await iaps.plan_blockers(teacher, iap.id) == []

    submitted = await iaps.submit_plan(teacher, iap.id)
    assert submitted.status == "in_approval"
    assert await iaps.plan_blockers(teacher, iap.id) == []  # past draft: nothing to fix


async def test_a_parent_never_reads_the_justification(world):
    iap = await _draft(world, "family_crisis")
    await iaps.set_risk_justification(world.teacher_a, iap.id, "family", "Father drinks")
    staff = await assemble_for_student(world.teacher_a, world.student_a1.id, SEMESTER)
    parent = await assemble_for_student(world.parent_a1, world.student_a1.id, SEMESTER)
    assert staff.justifications == {"family": "Father drinks"}
    assert parent.justifications == {}
    assert "Father drinks" not in plain(render_iap(parent, "lv"))
    assert "Father drinks" not in str(iap_to_dict(parent, "lv"))
