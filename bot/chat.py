"""`pumpurs chat`: talk to the real dispatcher from a terminal, as one of the local people.

Bot messages and their buttons are printed; type text to send it, or a button's number to tap it.
"""

import asyncio

import typer

from bot.factory import create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.session import RecordingSession, Sent
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN, FakeUser, Simulator

ROLES = {
    "teacher": "teacher",
    "specialist": "specialist",
    "parent": "parent",
    "volunteer": "volunteer",
    "coordinator": "school_coordinator",
    "municipality": "municipality_coordinator",
}


def show(messages: list[Sent]) -> None:
    for message in messages:
        typer.echo("")
        typer.secho(("(edited) " if message.edited else "") + message.text, fg="cyan")
        for number, (text, _) in enumerate(message.buttons(), start=1):
            typer.echo(f"  [{number}] {text}")


async def converse(user: FakeUser, sender) -> None:
    """Read a line, send it (or tap the numbered button), print the answers, until EOF."""
    show(await user.send("/start"))
    while True:
        try:
            line = (await asyncio.to_thread(input, "\n> ")).strip()
        except EOFError:
            return
        if not line:
            continue
        on = next((m for m in reversed(user.inbox) if m.keyboard), None)
        buttons = on.buttons() if on else []
        if line.isdigit() and 1 <= int(line) <= len(buttons):
            _, data = buttons[int(line) - 1]
            show(await user.press_data(data, on))
        else:
            show(await user.send(line))
        before = len(user.inbox)
        await sender()
        show(user.inbox[before:])


async def chat(role: str) -> None:
    from bot.sender import send_due
    from core.services.people import local_chat_identity

    person = await local_chat_identity(ROLES[role])
    if person is None:
        typer.echo(f"Nobody holds the role {role!r} here yet: run `pumpurs demo-data` first.")
        raise typer.Exit(code=1)
    settings = BotSettings(bot_token=TEST_TOKEN)
    session = RecordingSession()
    i18n = create_i18n()
    simulator = Simulator(
        create_dispatcher(settings, i18n=i18n), create_bot(settings, session), session
    )
    typer.echo(f"You are {person.display_name} ({role}). Ctrl-D to leave.")
    user = simulator.user(
        person.telegram_id, first_name=person.display_name, language=person.locale
    )
    await converse(user, lambda: send_due(simulator.bot, i18n))
