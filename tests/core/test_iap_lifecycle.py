"""The IAP's life: the approval chain, returns, pauses, review and continuation."""

import pytest

from core.clock import Semester, today
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.iap import assemble_for_student
from core.services import iaps, signals
from tests.world import teacher_at


async def _ready_plan(world, student, preparer):
    await signals.record_risk_signal(preparer, student.id, "low_achievement")
    iap = await iaps.open_iap(preparer, student.id)
    await iaps.add_measure(
        preparer,
        iap.id,
        kind="consultation",
        specialist_type="special_ed_teacher",
        planned_quantity=8,
        risk_factors=["low_achievement"],
    )
    await iaps.record_consent(preparer, iap.id, given=True, method="paper", signed_on=today())
    return await iaps.submit_for_approval(preparer, iap.id)


async def test_state_vocational_school_skips_the_municipality(world):
    preparer = await teacher_at(world.school_v, "Teacher V", 120)
    iap = await _ready_plan(world, world.student_v1, preparer)
    approved = await iaps.approve_iap(world.coordinator_v, iap.id)
    assert approved.status == "approved"


async def test_general_school_needs_the_municipality_too(world):
    iap = await _ready_plan(world, world.student_a1, world.teacher_a)
    assert (await iaps.approve_iap(world.coordinator_a, iap.id)).status == "in_approval"
    assert [i.id for i in await iaps.iaps_waiting_for(world.coordinator_m1)] == [iap.id]
    assert await iaps.iaps_waiting_for(world.coordinator_a) == []
    with pytest.raises(NotFound):  # another municipality's plan: as if there were none
        await iaps.approve_iap(world.coordinator_m2, iap.id)
    assert (await iaps.approve_iap(world.coordinator_m1, iap.id)).status == "approved"


async def test_a_returned_plan_goes_back_to_draft_with_the_comment(world):
    iap = await _ready_plan(world, world.student_a1, world.teacher_a)
    with pytest.raises(InvalidInput):
        await iaps.return_iap(world.coordinator_a, iap.id, "  ")
    with pytest.raises(AccessDenied):
        await iaps.return_iap(world.psychologist_a, iap.id, "Add more hours")
    returned = await iaps.return_iap(world.coordinator_a, iap.id, "Add more hours")
    assert returned.status == "draft"
    plan = await assemble_for_student(world.teacher_a, world.student_a1.id, Semester.current())
    assert plan.history[-1].comment == "Add more hours"
    assert plan.approvals == []


async def test_pause_needs_a_reason_and_moves_follow_the_rules(world):
    teacher = await teacher_at(world.school_v, "Teacher V", 120)
    iap = await _ready_plan(world, world.student_v1, teacher)
    await iaps.approve_iap(world.coordinator_v, iap.id)
    with pytest.raises(Conflict):
        await iaps.move_iap(world.coordinator_v, iap.id, "under_review")
    await iaps.move_iap(world.coordinator_v, iap.id, "in_progress")
    with pytest.raises(InvalidInput):
        await iaps.move_iap(world.coordinator_v, iap.id, "paused")
    paused = await iaps.move_iap(world.coordinator_v, iap.id, "paused", "Long illness")
    assert paused.pause_reason == "Long illness"
    resumed = await iaps.move_iap(world.coordinator_v, iap.id, "in_progress")
    assert resumed.pause_reason is None


async def test_review_continues_the_plan_next_semester(world):
    actor = world.coordinator_v
    iap = await _ready_plan(world, world.student_v1, await teacher_at(world.school_v, "V", 120))
    await iaps.approve_iap(actor, iap.id)
    await iaps.move_iap(actor, iap.id, "in_progress")
    with pytest.raises(Conflict):
        await iaps.review_iap(actor, iap.id, risk_outcome="reduced", continues=True)
    await iaps.move_iap(actor, iap.id, "under_review")
    [measure] = (
        await assemble_for_student(actor, world.student_v1.id, Semester.current())
    ).measures
    await iaps.evaluate_measure(actor, iap.id, measure.id, realised="full")
    reviewed, successor = await iaps.review_iap(
        actor, iap.id, risk_outcome="reduced", evaluation="Attendance improved", continues=True
    )
    assert reviewed.continues is True
    following = Semester.current().next()
    assert (successor.school_year, successor.semester) == (following.school_year, following.number)
    assert successor.continued_from_id == iap.id
    plan = await assemble_for_student(actor, world.student_v1.id, following)
    assert plan.status == "draft"
    assert [m.specialist_type for m in plan.measures] == ["special_ed_teacher"]


async def test_submit_needs_consent_and_a_measure(world):
    teacher = world.teacher_a
    iap = await iaps.open_iap(teacher, world.student_a2.id)
    with pytest.raises(Conflict):
        await iaps.submit_for_approval(teacher, iap.id)
    await iaps.record_consent(teacher, iap.id, given=True, method="paper", signed_on=today())
    with pytest.raises(Conflict):
        await iaps.submit_for_approval(teacher, iap.id)
    with pytest.raises(InvalidInput):
        await iaps.add_measure(
            teacher,
            iap.id,
            kind="consultation",
            specialist_type="psychologist",
            planned_quantity=2,
            risk_factors=[],
        )


@pytest.mark.parametrize("step", ["return", "pause", "review"])
async def test_plan_texts_with_a_nul_are_refused_and_the_plan_stays(world, step):
    preparer = await teacher_at(world.school_v, "Teacher V", 120)
    iap = await _ready_plan(world, world.student_v1, preparer)
    coordinator, text = world.coordinator_v, "Kavē\x00 pirmdienās"
    if step != "return":
        await iaps.approve_iap(coordinator, iap.id)
    if step == "review":
        await iaps.move_iap(coordinator, iap.id, "in_progress")
        await iaps.move_iap(coordinator, iap.id, "under_review")
    before = (await iaps.Iap.get(id=iap.id)).status
    with pytest.raises(InvalidInput):
        if step == "return":
            await iaps.return_iap(coordinator, iap.id, text)
        elif step == "pause":
            await iaps.move_iap(coordinator, iap.id, "paused", text)
        else:
            await iaps.review_iap(
                coordinator, iap.id, evaluation=text, risk_outcome="reduced", continues=False
            )
    assert (await iaps.Iap.get(id=iap.id)).status == before


async def test_a_plan_moved_meanwhile_is_not_moved_again_from_a_stale_copy(world):
    preparer = await teacher_at(world.school_v, "Teacher V", 120)
    iap = await _ready_plan(world, world.student_v1, preparer)
    stale = await iaps.Iap.get(id=iap.id)  # read while in approval
    await iaps.return_iap(world.coordinator_v, iap.id, "Vairāk stundu")
    with pytest.raises(Conflict):
        await iaps._move(stale, world.coordinator_v, "approved")
    assert (await iaps.Iap.get(id=iap.id)).status == "draft"


async def test_a_parent_consents_online_whatever_method_they_name(world):
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id)
    await iaps.record_consent(
        world.parent_a1, iap.id, given=True, method="adult_student", signed_on=today()
    )
    recorded = await iaps.Iap.get(id=iap.id)
    assert (recorded.consent_method, recorded.consent_signed_on) == ("online", None)
