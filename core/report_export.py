"""The semester report as spreadsheet files: XLSX with a sheet per table, or one CSV.

Headers are in the reader's language (Latvian by default). Every text cell passes
`spreadsheet_safe`, so no name of a school or organisation runs as a formula; numbers stay
numbers, and a hidden small count is the text "<5".
"""

import csv
import io
from decimal import Decimal

from core.report_view import localized, report_title
from core.reports import Cell, Report
from core.text import spreadsheet_safe

SHEET_NAME_LIMIT = 31  # Excel's
SHEET_NAME_REFUSED = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _value(cell: Cell) -> int | float | str | None:
    if isinstance(cell, str):
        return spreadsheet_safe(cell)
    if isinstance(cell, Decimal):
        return float(cell)
    return cell


def sheet_name(title: str, taken: set[str]) -> str:
    """A title cut to Excel's 31 characters without the characters sheet names refuse, unique."""
    name = title.translate(SHEET_NAME_REFUSED).strip()[:SHEET_NAME_LIMIT]
    candidate, n = name, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = name[: SHEET_NAME_LIMIT - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def report_xlsx(report: Report, locale: str) -> bytes:
    """One sheet per table: the report's title, the table's title, headers, rows."""
    from openpyxl import Workbook  # loaded at the first spreadsheet: it brings numpy
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for table in report.tables:
        title, headers, rows = localized(table, locale)
        sheet = workbook.create_sheet(sheet_name(title, taken))
        sheet.append([spreadsheet_safe(report_title(report, locale)), report.semester.label])
        sheet.append([spreadsheet_safe(title)])
        sheet.append([spreadsheet_safe(header) for header in headers])
        for cell in sheet[3]:
            cell.font = bold
        for row in rows:
            sheet.append([_value(cell) for cell in row])
        sheet.column_dimensions["A"].width = 40
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def report_csv(report: Report, locale: str) -> str:
    """Every table one after another: its title, headers and rows, then an empty line."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([spreadsheet_safe(report_title(report, locale)), report.semester.label])
    for table in report.tables:
        title, headers, rows = localized(table, locale)
        writer.writerow([])
        writer.writerow([spreadsheet_safe(title)])
        writer.writerow([spreadsheet_safe(header) for header in headers])
        for row in rows:
            writer.writerow(["" if cell is None else _value(cell) for cell in row])
    return output.getvalue()
