"""Idle memory of `pumpurs serve`: the API alone, and with the bot.

Each is started in a child process of its own, as `pumpurs serve` starts (`bot.runner.serving`,
uvicorn on a local port, a migrated PostgreSQL database of its own), left idle for a few seconds,
and asked for its resident memory (VmRSS) and whether aiogram and matplotlib were imported. The
bot's Bot API is a closed local port: it keeps trying to reach Telegram, as at a start without
network, with everything of the bot loaded.

Run from the repository root: `.venv/bin/python -m bench.memory`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pumpurs_bench_memory"
IDLE_SECONDS = 3.0
TARGETS_MIB = {"api": 120, "bot": 180}
UNREACHABLE_API = "http://127.0.0.1:9"  # the discard port: nothing answers


def rss_mib() -> float:
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def child(kind: str) -> None:
    """Serve as `pumpurs serve` does, idle, then print the figures as JSON."""
    import uvicorn

    from bot import runner
    from bot.settings import BotSettings

    token = "42:BENCH-TOKEN" if kind == "bot" else None
    settings = BotSettings(bot_token=token, telegram_api_url=UNREACHABLE_API, redis_url=None)
    async with runner.serving(settings) as app:
        settle = getattr(runner, "settle_memory", None)
        if settle is not None:
            settle()
        server = uvicorn.Server(uvicorn.Config(app, port=0, log_level="error"))
        serving = asyncio.create_task(server.serve())
        await asyncio.sleep(IDLE_SECONDS)
        figures = {
            "rss_mib": rss_mib(),
            "aiogram": "aiogram" in sys.modules,
            "matplotlib": "matplotlib" in sys.modules,
        }
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving
    print(json.dumps(figures), flush=True)


async def measure(kind: str, database_url: str) -> dict:
    environment = {**os.environ, "DATABASE_URL": database_url}
    environment.pop("BOT_TOKEN", None)
    environment.pop("REDIS_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.memory",
        "--child",
        kind,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    return json.loads(output.decode().strip().splitlines()[-1])


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and re-created")
    parser.add_argument("--child", choices=sorted(TARGETS_MIB), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        await child(args.child)
        return 0
    from bench.iap import drop_database, recreate_database

    await recreate_database(args.database_url)
    met = True
    try:
        for kind, label in (("api", "API alone"), ("bot", "API and bot")):
            figures = await measure(kind, args.database_url)
            ok = figures["rss_mib"] <= TARGETS_MIB[kind]
            met &= ok
            print(
                f"serve idle, {label:<12} RSS {figures['rss_mib']:6.1f} MiB "
                f"(target <= {TARGETS_MIB[kind]} MiB: {'met' if ok else 'MISSED'}); "
                f"aiogram {'loaded' if figures['aiogram'] else 'not loaded'}, "
                f"matplotlib {'loaded' if figures['matplotlib'] else 'not loaded'}"
            )
    finally:
        await drop_database(args.database_url)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
