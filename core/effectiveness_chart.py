"""The effectiveness chart: per measure type, unexcused absences before and after the start,
with the measure and without it, as a PNG drawn like the digest's chart (core.chart).

A suppressed side (1 to 4 students in a municipality or the country) is not drawn.
"""

import asyncio
import io
import math
from dataclasses import dataclass

from core.chart import MARGINS, SESSIONS_COLOUR, SIGNALS_COLOUR, chart_workers
from core.effectiveness import EffectivenessReport, Side
from core.effectiveness_view import area_name, measure_label
from core.i18n import N_, gettext

BEFORE_ALPHA = 0.45  # the lighter bar of each pair: before the start
MAX_BARS = 14


@dataclass(frozen=True)
class ChartData:
    """What the chart draws, plain and picklable for the worker process."""

    title: str
    labels: list[str]
    with_before: list[float]
    with_after: list[float]
    without_before: list[float]
    without_after: list[float]


def chart_data(report: EffectivenessReport, locale: str) -> ChartData:
    """The measure types whose students with it have figures (not suppressed); the bars of a
    comparison without figures are left empty."""
    rows = [
        effect
        for effect in report.measures
        if effect.with_measure is not None and effect.with_measure.absences_before is not None
    ][:MAX_BARS]
    treated = [effect.with_measure for effect in rows if effect.with_measure is not None]
    without = [effect.without_measure or Side(0) for effect in rows]
    return ChartData(
        title=gettext(
            "Unexcused absences per 100 lessons, {weeks} weeks before and after: {name}",
            locale,
            weeks=report.weeks,
            name=area_name(report, locale),
        ),
        labels=[measure_label(effect, locale) for effect in rows],
        with_before=[_value(side.absences_before) for side in treated],
        with_after=[_value(side.absences_after) for side in treated],
        without_before=[_value(side.absences_before) for side in without],
        without_after=[_value(side.absences_after) for side in without],
    )


def _value(rate: float | None) -> float:
    return math.nan if rate is None else rate  # a bar left out


def render_effectiveness_chart(data: ChartData, locale: str) -> bytes:
    """Four bars per measure type: with it before and after, without it before and after."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # in the chart workers only
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    figure.subplots_adjust(**(MARGINS | {"bottom": 0.35, "right": 0.97}))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    places = range(len(data.labels))
    width = 0.2
    bars = (
        (data.with_before, -1.5, SESSIONS_COLOUR, BEFORE_ALPHA, N_("With the measure, before")),
        (data.with_after, -0.5, SESSIONS_COLOUR, 1.0, N_("With the measure, after")),
        (data.without_before, 0.5, SIGNALS_COLOUR, BEFORE_ALPHA, N_("Without it, before")),
        (data.without_after, 1.5, SIGNALS_COLOUR, 1.0, N_("Without it, after")),
    )
    for values, offset, colour, alpha, label in bars:
        axes.bar(
            [place + offset * width for place in places],
            values,
            width=width,
            color=colour,
            alpha=alpha,
            label=gettext(label, locale),
        )
    axes.set_xticks(list(places), data.labels, rotation=30, ha="right", fontsize=8)
    axes.set_ylabel(gettext("Per 100 lessons", locale))
    axes.set_title(data.title, fontsize=10)
    axes.set_ylim(bottom=0)
    if not data.labels:
        axes.text(
            0.5,
            0.5,
            gettext("Too few students to draw", locale),
            ha="center",
            va="center",
            transform=axes.transAxes,
        )
    else:
        axes.legend(loc="upper right", fontsize=8)
    output = io.BytesIO()
    figure.savefig(output, format="png", pil_kwargs={"compress_level": 1})
    return output.getvalue()


async def effectiveness_chart_png(report: EffectivenessReport, locale: str) -> bytes:
    """The chart drawn in the digest charts' worker processes."""
    return await asyncio.get_running_loop().run_in_executor(
        chart_workers(), render_effectiveness_chart, chart_data(report, locale), locale
    )
