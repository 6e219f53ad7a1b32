"""Editing a draft plan over HTTP: measures changed or removed, risks named and justified, and
what still blocks sending it for approval. Each endpoint calls the service the bot calls."""

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AuthenticateFirst, CurrentActor, Locale
from api.errors import answers
from api.schemas import FreeText, MeasureOut
from core.iap_view import gap_text
from core.ids import Id
from core.services import iaps

router = APIRouter(tags=["iaps"], route_class=AuthenticateFirst)


class MeasurePatch(BaseModel):
    """What changes; what is left out stays."""

    planned_quantity: Decimal | None = Field(default=None, description="consultations: hours")
    risk_factors: list[str] | None = Field(default=None, min_length=1, max_length=14)
    months: list[int] | None = Field(
        default=None, min_length=1, max_length=12, description="material support: month numbers"
    )


class JustificationIn(BaseModel):
    justification: FreeText = Field(min_length=1, max_length=iaps.JUSTIFICATION_LIMIT)


class JustificationOut(BaseModel):
    group: str
    justification: str


@router.patch("/iaps/{iap_id}/measures/{measure_id}", responses=answers(403, 404, 409))
async def change_measure(
    actor: CurrentActor, iap_id: Id, measure_id: Id, body: MeasurePatch
) -> MeasureOut:
    measure = await iaps.update_measure(actor, iap_id, measure_id, **body.model_dump())
    return MeasureOut.model_validate(measure)


@router.delete(
    "/iaps/{iap_id}/measures/{measure_id}", status_code=204, responses=answers(403, 404, 409)
)
async def remove_measure(actor: CurrentActor, iap_id: Id, measure_id: Id) -> None:
    await iaps.remove_measure(actor, iap_id, measure_id)


@router.put("/iaps/{iap_id}/risks/{group}", responses=answers(403, 404, 409))
async def justify_risk_group(
    actor: CurrentActor, iap_id: Id, group: str, body: JustificationIn
) -> JustificationOut:
    """The preparer's assessment of one risk group of the plan (a group code, e.g. `family`)."""
    row = await iaps.set_risk_justification(actor, iap_id, group, body.justification)
    return JustificationOut(group=row.group, justification=row.justification or "")


@router.put(
    "/iaps/{iap_id}/risk-factors/{factor}", status_code=204, responses=answers(403, 404, 409)
)
async def name_risk_factor(actor: CurrentActor, iap_id: Id, factor: str) -> None:
    """Name a risk factor in the plan beside those its signals show."""
    await iaps.add_risk_factor(actor, iap_id, factor)


@router.delete(
    "/iaps/{iap_id}/risk-factors/{factor}", status_code=204, responses=answers(403, 404, 409)
)
async def take_back_risk_factor(actor: CurrentActor, iap_id: Id, factor: str) -> None:
    """Take back a factor named by the preparer (not one its signals show)."""
    await iaps.remove_risk_factor(actor, iap_id, factor)


@router.get("/iaps/{iap_id}/blockers", responses=answers(403, 404))
async def list_blockers(actor: CurrentActor, locale: Locale, iap_id: Id) -> list[dict[str, Any]]:
    """What stops the draft from being sent for approval; empty when nothing does."""
    return [
        {
            "kind": gap.kind,
            "code": gap.code,
            "measure_id": gap.measure_id,
            "text": gap_text(gap, locale),
        }
        for gap in await iaps.plan_blockers(actor, iap_id)
    ]
