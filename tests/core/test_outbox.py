"""The outbox: quiet hours (around midnight, at the boundaries, per person), due items."""

from datetime import UTC, datetime, time, timedelta

import pytest

from core.clock import RIGA, Semester
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.services import iaps, needs, outbox
from core.services.outbox import DEFAULT_QUIET_END, DEFAULT_QUIET_START, quiet_until
from storage.models import Membership, OutboxItem, Person


def riga(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    """A moment of 2026 on Riga's wall clock."""
    return datetime(2026, month, day, hour, minute, tzinfo=RIGA)


def default_quiet(moment: datetime) -> datetime | None:
    return quiet_until(DEFAULT_QUIET_START, DEFAULT_QUIET_END, moment)


@pytest.mark.parametrize(
    ("moment", "until"),
    [
        (riga(14, 20, 59), None),
        (riga(14, 21, 0), riga(15, 8)),  # the start is quiet
        (riga(14, 22, 30), riga(15, 8)),
        (riga(14, 23, 59), riga(15, 8)),
        (riga(15, 0, 0), riga(15, 8)),  # after midnight: the same morning
        (riga(15, 7, 59), riga(15, 8)),
        (riga(15, 8, 0), None),  # the end is not
        (riga(15, 12, 0), None),
    ],
)
def test_default_quiet_hours_cross_midnight(moment: datetime, until: datetime | None):
    assert default_quiet(moment) == until
    assert default_quiet(moment.astimezone(UTC)) == until  # the same moment given in UTC


def test_quiet_hours_end_on_riga_wall_clock_across_a_clock_change():
    # Summer time starts on 29 March 2026: 08:00 in Riga is 05:00 UTC, not 06:00 as the day before.
    until = default_quiet(riga(28, 22, month=3))
    assert until == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_own_quiet_hours_within_a_day_and_none():
    lunch = (time(13, 0), time(15, 0))
    assert quiet_until(*lunch, riga(14, 12, 59)) is None
    assert quiet_until(*lunch, riga(14, 13, 0)) == riga(14, 15)
    assert quiet_until(*lunch, riga(14, 15, 0)) is None
    assert quiet_until(time(0, 0), time(0, 0), riga(14, 3)) is None  # equal ends: never quiet


async def test_a_question_at_half_past_ten_waits_until_eight(world):
    parent_id = world.parent_a1.id
    item = await outbox.enqueue(
        parent_id,
        outbox.NEED_QUESTION,
        {"need_id": 1},
        respect_quiet_hours=True,
        now=riga(14, 22, 30),
    )
    assert item.not_before == item.next_attempt_at == riga(15, 8)
    assert await outbox.due_items(now=riga(14, 23)) == []
    assert await outbox.due_items(now=riga(15, 7, 59)) == []
    due = await outbox.due_items(now=riga(15, 8))
    assert [d.id for d in due] == [item.id]
    assert due[0].recipient.telegram_id == 108  # loaded for the sender


async def test_quiet_hours_can_be_ignored(world):
    evening = riga(14, 21, 30)
    urgent = await outbox.enqueue(
        world.teacher_a.id, "need_answered", {"need_id": 1}, respect_quiet_hours=False, now=evening
    )
    assert urgent.not_before == urgent.next_attempt_at == evening


async def test_a_person_may_have_own_quiet_hours_on_riga_wall_clock(world):
    assert outbox.quiet_hours(Person()) == (time(21, 0), time(8, 0))
    await Person.filter(id=world.parent_a1.id).update(
        quiet_start_minute=23 * 60, quiet_end_minute=7 * 60
    )
    late_owl = await Person.get(id=world.parent_a1.id)
    start, end = outbox.quiet_hours(late_owl)
    assert (start, end) == (time(23, 0), time(7, 0))
    assert quiet_until(start, end, riga(14, 22, 30)) is None
    assert quiet_until(start, end, riga(14, 23, 30)) == riga(15, 7)


async def test_sent_and_failed_items_are_no_longer_due(world):
    moment = riga(14, 12)
    first, second, third = [
        await outbox.enqueue(
            world.parent_a1.id,
            "need_question",
            {"need_id": n},
            respect_quiet_hours=True,
            now=moment,
        )
        for n in (1, 2, 3)
    ]
    await outbox.mark_sent(first.id, now=moment)
    await outbox.mark_failed(second.id, "Forbidden: bot was blocked by the user")
    assert [d.id for d in await outbox.due_items(now=moment)] == [third.id]
    assert [d.id for d in await outbox.due_items(limit=0, now=moment)] == []
    sent = await OutboxItem.get(id=first.id)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, moment)
    failed = await OutboxItem.get(id=second.id)
    assert (failed.status, failed.attempts, failed.last_error) == (
        "failed",
        1,
        "Forbidden: bot was blocked by the user",
    )
    await outbox.mark_sent(second.id)  # a failed item is not turned into a sent one
    assert (await OutboxItem.get(id=second.id)).status == "failed"


