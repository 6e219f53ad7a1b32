"""The digest's chart: the last weeks' signals, sessions and hours as a PNG, without a GUI.

Drawing takes a tenth of a second of CPU, so the service draws in worker processes
(`draw_png`): the event loop goes on, and weekly digests are drawn on every core at once. The
drawing itself (`core.chart_drawing`, with matplotlib) is imported in the workers only: a
process that never draws never loads matplotlib (about 65 MiB).

The weekly job draws every coordinator's chart before the digests are queued and keeps each
under the key of what it shows (`keep_all_drawn`); `chart_png` takes a kept chart when the figures
are still the same, so the outbox's sender only sends, and draws anew when they have changed.
"""

import asyncio
import hashlib
import json
import logging
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from functools import cache

from core.clock import now
from core.digest import History
from storage.columns import column
from storage.models import DigestChart

log = logging.getLogger(__name__)
# One a core: while the weekly job draws, its event loop mostly waits for the database.
CHART_WORKERS = max(1, min(4, os.cpu_count() or 1))
SIGNALS_COLOUR, SESSIONS_COLOUR, HOURS_COLOUR = "#c0392b", "#2471a3", "#a9cce3"
MARGINS = {"left": 0.09, "right": 0.9, "bottom": 0.25, "top": 0.92}
KEPT = timedelta(days=1)  # a chart drawn ahead is sent within hours (quiet hours, retries)


def render_chart(history: History, locale: str) -> bytes:
    """A PNG: hours as bars (right axis), signals and consultations as lines (left axis)."""
    from core.chart_drawing import render_chart as draw  # matplotlib: where it is drawn only

    return draw(history, locale)


@cache
def chart_workers() -> ProcessPoolExecutor:
    """The processes every chart is drawn in: matplotlib stays out of the service's memory."""
    spawn = multiprocessing.get_context("spawn")  # never fork a process with threads running
    return ProcessPoolExecutor(max_workers=CHART_WORKERS, mp_context=spawn)


def chart_key(history: History, locale: str) -> str:
    """What the chart shows, as a key: the same figures in the same language, the same PNG."""
    weeks = [monday.isoformat() for monday in history.weeks]
    shown = [locale, weeks, history.signals, history.sessions, [str(h) for h in history.hours]]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()


async def chart_png(history: History, locale: str) -> bytes:
    """The chart drawn ahead for these figures if there is one, else drawn now."""
    kept = await DigestChart.filter(key=chart_key(history, locale)).values_list("png", flat=True)
    return bytes(kept[0]) if kept else await draw_png(history, locale)


async def keep_all_drawn(charts: Iterable[tuple[History, str]]) -> int:
    """Draw the charts (history, locale) not kept yet, each different one once and every worker
    at once, and keep them for `chart_png`; how many were drawn. One that fails is drawn when
    its digest is sent."""
    wanted = {chart_key(history, locale): (history, locale) for history, locale in charts}
    kept = set(await column(DigestChart.filter(key__in=list(wanted)), "key"))
    in_hand = asyncio.Semaphore(2 * CHART_WORKERS)  # PNGs waiting to be stored: a few at most

    async def keep(key: str, history: History, locale: str) -> bool:
        async with in_hand:
            try:
                png = await draw_png(history, locale)
                await DigestChart.bulk_create(
                    [DigestChart(key=key, png=png)], ignore_conflicts=True
                )
            except Exception as error:  # the digest still goes; its chart is drawn then
                log.warning("chart %s: %s", key[:12], type(error).__name__)
                return False
            return True

    to_draw = [keep(key, *chart) for key, chart in wanted.items() if key not in kept]
    return sum(await asyncio.gather(*to_draw))


async def forget_old_charts() -> None:
    """Charts drawn ahead more than KEPT ago: their digests went out long since."""
    await DigestChart.filter(created_at__lt=now() - KEPT).delete()


async def draw_png(history: History, locale: str) -> bytes:
    """`render_chart` in a worker process; a pool whose worker died is replaced next time."""
    try:
        return await asyncio.get_running_loop().run_in_executor(
            chart_workers(), render_chart, history, locale
        )
    except BrokenProcessPool:
        chart_workers.cache_clear()
        raise
