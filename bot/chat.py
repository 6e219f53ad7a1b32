"""`pumpurs chat`: talk to the real dispatcher from a terminal, as one of the local people.

Each bot message is printed with its number and its buttons as `#3.1`, `#3.2`...: type `#3.2` to
tap message 3's second button (`#2`: the second button of the newest message with buttons), as
Telegram keeps older messages' buttons tappable. Anything else is sent as text, numbers too.
Pop-up answers to taps are printed. Only this person's queued messages are delivered: everyone
else's stay in the outbox for the real bot.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import typer
from aiogram.methods import AnswerCallbackQuery

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
HELP = (
    "Type text to send it (numbers too). Tap a button with # and its number as printed: "
    "#3.2 is message 3's second button, #2 the second button of the newest message with "
    "buttons. Ctrl-D to leave."
)
TAP = re.compile(r"#(?:(\d+)\.)?(\d+)")


@dataclass
class Transcript:
    """The chat as printed: each bot message numbered once, its newest version kept for taps."""

    numbers: dict[int, int] = field(default_factory=dict)  # Telegram message id -> number
    shown: dict[int, Sent] = field(default_factory=dict)  # number -> newest version

    def show(self, messages: list[Sent]) -> None:
        for message in messages:
            number = self.numbers.setdefault(message.message_id, len(self.numbers) + 1)
            self.shown[number] = message
            typer.echo("")
            edited = " (edited)" if message.edited else ""
            typer.echo(typer.style(f"[{number}]{edited} ", fg="cyan") + styled(message))
            for position, (text, _) in enumerate(message.buttons(), start=1):
                typer.echo(f"  #{number}.{position}  {text}")

    def button(self, line: str) -> tuple[Sent, str] | str | None:
        """The message and callback data `line` taps; an explanation if it names no button;
        None if the line is text to send."""
        tap = TAP.fullmatch(line)
        if tap is None:
            return None
        number = int(tap[1]) if tap[1] else self._newest_with_buttons()
        message = self.shown.get(number) if number else None
        buttons = message.buttons() if message else []
        position = int(tap[2])
        if not 1 <= position <= len(buttons):
            return f"No button {line}. {HELP}"
        return message, buttons[position - 1][1]  # type: ignore[return-value]

    def _newest_with_buttons(self) -> int | None:
        return next((n for n in sorted(self.shown, reverse=True) if self.shown[n].keyboard), None)


def styled(message: Sent) -> str:
    """The text as Telegram shows it (its HTML already read into text and entities): bold parts
    in bold where the terminal has colours."""
    units = message.text.encode("utf-16-le")  # entity offsets count UTF-16 code units

    def cyan(start: int, end: int, bold: bool = False) -> str:
        text = units[2 * start : 2 * end].decode("utf-16-le")
        return typer.style(text, fg="cyan", bold=bold or None)

    pieces, at = [], 0
    for entity in message.entities:  # in order of their offsets
        if entity.type == "bold" and entity.offset >= at:
            end = entity.offset + entity.length
            pieces += [cyan(at, entity.offset), cyan(entity.offset, end, bold=True)]
            at = end
    return "".join([*pieces, cyan(at, len(units) // 2)])


def show_alerts(answers: Sequence[object]) -> None:
    """Answers to taps with a text: a pop-up the person must close, or a passing notice."""
    for answer in answers:
        if isinstance(answer, AnswerCallbackQuery) and answer.text:
            kind = "pop-up" if answer.show_alert else "notice"
            typer.secho(f"  ({kind}) {answer.text}", fg="yellow")


async def converse(
    user: FakeUser,
    deliver: Callable[[], Awaitable[object]],
    read: Callable[[str], str] = input,
) -> None:
    """Read a line, send it (or tap the button it names), print the answers and pop-ups and
    this person's delivered messages, until EOF."""
    transcript = Transcript()
    session = user.simulator.session
    assert isinstance(session, RecordingSession), "the chat runs on the recording session"
    calls = session.calls
    typer.echo(HELP)
    line = "/start"
    while True:
        before, answered = len(user.inbox), len(calls)
        tap = transcript.button(line)
        if isinstance(tap, str):
            typer.echo(tap)
        elif tap is not None:
            await user.press_data(tap[1], tap[0])
        else:
            await user.send(line)
        await deliver()
        show_alerts(calls[answered:])
        transcript.show(user.inbox[before:])
        try:
            line = ""
            while not line:
                line = (await asyncio.to_thread(read, "\n> ")).strip()
        except EOFError:
            return


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
    typer.echo(f"You are {person.display_name} ({role}).")
    user = simulator.user(
        person.telegram_id, first_name=person.display_name, language=person.locale
    )
    await converse(user, lambda: send_due(simulator.bot, i18n, recipient_id=person.id))
