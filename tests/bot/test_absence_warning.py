"""The early warning of a rise to high: rendered when sent, in the recipient's language."""

from datetime import date

import pytest

from bot.i18n import create_i18n
from bot.sender import Obsolete, render
from core import clock
from core.services.absence_levels import ABSENCE_HIGH
from core.services.attendance import record_absences
from core.services.people import set_locale
from storage.models import OutboxItem, Student

FRIDAY = date(2026, 2, 27)


async def rise_to_high(world, monkeypatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: FRIDAY)
    for day in (date(2026, 2, 26), FRIDAY):  # 12 of 120 lessons: 10%
        await record_absences(world.teacher_a, world.class_a7.id, {world.student_a1.id: 6}, day)


async def test_the_warning_names_the_student_the_share_and_the_window(db, world, monkeypatch):
    await rise_to_high(world, monkeypatch)
    await set_locale(world.coordinator_a.id, "ru")
    items = {
        item.recipient_id: item
        for item in await OutboxItem.filter(kind=ABSENCE_HIGH).select_related("recipient")
    }
    assert set(items) == {world.teacher_a.id, world.coordinator_a.id}
    assert "Anna" not in str(items[world.teacher_a.id].payload)  # ids and numbers only
    [latvian] = await render(items[world.teacher_a.id], create_i18n())
    assert latvian.text.startswith(  # Telegram HTML: the name in bold
        "Agrīnais brīdinājums: <b>Anna Kalnina</b> no 31.01.2026. līdz"
    )
    assert "12 no 120 mācību stundām (10.0%)" in latvian.text
    coordinator = await OutboxItem.get(id=items[world.coordinator_a.id].id).select_related(
        "recipient"
    )
    [russian] = await render(coordinator, create_i18n())
    assert russian.text.startswith("Раннее предупреждение: <b>Anna Kalnina</b>")


async def test_a_warning_is_not_sent_once_the_level_fell(db, world, monkeypatch):
    await rise_to_high(world, monkeypatch)
    await Student.filter(id=world.student_a1.id).update(absence_level="caution")
    item = await OutboxItem.filter(kind=ABSENCE_HIGH).select_related("recipient").first()
    with pytest.raises(Obsolete):
        await render(item, create_i18n())
