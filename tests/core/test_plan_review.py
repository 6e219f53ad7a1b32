"""After submitting: who is told a plan waits for them, the approved plan, moves, the review."""

import pytest

from core.clock import Semester
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.iap import assemble_for_student
from core.services import iaps, outbox
from storage.models import Iap, IapMeasure, IapRiskGroup, Membership, OutboxItem, Person
from tests.world import submitted_plan, teacher_at


async def told(kind: str) -> list[tuple[int, int]]:
    """(recipient, plan) of every message of this kind queued."""
    items = await OutboxItem.filter(kind=kind).order_by("id")
    return [(item.recipient_id, item.payload["iap_id"]) for item in items]


async def second_coordinator_of(school, telegram_id: int):
    person = await Person.create(display_name="Coordinator A2", telegram_id=telegram_id)
    await Membership.create(person=person, role="school_coordinator", school=school)
    return person


async def test_each_approver_is_told_when_the_plan_reaches_their_step_and_the_preparer_at_the_end(
    world,
):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    assert await told(outbox.IAP_WAITING) == [(world.coordinator_a.id, iap.id)]

    await iaps.approve_iap(world.coordinator_a, iap.id)
    assert await told(outbox.IAP_WAITING) == [
        (world.coordinator_a.id, iap.id),
        (world.coordinator_m1.id, iap.id),  # not coordinator_m2: another municipality
    ]
    assert await told(outbox.IAP_APPROVED) == []

    await iaps.approve_iap(world.coordinator_m1, iap.id)
    assert await told(outbox.IAP_APPROVED) == [(world.teacher_a.id, iap.id)]
    assert len(await told(outbox.IAP_WAITING)) == 2


async def test_a_state_vocational_school_skips_the_municipality_in_the_messages_too(world):
    teacher_v = await teacher_at(world.school_v, "Teacher V", 120)
    iap = await submitted_plan(world.student_v1, teacher_v)
    assert await told(outbox.IAP_WAITING) == [(world.coordinator_v.id, iap.id)]
    await iaps.approve_iap(world.coordinator_v, iap.id)
    assert await told(outbox.IAP_WAITING) == [(world.coordinator_v.id, iap.id)]
    assert await told(outbox.IAP_APPROVED) == [(teacher_v.id, iap.id)]


async def test_who_may_not_sign_a_step_is_not_told_of_it(world):
    other = await second_coordinator_of(world.school_a, 130)
    # coordinator_a recorded the consent: only the other coordinator of the school may sign
    iap = await submitted_plan(world.student_a1, world.teacher_a, consent_by=world.coordinator_a)
    assert await told(outbox.IAP_WAITING) == [(other.id, iap.id)]

    # the municipality coordinator prepared this one: no one else in the municipality signs
    mine = await submitted_plan(world.student_a2, world.coordinator_m1)
    assert {person for person, plan in await told(outbox.IAP_WAITING) if plan == mine.id} == {
        world.coordinator_a.id,
        other.id,
    }
    await iaps.approve_iap(world.coordinator_a, mine.id)
    assert world.coordinator_m1.id not in {p for p, plan in await told(outbox.IAP_WAITING)}
    with pytest.raises(AccessDenied):
        await iaps.approve_iap(world.coordinator_m1, mine.id)


async def test_a_returned_plan_sent_again_is_told_again_and_the_preparer_hears_of_the_return(
    world,
):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    await iaps.return_iap(world.coordinator_a, iap.id, "Add hours")
    assert await told(outbox.IAP_RETURNED) == [(world.teacher_a.id, iap.id)]
    await iaps.submit_for_approval(world.teacher_a, iap.id)
    assert await told(outbox.IAP_WAITING) == [(world.coordinator_a.id, iap.id)] * 2


async def under_review(world):
    """Anna's plan at school A, approved, in progress and sent for review by its preparer."""
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    await iaps.approve_iap(world.coordinator_a, iap.id)
    await iaps.approve_iap(world.coordinator_m1, iap.id)
    await iaps.move_iap(world.teacher_a, iap.id, "in_progress")
    await iaps.move_iap(world.teacher_a, iap.id, "under_review")
    return iap, await IapMeasure.filter(iap_id=iap.id).order_by("id")


async def test_moves_are_refused_with_the_reason_of_the_status(world):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    with pytest.raises(Conflict) as refused:
        await iaps.move_iap(world.teacher_a, iap.id, "in_progress")
    assert refused.value.text("lv") == (
        "Plāns vēl tiek saskaņots: to varēs izdarīt, kad plāns būs apstiprināts."
    )
    await iaps.approve_iap(world.coordinator_a, iap.id)
    await iaps.approve_iap(world.coordinator_m1, iap.id)
    with pytest.raises(Conflict) as refused:
        await iaps.move_iap(world.teacher_a, iap.id, "under_review")
    assert refused.value.text("en") == "The plan is approved but not started yet: start it first."
    with pytest.raises(AccessDenied):
        await iaps.move_iap(world.parent_a1, iap.id, "in_progress")
    with pytest.raises(NotFound):  # another school's plan: as if there were none
        await iaps.move_iap(world.teacher_b, iap.id, "in_progress")
    await iaps.move_iap(world.teacher_a, iap.id, "in_progress")
    with pytest.raises(Conflict) as refused:
        await iaps.move_iap(world.teacher_a, iap.id, "in_progress")
    assert refused.value.text("ru") == "План уже выполняется."


