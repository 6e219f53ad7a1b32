"""The bot works in private chats only: nothing about students where a group reads along."""

from aiogram.methods import AnswerCallbackQuery, LeaveChat
from aiogram.types import Chat

from core.services import signals
from handlers.students import StOpen

GROUP = Chat(id=-1001, type="supergroup", title="7.a vecāki")
NOTICE_LV = "Lūdzu, rakstiet man privātā sarunā."


def left(sim) -> list[int]:
    return [int(call.chat_id) for call in sim.session.calls if isinstance(call, LeaveChat)]


async def test_a_command_in_a_group_gets_one_line_and_no_data(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    coordinator = sim.user(104)  # world.coordinator_a
    for command in ["/students", "/digest", "/invite", "/menu", "hello"]:
        await coordinator.send(command, chat=GROUP)
    await sim.user(101).send("/students", chat=Chat(id=-1001, type="group", title="7.a"))

    assert [sent.text for sent in sim.session.chats[GROUP.id]] == [NOTICE_LV]
    assert sim.session.chats[GROUP.id][0].keyboard is None
    assert coordinator.inbox == []
    assert set(left(sim)) == {GROUP.id}


async def test_a_tap_in_a_group_or_inline_is_refused_without_data(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    teacher = sim.user(101)
    listed = (await teacher.send("/students"))[-1]
    before = len(sim.session.sent)
    card = StOpen(student_id=world.student_a1.id, page=0).pack()

    await teacher.press_data(card, listed, chat=GROUP)
    await teacher.press_data(card, inline=True)

    assert sim.session.sent[before:] == []
    assert teacher.alerts == [NOTICE_LV, NOTICE_LV]
    assert left(sim) == [GROUP.id]


async def test_no_answer_where_the_chat_is_not_the_senders_own(sim, world):
    someone_elses = Chat(id=4242, type="private")
    await sim.user(104).send("/students", chat=someone_elses)
    channel = Chat(id=-1002, type="channel", title="Ziņas")
    await sim.user(104).send("/students", chat=channel)
    assert sim.session.sent == []


async def test_added_to_a_group_it_leaves(sim, world):
    assert "my_chat_member" in sim.dispatcher.resolve_used_update_types()
    await sim.user(104).add_bot_to(GROUP)
    assert left(sim) == [GROUP.id]
    assert sim.session.sent == []


async def test_private_chats_still_work(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    teacher = sim.user(101)
    listed = (await teacher.send("/students"))[-1]
    assert "Anna Kalnina" in listed.buttons()[0][0]
    opened = await teacher.press_data(listed.buttons()[0][1], listed)
    assert "Anna Kalnina" in opened[-1].text
    assert not [c for c in sim.session.calls if isinstance(c, AnswerCallbackQuery) and c.text]