async def test_a_payload_carries_ids_and_numbers_only(world):
    with pytest.raises(ValueError):
        await outbox.enqueue(
            world.parent_a1.id, "need_question", {"name": "Anna"}, respect_quiet_hours=False
        )
    assert await OutboxItem.all().count() == 0


async def items(kind: str) -> list[tuple[int, dict]]:
    return [
        (item.recipient_id, item.payload)
        for item in await OutboxItem.filter(kind=kind).order_by("id")
    ]


async def test_asking_and_answering_a_need_queue_messages_to_the_other_side(world):
    second_parent = await Person.create(display_name="Parent A1 bis", telegram_id=5108)
    await Membership.create(person=second_parent, role="parent", student=world.student_a1)
    need = await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    again = await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    assert again.id == need.id
    question = {"need_id": need.id}
    assert await items("need_question") == [
        (world.parent_a1.id, question),
        (second_parent.id, question),
    ]
    await needs.answer_need(
        world.parent_a1, need.id, confirmed=True, months=Semester.current().months()[:2]
    )
    assert await items("need_answered") == [(world.teacher_a.id, {"need_id": need.id})]
    with pytest.raises(Conflict):
        await needs.answer_need(world.parent_a1, need.id, confirmed=False)
    assert len(await items("need_answered")) == 1


async def test_no_question_is_queued_without_a_parent(world):
    with pytest.raises(InvalidInput):
        await needs.ask_parent_about_need(world.teacher_a, world.student_a2.id, "meals")
    assert await OutboxItem.all().count() == 0


async def test_consent_is_asked_of_each_parent_while_the_plan_is_a_draft(world):
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id)
    with pytest.raises(AccessDenied):  # the parent sees the plan, but asking is the staff's
        await needs.ask_parent_for_consent(world.parent_a1, iap.id)
    for outsider in (world.teacher_b, world.volunteer):  # as if there were no such plan
        with pytest.raises(NotFound):
            await needs.ask_parent_for_consent(outsider, iap.id)
    await needs.ask_parent_for_consent(world.teacher_a, iap.id)
    assert await items("consent_request") == [(world.parent_a1.id, {"iap_id": iap.id})]
    asked = await needs.consent_request(world.parent_a1, iap.id)
    assert asked.student.first_name == "Anna"
    with pytest.raises(AccessDenied):
        await needs.consent_request(world.teacher_a, iap.id)  # only a parent is asked
    await iaps.record_consent(world.parent_a1, iap.id, given=True)
    with pytest.raises(Conflict):
        await needs.ask_parent_for_consent(world.teacher_a, iap.id)

    no_parent = await iaps.open_iap(world.teacher_a, world.student_a2.id)
    with pytest.raises(InvalidInput):
        await needs.ask_parent_for_consent(world.teacher_a, no_parent.id)
    assert len(await items("consent_request")) == 1


async def test_due_items_come_oldest_due_first(world):
    base = riga(14, 12)
    later = await outbox.enqueue(
        world.parent_a1.id, "need_question", {"need_id": 1}, respect_quiet_hours=False, now=base
    )
    earlier = await outbox.enqueue(
        world.parent_a1.id,
        "need_question",
        {"need_id": 2},
        respect_quiet_hours=False,
        now=base - timedelta(hours=1),
    )
    assert [d.id for d in await outbox.due_items(now=base)] == [earlier.id, later.id]
