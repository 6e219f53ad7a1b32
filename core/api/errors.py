"""Every failure answers JSON in the caller's language; no traceback ever reaches a client."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.errors import DomainError
from core.i18n import N_, from_accept_language, gettext

log = logging.getLogger(__name__)


def error_response(exc: DomainError, locale: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(
        {"error": exc.code, "detail": exc.text(locale)}, status_code=exc.status, headers=headers
    )


def _locale(request: Request) -> str:
    return from_accept_language(request.headers.get("accept-language"))


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

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        detail = gettext(
            N_("Something went wrong on our side. Please try again."), _locale(request)
        )
        return JSONResponse({"error": "internal", "detail": detail}, status_code=500)
