"""Peer activities of youth NGOs: counted, never naming a student."""

from datetime import date
from decimal import Decimal, InvalidOperation

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, volunteered_ngo
from core.catalogues import ACTIVITY_FORMATS
from core.clock import date_problem
from core.errors import AccessDenied, InvalidInput
from core.i18n import N_
from core.text import clean_line, optional_text
from storage.models import PeerActivity, School

TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 1000
MAX_PARTICIPANTS = 1000
MAX_HOURS = Decimal(100)


async def register_peer_activity(
    actor: Actor,
    ngo_id: int,
    *,
    title: str,
    held_on: date,
    format: str,
    participants: int,
    at_risk_participants: int,
    hours: Decimal | float | str,
    school_id: int | None = None,
    description: str | None = None,
) -> PeerActivity:
    """Register an activity held by the volunteer's NGO in its municipality (or one school)."""
    ngo = await volunteered_ngo(actor, ngo_id)
    title = clean_line(title)
    if not title or len(title) > TITLE_LIMIT:
        raise InvalidInput(N_("Give a title of at most {max} characters."), max=TITLE_LIMIT)
    if (problem := date_problem(held_on)) is not None:
        raise InvalidInput(problem)
    if format not in ACTIVITY_FORMATS:
        raise InvalidInput(N_("Choose the format."))
    if not 1 <= participants <= MAX_PARTICIPANTS:
        raise InvalidInput(
            N_("Give the number of participants, from 1 to {max}."), max=MAX_PARTICIPANTS
        )
    if not 0 <= at_risk_participants <= participants:
        raise InvalidInput(
            N_("Students at risk: a number from 0 to {max}, the participants."), max=participants
        )
    hours = _hours(hours)
    description = optional_text(description)
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        raise InvalidInput(
            N_("The description is too long: at most {max} characters."), max=DESCRIPTION_LIMIT
        )
    if school_id is not None and not await School.exists(
        id=school_id, municipality_id=ngo.municipality_id
    ):
        raise InvalidInput(N_("Choose a school in the organisation's municipality."))
    async with in_transaction():
        activity = await PeerActivity.create(
            ngo_id=ngo.id,
            municipality_id=ngo.municipality_id,
            school_id=school_id,
            held_on=held_on,
            title=title,
            format=format,
            participants=participants,
            at_risk_participants=at_risk_participants,
            hours=hours,
            description=description,
            volunteer_id=actor.id,
        )
        await audit.record(actor.id, "peer_activity.create", "peer_activity", activity.id)
    return activity


def _hours(value: Decimal | float | str) -> Decimal:
    try:
        hours = Decimal(str(value).replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InvalidInput(N_("Give the hours as a number, like 1.5.")) from None
    if not Decimal("0.25") <= hours <= MAX_HOURS:
        raise InvalidInput(N_("Give the hours, from 0.25 to {max}."), max=MAX_HOURS)
    return hours


async def list_peer_activities(actor: Actor) -> list[PeerActivity]:
    """A volunteer's NGOs' activities; a municipality coordinator's municipality's."""
    if not actor.ngo_ids and not actor.municipality_ids:
        raise AccessDenied()
    scope = Q(ngo_id__in=list(actor.ngo_ids) or [-1]) | Q(
        municipality_id__in=list(actor.municipality_ids) or [-1]
    )
    query = PeerActivity.filter(scope)
    return await query.order_by("-held_on", "-id").limit(200)


async def ngo_schools(actor: Actor, ngo_id: int) -> list[School]:
    """School names (no student data) where the volunteer's NGO may hold activities."""
    ngo = await volunteered_ngo(actor, ngo_id)
    return await School.filter(municipality_id=ngo.municipality_id).order_by("name")
