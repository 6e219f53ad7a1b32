"""What the scope reports share over HTTP (`/reports/{scope}`, `/effectiveness/{scope}`): the
scope in the path, the format asked for, and a scope's figures answered as a CSV or XLSX file."""

import re
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from fastapi.responses import Response

from api.codes import REPORT_SCOPE_PATTERN
from core.clock import Semester
from core.errors import InvalidInput

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
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
        description="school-<id>, municipality-<id> or country (the programme administrator's)",
        json_schema_extra={"pattern": REPORT_SCOPE_PATTERN},
    ),
]
Format = Literal["json", "csv", "xlsx"]
FormatParam = Annotated[
    Format, Query(description="json (default), csv or xlsx; the files' headers in the language")
]


def check_scope(scope: str, message: str) -> None:
    """InvalidInput (422) with `message` unless the scope reads school-N, municipality-N or
    country."""
    if not re.fullmatch(REPORT_SCOPE_PATTERN, scope):
        raise InvalidInput(message)


def file_response(
    content: bytes, format: Format, prefix: str, scope: str, semester: Semester
) -> Response:
    """A CSV (UTF-8 with its byte-order mark already in `content`) or XLSX file to download,
    named like report_school-3_2026-27-1.xlsx."""
    name = f"{prefix}_{scope}_{semester.label.replace('/', '-')}.{format}"
    return Response(
        content,
        media_type=CSV if format == "csv" else XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
