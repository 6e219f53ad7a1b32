"""An open question reaches every parent once, those who join later too; every asker hears back."""

from core.services import needs, outbox, people
from storage.models import Membership, OutboxItem, Person


async def _queued(kind: str) -> list[int]:
    """Recipients of the items of this kind, one entry per item."""
    return sorted(await OutboxItem.filter(kind=kind).values_list("recipient_id", flat=True))


async def test_a_parent_who_joins_later_gets_the_open_questions(world):
    need = await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    answered = await needs.ask_parent_about_need(
        world.teacher_a, world.student_a1.id, "learning_materials"
    )
    await needs.answer_need(world.parent_a1, answered.id, confirmed=False)
    issued = await people.create_invite(
        world.coordinator_a, "parent", student_id=world.student_a1.id
    )
    second = await people.enroll_by_invite(issued.code, telegram_id=7001, display_name="Parent 2")

    questions = await OutboxItem.filter(kind=outbox.NEED_QUESTION, recipient_id=second.id)
    assert [item.payload for item in questions] == [{"need_id": need.id}]  # the open one only
    assert await _queued(outbox.NEED_QUESTION) == sorted([world.parent_a1.id] * 2 + [second.id])


async def test_asking_again_joins_the_question_and_reaches_parents_not_yet_asked(world):
    first = await needs.ask_about_need(world.teacher_a, world.student_a1.id, "meals")
    assert not first.already_open
    late = await Person.create(display_name="Parent added by hand", telegram_id=7002)
    await Membership.create(person_id=late.id, role="parent", student_id=world.student_a1.id)

    again = await needs.ask_about_need(world.psychologist_a, world.student_a1.id, "meals")
    assert again.already_open and again.need.id == first.need.id
    assert await _queued(outbox.NEED_QUESTION) == sorted([world.parent_a1.id, late.id])
    await needs.ask_about_need(world.teacher_a, world.student_a1.id, "meals")  # a third time
    assert await _queued(outbox.NEED_QUESTION) == sorted([world.parent_a1.id, late.id])

    await needs.answer_need(world.parent_a1, first.need.id, confirmed=False)
    assert await _queued(outbox.NEED_ANSWERED) == sorted(
        [world.teacher_a.id, world.psychologist_a.id]
    )
