"""Time in Europe/Riga, and the school calendar: school years and semesters."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.i18n import N_

RIGA = ZoneInfo("Europe/Riga")
OLDEST_DAYS = 366  # how far back a record may be dated


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Riga."""
    return datetime.now(RIGA).date()


def date_problem(day: date) -> str | None:
    """Why a record may not carry this date (a msgid, to translate), or None if it may."""
    if day > today():
        return N_("The date cannot be in the future.")
    if day < today() - timedelta(days=OLDEST_DAYS):
        return N_("The date is more than a year ago.")
    return None


@dataclass(frozen=True, order=True)
class Semester:
    """Semester I runs September-December, II January-August (teaching ends in May/June)."""

    school_year: int  # the calendar year the school year starts in: 2026 for 2026/27
    number: int  # 1 or 2

    @property
    def start(self) -> date:
        if self.number == 1:
            return date(self.school_year, 9, 1)
        return date(self.school_year + 1, 1, 1)

    @property
    def end(self) -> date:
        if self.number == 1:
            return date(self.school_year, 12, 31)
        return date(self.school_year + 1, 8, 31)

    @property
    def label(self) -> str:
        """E.g. 2026/27-1: the form used in the API and CLI."""
        return f"{self.school_year}/{(self.school_year + 1) % 100:02d}-{self.number}"

    def next(self) -> "Semester":
        if self.number == 1:
            return Semester(self.school_year, 2)
        return Semester(self.school_year + 1, 1)

    def months(self) -> list[int]:
        return [9, 10, 11, 12] if self.number == 1 else [1, 2, 3, 4, 5, 6]

    @classmethod
    def of(cls, day: date) -> "Semester":
        if day.month >= 9:
            return cls(day.year, 1)
        return cls(day.year - 1, 2)

    @classmethod
    def current(cls) -> "Semester":
        return cls.of(today())

    @classmethod
    def parse(cls, text: str) -> "Semester":
        """Read `2026/27-1` (or `2026-1`); raises ValueError on anything else."""
        year_part, sep, number = text.strip().partition("-")
        if not sep or number not in ("1", "2"):
            raise ValueError(text)
        start, slash, end = year_part.partition("/")
        year = int(start)
        if slash and int(end) != (year + 1) % 100:
            raise ValueError(text)
        if not 2000 <= year <= 2100:
            raise ValueError(text)
        return cls(year, int(number))


def school_days(first: date, last: date) -> int:
    """Weekdays from first to last inclusive."""
    days = 0
    day = first
    while day <= last:
        if day.weekday() < 5:
            days += 1
        day += timedelta(days=1)
    return days
