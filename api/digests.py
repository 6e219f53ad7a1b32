"""The coordinators' weekly digest over HTTP: its figures with a readable text, and a chart."""

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.codes import SCOPE_PATTERN
from api.deps import AuthenticateFirst, CurrentActor, Locale
from api.errors import answers
from core.chart import chart_png
from core.digest import BAD_SCOPE, Scope, Week, build_digest, digest_history
from core.digest_view import digest_to_dict, render_digest
from core.errors import InvalidInput
from core.i18n import N_
from core.markup import plain

router = APIRouter(tags=["digests"], route_class=AuthenticateFirst)

ScopeParam = Annotated[
    str,
    Path(
        description="school-<id> or municipality-<id>",
        json_schema_extra={"pattern": SCOPE_PATTERN},
    ),
]
WeekParam = Annotated[
    str | None, Query(description="any day of the week, YYYY-MM-DD; default: this week")
]


def _scope(scope: str) -> Scope:
    """Exactly `school-<id>` or `municipality-<id>`, as the document's pattern says."""
    if not re.fullmatch(SCOPE_PATTERN, scope):
        raise InvalidInput(BAD_SCOPE)
    return Scope.parse(scope)


def _week(week: str | None) -> Week:
    """The week containing the day given (its Monday to Sunday), this week by default."""
    if week is None:
        return Week.current()
    try:
        day = date.fromisoformat(week)
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2100:  # the calendar the programme can have data in
        raise InvalidInput(N_("Give the week as a date: YYYY-MM-DD."))
    return Week.of(day)


PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}}}


@router.get("/digests/{scope}", responses=answers(403, 404))
async def read_digest(
    actor: CurrentActor, locale: Locale, scope: ScopeParam, week: WeekParam = None
) -> dict[str, Any]:
    """The week's figures and the week before's, and the digest as text in the caller's language."""
    digest = await build_digest(actor, _scope(scope), _week(week).start)
    return digest_to_dict(digest) | {"text": plain(render_digest(digest, locale))}


@router.get(
    "/digests/{scope}/chart.png",
    response_class=Response,
    responses=PNG | answers(403, 404),
)
async def read_digest_chart(
    actor: CurrentActor, locale: Locale, scope: ScopeParam, week: WeekParam = None
) -> Response:
    """Signals, consultations and hours over the eight weeks up to this one, as a PNG."""
    history = await digest_history(actor, _scope(scope), until=_week(week).start)
    png = await chart_png(history, locale)
    return Response(content=png, media_type="image/png")
