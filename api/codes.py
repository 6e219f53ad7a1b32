"""Catalogue codes and labels as the OpenAPI document lists them: each field's allowed values.

The services check the values themselves (with a clear, translated message); these types only
make the document say what is allowed, so clients and generated tests see the enumerations.
"""

from typing import Annotated, Any

from pydantic import Field

from core.catalogues import (
    ACTIVITY_FORMATS,
    CONSULTATION_MODES,
    EARLY_LEAVING_REASONS,
    IAP_STATUSES,
    MEASURE_REALISED,
    OUTCOMES,
    RISK_FACTORS,
    RISK_LEVELS,
    RISK_OUTCOMES,
    ROLES,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
)

SEMESTER_PATTERN = r"^[0-9]{4}(/[0-9]{2})?-[12]$"
SCOPE_PATTERN = r"^(school|municipality)-[0-9]{1,9}$"
REPORT_SCOPE_PATTERN = r"^((school|municipality)-[0-9]{1,9}|country)$"


def one_of(codes) -> Any:
    """A string field whose document lists these codes (a Catalogue's, or plain strings)."""
    return Field(json_schema_extra={"enum": [getattr(code, "code", code) for code in codes]})


RiskFactor = Annotated[str, one_of(RISK_FACTORS)]
RiskLevel = Annotated[str, one_of(RISK_LEVELS)]
ConsultationMode = Annotated[str, one_of(CONSULTATION_MODES)]
SpecialistType = Annotated[str, one_of(SPECIALIST_TYPES)]
SupportType = Annotated[str, one_of(SUPPORT_TYPES)]
ActivityFormat = Annotated[str, one_of(ACTIVITY_FORMATS)]
IapStatus = Annotated[str, one_of(IAP_STATUSES)]
MeasureKind = Annotated[str, one_of(("consultation", "material"))]
MeasureRealised = Annotated[str, one_of(MEASURE_REALISED)]
RiskOutcome = Annotated[str, one_of(RISK_OUTCOMES)]
Outcome = Annotated[str, one_of(OUTCOMES)]
EarlyLeavingReason = Annotated[str, one_of(EARLY_LEAVING_REASONS)]
Role = Annotated[str, one_of(ROLES)]
SemesterLabel = Annotated[
    str, Field(json_schema_extra={"pattern": SEMESTER_PATTERN, "examples": ["2026/27-1"]})
]
