"""Joining through one-time, expiring invites issued by a coordinator."""

import asyncio
from datetime import timedelta

import pytest

from core.clock import now
from core.errors import InvalidInput
from core.services import people
from storage.models import AuditEvent, Invite, Membership


async def test_a_parent_joins_for_their_child_once(world):
    issued = await people.create_invite(
        world.coordinator_a, "parent", student_id=world.student_a2.id
    )
    assert len(issued.code) >= 20
    stored = await Invite.get(id=issued.invite.id)
    assert issued.code not in stored.code_hash  # only the hash is kept

    actor = await people.enroll_by_invite(
        issued.code, telegram_id=5551, display_name="Fictional Parent", locale="ru-RU"
    )
    assert actor.child_ids == {world.student_a2.id}
    assert actor.locale == "ru"

    with pytest.raises(InvalidInput) as again:
        await people.enroll_by_invite(issued.code, telegram_id=5552, display_name="Someone")
    assert "already been used" in again.value.message


async def test_an_account_can_hold_several_roles(world):
    first = await people.create_invite(
        world.coordinator_a, "parent", student_id=world.student_a1.id
    )
    second = await people.create_invite(
        world.coordinator_a, "specialist", school_id=world.school_a.id, specialty="psychologist"
    )
    await people.enroll_by_invite(first.code, telegram_id=7001, display_name="Dual")
    actor = await people.enroll_by_invite(second.code, telegram_id=7001, display_name="Dual")
    assert actor.roles == {"parent", "specialist"}
    assert actor.specialty == "psychologist"


async def test_wrong_and_expired_codes_are_explained(world):
    with pytest.raises(InvalidInput) as wrong:
        await people.enroll_by_invite("not-a-code", telegram_id=1, display_name="X")
    assert "not valid" in wrong.value.message

    issued = await people.create_invite(world.coordinator_a, "teacher", school_id=world.school_a.id)
    await Invite.filter(id=issued.invite.id).update(expires_at=now() - timedelta(minutes=1))
    with pytest.raises(InvalidInput) as expired:
        await people.enroll_by_invite(issued.code, telegram_id=2, display_name="Y")
    assert "expired" in expired.value.message
    assert not await Membership.exists(person__telegram_id=2)


async def test_invite_needs_its_scope_and_a_sane_validity(world):
    with pytest.raises(InvalidInput):
        await people.create_invite(world.coordinator_a, "teacher")
    with pytest.raises(InvalidInput):
        await people.create_invite(world.coordinator_a, "specialist", school_id=world.school_a.id)
    with pytest.raises(InvalidInput):
        await people.create_invite(
            world.coordinator_a, "teacher", school_id=world.school_a.id, valid_days=90
        )
    with pytest.raises(InvalidInput):
        await people.create_invite(world.coordinator_a, "headmaster", school_id=world.school_a.id)


async def test_writes_leave_an_audit_trail_without_text(world):
    issued = await people.create_invite(world.coordinator_a, "teacher", school_id=world.school_a.id)
    actor = await people.enroll_by_invite(issued.code, telegram_id=9, display_name="Z")
    actions = await AuditEvent.all().order_by("id").values_list("action", "person_id")
    assert ("invite.create", world.coordinator_a.id) in actions
    assert ("membership.create", actor.id) in actions


async def test_two_people_racing_for_one_code_only_one_joins(world):
    issued = await people.create_invite(world.coordinator_a, "teacher", school_id=world.school_a.id)
    results = await asyncio.gather(
        *(
            people.enroll_by_invite(issued.code, telegram_id=8000 + n, display_name="Racer")
            for n in range(5)
        ),
        return_exceptions=True,
    )
    joined = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(joined) == 1
    assert len(refused) == 4
    assert await Membership.filter(role="teacher", school_id=world.school_a.id).count() == 2
