"""Request and response bodies of the programme administration routes (api/admin.py)."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool

from api.codes import one_of
from api.schemas import Line, Name, Record
from core.catalogues import SCHOOL_KINDS
from core.ids import Id

SchoolKind = Annotated[str, one_of(SCHOOL_KINDS)]
Percent = Annotated[Decimal, Field(gt=0, le=100, max_digits=4, decimal_places=1)]


class MunicipalityIn(BaseModel):
    name: Name = Field(min_length=1, max_length=120)


class MunicipalityOut(Record):
    id: int
    name: str


class SchoolIn(BaseModel):
    municipality_id: Id
    name: Name = Field(min_length=1, max_length=200)
    kind: SchoolKind
    state_vocational: StrictBool = False


class SchoolEditIn(BaseModel):
    """Only the fields given change; a setting given as null goes back to the programme default.
    Name, kind and state vocational are the administrator's; the settings also the school's
    coordinators'."""

    name: Name | None = Field(default=None, min_length=1, max_length=200)
    kind: SchoolKind | None = None
    state_vocational: StrictBool | None = None
    lessons_per_day: int | None = Field(default=None, ge=1, le=10, strict=True)
    absence_caution_percent: Percent | None = None
    absence_high_percent: Percent | None = None
    absence_window_days: int | None = Field(default=None, ge=7, le=90, strict=True)


class AdminSchoolOut(Record):
    """A school with its own settings; a null setting is the programme's default."""

    id: int
    name: str
    kind: str
    state_vocational: bool
    municipality_id: int
    lessons_per_day: int | None
    absence_caution_percent: float | None
    absence_high_percent: float | None
    absence_window_days: int | None


class HolidayIn(BaseModel):
    first_day: date
    last_day: date
    name: Line | None = Field(default=None, max_length=120)


class HolidayOut(Record):
    id: int
    school_id: int
    first_day: date
    last_day: date
    name: str | None


class NgoIn(BaseModel):
    municipality_id: Id
    name: Name = Field(min_length=1, max_length=200)


class NgoEditIn(BaseModel):
    municipality_id: Id | None = None
    name: Name | None = Field(default=None, min_length=1, max_length=200)


class NgoOut(Record):
    id: int
    name: str
    municipality_id: int


class SchoolImportOut(BaseModel):
    municipalities_created: int
    created: int
    updated: int
    unchanged: int
