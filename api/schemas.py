"""Request and response bodies of the HTTP API."""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from api.codes import (
    ActivityFormat,
    ConsultationMode,
    IapStatus,
    MeasureKind,
    RiskFactor,
    RiskLevel,
    RiskOutcome,
    Role,
    SemesterLabel,
    SpecialistType,
    SupportType,
)
from core.errors import InvalidInput
from core.ids import Id
from core.text import clean_line, clean_name, clean_text


def _cleaned(clean: Callable[[str], str]) -> AfterValidator:
    """Text cleaned by the rule of core.text; what it refuses is an error naming the field."""

    def validate(value: str) -> str:
        try:
            return clean(value)
        except InvalidInput as refused:
            raise PydanticCustomError(
                "invalid_text", "{problem}", {"problem": refused.text("en")}
            ) from None

    return AfterValidator(validate)


Name = Annotated[str, _cleaned(clean_name)]  # a class's name
Line = Annotated[str, _cleaned(clean_line)]  # a title, a search
FreeText = Annotated[str, _cleaned(clean_text)]  # a note, a topic, a comment


class Record(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SchoolOut(Record):
    id: int
    name: str
    kind: str
    state_vocational: bool
    municipality_id: int


class ClassIn(BaseModel):
    grade: int = Field(ge=1, le=12)
    name: Name = Field(min_length=1, max_length=20)


class ClassOut(Record):
    id: int
    school_id: int
    grade: int
    name: str


class StudentOut(Record):
    id: int
    school_id: int
    school_class_id: int
    first_name: str
    last_name: str
    family_language: str
    student_ref: str | None = Field(description="the school register's pupil id")
    left_at: date | None = Field(description="left the school: off the lists, records kept")
    absence_level: str | None = Field(
        default=None, description="caution or high by the attendance's early-warning rule"
    )


class RosterRefs(BaseModel):
    """The first ten student refs of each kind of change (refs only, never names)."""

    added: list[str]
    updated: list[str]
    moved_class: list[str]
    left: list[str]
    returned: list[str]


class RosterOut(BaseModel):
    """What a roster import changed, or in a dry run would change, and the file's format."""

    dry_run: bool = Field(description="true: nothing was saved; the counts say what would change")
    partial: bool = Field(description="true: students missing from the file were not marked left")
    rows: int = Field(description="students in the file")
    added: int
    updated: int = Field(description="students whose names, family language or ref changed")
    updated_fields: dict[str, int] = Field(
        description="per field (student_ref, first_name, last_name, family_language): students"
    )
    moved_class: int
    left: int = Field(description="students missing from a full import: off the lists")
    returned: int = Field(description="students who had left and are on the roster again")
    unchanged: int
    classes_created: int
    refs: RosterRefs
    encoding: str = Field(description="detected: UTF-8, UTF-8 with BOM or cp1257")
    separator: str = Field(description="detected: comma, semicolon or tab")
    line_endings: str = Field(description="detected: LF, CRLF, CR, or several joined by +")


class MoveStudentIn(BaseModel):
    to_school_id: Id
    class_name: Name = Field(min_length=1, max_length=20, description="the class at the new school")
    student_ref: Line | None = Field(
        default=None, max_length=40, description="the new school's register id for the student"
    )


class LevelChangeOut(BaseModel):
    """A student whose absence level changed: the window's figures (excused shown, not judged)."""

    student_id: int
    before: str | None
    after: str | None
    unexcused: int
    excused: int
    lessons: int = Field(description="lessons of the school days in the window")
    share_percent: float = Field(description="unexcused / lessons, in percent, one decimal")
    window_from: date
    window_to: date


class LineNoteOut(BaseModel):
    line: int
    problem: str


class AttendanceImportOut(BaseModel):
    dry_run: bool
    encoding: str = Field(description="UTF-8, UTF-8 with BOM or cp1257, as detected")
    separator: str = Field(description="comma, semicolon or tab, as detected")
    line_ending: str = Field(description="CRLF, LF or CR, as detected")
    rows: int
    created: int = Field(description="student-days new")
    updated: int = Field(description="student-days whose counts the file changed")
    unchanged: int
    first_day: date | None
    last_day: date | None
    warnings: list[LineNoteOut]
    levels: dict[str, int] | None = Field(
        description="after the import: the affected students at each level (none, caution, "
        "high); null on a dry run"
    )
    changes: list[LevelChangeOut]


class AbsencesOut(BaseModel):
    day: date
    saved: int
    changes: list[LevelChangeOut]


class InviteIn(BaseModel):
    role: Role
    school_id: Id | None = None
    municipality_id: Id | None = None
    ngo_id: Id | None = None
    student_id: Id | None = None
    specialty: str | None = None
    valid_days: int = 7


class InviteOut(BaseModel):
    code: str
    link: str | None
    role: str
    expires_at: datetime


class RiskSignalIn(BaseModel):
    student_id: Id
    factor: RiskFactor
    value: int | None = None
    level: RiskLevel | None = None
    observed_from: date | None = None
    observed_to: date | None = None
    note: FreeText | None = Field(default=None, max_length=1000)


class RiskSignalOut(Record):
    id: int
    student_id: int
    group: str
    factor: str
    level: str
    value: int | None
    observed_from: date
    observed_to: date
    created_at: datetime


class AbsencesIn(BaseModel):
    class_id: Id
    student_ids: list[Id] = Field(min_length=1, max_length=60)
    lessons: int
    day: date | None = None


class ConsultationIn(BaseModel):
    student_id: Id
    held_on: date
    minutes: int
    mode: ConsultationMode
    specialist_type: SpecialistType | None = None
    topic: FreeText | None = Field(default=None, max_length=500)
    student_confirmed: bool = False


class ConsultationOut(Record):
    id: int
    student_id: int
    specialist_type: str
    held_on: date
    minutes: int
    mode: str
    student_confirmed: bool


class NeedIn(BaseModel):
    student_id: Id
    support_type: SupportType


class NeedAnswerIn(BaseModel):
    confirmed: bool
    months: list[int] = Field(default_factory=list, max_length=12)
    details: FreeText | None = Field(default=None, max_length=300)


class NeedOut(Record):
    id: int
    student_id: int
    support_type: str
    school_year: int
    semester: int
    months: list[int]
    details: str | None
    status: str
    answered_at: datetime | None


class ActivityIn(BaseModel):
    ngo_id: Id
    title: Line = Field(min_length=1, max_length=200)
    held_on: date
    format: ActivityFormat
    participants: int
    at_risk_participants: int
    hours: Decimal
    school_id: Id | None = None
    description: FreeText | None = Field(default=None, max_length=1000)


class ActivityOut(Record):
    id: int
    ngo_id: int
    municipality_id: int
    school_id: int | None
    held_on: date
    title: str
    format: str
    participants: int
    at_risk_participants: int
    hours: Decimal


class IapIn(BaseModel):
    student_id: Id
    semester: SemesterLabel | None = Field(default=None, description="e.g. 2026/27-1; default: now")


class IapOut(Record):
    id: int
    student_id: int
    school_year: int
    semester: int
    status: str
    consent: str
    consent_method: str | None
    consent_signed_on: date | None
    consent_at: datetime | None
    consent_by_id: int | None
    pause_reason: str | None
    risk_outcome: str | None
    continued_from_id: int | None


class MeasureIn(BaseModel):
    kind: MeasureKind
    planned_quantity: Decimal | None = Field(
        default=None, description="hours; for material support, give the months instead"
    )
    specialist_type: SpecialistType | None = None
    support_type: SupportType | None = None
    risk_factors: list[RiskFactor] = Field(min_length=1, max_length=14)
    months: list[int] | None = Field(
        default=None, max_length=12, description="material support: the month numbers it covers"
    )


class MeasureOut(Record):
    id: int
    iap_id: int
    kind: str
    specialist_type: str | None
    support_type: str | None
    risk_factors: list[str]
    planned_quantity: Decimal
    months: list[int]


class ConsentIn(BaseModel):
    given: bool
    method: str | None = Field(
        default=None, description="staff: paper | adult_student; a parent's own answer: none"
    )
    signed_on: date | None = Field(default=None, description="staff: the date on the form")


class ReturnIn(BaseModel):
    comment: FreeText = Field(min_length=1, max_length=2000)


class MoveIn(BaseModel):
    status: IapStatus
    reason: FreeText | None = Field(default=None, max_length=2000)


class ReviewIn(BaseModel):
    risk_outcome: RiskOutcome
    continues: bool
    evaluation: FreeText | None = Field(default=None, max_length=2000, description="overall note")


class ReviewOut(BaseModel):
    iap: IapOut
    continued_as: IapOut | None
