"""Privacy in the bot: reading a student's card is audited; /privacy says what is kept and why."""

from core.services import signals
from storage.models import AuditEvent


async def test_opening_a_students_card_leaves_a_read_event_without_content(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    teacher = sim.user(101)
    await teacher.send("/students")
    await teacher.press("Anna Kalnina")
    event = await AuditEvent.get(action__startswith="read.")
    assert (event.person_id, event.action, event.entity, event.entity_id) == (
        world.teacher_a.id,
        "read.plan",
        "student",
        world.student_a1.id,
    )
