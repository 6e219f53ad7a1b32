"""The semester report for readers: its tables in the reader's language (JSON and the files),
and a short text for a phone."""

from decimal import Decimal
from functools import partial
from typing import Any

from core.catalogues import IAP_STATUSES
from core.formatting import number, semester_text
from core.i18n import gettext
from core.markup import bold, html_lines
from core.reports import COUNTRY, Cell, Report, Table, scope_name
from core.suppression import HIDDEN


def report_title(report: Report, locale: str) -> str:
    name = gettext(report.name, locale) if report.scope.kind == COUNTRY else report.name
    return gettext("Semester report: {name}", locale, name=name)


def localized(table: Table, locale: str) -> tuple[str, list[str], list[list[Cell]]]:
    """The table's title, headers and rows in the locale (row labels too, where they are ours)."""
    rows = []
    last = len(table.rows) - 1
    for index, row in enumerate(table.rows):
        ours = table.labels_translated or (table.total_row and index == last)
        label = gettext(str(row[0]), locale) if ours else row[0]
        rows.append([label, *row[1:]])
    headers = [gettext(column, locale) for column in table.columns]
    return gettext(table.title, locale), headers, rows


def _json_cell(cell: Cell) -> int | float | str | None:
    return float(cell) if isinstance(cell, Decimal) else cell


def report_to_dict(report: Report, locale: str) -> dict[str, Any]:
    tables = []
    for table in report.tables:
        title, headers, rows = localized(table, locale)
        tables.append(
            {
                "code": table.code,
                "title": title,
                "columns": headers,
                "rows": [[_json_cell(cell) for cell in row] for row in rows],
            }
        )
    return {
        "scope": scope_name(report.scope),
        "name": report_title(report, locale),
        "semester": report.semester.label,
        "semester_label": semester_text(report.semester, locale),
        "suppressed": report.suppressed,
        "tables": tables,
    }


def cell_text(cell: Cell, locale: str) -> str:
    if cell is None:
        return "–"
    if isinstance(cell, str):
        return cell
    return number(cell, locale)


def render_report(report: Report, locale: str) -> str:
    """The report's headline figures as HTML, short enough for a phone; the file holds the rest."""
    _ = partial(gettext, locale=locale)

    def n(cell: Cell) -> str:
        return cell_text(cell, locale)

    students = report.table("students").whole()
    statuses = report.table("plans_by_status").whole()
    quality = report.table("plan_quality").whole()
    outcomes = report.table("outcomes").whole()
    sessions = report.table("consultations").rows
    hours = sum((row[4] for row in sessions if isinstance(row[4], Decimal)), Decimal(0))
    lines = [
        _("Semester: {semester}", semester=semester_text(report.semester, locale)),
        "",
        _("Students involved: {n}", n=n(students[1])),
        _("with a risk signal: {n}, with a plan: {plan}", n=n(students[2]), plan=n(students[3])),
        _("Plans: {n}", n=n(statuses[-1])),
    ]
    for entry, cell in zip(IAP_STATUSES, statuses[1:-1], strict=True):
        if cell:
            lines.append(f"• {entry.text(locale)}: {n(cell)}")
    lines += [
        _(
            "Plans with a risk no measure addresses: {n} ({share} %)",
            n=n(quality[2]),
            share=n(quality[3]),
        ),
        _("Waiting for approval: {n}; longest {days} days", n=n(quality[4]), days=n(quality[6])),
        _("Consultation hours delivered: {hours}", hours=number(hours, locale)),
        _("Outcomes recorded: {n}", n=n(outcomes[-1])),
    ]
    if report.suppressed:
        lines += ["", _("Counts under 5 are shown as {hidden}.", hidden=HIDDEN)]
    return html_lines([bold(report_title(report, locale)), *lines])
