"""A plan carrying every kind of staff's words, for tests of what a parent may read."""

from core.clock import today
from core.services import consultations, iaps, signals

NOTE = "Note: talked to the class teacher about home"
TOPIC = "Topic: conflict with the stepfather"
COMMENT = "Comment: add hours with the psychologist"
PAUSE = "Pause: treatment in hospital"
EVALUATION = "Evaluation: attendance better, mood worse"
MEASURE_NOTE = "Measure: the student skipped half of the sessions"
STAFF_WORDS = (NOTE, TOPIC, COMMENT, PAUSE, EVALUATION, MEASURE_NOTE)


async def plan_with_staff_words(world) -> int:
    """Anna's plan this semester, paused after its review; returns the IAP's id."""
    teacher, a1 = world.teacher_a, world.student_a1.id
    await signals.record_risk_signal(teacher, a1, "behaviour", note=NOTE)
    await consultations.log_consultation(
        world.psychologist_a, a1, held_on=today(), minutes=45, mode="in_person", topic=TOPIC
    )
    iap = await iaps.open_iap(teacher, a1)
    measure = await iaps.add_measure(
        teacher,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=6,
        risk_factors=["behaviour"],
    )
    await iaps.record_consent(world.parent_a1, iap.id, given=True)
    await iaps.submit_for_approval(teacher, iap.id)
    await iaps.return_iap(world.coordinator_a, iap.id, COMMENT)
    await iaps.submit_for_approval(teacher, iap.id)
    await iaps.approve_iap(world.coordinator_a, iap.id)
    await iaps.approve_iap(world.coordinator_m1, iap.id)
    await iaps.move_iap(teacher, iap.id, "in_progress")
    await iaps.move_iap(teacher, iap.id, "under_review")
    await iaps.evaluate_measure(teacher, iap.id, measure.id, realised="partly", note=MEASURE_NOTE)
    await iaps.review_iap(
        teacher, iap.id, risk_outcome="worse", evaluation=EVALUATION, continues=False
    )
    await iaps.move_iap(teacher, iap.id, "in_progress")
    await iaps.move_iap(teacher, iap.id, "paused", PAUSE)
    return iap.id
