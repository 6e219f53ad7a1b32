"""Every failure answers JSON of one shape in the caller's language; no traceback reaches a client.

The shape is `ErrorOut`, and the OpenAPI document declares it for every status a route can answer.
"""

import json
import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import DomainError
from core.i18n import N_, from_accept_language, gettext

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    field: str = Field(description="where: e.g. body.student_id, query.semester")
    problem: str


class ErrorOut(BaseModel):
    """The body of every 4xx and 5xx answer."""

    error: str = Field(description="a stable code, e.g. not_found, invalid_input, conflict")
    detail: str = Field(description="a short explanation in the language of Accept-Language")
    fields: list[FieldProblem] | None = Field(
        default=None,
        description="with invalid_input: each problem (from request validation), or where in "
        "an imported file each problem is (`line 3, column klase`)",
    )


DESCRIPTIONS = {
    400: "The body could not be read.",
    401: "No bearer token, or one that is not valid.",
    403: "The record is visible to the caller, but this action is not theirs to take.",
    404: "No such record, or one outside the caller's scope: the two answer alike.",
    409: "The record's current state does not allow this.",
    413: "The body is over its cap.",
    422: "The input is missing or invalid.",
}
# Starlette's own answers: an unreadable body, an unknown path, a wrong method, ...
HTTP_ANSWERS = {
    400: ("bad_request", N_("The request could not be read.")),
    403: ("access_denied", N_("You do not have access to this.")),
    404: ("not_found", N_("Not found.")),
    405: ("method_not_allowed", N_("This method is not allowed here.")),
    413: ("too_large", N_("The request is too large.")),
}
OTHER_HTTP_ANSWER = ("http_error", N_("This request cannot be answered."))


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the ErrorOut body."""
    return {status: {"model": ErrorOut, "description": DESCRIPTIONS[status]} for status in statuses}


def error_response(exc: DomainError, locale: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    body: dict[str, Any] = {"error": exc.code, "detail": exc.text(locale)}
    if problems := exc.field_problems(locale):
        body["fields"] = [{"field": where, "problem": problem} for where, problem in problems]
    elif where := exc.where():
        body["fields"] = [{"field": where, "problem": exc.text(locale)}]
    return JSONResponse(body, status_code=exc.status, headers=headers)


def _locale(request: Request) -> str:
    return from_accept_language(request.headers.get("accept-language"))


def allowed_methods(app: FastAPI, path: str) -> str | None:
    """Every method the OpenAPI document gives for this path, as an `Allow` header."""
    methods = {
        method.upper()
        for template, operations in app.openapi().get("paths", {}).items()
        if compile_path(template)[0].match(path)
        for method in operations
    }
    return ", ".join(sorted(methods)) or None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc, _locale(request))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(part) for part in error["loc"]), "problem": error["msg"]}
            for error in exc.errors()
        ]
        detail = gettext(N_("Some fields are missing or invalid."), _locale(request))
        return JSONResponse(
            {"error": "invalid_input", "detail": detail, "fields": problems}, status_code=422
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        """Starlette's own answers (unknown path, wrong method, unreadable body) in our shape."""
        code, message = HTTP_ANSWERS.get(exc.status_code, OTHER_HTTP_ANSWER)
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and (allowed := allowed_methods(app, request.url.path)):
            headers["Allow"] = allowed  # Starlette names only the first matching route's
        return JSONResponse(
            {"error": code, "detail": gettext(message, _locale(request))},
            status_code=exc.status_code,
            headers=headers,
        )


def document_errors(app: FastAPI) -> None:
    """Declare in the OpenAPI document, on every operation of every router, the answers its
    shape implies: 401 where a bearer token is needed, 400 and 413 where it takes a body, 422
    where it takes any input; all with the ErrorOut body. Routes declare their own 403/404/409."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for methods in document.get("paths", {}).values():
            for operation in methods.values():
                _declare(operation)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(error_schema.pop("$defs", {}))
        schemas["ErrorOut"] = error_schema
        if "#/components/schemas/HTTPValidationError" not in json.dumps(document):
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _declare(operation: dict[str, Any]) -> None:
    statuses = []
    if operation.get("security"):
        statuses.append(401)
    if "requestBody" in operation:
        statuses += [400, 413]
    if "requestBody" in operation or any(
        parameter["in"] in ("path", "query") for parameter in operation.get("parameters", [])
    ):
        statuses.append(422)
    responses = operation.setdefault("responses", {})
    if 422 not in statuses:  # FastAPI's default, on header-only input that cannot be invalid
        responses.pop("422", None)
    for status in statuses:
        responses[str(status)] = {
            "description": DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }


class UnexpectedErrors:
    """Anything unexpected answers a 500 in the shape and language of every error, and is logged
    by its type and where it happened: never its message, which may hold stored data (names).

    An ASGI middleware rather than an exception handler, so the exception ends here: Starlette
    re-raises what its handler for `Exception` handled, and the server then logs it whole.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            where = "".join(traceback.format_tb(error.__traceback__))
            log.error(
                "unhandled %s on %s %s\n%s",
                type(error).__name__,
                scope["method"],
                scope["path"],
                where,
            )
            if started:
                return  # the answer is half sent: nothing better to do than to end it
            request = Request(scope)
            detail = gettext(
                N_("Something went wrong on our side. Please try again."), _locale(request)
            )
            response = JSONResponse({"error": "internal", "detail": detail}, status_code=500)
            await response(scope, receive, send)
