"""The effectiveness report for readers: a phone-sized text, JSON, and a table for spreadsheets.

Every plain statement comes from here, so the text, the JSON and the spreadsheets say the same,
and none of them claims more than the comparison can show.
"""

import csv
import io
from datetime import date
from functools import partial
from typing import Any

from babel.numbers import format_decimal, format_percent

from core.effectiveness import (
    HIGHER,
    LOWER,
    MIN_STUDENTS,
    NO_EVIDENCE,
    TOO_FEW,
    EffectivenessReport,
    Estimate,
    MeasureEffect,
    Outcomes,
    Side,
)
from core.effectiveness_sql import SIGNAL_DAYS
from core.formatting import semester_text, short_date
from core.i18n import N_, gettext, supported
from core.reports import LATVIA
from core.text import spreadsheet_safe

SUPPRESSED = "<5"
KINDS = {
    "consultation": N_("Consultations"),
    "material": N_("Material support"),
    "ngo": N_("Youth NGO involvement"),
}
CONCLUSIONS = {
    TOO_FEW: N_("Too few students to conclude"),
    NO_EVIDENCE: N_("No evidence of an effect: zero lies within the interval (95%)"),
    LOWER: N_("Fell more than for similar students without the measure"),
    HIGHER: N_("Rose more than for similar students without the measure"),
}
NOT_MEASURABLE_TEXT = N_(
    "Not measurable from the data: youth NGO activities record how many students took part, "
    "not which, so the students cannot be followed before and after."
)
NOBODY_TEXT = N_("No student received this measure in the semester.")
TOO_FEW_TEXT = N_(
    "Too few students to conclude: {with_measure} with the measure and {without_measure} "
    "comparable students without it; at least {min} are needed on each side."
)
SHOWS = N_(
    "What this shows: how unexcused absences and new risk signals of the students who received "
    "a measure changed from the {weeks} weeks before it started to the {weeks} weeks after, "
    "compared with students of the same risk group and a similar level of absences before who "
    "did not receive it, over about the same weeks."
)
CANNOT_SHOW = N_(
    "What it cannot show: that the measure caused the difference. The comparison is "
    "observational: students who receive a measure differ from those who do not (they were "
    "chosen for it, their families agreed), and other things happen at the same time. A "
    "difference is a reason to look closer, not proof."
)
NO_EVIDENCE_LIST = N_("No evidence of an effect on absences: {measures}.")
TOO_FEW_LIST = N_("Too few students to conclude (at least {min} on each side): {measures}.")
NGO_SHORT = N_(
    "Youth NGO involvement: not measurable from the data, as activities are not linked to students."
)
OBSERVATIONAL = N_(
    "An observational comparison: it shows whether students with a measure changed differently "
    "from similar students without it, not that the measure caused the difference."
)
UNITS = N_(
    "Absences: unexcused lessons missed per 100 lessons. Risk signals: new signals per student "
    "per {days} school days. Difference in differences: the change of the students with the "
    "measure minus the change of the comparison group."
)


def decimal(value: float | None, locale: str) -> str:
    """A rate to one decimal place in the reader's locale; "<5" when suppressed."""
    if value is None:
        return SUPPRESSED
    return format_decimal(round(value, 1) + 0.0, format="#,##0.0", locale=supported(locale))


def count(value: int | None, locale: str) -> str:
    if value is None:
        return SUPPRESSED
    return format_decimal(value, format="#,##0", locale=supported(locale))


def share(outcomes: Outcomes | None, part: str, locale: str) -> str:
    if outcomes is None:
        return SUPPRESSED
    value = outcomes.share(getattr(outcomes, part))
    return "" if value is None else format_percent(value, locale=supported(locale))


def area_name(report: EffectivenessReport, locale: str) -> str:
    return report.area.name or gettext(LATVIA, locale)


def measure_label(effect: MeasureEffect, locale: str) -> str:
    measure = effect.measure
    if measure.kind == "ngo":
        return gettext(measure.label, locale)
    return f"{gettext(KINDS[measure.kind], locale)}: {gettext(measure.label, locale)}"


