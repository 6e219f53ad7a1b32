"""Gettext for the core: the same catalogues in locales/ that the bot uses, without aiogram."""

from functools import cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "lv"
LOCALES = ("lv", "ru", "uk", "en")
BUTTON = "button"  # the gettext context of button labels: short enough for a phone's width
BUTTON_LIMIT = 24  # characters a button label may have in any language


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the reader's locale is known."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(LOCALES_DIR, [locale], DOMAIN)


def gettext(message: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    text = translations(supported(locale)).gettext(message)
    return text.format(**params) if params else text


def pgettext(context: str, message: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """A message with a context (BUTTON: its short form on a button), in the reader's language."""
    text = str(translations(supported(locale)).pgettext(context, message))
    return text.format(**params) if params else text


def ngettext(
    singular: str, plural: str, n: int, locale: str = DEFAULT_LOCALE, **params: object
) -> str:
    text = translations(supported(locale)).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def supported(locale: str | None) -> str:
    """The locale itself when we speak it (by language), else Latvian."""
    if not locale:
        return DEFAULT_LOCALE
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


def from_accept_language(header: str | None) -> str:
    """Pick our locale from an HTTP Accept-Language header, Latvian when nothing fits."""
    if not header:
        return DEFAULT_LOCALE
    preferred = []
    for part in header.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag:
            preferred.append((weight, tag.strip()))
    ranked = [tag.replace("-", "_") for _, tag in sorted(preferred, key=lambda p: -p[0])]
    ranked += [tag.split("_")[0] for tag in ranked]
    return negotiate_locale(ranked, LOCALES, sep="_") or DEFAULT_LOCALE


def babel_locale(locale: str) -> Locale:
    return Locale.parse(supported(locale))
