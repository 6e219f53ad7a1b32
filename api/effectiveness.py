"""Did it work? The effectiveness of each measure type over HTTP: JSON, CSV, XLSX and a chart."""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import AuthenticateFirst, CurrentActor, Locale, SemesterParam
from api.errors import answers
from api.scope_files import FILES, FormatParam, ScopeParam, check_scope, file_response
from core.effectiveness import (
    BAD_SCOPE,
    DEFAULT_WEEKS,
    MAX_WEEKS,
    EffectivenessReport,
    build_effectiveness,
)
from core.effectiveness_chart import effectiveness_chart_png
from core.effectiveness_view import (
    effectiveness_csv,
    effectiveness_to_dict,
    effectiveness_xlsx,
)

router = APIRouter(tags=["effectiveness"], route_class=AuthenticateFirst)

PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}}}

WeeksParam = Annotated[
    int,
    Query(ge=1, le=MAX_WEEKS, description="weeks before and after a measure's start"),
]
Conclusion = Literal["too_few", "no_evidence", "lower", "higher"]


class OutcomesOut(BaseModel):
    recorded: int = Field(description="students of the side whose semester outcome is recorded")
    continued_or_completed: int
    left_early: int


class SideOut(BaseModel):
    """One side of the comparison; its figures are null when suppressed (fewer than 5)."""

    students: int | None = Field(description='null: 1 to 4 students, shown as "<5"')
    suppressed: bool
    absences_before: float | None = Field(description="unexcused lessons per 100 lessons, mean")
    absences_after: float | None
    signals_before: float | None = Field(description="new risk signals per 20 school days")
    signals_after: float | None
    outcomes: OutcomesOut | None = Field(description="null when a cell would be 1 to 4")


class EstimateOut(BaseModel):
    """A difference in differences: the change with the measure minus the change without."""

    students_with: int | None
    students_without: int | None
    difference: float | None = Field(description="null when too few students to conclude")
    low: float | None = Field(description="95% interval (Welch-Satterthwaite t)")
    high: float | None
    conclusion: Conclusion


class MeasureOut(BaseModel):
    measure: str = Field(description="kind:type, e.g. consultation:psychologist")
    kind: Literal["consultation", "material", "ngo"]
    type: str
    label: str
    measurable: bool = Field(description="false: the data cannot link the measure to students")
    received: int | None = Field(description='students who received it; null: "<5"')
    start_day: date | None = Field(
        description="the comparison's start: the Monday of the median start"
    )
    with_measure: SideOut | None
    without_measure: SideOut | None
    absences: EstimateOut | None
    signals: EstimateOut | None
    statement: str = Field(description="what the comparison says, in the caller's language")


class EffectivenessOut(BaseModel):
    scope: str
    name: str
    semester: str
    weeks: int
    measured_until: date = Field(description="the first day not measured")
    small_numbers_suppressed: bool
    measures: list[MeasureOut]
    caveat: list[str] = Field(description="what the comparison can and cannot show")
    text: str


async def _report(actor, scope: str, semester, weeks: int) -> EffectivenessReport:
    check_scope(scope, BAD_SCOPE)
    return await build_effectiveness(actor, scope, semester, weeks)


@router.get(
    "/effectiveness/{scope}",
    response_model=EffectivenessOut,
    responses=FILES | answers(403, 404),
)
async def read_effectiveness(
    actor: CurrentActor,
    locale: Locale,
    scope: ScopeParam,
    semester: SemesterParam,
    weeks: WeeksParam = DEFAULT_WEEKS,
    format: FormatParam = "json",
) -> Any:
    """For each measure type: before and after, against similar students without it, outcomes,
    and a plain statement of what can be concluded. Latvian unless Accept-Language asks."""
    report = await _report(actor, scope, semester, weeks)
    if format == "json":
        return effectiveness_to_dict(report, locale)
    if format == "csv":
        content = effectiveness_csv(report, locale)
    else:
        content = effectiveness_xlsx(report, locale)
    return file_response(content, format, "effectiveness", report.area.scope, report.semester)


@router.get(
    "/effectiveness/{scope}/chart",
    response_class=Response,
    responses=PNG | answers(403, 404),
)
async def read_effectiveness_chart(
    actor: CurrentActor,
    locale: Locale,
    scope: ScopeParam,
    semester: SemesterParam,
    weeks: WeeksParam = DEFAULT_WEEKS,
) -> Response:
    """Unexcused absences before and after, with the measure and without, per measure type."""
    report = await _report(actor, scope, semester, weeks)
    return Response(content=await effectiveness_chart_png(report, locale), media_type="image/png")
