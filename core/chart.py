"""The digest's chart: the last weeks' signals, sessions and hours as a PNG, without a GUI.

Drawing takes a tenth of a second of CPU, so the service draws in worker processes
(`chart_png`): the event loop goes on, and weekly digests are drawn on every core at once. The
drawing itself (`core.chart_drawing`, with matplotlib) is imported in the workers only: a
process that never draws never loads matplotlib (about 65 MiB).
"""

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache

from core.digest import History

CHART_WORKERS = max(1, min(4, (os.cpu_count() or 2) - 1))  # a core left for the event loop
SIGNALS_COLOUR, SESSIONS_COLOUR, HOURS_COLOUR = "#c0392b", "#2471a3", "#a9cce3"
MARGINS = {"left": 0.09, "right": 0.9, "bottom": 0.25, "top": 0.92}


def render_chart(history: History, locale: str) -> bytes:
    """A PNG: hours as bars (right axis), signals and consultations as lines (left axis)."""
    from core.chart_drawing import render_chart as draw  # matplotlib: where it is drawn only

    return draw(history, locale)


@cache
def chart_workers() -> ProcessPoolExecutor:
    """The processes every chart is drawn in: matplotlib stays out of the service's memory."""
    spawn = multiprocessing.get_context("spawn")  # never fork a process with threads running
    return ProcessPoolExecutor(max_workers=CHART_WORKERS, mp_context=spawn)


async def chart_png(history: History, locale: str) -> bytes:
    """`render_chart` in a worker process; a pool whose worker died is replaced next time."""
    try:
        return await asyncio.get_running_loop().run_in_executor(
            chart_workers(), render_chart, history, locale
        )
    except BrokenProcessPool:
        chart_workers.cache_clear()
        raise