def statement(effect: MeasureEffect, locale: str) -> str:
    """The plain statement on a measure type: what the comparison of absences can say."""
    _ = partial(gettext, locale=locale)
    if not effect.measurable:
        return _(NOT_MEASURABLE_TEXT)
    if effect.received == 0:
        return _(NOBODY_TEXT)
    estimate = effect.absences
    if estimate is None or estimate.conclusion == TOO_FEW:
        return _(
            TOO_FEW_TEXT,
            with_measure=count(estimate.with_measure if estimate else None, locale),
            without_measure=count(estimate.without_measure if estimate else None, locale),
            min=MIN_STUDENTS,
        )
    return _(
        N_(
            "Unexcused absences, difference in differences: {difference} per 100 lessons "
            "(interval at 95%: {low} to {high}; {with_measure} students with the measure, "
            "{without_measure} without). {conclusion}."
        ),
        difference=signed(estimate.difference, locale),
        low=signed(estimate.low, locale),
        high=signed(estimate.high, locale),
        with_measure=count(estimate.with_measure, locale),
        without_measure=count(estimate.without_measure, locale),
        conclusion=_(CONCLUSIONS[estimate.conclusion]),
    )


def signed(value: float | None, locale: str) -> str:
    text = decimal(value, locale)
    return f"+{text}" if value is not None and round(value, 1) > 0 else text


def caveat(report: EffectivenessReport, locale: str) -> list[str]:
    _ = partial(gettext, locale=locale)
    return [_(SHOWS, weeks=report.weeks), _(CANNOT_SHOW), _(UNITS, days=SIGNAL_DAYS)]


# --- the phone-sized text ------------------------------------------------------------------


def effectiveness_text(report: EffectivenessReport, locale: str) -> str:
    """The report as a phone-sized message: the measure types where the comparison found a
    difference in detail, the others named in a line each by what can be said of them."""
    _ = partial(gettext, locale=locale)
    lines = [
        _("Did it work? {name}", name=area_name(report, locale)),
        _("Semester: {semester}", semester=semester_text(report.semester, locale)),
        _("Weeks before and after the start: {weeks}", weeks=report.weeks),
    ]
    given = [e for e in report.measures if e.measurable and e.received != 0]
    found = [e for e in given if e.absences and e.absences.conclusion in (LOWER, HIGHER)]
    for effect in found:
        lines += ["", *_measure_lines(effect, locale)]
    for conclusion, line in ((NO_EVIDENCE, NO_EVIDENCE_LIST), (TOO_FEW, TOO_FEW_LIST)):
        named = [
            f"{measure_label(e, locale)} ({count(e.received, locale)})"
            for e in given
            if (e.absences.conclusion if e.absences else TOO_FEW) == conclusion
        ]
        if named:
            lines += ["", _(line, measures="; ".join(named), min=MIN_STUDENTS)]
    if not given:
        lines += ["", _("No student received a measure in the semester.")]
    if any(not effect.measurable for effect in report.measures):
        lines += ["", _(NGO_SHORT)]
    lines += ["", _(OBSERVATIONAL)]
    return "\n".join(lines)


