"""Consent keeps its evidence, and no one takes a plan from draft to approved alone."""

from datetime import timedelta

import pytest

from core.access import load_actor
from core.clock import Semester, today
from core.errors import AccessDenied, InvalidInput
from core.iap import assemble_for_student
from core.iap_view import iap_to_dict, render_iap
from core.markup import plain
from core.services import iaps, signals
from storage.models import Iap, Membership
from tests.world import teacher_at


async def _draft(student, preparer) -> Iap:
    await signals.record_risk_signal(preparer, student.id, "low_achievement")
    iap = await iaps.open_iap(preparer, student.id)
    await iaps.add_measure(
        preparer,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=4,
        risk_factors=["low_achievement"],
    )
    return iap


async def _paper_consent(actor, iap: Iap) -> None:
    await iaps.record_consent(actor, iap.id, given=True, method="paper", signed_on=today())


async def test_a_coordinator_who_prepared_a_plan_cannot_approve_it(world):
    iap = await _draft(world.student_v1, world.coordinator_v)  # a state vocational school
    await _paper_consent(world.coordinator_v, iap)
    await iaps.submit_for_approval(world.coordinator_v, iap.id)  # submitting is the preparer's
    with pytest.raises(AccessDenied) as denied:
        await iaps.approve_iap(world.coordinator_v, iap.id)
    assert "another approver" in denied.value.message
    assert await iaps.iaps_waiting_for(world.coordinator_v) == []
    assert (await Iap.get(id=iap.id)).status == "in_approval"


async def test_whoever_recorded_the_consent_cannot_approve(world):
    iap = await _draft(world.student_v1, await teacher_at(world.school_v, "Teacher V", 120))
    await _paper_consent(world.coordinator_v, iap)  # entered the parent's form
    await iaps.submit_for_approval(await teacher_at(world.school_v, "Other V", 121), iap.id)
    with pytest.raises(AccessDenied):
        await iaps.approve_iap(world.coordinator_v, iap.id)
    assert await iaps.iaps_waiting_for(world.coordinator_v) == []


async def test_no_one_signs_two_steps_of_one_plan(world):
    # The school's coordinator is also the municipality's: they sign the school step only.
    await Membership.create(
        person_id=world.coordinator_a.id,
        role="municipality_coordinator",
        municipality_id=world.m1.id,
    )
    coordinator = await load_actor(world.coordinator_a.id)
    iap = await _draft(world.student_a1, world.teacher_a)
    await iaps.record_consent(world.parent_a1, iap.id, given=True)
    await iaps.submit_for_approval(world.teacher_a, iap.id)
    assert (await iaps.approve_iap(coordinator, iap.id)).status == "in_approval"
    assert await iaps.iaps_waiting_for(coordinator) == []
    with pytest.raises(AccessDenied):
        await iaps.approve_iap(coordinator, iap.id)
    assert (await iaps.approve_iap(world.coordinator_m1, iap.id)).status == "approved"


async def test_staff_enter_consent_only_with_the_signed_form_and_its_date(world):
    iap = await _draft(world.student_a1, world.teacher_a)
    for evidence in (
        {},
        {"method": "online", "signed_on": today()},  # only the parent answers online
        {"method": "paper"},
        {"method": "paper", "signed_on": today() + timedelta(days=1)},
    ):
        with pytest.raises(InvalidInput):
            await iaps.record_consent(world.teacher_a, iap.id, given=True, **evidence)
    assert (await Iap.get(id=iap.id)).consent == "missing"

    signed = today() - timedelta(days=3)
    await iaps.record_consent(
        world.teacher_a, iap.id, given=False, method="adult_student", signed_on=signed
    )
    refused = await Iap.get(id=iap.id)
    assert (refused.consent, refused.consent_method, refused.consent_signed_on) == (
        "refused",
        "adult_student",
        signed,
    )
    assert refused.consent_by_id == world.teacher_a.id and refused.consent_at is not None


async def test_the_parents_own_answer_is_recorded_as_online(world):
    iap = await _draft(world.student_a1, world.teacher_a)
    await iaps.record_consent(world.parent_a1, iap.id, given=True, signed_on=today())
    given = await Iap.get(id=iap.id)
    assert (given.consent, given.consent_method, given.consent_signed_on) == (
        "given",
        "online",
        None,
    )


async def test_the_plan_shows_how_when_and_by_whom_consent_was_recorded(world):
    iap = await _draft(world.student_a1, world.teacher_a)
    signed = today() - timedelta(days=2)
    await iaps.record_consent(world.teacher_a, iap.id, given=True, method="paper", signed_on=signed)
    plan = await assemble_for_student(world.coordinator_a, world.student_a1.id, Semester.current())

    text = plain(render_iap(plan, "lv"))
    assert "Piekrišana sniegta" in text
    assert (
        f"Kā: uz papīra veidlapas, ko parakstījis vecāks; veidlapas datums: {signed:%d.%m.%Y}."
        in text
    )
    assert "Teacher A" in text

    record = iap_to_dict(plan, "en")["consent_record"]
    assert record["method"] == {"code": "paper", "label": "on a paper form signed by the parent"}
    assert record["signed_on"] == signed.isoformat()
    assert record["recorded_by"] == "Teacher A"
    assert record["recorded_at"] is not None
