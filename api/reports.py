"""The semester report over HTTP: JSON tables in the caller's language, or a CSV or XLSX file.

Who reads which scope: the programme administrator (IKVD) every scope and `country`; a
municipality coordinator their municipalities and its schools; a school coordinator their
school. A scope out of sight answers 404 as a missing one; `country` for anyone else is 403.
"""

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AuthenticateFirst, CurrentActor, Locale, SemesterParam
from api.errors import answers
from api.scope_files import FILES, FormatParam, ScopeParam, check_scope, file_response
from core.report_export import report_csv, report_xlsx
from core.report_view import report_to_dict
from core.reports import BAD_REPORT_SCOPE, build_report, parse_scope, scope_name

router = APIRouter(tags=["reports"], route_class=AuthenticateFirst)


class TableOut(BaseModel):
    code: str
    title: str
    columns: list[str]
    rows: list[list[int | float | str | None]]


class ReportOut(BaseModel):
    scope: str
    name: str
    semester: str
    semester_label: str
    suppressed: bool
    tables: list[TableOut]


@router.get(
    "/reports/{scope}",
    response_model=ReportOut,
    responses=FILES | answers(403, 404),
)
async def read_report(
    actor: CurrentActor,
    locale: Locale,
    scope: ScopeParam,
    semester: SemesterParam,
    format: FormatParam = "json",
):
    """The semester's figures: each table with headers and rows; counts under 5 of a
    municipality or the country are "<5", and so is a cell that would give one back."""
    check_scope(scope, BAD_REPORT_SCOPE)
    report = await build_report(actor, parse_scope(scope), semester)
    if format == "json":
        return report_to_dict(report, locale)
    if format == "csv":
        content = report_csv(report, locale).encode("utf-8-sig")  # so spreadsheets read UTF-8
    else:
        content = report_xlsx(report, locale)
    return file_response(content, format, "report", scope_name(report.scope), semester)
