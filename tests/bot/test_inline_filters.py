"""States and magic filters are checked inline: no thread hop per filter on any update."""

import aiogram.dispatcher.event.handler as aiogram_handler

from bot.inline_filters import inline_sync_filters


def no_threads(*args, **kwargs):
    raise AssertionError("a filter or handler went to a thread")


async def test_a_whole_flow_runs_without_a_thread(sim, world, monkeypatch):
    monkeypatch.setattr(aiogram_handler.asyncio, "to_thread", no_threads)
    teacher = sim.user(101)  # world.teacher_a
    await teacher.send("/absent")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("2")
    saved = await teacher.press("Saglabāt")
    assert "Saglabāts" in saved[-1].text
    found = (await teacher.send("Kalnina"))[-1]  # a name typed outside a flow: the student found
    assert found.keyboard and "Anna Kalnina" in str(found.keyboard)


async def test_every_filter_of_the_dispatcher_is_already_inline(sim):
    assert inline_sync_filters(sim.dispatcher) == 0