def _measure_lines(effect: MeasureEffect, locale: str) -> list[str]:
    """A measure type where a difference was found: its figures, the estimate, the outcomes."""
    _ = partial(gettext, locale=locale)
    with_measure, without = effect.with_measure or Side(0), effect.without_measure or Side(0)
    absences = effect.absences
    assert absences is not None  # only measures whose absences show a difference come here
    lines = [
        _(
            "{measure}: {received} students",
            measure=measure_label(effect, locale),
            received=count(effect.received, locale),
        ),
        "• "
        + _(
            "Absences per 100 lessons: {before} → {after}; without it {c_before} → {c_after}",
            before=decimal(with_measure.absences_before, locale),
            after=decimal(with_measure.absences_after, locale),
            c_before=decimal(without.absences_before, locale),
            c_after=decimal(without.absences_after, locale),
        ),
        "• "
        + _(
            "Difference in differences {difference} (interval at 95%: {low} to {high}; "
            "{with_measure} and {without_measure} students). {conclusion}.",
            difference=signed(absences.difference, locale),
            low=signed(absences.low, locale),
            high=signed(absences.high, locale),
            with_measure=count(absences.with_measure, locale),
            without_measure=count(absences.without_measure, locale),
            conclusion=_(CONCLUSIONS[absences.conclusion]),
        ),
    ]
    signals = effect.signals
    if signals is not None and signals.conclusion in (LOWER, HIGHER):
        lines.append(
            "• "
            + _(
                "New signals, difference in differences: {difference} ({low} to {high}). "
                "{conclusion}.",
                difference=signed(signals.difference, locale),
                low=signed(signals.low, locale),
                high=signed(signals.high, locale),
                conclusion=_(CONCLUSIONS[signals.conclusion]),
            )
        )
    outcomes = _outcome_line(with_measure, without, locale)
    if outcomes:
        lines.append("• " + outcomes)
    return lines


def _outcome_line(with_measure: Side, without: Side, locale: str) -> str | None:
    sides = (with_measure.outcomes, without.outcomes)
    if all(outcomes is not None and not outcomes.recorded for outcomes in sides):
        return None
    return gettext(
        "Continued or completed: {with_continuing} with it, {without_continuing} without; "
        "left early: {with_left} and {without_left}",
        locale,
        with_continuing=share(with_measure.outcomes, "continuing", locale) or "-",
        without_continuing=share(without.outcomes, "continuing", locale) or "-",
        with_left=share(with_measure.outcomes, "left_early", locale) or "-",
        without_left=share(without.outcomes, "left_early", locale) or "-",
    )


# --- JSON ----------------------------------------------------------------------------------


def effectiveness_to_dict(report: EffectivenessReport, locale: str) -> dict[str, Any]:
    return {
        "scope": report.area.scope,
        "name": area_name(report, locale),
        "semester": report.semester.label,
        "weeks": report.weeks,
        "measured_until": report.until.isoformat(),
        "small_numbers_suppressed": not report.area.exact,
        "measures": [_measure_dict(effect, locale) for effect in report.measures],
        "caveat": caveat(report, locale),
        "text": effectiveness_text(report, locale),
    }


def _measure_dict(effect: MeasureEffect, locale: str) -> dict[str, Any]:
    return {
        "measure": effect.measure.key,
        "kind": effect.measure.kind,
        "type": effect.measure.code,
        "label": measure_label(effect, locale),
        "measurable": effect.measurable,
        "received": effect.received,
        "start_day": _day(effect.start_day),
        "with_measure": _side_dict(effect.with_measure),
        "without_measure": _side_dict(effect.without_measure),
        "absences": _estimate_dict(effect.absences),
        "signals": _estimate_dict(effect.signals),
        "statement": statement(effect, locale),
    }


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _side_dict(side: Side | None) -> dict[str, Any] | None:
    if side is None:
        return None
    outcomes = side.outcomes
    return {
        "students": side.students,
        "suppressed": side.suppressed,
        "absences_before": side.absences_before,
        "absences_after": side.absences_after,
        "signals_before": side.signals_before,
        "signals_after": side.signals_after,
        "outcomes": None
        if outcomes is None
        else {
            "recorded": outcomes.recorded,
            "continued_or_completed": outcomes.continuing,
            "left_early": outcomes.left_early,
        },
    }


def _estimate_dict(estimate: Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "students_with": estimate.with_measure,
        "students_without": estimate.without_measure,
        "difference": estimate.difference,
        "low": estimate.low,
        "high": estimate.high,
        "conclusion": estimate.conclusion,
    }


# --- spreadsheets --------------------------------------------------------------------------

