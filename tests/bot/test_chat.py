"""`pumpurs chat`: numbered messages, buttons tapped by `#message.button`, text sent as typed,
pop-ups printed, and only the chatting person's queued messages delivered."""

from datetime import UTC, datetime, time, timedelta

from aiogram.methods import AnswerCallbackQuery

from bot.chat import converse
from bot.i18n import create_i18n
from bot.sender import send_due
from core.clock import RIGA, today
from core.services import needs
from storage.models import Membership, OutboxItem, Person

NOON = datetime.combine(today() + timedelta(days=1), time(12), tzinfo=RIGA).astimezone(UTC)


def script(*lines: str):
    """What the person types, line by line, then Ctrl-D."""
    typed = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    return read


async def nothing() -> None:
    return None


async def test_numbers_are_sent_as_text_and_older_buttons_stay_tappable(sim, world, capsys):
    teacher = sim.user(101)
    await converse(teacher, nothing, script("/menu", "/menu", "7", "#2.4", "#9.1"))
    printed = capsys.readouterr().out

    assert "[2] " in printed and "#2.1" in printed and "#3.4" in printed
    taps = [c for c in sim.session.calls if isinstance(c, AnswerCallbackQuery)]
    assert len(taps) == 1  # "7" went to the bot as a text message, only #2.4 was a tap
    typed = [u.message.text for u in sim.updates if u.message]
    assert "7" in typed
    tapped = next(u.callback_query for u in sim.updates if u.callback_query)
    assert tapped.message.message_id == teacher.inbox[1].message_id  # the older menu's button
    assert "No button #9.1" in printed


async def test_pop_up_answers_to_taps_are_printed(sim, world, capsys):
    teacher = sim.user(101)
    await converse(teacher, nothing, script("/plan", "a", "/cancel", "#4.1"))
    printed = capsys.readouterr().out
    assert "(pop-up) " in printed
    assert teacher.alerts and teacher.alerts[-1] in printed


async def test_only_the_chatting_persons_queued_messages_are_delivered(sim, world, capsys):
    other = await Person.create(display_name="Other parent", telegram_id=30_001)
    await Membership.create(person=other, role="parent", student=world.student_a1)
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    parent = sim.user(108)
    i18n = create_i18n()

    await converse(
        parent, lambda: send_due(sim.bot, i18n, now=NOON, recipient_id=world.parent_a1.id), script()
    )

    items = {i.recipient_id: i.status for i in await OutboxItem.filter(kind="need_question")}
    assert items == {world.parent_a1.id: "sent", other.id: "pending"}
    assert 30_001 not in sim.session.chats
    assert parent.inbox[-1].keyboard is not None
    assert f"[{len(parent.inbox)}]" in capsys.readouterr().out
