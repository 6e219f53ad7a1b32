"""The digest's chart: the last weeks' signals, sessions and hours as a PNG, without a GUI.

It draws on a `Figure` of its own (matplotlib's object API on the Agg canvas, never pyplot's
global state), so charts may be rendered in worker threads side by side.
"""

import io

import matplotlib

matplotlib.use("Agg")  # before anything may import pyplot: no GUI, ever

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from core.digest import History  # noqa: E402
from core.formatting import short_date  # noqa: E402
from core.i18n import gettext, ngettext  # noqa: E402

SIGNALS_COLOUR, SESSIONS_COLOUR, HOURS_COLOUR = "#c0392b", "#2471a3", "#a9cce3"


def render_chart(history: History, locale: str) -> bytes:
    """A PNG: hours as bars (right axis), signals and consultations as lines (left axis)."""
    figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    counts = figure.add_subplot()
    hours = counts.twinx()
    weeks = range(len(history.weeks))
    bars = hours.bar(
        weeks,
        [float(h) for h in history.hours],
        color=HOURS_COLOUR,
        width=0.6,
        label=gettext("Consultation hours", locale),
    )
    counts.set_zorder(hours.get_zorder() + 1)  # the lines over the bars
    counts.patch.set_visible(False)
    signal_line = counts.plot(
        weeks,
        history.signals,
        color=SIGNALS_COLOUR,
        marker="o",
        label=gettext("New risk signals", locale),
    )
    session_line = counts.plot(
        weeks,
        history.sessions,
        color=SESSIONS_COLOUR,
        marker="s",
        label=gettext("Consultations held", locale),
    )
    counts.set_xticks(list(weeks), [short_date(monday, locale) for monday in history.weeks])
    counts.tick_params(axis="x", labelrotation=45)
    counts.set_xlabel(gettext("Week starting", locale))
    counts.set_ylabel(gettext("Number", locale))
    hours.set_ylabel(gettext("Hours", locale))
    counts.set_ylim(bottom=0)
    hours.set_ylim(bottom=0)
    counts.yaxis.get_major_locator().set_params(integer=True)
    counts.set_title(
        ngettext("The last {n} week", "The last {n} weeks", len(history.weeks), locale)
    )
    handles = [*signal_line, *session_line, bars]
    counts.legend(handles, [handle.get_label() for handle in handles], loc="upper left")
    output = io.BytesIO()
    figure.savefig(output, format="png")
    return output.getvalue()
