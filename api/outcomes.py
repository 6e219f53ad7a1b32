"""A student's semester outcome over HTTP: recorded, or changed, by the school's staff."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.codes import EarlyLeavingReason, Outcome
from api.deps import AuthenticateFirst, CurrentActor, SemesterParam
from api.errors import answers
from api.schemas import Record
from core.ids import Id
from core.services import outcomes

router = APIRouter(tags=["outcomes"], route_class=AuthenticateFirst)


class OutcomeIn(BaseModel):
    outcome: Outcome
    reason: EarlyLeavingReason | None = Field(
        default=None, description="required when the outcome is left_early, refused otherwise"
    )


class OutcomeOut(Record):
    id: int
    student_id: int
    school_id: int
    school_year: int
    semester: int
    outcome: str
    reason: str | None
    recorded_by_id: int | None
    recorded_at: datetime


@router.put("/students/{student_id}/outcome", responses=answers(403, 404, 409))
async def record_outcome(
    actor: CurrentActor, student_id: Id, body: OutcomeIn, semester: SemesterParam
) -> OutcomeOut:
    """How the student's semester ended (default: this semester); 409 if not involved in it."""
    record = await outcomes.record_outcome(actor, student_id, semester, body.outcome, body.reason)
    return OutcomeOut.model_validate(record)
