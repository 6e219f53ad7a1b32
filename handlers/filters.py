"""Who may use a handler (filters on the person's roles), and what was typed."""

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from core.access import Actor
from core.catalogues import (
    MUNICIPALITY_COORDINATOR,
    PARENT,
    SCHOOL_COORDINATOR,
    SPECIALIST,
    TEACHER,
    VOLUNTEER,
)

STAFF = (TEACHER, SPECIALIST, SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR)
COORDINATORS = (SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR)
TYPED_TEXT = F.text & ~F.text.startswith("/")  # text typed as an answer, not a command


class HasRole(Filter):
    """Passes when the person holds any of the roles."""

    def __init__(self, *roles: str) -> None:
        self.roles = set(roles)

    def allows(self, actor: Actor) -> bool:
        return bool(actor.roles & self.roles)

    async def __call__(self, event: TelegramObject, actor: Actor | None = None) -> bool:
        return actor is not None and self.allows(actor)


IsStaff = HasRole(*STAFF)
IsParent = HasRole(PARENT)
IsVolunteer = HasRole(VOLUNTEER)
IsCoordinator = HasRole(*COORDINATORS)
