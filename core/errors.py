"""Domain errors: a denied or invalid call raises one of these, carrying a translatable message."""

from core.i18n import N_, gettext


class DomainError(Exception):
    """Base of every expected failure; `message` is a gettext msgid with {named} placeholders."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, locale: str) -> str:
        return gettext(self.message, locale, **self.params)

    def where(self) -> str | None:
        """Where in the input the problem is (`line 3, column klase`), when it is one place."""
        return None

    def field_problems(self, locale: str) -> list[tuple[str, str]]:
        """Where the input is wrong, each place with its problem (e.g. a file's lines)."""
        return []


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = N_("Not found."), **params: object) -> None:
        super().__init__(message, **params)


class AccessDenied(DomainError):
    status = 403
    code = "access_denied"

    def __init__(
        self, message: str = N_("You do not have access to this."), **params: object
    ) -> None:
        super().__init__(message, **params)


class Conflict(DomainError):
    status = 409
    code = "conflict"
