"""Request dependencies: the caller's language and identity, the semester asked for."""

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute

from api.codes import SEMESTER_PATTERN, SemesterLabel
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


async def authenticate(authorization: str | None) -> Actor:
    """The actor behind an `Authorization: Bearer <token>` header; Unauthenticated otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(N_("Sign in with a bearer token."))
    actor = await actor_for_token(token.strip())
    if actor is None:
        raise Unauthenticated(N_("This token is not valid."))
    return actor


async def current_actor(
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],  # for the docs
) -> Actor:
    """The caller, authenticated by AuthenticateFirst before the body was read."""
    actor = getattr(request.state, "actor", None)
    return actor or await authenticate(request.headers.get("authorization"))


class AuthenticateFirst(APIRoute):
    """A route that authenticates its caller before FastAPI reads and parses the body.

    FastAPI reads the body before it resolves dependencies, so `current_actor` alone would let
    anyone make the server read megabytes before their 401. Every router of the API uses this.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not needs_actor(self):
            return handler

        async def authenticated(request: Request) -> Response:
            request.state.actor = await authenticate(request.headers.get("authorization"))
            return await handler(request)

        return authenticated


def needs_actor(route: BaseRoute) -> bool:
    """Whether the route depends, directly or through other dependencies, on current_actor."""

    def depends(dependant: Dependant) -> bool:
        return any(d.call is current_actor or depends(d) for d in dependant.dependencies)

    return isinstance(route, APIRoute) and depends(route.dependant)


def semester_param(
    semester: Annotated[
        SemesterLabel | None, Query(description="e.g. 2026/27-1; default: now")
    ] = None,
) -> Semester:
    if semester is None:
        return Semester.current()
    try:
        if not re.fullmatch(SEMESTER_PATTERN, semester):
            raise ValueError(semester)
        return Semester.parse(semester)
    except ValueError:
        raise InvalidInput(N_("Give the semester as 2026/27-1 or 2026/27-2.")) from None


Locale = Annotated[str, Depends(request_locale)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
SemesterParam = Annotated[Semester, Depends(semester_param)]
