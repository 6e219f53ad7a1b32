"""A plan's review over HTTP: how each measure was realised. The review itself (the risk
situation, an overall note, close or continue) is POST /iaps/{iap_id}/review."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.codes import MeasureRealised
from api.deps import AuthenticateFirst, CurrentActor
from api.errors import answers
from api.schemas import FreeText, Record
from core.ids import Id
from core.services import iaps

router = APIRouter(tags=["iaps"], route_class=AuthenticateFirst)


class MeasureEvaluationIn(BaseModel):
    realised: MeasureRealised
    note: FreeText | None = Field(default=None, max_length=2000)


class MeasureEvaluationOut(Record):
    id: int
    iap_id: int
    realised: str
    evaluation_note: str | None


@router.put("/iaps/{iap_id}/measures/{measure_id}/evaluation", responses=answers(403, 404, 409))
async def evaluate_measure(
    actor: CurrentActor, iap_id: Id, measure_id: Id, body: MeasureEvaluationIn
) -> MeasureEvaluationOut:
    """Rate how a measure of a plan under review was realised, with an optional note."""
    measure = await iaps.evaluate_measure(
        actor, iap_id, measure_id, realised=body.realised, note=body.note
    )
    return MeasureEvaluationOut.model_validate(measure)
