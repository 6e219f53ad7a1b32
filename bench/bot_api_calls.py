"""CPU of one Bot API call on the bot's side: aiogram's AiohttpSession (forms) against the bot's
JsonSession (bot/json_session.py), in the same process, against `bench.fake_bot_api`.

Each round sends `--calls` sendMessage calls with a 25-button keyboard, `--concurrency` at a
time, and reports this process's CPU time (`time.process_time`) per call: the fake Bot API runs
in a child process, so its CPU is not counted. The sessions take turns, `--rounds` times each,
after a warm-up round each. Run from the repository root: `.venv/bin/python -m bench.bot_api_calls`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bench.fake_bot_api import FakeApiProcess
from bot.json_session import JsonSession
from bot.simulator import TEST_TOKEN

SESSIONS: dict[str, type[AiohttpSession]] = {
    "AiohttpSession": AiohttpSession,
    "JsonSession": JsonSession,
}
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(
                text=f"Students {row * 5 + col + 1}", callback_data=f"s:{row}:{col}"
            )
            for col in range(5)
        ]
        for row in range(5)
    ]
)
TEXT = "Atzimejiet, kuri skolnieki sodien nav ieradusies. Izvelieties no saraksta:"


async def cpu_per_call(bot: Bot, calls: int, concurrency: int) -> float:
    """Milliseconds of this process's CPU per sendMessage."""
    chats = iter(range(calls))

    async def worker() -> None:
        for chat in chats:
            await bot.send_message(1000 + chat, TEXT, reply_markup=KEYBOARD)

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) * 1000 / calls


async def run(calls: int, concurrency: int, rounds: int) -> None:
    api = await FakeApiProcess.start()
    default = DefaultBotProperties(link_preview_is_disabled=True)  # as create_bot's
    bots = {}
    for name, session_type in SESSIONS.items():
        session = session_type()
        session.api = TelegramAPIServer.from_base(api.url)
        bots[name] = Bot(TEST_TOKEN, session=session, default=default)
    try:
        for bot in bots.values():
            await cpu_per_call(bot, calls, concurrency)  # warm-up: connections, validators
        results: dict[str, list[float]] = {name: [] for name in bots}
        for _ in range(rounds):
            for name, bot in bots.items():
                results[name].append(await cpu_per_call(bot, calls, concurrency))
    finally:
        for bot in bots.values():
            await bot.session.close()
        await api.stop()
    print(f"sendMessage with a 25-button keyboard, {calls:,} calls {concurrency} at a time")
    for name, figures in results.items():
        shown = ", ".join(f"{ms:.3f}" for ms in figures)
        print(f"  {name:15} CPU ms a call: {shown} (best {min(figures):.3f})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bot_api_calls", description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    asyncio.run(run(options.calls, options.concurrency, options.rounds))


if __name__ == "__main__":
    main()
