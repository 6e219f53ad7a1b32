"""Request bodies are capped: 413 before a byte is read when the declared length is over the cap,
and as soon as a streamed body passes it otherwise. (Authentication before the body is read is
deps.AuthenticateFirst's.)"""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from core.errors import DomainError
from core.i18n import N_, from_accept_language

MB = 1024 * 1024
JSON_LIMIT = 1 * MB
CSV_LIMIT = 5 * MB  # a school's roster


class TooLarge(DomainError):
    status = 413
    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(N_("The request is too large: at most {mb} MB."), mb=limit // MB)


def body_limit(headers: Headers) -> int:
    """The cap for a body of this request's content type."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return CSV_LIMIT if content_type == "text/csv" else JSON_LIMIT


def declared_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


class BodyLimit:
    """Count the body as the app reads it; past the cap, the app's answer becomes our 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = body_limit(headers)

        async def too_large() -> None:
            """The 413, built only when sent (translated and rendered: not on every request)."""
            locale = from_accept_language(headers.get("accept-language"))
            await error_response(TooLarge(limit), locale)(scope, receive, send)

        if (declared_length(headers) or 0) > limit:
            await too_large()
            return
        read = 0
        exceeded = False

        async def counted() -> Message:
            nonlocal read, exceeded
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    exceeded = True
                    raise TooLarge(limit)
            return message

        async def answer(message: Message) -> None:
            # However the app reports the failed read (FastAPI turns it into a 400), the client
            # is told 413.
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start":
                await too_large()

        await self.app(scope, counted, answer)
