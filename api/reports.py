"""The semester report over HTTP: JSON tables in the caller's language, or a CSV or XLSX file.

Who reads which scope: the programme administrator (IKVD) every scope and `country`; a
municipality coordinator their municipalities and its schools; a school coordinator their
school. A scope out of sight answers 404 as a missing one; `country` for anyone else is 403.
"""

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.codes import REPORT_SCOPE_PATTERN
from api.deps import AuthenticateFirst, CurrentActor, Locale, SemesterParam
from api.errors import answers
from core.errors import InvalidInput
from core.report_export import report_csv, report_xlsx
from core.report_view import report_to_dict
from core.reports import BAD_REPORT_SCOPE, build_report, parse_scope, scope_name

router = APIRouter(tags=["reports"], route_class=AuthenticateFirst)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        }
    }
}

ScopeParam = Annotated[
    str,
    Path(
        description="school-<id>, municipality-<id> or country",
        json_schema_extra={"pattern": REPORT_SCOPE_PATTERN},
    ),
]
FormatParam = Annotated[
    Literal["json", "csv", "xlsx"], Query(description="json (default), csv or xlsx")
]


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
    if not re.fullmatch(REPORT_SCOPE_PATTERN, scope):
        raise InvalidInput(BAD_REPORT_SCOPE)
    report = await build_report(actor, parse_scope(scope), semester)
    if format == "json":
        return report_to_dict(report, locale)
    filename = f"report_{scope_name(report.scope)}_{semester.label.replace('/', '-')}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        content = report_csv(report, locale).encode("utf-8-sig")  # so spreadsheets read UTF-8
        return Response(content, media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(report_xlsx(report, locale), media_type=XLSX, headers=disposition)
