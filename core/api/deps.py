"""Request dependencies: the caller's language and identity, the semester asked for."""

from typing import Annotated

from fastapi import Depends, Header, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.access import Actor
from core.clock import Semester
from core.errors import DomainError, InvalidInput
from core.i18n import N_, from_accept_language
from core.services.people import actor_for_token

bearer = HTTPBearer(auto_error=False, description="A token from `pumpurs token create`.")


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


def request_locale(accept_language: Annotated[str | None, Header()] = None) -> str:
    return from_accept_language(accept_language)


async def current_actor(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None:
        raise Unauthenticated(N_("Sign in with a bearer token."))
    actor = await actor_for_token(credentials.credentials)
    if actor is None:
        raise Unauthenticated(N_("This token is not valid."))
    return actor


def semester_param(
    semester: Annotated[str | None, Query(description="e.g. 2026/27-1; default: now")] = None,
) -> Semester:
    if semester is None:
        return Semester.current()
    try:
        return Semester.parse(semester)
    except ValueError:
        raise InvalidInput(N_("Give the semester as 2026/27-1 or 2026/27-2.")) from None


Locale = Annotated[str, Depends(request_locale)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
SemesterParam = Annotated[Semester, Depends(semester_param)]
