"""A tap goes past the flows whose buttons could not have made it, without their filters."""

from aiogram.filters.callback_data import CallbackData

from storage.models import RiskSignal


async def test_a_risk_flow_is_not_tried_against_the_absences_buttons(sim, world, monkeypatch):
    tried: list[str] = []
    unpack = CallbackData.unpack.__func__

    def spying(cls, value):
        tried.append(cls.__prefix__)
        return unpack(cls, value)

    monkeypatch.setattr(CallbackData, "unpack", classmethod(spying))
    teacher = sim.user(101)  # world.teacher_a
    await teacher.send("/risk")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("Ekonomiskie riski")
    await teacher.press(teacher.last.buttons()[0][0])  # the first economic factor
    await teacher.press("Izlaist")
    saved = await teacher.press("Saglabāt")
    assert "Saglabāts" in saved[-1].text
    assert await RiskSignal.filter(student_id=world.student_a1.id).count() == 1
    assert "rs_p" in tried  # the risk flow's own buttons were tried
    assert not [prefix for prefix in tried if prefix.startswith("ab_")]  # the absences' never
