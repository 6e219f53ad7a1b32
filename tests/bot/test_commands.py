"""The command menu and the bot's description Telegram shows: set in every language, and each
person's own menu lists only what their roles can do."""

from aiogram.methods import SetMyCommands, SetMyDescription, SetMyShortDescription
from aiogram.types import BotCommandScopeChat

from bot.factory import set_commands
from bot.i18n import create_i18n
from core.services.people import create_invite


async def test_commands_and_descriptions_are_set_in_every_language(sim):
    await set_commands(sim.bot, create_i18n())
    calls = [c for c in sim.session.calls if isinstance(c, SetMyCommands)]
    by_language = {
        c.language_code: {cmd.command: cmd.description for cmd in c.commands} for c in calls
    }
    assert set(by_language) == {None, "ru", "uk", "en"}
    assert by_language["ru"]["cancel"] == "прервать текущее действие"
    assert "absent" not in by_language[None]  # before joining: only what everyone can do
    assert all(len(c.command) <= 32 for call in calls for c in call.commands)

    descriptions = {
        c.language_code: c.description for c in sim.session.calls if isinstance(c, SetMyDescription)
    }
    shorts = {
        c.language_code: c.short_description
        for c in sim.session.calls
        if isinstance(c, SetMyShortDescription)
    }
    assert set(descriptions) == set(shorts) == {None, "ru", "uk", "en"}
    assert "koordinator" in descriptions[None] and "ielūgum" in descriptions[None]
    assert "координатор" in shorts["ru"] and "приглаш" in shorts["ru"]
    assert all(len(text) <= 512 for text in descriptions.values())
    assert all(len(text) <= 120 for text in shorts.values())


def chat_commands(sim, chat_id: int) -> list[list[str]]:
    return [
        [cmd.command for cmd in c.commands]
        for c in sim.session.calls
        if isinstance(c, SetMyCommands)
        and isinstance(c.scope, BotCommandScopeChat)
        and c.scope.chat_id == chat_id
    ]


async def test_a_parent_who_joins_gets_a_parents_menu_in_their_language(sim, world):
    issued = await create_invite(world.coordinator_a, "parent", student_id=world.student_a2.id)
    parent = sim.user(555, language="ru")
    await parent.send(f"/start {issued.code}")
    [commands] = chat_commands(sim, 555)
    assert "needs" in commands and "menu" in commands
    assert not {"absent", "plan", "students", "invite"} & set(commands)

    await parent.send("/language")
    await parent.press("Українська")
    menus = [c for c in sim.session.calls if isinstance(c, SetMyCommands)]
    assert menus[-1].commands[0].description == "потреби Вашої дитини в підтримці"
