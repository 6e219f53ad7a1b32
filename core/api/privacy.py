"""Privacy over HTTP: one's own API tokens, a student's data export and who read it."""

from fastapi import APIRouter

from core.api.deps import CurrentActor
from core.ids import Id
from core.services import people

router = APIRouter(tags=["privacy"])


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(actor: CurrentActor, token_id: Id) -> None:
    """Revoke one of one's own tokens (another person's answers 404, as a missing one)."""
    await people.revoke_api_token(token_id, actor)
