"""A student's semester outcome: who records it, what it needs, where it shows."""

import pytest

from core.clock import Semester
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.iap import assemble_for_student
from core.iap_view import iap_to_dict, render_iap
from core.markup import plain
from core.services import iaps, outcomes, privacy, signals
from storage.models import AuditEvent, StudentOutcome

SEMESTER = Semester.current()


async def test_staff_record_and_change_an_involved_students_outcome(world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "health")
    first = await outcomes.record_outcome(
        world.teacher_a, world.student_a1.id, SEMESTER, "left_early", "moved_abroad"
    )
    again = await outcomes.record_outcome(
        world.coordinator_a, world.student_a1.id, SEMESTER, "continues"
    )
    assert again.id == first.id
    stored = await StudentOutcome.get(id=first.id)
    assert (stored.outcome, stored.reason, stored.school_id) == (
        "continues",
        None,
        world.school_a.id,
    )
    assert stored.recorded_by_id == world.coordinator_a.id
    actions = await AuditEvent.filter(entity="student_outcome", entity_id=first.id).values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["outcome.change", "outcome.record"]


async def test_left_early_needs_a_reason_and_no_other_outcome_takes_one(world):
    await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    a1 = world.student_a1.id
    with pytest.raises(InvalidInput):
        await outcomes.record_outcome(world.teacher_a, a1, SEMESTER, "left_early")
    with pytest.raises(InvalidInput):
        await outcomes.record_outcome(world.teacher_a, a1, SEMESTER, "moved", "health")
    with pytest.raises(InvalidInput):
        await outcomes.record_outcome(world.teacher_a, a1, SEMESTER, "graduated")
    assert not await StudentOutcome.exists()


async def test_only_a_student_with_a_plan_or_signal_in_the_semester_gets_one(world):
    with pytest.raises(Conflict):
        await outcomes.record_outcome(world.teacher_a, world.student_a2.id, SEMESTER, "continues")
    await signals.record_risk_signal(world.teacher_a, world.student_a2.id, "health")
    with pytest.raises(Conflict):
        await outcomes.record_outcome(
            world.teacher_a, world.student_a2.id, SEMESTER.next(), "continues"
        )


async def test_others_are_refused_as_the_access_policy_says(world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "health")
    for outsider in (world.teacher_b, world.coordinator_m2, world.volunteer, world.outsider):
        with pytest.raises(NotFound):
            await outcomes.record_outcome(outsider, world.student_a1.id, SEMESTER, "continues")
    with pytest.raises(AccessDenied):
        await outcomes.record_outcome(world.parent_a1, world.student_a1.id, SEMESTER, "continues")


async def test_the_plan_shows_the_outcome_to_staff_and_not_to_the_parent(world):
    await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    await outcomes.record_outcome(
        world.teacher_a, world.student_a1.id, SEMESTER, "left_early", "employment"
    )
    plan = await assemble_for_student(world.teacher_a, world.student_a1.id, SEMESTER)
    assert iap_to_dict(plan, "en")["outcome"] == {
        "code": "left_early",
        "label": "Left education early",
    }
    assert "Semestra rezultāts: Priekšlaicīgi pārtrauca mācības (Darba uzsākšana)" in plain(
        render_iap(plan, "lv")
    )
    seen_by_parent = await assemble_for_student(world.parent_a1, world.student_a1.id, SEMESTER)
    assert seen_by_parent.outcome is None and seen_by_parent.outcome_reason is None


async def test_the_students_export_holds_the_outcome(world):
    await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    await outcomes.record_outcome(world.teacher_a, world.student_a1.id, SEMESTER, "completed")
    data = await privacy.export_student(world.student_a1.id, "ru")
    assert [o["outcome"]["code"] for o in data["outcomes"]] == ["completed"]
    assert "outcome.record" in {e["action"] for e in data["audit_events"]}
    await privacy.erase_student(world.student_a1.id)
    assert await StudentOutcome.filter(student_id=world.student_a1.id).count() == 1