async def test_each_measure_is_rated_before_the_review_ends(world):
    iap, (first, second) = await under_review(world)
    with pytest.raises(InvalidInput):
        await iaps.evaluate_measure(world.teacher_a, iap.id, first.id, realised="mostly")
    with pytest.raises(AccessDenied):
        await iaps.evaluate_measure(world.parent_a1, iap.id, first.id, realised="full")
    other = await submitted_plan(world.student_a2, world.teacher_a)
    other_measure = await IapMeasure.filter(iap_id=other.id).first()
    with pytest.raises(NotFound):
        await iaps.evaluate_measure(world.teacher_a, iap.id, other_measure.id, realised="full")
    with pytest.raises(Conflict):
        await iaps.evaluate_measure(world.teacher_a, other.id, other_measure.id, realised="full")

    await iaps.evaluate_measure(world.teacher_a, iap.id, first.id, realised="full")
    with pytest.raises(Conflict) as refused:
        await iaps.review_iap(world.teacher_a, iap.id, risk_outcome="reduced", continues=False)
    assert refused.value.text("lv") == "Vispirms norādiet, kā tika īstenots katrs pasākums."
    await iaps.evaluate_measure(
        world.teacher_a, iap.id, second.id, realised="not", note="  The pedagogue left  "
    )
    with pytest.raises(InvalidInput):
        await iaps.review_iap(world.teacher_a, iap.id, risk_outcome="better", continues=False)

    reviewed, successor = await iaps.review_iap(
        world.teacher_a, iap.id, risk_outcome="unchanged", continues=False
    )
    assert successor is None
    assert (reviewed.risk_outcome, reviewed.continues, reviewed.evaluation) == (
        "unchanged",
        False,
        None,
    )
    plan = await assemble_for_student(world.coordinator_a, world.student_a1.id, Semester.current())
    assert [(m.rating, m.evaluation_note) for m in plan.measures] == [
        ("full", None),
        ("not", "The pedagogue left"),
    ]
    assert plan.risk_outcome == "unchanged"
    assert await Iap.filter(continued_from_id=iap.id).count() == 0


async def test_the_parent_never_sees_the_review(world):
    iap, measures = await under_review(world)
    for measure in measures:
        await iaps.evaluate_measure(
            world.teacher_a, iap.id, measure.id, realised="partly", note="N"
        )
    await iaps.review_iap(
        world.teacher_a, iap.id, risk_outcome="worse", evaluation="Overall", continues=False
    )
    plan = await assemble_for_student(world.parent_a1, world.student_a1.id, Semester.current())
    assert (plan.evaluation, plan.risk_outcome, plan.continues) == (None, None, None)
    assert [(m.rating, m.evaluation_note) for m in plan.measures] == [(None, None)] * 2
    staff = await assemble_for_student(world.teacher_a, world.student_a1.id, Semester.current())
    assert (staff.evaluation, staff.risk_outcome) == ("Overall", "worse")


async def test_a_continued_plan_copies_the_measures_and_asks_the_parents_again(world):
    iap, measures = await under_review(world)
    for measure in measures:
        await iaps.evaluate_measure(world.teacher_a, iap.id, measure.id, realised="partly")
    _, successor = await iaps.review_iap(
        world.teacher_a, iap.id, risk_outcome="reduced", evaluation="Better", continues=True
    )
    following = Semester.current().next()
    assert (successor.school_year, successor.semester) == (following.school_year, following.number)
    assert (successor.status, successor.consent, successor.consent_by_id) == (
        "draft",
        "missing",
        None,
    )
    copied = await IapMeasure.filter(iap_id=successor.id).order_by("id")
    assert [(m.specialist_type, m.planned_quantity, m.risk_factors) for m in copied] == [
        (m.specialist_type, m.planned_quantity, m.risk_factors) for m in measures
    ]
    assert [(m.realised, m.evaluation_note) for m in copied] == [(None, None)] * 2
    assert await told(outbox.CONSENT_REQUEST) == [(world.parent_a1.id, successor.id)]
    with pytest.raises(Conflict):  # one plan a semester: continuing twice is refused
        await iaps.review_iap(world.teacher_a, iap.id, risk_outcome="reduced", continues=True)


async def test_a_continued_plan_keeps_the_risk_assessment(world):
    iap, measures = await under_review(world)
    await IapRiskGroup.create(
        iap_id=iap.id, group="learning", justification="Zemas atzīmes", factors=["low_motivation"]
    )
    for measure in measures:
        await iaps.evaluate_measure(world.teacher_a, iap.id, measure.id, realised="full")
    _, successor = await iaps.review_iap(
        world.teacher_a, iap.id, risk_outcome="unchanged", continues=True
    )
    kept = await IapRiskGroup.filter(iap_id=successor.id).values_list(
        "group", "justification", "factors"
    )
    assert kept == [("learning", "Zemas atzīmes", ["low_motivation"])]