HEADERS = (
    N_("Measure type"),
    N_("Students who received it"),
    N_("Students compared, with the measure"),
    N_("Absences before, per 100 lessons"),
    N_("Absences after, per 100 lessons"),
    N_("Comparison students"),
    N_("Comparison: absences before"),
    N_("Comparison: absences after"),
    N_("Absences: difference in differences"),
    N_("Interval at 95%, low"),
    N_("Interval at 95%, high"),
    N_("Absences: conclusion"),
    N_("New signals before, per 20 school days"),
    N_("New signals after, per 20 school days"),
    N_("Comparison: signals before"),
    N_("Comparison: signals after"),
    N_("Signals: difference in differences"),
    N_("Signals: conclusion"),
    N_("With the measure: continued or completed"),
    N_("With the measure: left early"),
    N_("Without: continued or completed"),
    N_("Without: left early"),
    N_("Statement"),
)


def effectiveness_table(report: EffectivenessReport, locale: str) -> list[list[str]]:
    """The header row and one row per measure type, every cell as text for the reader."""
    rows = [[gettext(header, locale) for header in HEADERS]]
    for effect in report.measures:
        side, other = effect.with_measure or Side(0), effect.without_measure or Side(0)
        absences, signals = effect.absences, effect.signals
        rows.append(
            [
                measure_label(effect, locale),
                count(effect.received, locale) if effect.measurable else "",
                count(side.students, locale),
                _rate(side, "absences_before", locale),
                _rate(side, "absences_after", locale),
                count(other.students, locale),
                _rate(other, "absences_before", locale),
                _rate(other, "absences_after", locale),
                _difference(absences, locale),
                _bound(absences, "low", locale),
                _bound(absences, "high", locale),
                _conclusion(absences, locale),
                _rate(side, "signals_before", locale),
                _rate(side, "signals_after", locale),
                _rate(other, "signals_before", locale),
                _rate(other, "signals_after", locale),
                _difference(signals, locale),
                _conclusion(signals, locale),
                share(side.outcomes, "continuing", locale),
                share(side.outcomes, "left_early", locale),
                share(other.outcomes, "continuing", locale),
                share(other.outcomes, "left_early", locale),
                statement(effect, locale),
            ]
        )
    return [[spreadsheet_safe(cell) for cell in row] for row in rows]


def _rate(side: Side, name: str, locale: str) -> str:
    """A side's rate; empty when the side has no students, "<5" when suppressed."""
    return "" if side.students == 0 else decimal(getattr(side, name), locale)


def _difference(estimate: Estimate | None, locale: str) -> str:
    if estimate is None or estimate.difference is None:
        return ""
    return signed(estimate.difference, locale)


def _bound(estimate: Estimate | None, bound: str, locale: str) -> str:
    value = getattr(estimate, bound, None)
    return "" if value is None else signed(value, locale)


def _conclusion(estimate: Estimate | None, locale: str) -> str:
    return "" if estimate is None else gettext(CONCLUSIONS[estimate.conclusion], locale)


def effectiveness_csv(report: EffectivenessReport, locale: str) -> bytes:
    """The table as CSV (UTF-8 with a byte-order mark, so spreadsheets read the letters)."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerows(effectiveness_table(report, locale))
    return ("\ufeff" + output.getvalue()).encode()


def effectiveness_xlsx(report: EffectivenessReport, locale: str) -> bytes:
    """The table on one sheet, what it can and cannot show on a second."""
    from openpyxl import Workbook  # loaded at the first spreadsheet: it brings numpy

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Effectiveness", locale)[:31]
    for row in effectiveness_table(report, locale):
        sheet.append(row)
    sheet.freeze_panes = "B2"
    notes = workbook.create_sheet(gettext("About the comparison", locale)[:31])
    notes.append([spreadsheet_safe(f"{area_name(report, locale)}, {report.semester.label}")])
    notes.append(
        [
            gettext(
                "Measured until {day} (not included)",
                locale,
                day=short_date(report.until, locale),
            )
        ]
    )
    for line in caveat(report, locale):
        notes.append([line])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
