"""The semester report's chart: plans by status and the semester's outcomes, as a PNG.

Drawn like the digest's chart (matplotlib's object API on the Agg canvas, in the digest's worker
processes). A hidden small count has no bar, only its "<5".
"""

import asyncio
import io
from typing import TYPE_CHECKING

from core.catalogues import IAP_STATUSES, OUTCOMES
from core.chart import SESSIONS_COLOUR, SIGNALS_COLOUR, chart_workers
from core.i18n import gettext
from core.report_view import cell_text, report_title
from core.reports import Cell, Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _bars(axes: "Axes", labels: list[str], cells: list[Cell], colour: str, locale: str) -> None:
    heights = [cell if isinstance(cell, int) else 0 for cell in cells]
    positions = range(len(labels))
    axes.barh(positions, heights, color=colour)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    # The axis's locator is a MaxNLocator, which takes integer=; matplotlib types it as Locator.
    axes.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    for position, height, cell in zip(positions, heights, cells, strict=True):
        axes.annotate(
            cell_text(cell, locale),
            (height, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
        )
    axes.margins(x=0.15)


def render_report_chart(report: Report, locale: str) -> bytes:
    """Two panels: the scope's plans by status, and its students' outcomes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # in the chart workers only
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 7), dpi=100)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.4, right=0.95, hspace=0.35, top=0.9, bottom=0.05)
    plans, outcomes = figure.subplots(2, 1)
    statuses = report.table("plans_by_status").whole()[1:-1]
    _bars(plans, [e.text(locale) for e in IAP_STATUSES], statuses, SESSIONS_COLOUR, locale)
    plans.set_title(gettext("Support plans by status", locale))
    ends = report.table("outcomes").whole()[1:-1]
    _bars(outcomes, [e.text(locale) for e in OUTCOMES], ends, SIGNALS_COLOUR, locale)
    outcomes.set_title(gettext("Outcomes of the semester", locale))
    figure.suptitle(report_title(report, locale))
    output = io.BytesIO()
    figure.savefig(output, format="png", pil_kwargs={"compress_level": 1})
    return output.getvalue()


async def report_chart_png(report: Report, locale: str) -> bytes:
    """`render_report_chart` in one of the charts' worker processes."""
    return await asyncio.get_running_loop().run_in_executor(
        chart_workers(), render_report_chart, report, locale
    )
