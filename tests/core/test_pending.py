"""Read queries for coordinators and volunteers: scope decides every list."""

from datetime import timedelta

import pytest

from core.clock import today
from core.errors import AccessDenied, NotFound
from core.services import activities, iaps, needs, pending, people, signals
from storage.models import Ngo


def ids(rows) -> set[int]:
    return {row.id for row in rows}


async def _plan_in_approval(student, preparer):
    await signals.record_risk_signal(preparer, student.id, "behaviour")
    iap = await iaps.open_iap(preparer, student.id)
    await iaps.add_measure(
        preparer,
        iap.id,
        kind="consultation",
        specialist_type="social_pedagogue",
        planned_quantity=4,
        risk_factors=["behaviour"],
    )
    await iaps.record_consent(preparer, iap.id, given=True, method="paper", signed_on=today())
    return await iaps.submit_for_approval(preparer, iap.id)


async def test_invitable_roles_follow_the_coordinators_level(world):
    assert pending.invitable_roles(world.coordinator_a) == ["teacher", "specialist", "parent"]
    assert pending.invitable_roles(world.coordinator_m1) == [
        "teacher",
        "specialist",
        "parent",
        "school_coordinator",
        "volunteer",
    ]
    for role in ("teacher_a", "parent_a1", "volunteer", "outsider"):
        assert pending.invitable_roles(getattr(world, role)) == []


async def test_schools_and_ngos_in_the_coordinators_reach(world):
    w = world
    assert ids(await pending.coordinated_schools(w.coordinator_a)) == {w.school_a.id}
    assert ids(await pending.coordinated_schools(w.coordinator_v)) == {w.school_v.id}
    all_m1 = {w.school_a.id, w.school_b.id, w.school_v.id}
    assert ids(await pending.coordinated_schools(w.coordinator_m1)) == all_m1
    assert await pending.coordinated_schools(w.teacher_a) == []
    assert ids(await pending.municipality_schools(w.coordinator_m1)) == all_m1
    assert ids(await pending.municipality_schools(w.coordinator_m2)) == {w.school_c.id}
    assert await pending.municipality_schools(w.coordinator_a) == []

    other = await Ngo.create(name="Priedaines jauniesi", municipality=w.m2)
    assert ids(await pending.municipality_ngos(w.coordinator_m1)) == {w.ngo.id}
    assert ids(await pending.municipality_ngos(w.coordinator_m2)) == {other.id}
    assert await pending.municipality_ngos(w.coordinator_a) == []
    assert await pending.municipality_ngos(w.volunteer) == []


async def test_a_volunteer_sees_their_ngos_and_their_own_activities(world):
    [ngo] = await pending.volunteer_ngos(world.volunteer)
    assert (ngo.id, ngo.municipality.name) == (world.ngo.id, "Ezerkalnes novads")
    assert await pending.volunteer_ngos(world.coordinator_m1) == []

    issued = await people.create_invite(world.coordinator_m1, "volunteer", ngo_id=world.ngo.id)
    colleague = await people.enroll_by_invite(issued.code, telegram_id=8001, display_name="C")
    held = today() - timedelta(days=3)
    created = []
    for actor, title in ((world.volunteer, "Older"), (colleague, "Theirs")):
        created.append(
            await activities.register_peer_activity(
                actor,
                world.ngo.id,
                title=title,
                held_on=held,
                format="sport",
                participants=10,
                at_risk_participants=1,
                hours=1,
            )
        )
    newer = await activities.register_peer_activity(
        world.volunteer,
        world.ngo.id,
        title="Newer",
        held_on=today(),
        format="camp",
        participants=8,
        at_risk_participants=0,
        hours="3",
    )
    own = await pending.own_activities(world.volunteer)
    assert [a.title for a in own] == ["Newer", "Older"]
    assert own[0].id == newer.id
    assert [a.title for a in await pending.own_activities(colleague)] == ["Theirs"]
    assert await pending.own_activities(world.coordinator_m1) == []


async def test_waiting_plans_come_with_class_and_preparer(world):
    a1 = await _plan_in_approval(world.student_a1, world.teacher_a)
    [plan] = await pending.waiting_plans(world.coordinator_a)
    assert plan.id == a1.id
    assert plan.student.school_class.name == "7.a"
    assert plan.student.school.name == "Ezerkalnes vidusskola"
    assert plan.preparer.display_name == "Teacher A"
    assert await pending.waiting_plans(world.coordinator_m1) == []
    assert await pending.waiting_plans(world.teacher_a) == []


async def test_needs_awaiting_parents_hold_only_the_scope_and_only_the_unanswered(world):
    w = world
    asked = await needs.ask_parent_about_need(w.teacher_a, w.student_a1.id, "meals")
    answered = await needs.ask_parent_about_need(w.teacher_a, w.student_a1.id, "lodging")
    await needs.answer_need(w.parent_a1, answered.id, confirmed=False)
    issued = await people.create_invite(w.coordinator_m2, "parent", student_id=w.student_c1.id)
    await people.enroll_by_invite(issued.code, telegram_id=8002, display_name="Parent C1")
    in_c = await needs.ask_parent_about_need(w.coordinator_m2, w.student_c1.id, "meals")

    assert ids(await pending.needs_awaiting_parents(w.coordinator_a)) == {asked.id}
    assert ids(await pending.needs_awaiting_parents(w.coordinator_m1)) == {asked.id}
    assert ids(await pending.needs_awaiting_parents(w.coordinator_m2)) == {in_c.id}
    assert await pending.needs_awaiting_parents(w.coordinator_v) == []
    for role in ("teacher_a", "parent_a1", "volunteer"):
        assert await pending.needs_awaiting_parents(getattr(w, role)) == []
    [need] = await pending.needs_awaiting_parents(w.coordinator_a)
    assert (need.student.school_class.name, need.student.school.name) == (
        "7.a",
        "Ezerkalnes vidusskola",
    )


async def test_a_coordinated_iap_is_one_of_the_coordinators_schools(world):
    a1 = await _plan_in_approval(world.student_a1, world.teacher_a)
    for role in ("coordinator_a", "coordinator_m1"):
        iap = await pending.coordinated_iap(getattr(world, role), a1.id)
        assert (iap.id, iap.student.first_name) == (a1.id, "Anna")
    for role in ("teacher_a", "parent_a1"):  # they see the student, but do not coordinate
        with pytest.raises(AccessDenied):
            await pending.coordinated_iap(getattr(world, role), a1.id)
    for role in ("coordinator_v", "coordinator_m2", "volunteer"):  # as if there were none
        with pytest.raises(NotFound):
            await pending.coordinated_iap(getattr(world, role), a1.id)
    with pytest.raises(NotFound):
        await pending.coordinated_iap(world.coordinator_a, a1.id + 1000)


async def test_find_students_searches_within_scope_with_class_and_school(world):
    found = await pending.find_students(world.coordinator_m1, "i")
    assert world.student_c1.id not in ids(found)
    assert world.student_b1.id in ids(found)
    anna = next(s for s in found if s.id == world.student_a1.id)
    assert (anna.school_class.name, anna.school.name) == ("7.a", "Ezerkalnes vidusskola")
    assert await pending.find_students(world.coordinator_a, "Peteris") == []
    assert await pending.find_students(world.volunteer, "Anna") == []
