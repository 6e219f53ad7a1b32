"""The command menu Telegram shows: set in every language."""

from aiogram.methods import SetMyCommands

from bot.factory import set_commands
from bot.i18n import create_i18n


async def test_commands_are_set_in_every_language(sim):
    await set_commands(sim.bot, create_i18n())
    calls = [c for c in sim.session.calls if isinstance(c, SetMyCommands)]
    by_language = {
        c.language_code: {cmd.command: cmd.description for cmd in c.commands} for c in calls
    }
    assert set(by_language) == {None, "ru", "uk", "en"}
    assert by_language[None]["absent"] == "atzīmēt klases neattaisnotos kavējumus"
    assert by_language["ru"]["cancel"] == "прервать текущее действие"
    assert all(len(c.command) <= 32 for call in calls for c in call.commands)
