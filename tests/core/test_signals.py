"""Risk signals: level suggestions from absence thresholds, bulk absences, undo, bad input."""

from datetime import date, timedelta

import pytest

from core.clock import today
from core.errors import AccessDenied, InvalidInput, NotFound
from core.services import signals
from storage.models import RiskSignal


def test_absence_level_follows_the_share_of_lessons_missed():
    monday, friday = date(2026, 11, 16), date(2026, 11, 20)  # 5 school days, 30 lessons
    assert signals.suggest_level("unexcused_absences", 2, monday, friday) == "caution"
    assert signals.suggest_level("unexcused_absences", 3, monday, friday) == "high"
    assert signals.suggest_level("behaviour", None, monday, friday) == "caution"


async def test_bulk_absences_save_every_ticked_student(world):
    teacher = world.teacher_a
    ids = [world.student_a1.id, world.student_a2.id]
    saved = await signals.record_absences(teacher, world.class_a7.id, ids, 2)
    assert sorted(s.student_id for s in saved) == sorted(ids)
    assert {s.value for s in saved} == {2}
    assert await RiskSignal.filter(factor="unexcused_absences").count() == 2


async def test_repeated_absences_raise_the_level(world):
    a1 = world.student_a1.id
    day = today()
    first = await signals.record_absences(world.teacher_a, world.class_a7.id, [a1], 2, day)
    assert first[0].level == "caution"
    for _ in range(6):
        latest = await signals.record_absences(world.teacher_a, world.class_a7.id, [a1], 2, day)
    # 14 lessons over four weeks (about 120 lessons) is more than 10%
    assert latest[0].level == "high"


async def test_bulk_absences_refuse_strangers_and_other_classes(world):
    with pytest.raises(InvalidInput):
        await signals.record_absences(world.teacher_a, world.class_a7.id, [world.student_a3.id], 1)
    with pytest.raises(NotFound):  # another school's class: as if there were none
        await signals.record_absences(world.teacher_b, world.class_a7.id, [world.student_a1.id], 1)
    with pytest.raises(InvalidInput):
        await signals.record_absences(world.teacher_a, world.class_a7.id, [], 1)
    assert await RiskSignal.all().count() == 0


@pytest.mark.parametrize(
    ("factor", "value", "days_ahead"),
    [
        ("unexcused_absences", None, 0),
        ("unexcused_absences", 0, 0),
        ("unexcused_absences", 500, 0),
        ("behaviour", 3, 0),
        ("behaviour", None, 1),
        ("no_such_factor", None, 0),
    ],
)
async def test_bad_signals_are_refused_and_nothing_is_saved(world, factor, value, days_ahead):
    with pytest.raises(InvalidInput):
        await signals.record_risk_signal(
            world.teacher_a,
            world.student_a1.id,
            factor,
            value=value,
            observed_to=today() + timedelta(days=days_ahead),
        )
    assert await RiskSignal.all().count() == 0


async def test_the_reporter_can_undo_within_ten_minutes(world):
    signal = await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "health")
    with pytest.raises(AccessDenied):
        await signals.undo_risk_signal(world.coordinator_a, signal.id)
    await signals.undo_risk_signal(world.teacher_a, signal.id)
    assert not await RiskSignal.exists(id=signal.id)

    late = await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "health")
    await RiskSignal.filter(id=late.id).update(
        created_at=late.created_at - signals.UNDO_WINDOW - timedelta(seconds=1)
    )
    with pytest.raises(InvalidInput):
        await signals.undo_risk_signal(world.teacher_a, late.id)
    assert await RiskSignal.exists(id=late.id)


async def test_single_absence_signals_count_the_last_four_weeks(world):
    a1 = world.student_a1.id
    levels = [
        (await signals.record_risk_signal(world.teacher_a, a1, "unexcused_absences", value=v)).level
        for v in (3, 4, 4, 4)
    ]
    # about 120 lessons in four weeks: 15 missed is over 10%, 11 is not
    assert levels == ["caution", "caution", "caution", "high"]
