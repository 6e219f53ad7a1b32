"""Translations in the bot: the person's stored language, else their Telegram language."""

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from core.i18n import DEFAULT_LOCALE, DOMAIN, LOCALES_DIR, supported


def create_i18n() -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=DEFAULT_LOCALE, domain=DOMAIN)


class PersonI18nMiddleware(I18nMiddleware):
    """A known person speaks the language they chose; a newcomer the one their Telegram uses."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        actor = data.get("actor")
        if actor is not None:
            return supported(actor.locale)
        user: User | None = data.get("event_from_user")
        return supported(user.language_code if user else None)
