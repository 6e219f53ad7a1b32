"""A support plan as a printable A4 PDF, in the language of Accept-Language (Latvian by default)."""

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import AuthenticateFirst, CurrentActor, Locale
from api.errors import ErrorOut
from core.iap import assemble_iap
from core.iap_pdf import iap_pdf, pdf_filename
from core.ids import Id

router = APIRouter(tags=["iaps"], route_class=AuthenticateFirst)


@router.get(
    "/iaps/{iap_id}.pdf",
    response_class=Response,
    responses={
        200: {
            "description": "The plan as an A4 PDF, to print and sign.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        401: {"model": ErrorOut, "description": "No valid bearer token."},
        404: {"model": ErrorOut, "description": "No such plan, or not one the caller may read."},
    },
)
async def read_iap_pdf(actor: CurrentActor, locale: Locale, iap_id: Id) -> Response:
    """The plan as the caller may read it (a parent's copy has no staff comments); the read is
    audited like reading the plan."""
    plan = await assemble_iap(actor, iap_id)
    return Response(
        content=await iap_pdf(plan, locale),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf_filename(plan)}"'},
    )
