"""Programme administration: municipalities, schools with their settings and holidays, youth NGOs,
the first coordinator invites, and schools in bulk from CSV.

The programme administrator's (a school's settings and holidays also its coordinators'); anyone
else is refused with 403 before any id is looked up, or 404 for a school outside their scope.
"""

from typing import Annotated

from fastapi import APIRouter, Body

from api.admin_schemas import (
    AdminSchoolOut,
    HolidayIn,
    HolidayOut,
    MunicipalityIn,
    MunicipalityOut,
    NgoEditIn,
    NgoIn,
    NgoOut,
    SchoolEditIn,
    SchoolImportOut,
    SchoolIn,
)
from api.deps import AuthenticateFirst, CurrentActor
from api.errors import answers
from api.schemas import InviteOut
from core.catalogues import MUNICIPALITY_COORDINATOR, SCHOOL_COORDINATOR
from core.ids import Id
from core.links import invite_link
from core.services import organisations, people

router = APIRouter(route_class=AuthenticateFirst, tags=["programme"])


@router.get("/municipalities", responses=answers(403))
async def list_municipalities(actor: CurrentActor) -> list[MunicipalityOut]:
    found = await organisations.list_municipalities(actor)
    return [MunicipalityOut.model_validate(m) for m in found]


@router.post("/municipalities", status_code=201, responses=answers(403, 409))
async def create_municipality(actor: CurrentActor, body: MunicipalityIn) -> MunicipalityOut:
    municipality = await organisations.create_municipality(actor, body.name)
    return MunicipalityOut.model_validate(municipality)


@router.patch("/municipalities/{municipality_id}", responses=answers(403, 404, 409))
async def rename_municipality(
    actor: CurrentActor, municipality_id: Id, body: MunicipalityIn
) -> MunicipalityOut:
    municipality = await organisations.rename_municipality(actor, municipality_id, body.name)
    return MunicipalityOut.model_validate(municipality)


@router.get("/municipalities/{municipality_id}/schools", responses=answers(403, 404))
async def list_schools(actor: CurrentActor, municipality_id: Id) -> list[AdminSchoolOut]:
    """The municipality's schools with their own settings (null: the programme's default)."""
    found = await organisations.list_schools(actor, municipality_id)
    return [AdminSchoolOut.model_validate(s) for s in found]


@router.post("/schools", status_code=201, responses=answers(403, 404, 409))
async def create_school(actor: CurrentActor, body: SchoolIn) -> AdminSchoolOut:
    school = await organisations.create_school(
        actor, body.municipality_id, body.name, body.kind, body.state_vocational
    )
    return AdminSchoolOut.model_validate(school)


@router.patch("/schools/{school_id}", responses=answers(403, 404, 409))
async def edit_school(actor: CurrentActor, school_id: Id, body: SchoolEditIn) -> AdminSchoolOut:
    """Only the fields given change; a setting given as null goes back to the programme's default.
    A school's coordinators may change its settings; its name and kind are the administrator's."""
    school = await organisations.edit_school(
        actor, school_id, **body.model_dump(exclude_unset=True)
    )
    return AdminSchoolOut.model_validate(school)


@router.post(
    "/imports/schools",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    responses=answers(403),
)
async def import_schools(
    actor: CurrentActor, content: Annotated[bytes, Body(media_type="text/csv")]
) -> SchoolImportOut:
    """CSV with the header `municipality,school,kind,state_vocational`; all rows or none are saved.
    Missing municipalities are created; a school already there (same name, same municipality) is
    updated, so the same file imported again changes nothing."""
    result = await organisations.import_schools(actor, content)
    return SchoolImportOut(
        municipalities_created=result.municipalities_created,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )


@router.get("/schools/{school_id}/holidays", responses=answers(404))
async def list_holidays(actor: CurrentActor, school_id: Id) -> list[HolidayOut]:
    found = await organisations.list_holidays(actor, school_id)
    return [HolidayOut.model_validate(h) for h in found]


@router.post("/schools/{school_id}/holidays", status_code=201, responses=answers(403, 404, 409))
async def add_holiday(actor: CurrentActor, school_id: Id, body: HolidayIn) -> HolidayOut:
    """A break or closure of the school's own, first to last day inclusive."""
    holiday = await organisations.add_holiday(
        actor, school_id, body.first_day, body.last_day, body.name
    )
    return HolidayOut.model_validate(holiday)


@router.delete("/holidays/{holiday_id}", status_code=204, responses=answers(403, 404))
async def remove_holiday(actor: CurrentActor, holiday_id: Id) -> None:
    await organisations.remove_holiday(actor, holiday_id)


@router.get("/ngos", responses=answers(403))
async def list_ngos(actor: CurrentActor) -> list[NgoOut]:
    return [NgoOut.model_validate(n) for n in await organisations.list_ngos(actor)]


@router.post("/ngos", status_code=201, responses=answers(403, 404))
async def create_ngo(actor: CurrentActor, body: NgoIn) -> NgoOut:
    ngo = await organisations.create_ngo(actor, body.municipality_id, body.name)
    return NgoOut.model_validate(ngo)


@router.patch("/ngos/{ngo_id}", responses=answers(403, 404))
async def edit_ngo(actor: CurrentActor, ngo_id: Id, body: NgoEditIn) -> NgoOut:
    ngo = await organisations.edit_ngo(
        actor, ngo_id, name=body.name, municipality_id=body.municipality_id
    )
    return NgoOut.model_validate(ngo)


@router.post(
    "/schools/{school_id}/coordinator-invites", status_code=201, responses=answers(403, 404)
)
async def invite_school_coordinator(actor: CurrentActor, school_id: Id) -> InviteOut:
    """A one-time invite for the school's coordinator; the code is shown only in this answer."""
    issued = await people.create_invite(actor, SCHOOL_COORDINATOR, school_id=school_id)
    return _invite_out(issued)


@router.post(
    "/municipalities/{municipality_id}/coordinator-invites",
    status_code=201,
    responses=answers(403, 404),
)
async def invite_municipality_coordinator(actor: CurrentActor, municipality_id: Id) -> InviteOut:
    """A one-time invite for the municipality's coordinator; the code is shown only here."""
    issued = await people.create_invite(
        actor, MUNICIPALITY_COORDINATOR, municipality_id=municipality_id
    )
    return _invite_out(issued)


def _invite_out(issued: people.IssuedInvite) -> InviteOut:
    return InviteOut(
        code=issued.code,
        link=invite_link(issued.code),
        role=issued.invite.role,
        expires_at=issued.invite.expires_at,
    )
