"""Privacy over HTTP: one's own API tokens, a student's data export and who read it."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from api.deps import AuthenticateFirst, CurrentActor, Locale
from api.errors import answers
from core.ids import Id
from core.services import people, privacy

router = APIRouter(tags=["privacy"], route_class=AuthenticateFirst)


@router.delete("/tokens/{token_id}", status_code=204, responses=answers(404))
async def revoke_token(actor: CurrentActor, token_id: Id) -> None:
    """Revoke one of one's own tokens (another person's answers 404, as a missing one)."""
    await people.revoke_api_token(token_id, actor)


@router.get("/students/{student_id}/access-log", responses=answers(404))
async def read_access_log(actor: CurrentActor, student_id: Id) -> list[dict[str, Any]]:
    """Who read the student's plan, card or records, and when (the student's coordinators only)."""
    return [asdict(line) for line in await privacy.access_log(actor, student_id)]


@router.get("/students/{student_id}/export", responses=answers(404))
async def export_student(actor: CurrentActor, locale: Locale, student_id: Id) -> dict[str, Any]:
    """Everything held about the student, labels in the caller's language (for a request under
    the right of access; the student's coordinators only, and the read is audited)."""
    return await privacy.export_student_for(actor, student_id, locale)
