"""Numbers and dates in the reader's locale (Latvian: `01.09.2026.`, `2026. gada 1. septembris`)."""

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_datetime, get_month_names
from babel.numbers import format_decimal

from core.clock import RIGA, Semester
from core.i18n import gettext, supported

SHORT_DATE = {"lv": "dd.MM.yyyy.", "ru": "dd.MM.yyyy", "uk": "dd.MM.yyyy", "en": "dd/MM/yyyy"}


def hours_of(minutes: int) -> Decimal:
    """Minutes as hours to the hundredth (a plan's and a digest's hours of support)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


@lru_cache(maxsize=4096)
def short_date(day: date, locale: str) -> str:
    """Kept: the everyday flows write the same few days several times a step (4 us each)."""
    locale = supported(locale)
    return format_date(day, SHORT_DATE[locale], locale=locale)


def date_range(first: date, last: date, locale: str) -> str:
    """`01.10.2026. – 15.10.2026.`; a single day once: `15.10.2026.`."""
    if first == last:
        return short_date(first, locale)
    return f"{short_date(first, locale)} – {short_date(last, locale)}"


def month_name(month: int, locale: str) -> str:
    """A month (1-12) as a reader names it on its own: `septembris`, `сентябрь`."""
    return str(get_month_names("wide", context="stand-alone", locale=supported(locale))[month])


def month_names(months: list[int], locale: str) -> str:
    """E.g. `septembris, oktobris`: months as a reader names them."""
    return ", ".join(month_name(month, locale) for month in months)


def long_date(day: date, locale: str) -> str:
    return format_date(day, "long", locale=supported(locale))


def date_time(moment: datetime, locale: str) -> str:
    """A moment as Riga's wall clock, 24-hour."""
    locale = supported(locale)
    return format_datetime(moment, f"{SHORT_DATE[locale]} HH:mm", tzinfo=RIGA, locale=locale)


def number(value: int | float | Decimal, locale: str) -> str:
    return format_decimal(value, format="#,##0.##", locale=supported(locale))


def semester_text(semester: Semester, locale: str) -> str:
    """E.g. `2026/2027, semester I` in the reader's words."""
    return gettext(
        "{year}/{next_year}, semester {number}",
        locale,
        year=semester.school_year,
        next_year=semester.school_year + 1,
        number="I" if semester.number == 1 else "II",
    )
