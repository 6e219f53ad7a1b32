"""Drawing the digest's chart with matplotlib: imported by the chart worker processes (and
whoever draws directly), never by the service itself, which sends the work to the workers
(`core.chart.chart_png`) and so does not carry matplotlib in its memory.

It draws on a `Figure` of its own (matplotlib's object API on the Agg canvas, never pyplot's
global state).
"""

import io
from dataclasses import dataclass
from functools import cache

import matplotlib

matplotlib.use("Agg")  # before anything may import pyplot: no GUI, ever

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from core.chart import HOURS_COLOUR, MARGINS, SESSIONS_COLOUR, SIGNALS_COLOUR  # noqa: E402
from core.digest import History  # noqa: E402
from core.formatting import short_date  # noqa: E402
from core.i18n import gettext, ngettext  # noqa: E402


@dataclass
class ChartTemplate:
    """A drawn figure for one locale and number of weeks; each chart only changes its data.

    Building the figure costs as much as drawing it, so a process keeps one per locale and
    redraws it (one chart at a time: each worker process draws one chart at a time).
    """

    figure: Figure
    counts: Axes  # left axis: signals and consultations
    hours: Axes  # right axis: consultation hours
    bars: BarContainer
    signals: Line2D
    sessions: Line2D

    def draw(self, history: History, locale: str) -> bytes:
        for bar, value in zip(self.bars, history.hours, strict=True):
            bar.set_height(float(value))
        self.signals.set_ydata(history.signals)
        self.sessions.set_ydata(history.sessions)
        weeks = range(len(history.weeks))
        self.counts.set_xticks(weeks, [short_date(monday, locale) for monday in history.weeks])
        for axes in (self.counts, self.hours):
            axes.relim()
            axes.autoscale_view()
            axes.set_ylim(bottom=0, auto=True)  # auto: the next chart scales to its own data
        output = io.BytesIO()
        self.figure.savefig(output, format="png", pil_kwargs={"compress_level": 1})
        return output.getvalue()


@cache
def chart_template(locale: str, weeks: int) -> ChartTemplate:
    """The figure with its axes, labels, title and legend in the locale; no data yet."""
    figure = Figure(figsize=(8, 4.5), dpi=100)
    figure.subplots_adjust(**MARGINS)  # fixed: a layout engine would triple the drawing time
    FigureCanvasAgg(figure)
    counts = figure.add_subplot()
    hours = counts.twinx()
    zeros = [0] * weeks
    bars = hours.bar(
        range(weeks),
        zeros,
        color=HOURS_COLOUR,
        width=0.6,
        label=gettext("Consultation hours", locale),
    )
    counts.set_zorder(hours.get_zorder() + 1)  # the lines over the bars
    counts.patch.set_visible(False)
    (signals,) = counts.plot(
        range(weeks),
        zeros,
        color=SIGNALS_COLOUR,
        marker="o",
        label=gettext("New risk signals", locale),
    )
    (sessions,) = counts.plot(
        range(weeks),
        zeros,
        color=SESSIONS_COLOUR,
        marker="s",
        label=gettext("Consultations held", locale),
    )
    counts.tick_params(axis="x", labelrotation=45)
    counts.set_xlabel(gettext("Week starting", locale))
    counts.set_ylabel(gettext("Number", locale))
    hours.set_ylabel(gettext("Hours", locale))
    # The axis's locator is a MaxNLocator, which takes integer=; matplotlib types it as Locator.
    counts.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    title = ngettext("The last {n} week", "The last {n} weeks", weeks, locale)
    counts.set_title(title, y=1.0)  # where matplotlib puts it, without measuring every tick again
    counts.legend(handles=[signals, sessions, bars], loc="upper left")  # labelled as drawn
    return ChartTemplate(figure, counts, hours, bars, signals, sessions)


def render_chart(history: History, locale: str) -> bytes:
    """A PNG: hours as bars (right axis), signals and consultations as lines (left axis)."""
    return chart_template(locale, len(history.weeks)).draw(history, locale)
