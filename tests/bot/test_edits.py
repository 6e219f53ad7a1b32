"""An edit that would change nothing is not sent to Telegram."""

from aiogram.methods import EditMessageReplyMarkup, EditMessageText

from bot.i18n import create_i18n
from core.clock import Semester
from handlers.needs import NeedMonth
from tests.bot.test_needs import ask, deliver

MONTHS = Semester.current().months()


def edits(sim) -> int:
    calls = sim.session.calls
    return sum(isinstance(call, EditMessageText | EditMessageReplyMarkup) for call in calls)


async def test_a_tap_that_changes_nothing_sends_no_edit(sim, world):
    teacher, parent = sim.user(101), sim.user(108)
    await ask(teacher, world.student_a1.id, "Ēdināšana")
    await deliver(sim, create_i18n())
    await parent.press("Jā")
    months, before = parent.last, edits(sim)

    outside = next(m for m in range(1, 13) if m not in MONTHS)
    await parent.press_data(NeedMonth(month=outside).pack(), months)  # not this semester's
    assert edits(sim) == before

    ticked = await parent.press_data(NeedMonth(month=MONTHS[0]).pack(), months)
    assert edits(sim) == before + 1
    assert ticked[-1].buttons()[0][0].startswith("✓ ")


async def test_a_tap_under_a_message_telegram_no_longer_has_is_answered_anew(sim, world):
    teacher = sim.user(101)
    classes = (await teacher.send("/absent"))[-1]
    _, data = teacher.find_button("7.a")
    sim.session.chats[101].remove(classes)  # deleted meanwhile: Telegram cannot edit it
    roster = await teacher.press_data(data, classes)
    assert roster[-1].message_id != classes.message_id  # a new message
    assert [text for text, _ in roster[-1].buttons()][:2] == ["Anna Kalnina", "Janis Ozols"]
