"""Request and response bodies of the HTTP API."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from core.api.codes import (
    ActivityFormat,
    ConsultationMode,
    IapStatus,
    MeasureKind,
    RiskFactor,
    RiskLevel,
    Role,
    SemesterLabel,
    SpecialistType,
    SupportType,
)
from core.ids import Id


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
    name: str = Field(min_length=1, max_length=20)


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


class RosterOut(BaseModel):
    created: int
    classes_created: int


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
    note: str | None = Field(default=None, max_length=1000)


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
    topic: str | None = Field(default=None, max_length=500)
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
    details: str | None = Field(default=None, max_length=300)


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
    title: str = Field(min_length=1, max_length=200)
    held_on: date
    format: ActivityFormat
    participants: int
    at_risk_participants: int
    hours: Decimal
    school_id: Id | None = None
    description: str | None = Field(default=None, max_length=1000)


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
    pause_reason: str | None
    continued_from_id: int | None


class MeasureIn(BaseModel):
    kind: MeasureKind
    planned_quantity: Decimal
    specialist_type: str | None = None
    support_type: str | None = None
    risk_factors: list[RiskFactor] = Field(min_length=1, max_length=14)


class MeasureOut(Record):
    id: int
    iap_id: int
    kind: str
    specialist_type: str | None
    support_type: str | None
    risk_factors: list[str]
    planned_quantity: Decimal


class ConsentIn(BaseModel):
    given: bool


class ReturnIn(BaseModel):
    comment: str = Field(min_length=1, max_length=2000)


class MoveIn(BaseModel):
    status: IapStatus
    reason: str | None = Field(default=None, max_length=2000)


class ReviewIn(BaseModel):
    evaluation: str = Field(min_length=1, max_length=2000)
    continues: bool


class ReviewOut(BaseModel):
    iap: IapOut
    continued_as: IapOut | None
