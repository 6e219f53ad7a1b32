"""Two transactions raising one student's absence level at once: the rise is signalled once.

PostgreSQL only (SQLite runs one writer at a time). The race is made certain, not left to
timing: a third connection holds a lock on the risk signals, so the first transaction to reach
its signal waits with the student's new level written but not committed, while the second
reaches the student; both wait, then the lock goes and they finish.
"""

import asyncio
from datetime import date

import asyncpg
import pytest
from tortoise import connections

from core import clock
from core.services.absence_levels import ABSENCE_HIGH
from core.services.attendance import import_attendance, record_absences
from storage.models import OutboxItem, RiskSignal, Student
from tests.conftest import TEST_DATABASE_URL
from tests.core.test_attendance import FRIDAY, csv, refs

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgres"), reason="concurrent transactions: PostgreSQL"
)

WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock'"
)


@pytest.fixture
def on_friday(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: FRIDAY)


@pytest.fixture
async def blocker(db):
    """A connection of the test's own, to the test's database, apart from the pool."""
    database = connections.get("default").database
    url = TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    connection = await asyncpg.connect(f"{url}/{database}")
    yield connection
    await connection.close()


def an_import(world, day: date):
    return lambda: import_attendance(
        world.coordinator_a, world.school_a.id, csv(f"R1,{day.isoformat()},6")
    )


def a_teachers_absences(world, day: date):
    return lambda: record_absences(
        world.teacher_a, world.class_a7.id, {world.student_a1.id: 6}, day
    )


@pytest.mark.parametrize("second", [an_import, a_teachers_absences])
async def test_a_rise_two_transactions_see_at_once_is_one_signal_and_one_message(
    world, on_friday, blocker, second
):
    await refs(world)
    await import_attendance(world.coordinator_a, world.school_a.id, csv("R1,2026-02-20,6"))
    student = await Student.get(id=world.student_a1.id)
    assert student.absence_level == "caution"  # 6 of 120 lessons; 6 more is 10%: high
    first = an_import(world, date(2026, 2, 24))
    other = second(world, date(2026, 2, 26))
    transaction = blocker.transaction()
    await transaction.start()
    await blocker.execute("LOCK TABLE risk_signal IN SHARE MODE")
    both = asyncio.gather(first(), other())
    waiting = 0

    async def count_waiting() -> None:
        nonlocal waiting
        while waiting < 2:
            await blocker.execute("SELECT pg_stat_clear_snapshot()")  # fresh in a transaction
            waiting = await blocker.fetchval(WAITING)
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(count_waiting(), 20)
    finally:
        await transaction.rollback()
    await both
    assert waiting == 2  # the race took place
    assert (await Student.get(id=student.id)).absence_level == "high"
    signals = await RiskSignal.filter(student_id=student.id, level="high")
    assert len(signals) == 1
    messages = await OutboxItem.filter(kind=ABSENCE_HIGH).values_list("recipient_id", "dedupe_key")
    assert len({key for _, key in messages}) == 1  # one rise
    recipients = [recipient for recipient, _ in messages]
    assert world.coordinator_a.id in recipients
    assert len(recipients) == len(set(recipients))  # one message each
