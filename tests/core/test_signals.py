"""Risk signals: level suggestions from absence thresholds, undo, bad input."""

from datetime import date, timedelta

import pytest

from core import clock
from core.clock import today
from core.errors import AccessDenied, InvalidInput
from core.services import signals
from storage.models import Absence, RiskSignal, Student


async def test_a_manual_absence_signal_is_suggested_a_level_counting_the_attendance(
    world, monkeypatch
):
    friday = date(2026, 2, 27)  # the 28 days up to it hold 20 school days: 120 lessons
    monkeypatch.setattr(clock, "today", lambda: friday)
    a1 = await Student.get(id=world.student_a1.id).select_related("school")
    assert await signals.suggested_level(a1, "unexcused_absences", 5, friday) == "caution"
    assert await signals.suggested_level(a1, "unexcused_absences", 12, friday) == "high"
    await Absence.create(
        student_id=a1.id, school=world.school_a, day=date(2026, 2, 2), unexcused=6, source="import"
    )
    assert await signals.suggested_level(a1, "unexcused_absences", 6, friday) == "high"
    assert await signals.suggested_level(a1, "behaviour", None, friday) == "caution"


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
