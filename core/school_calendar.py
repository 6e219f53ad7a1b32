"""Which days a school teaches: weekdays, minus Latvia's public holidays, the national school
calendar's breaks and the school's own holidays.

The national breaks are set each year by the Cabinet ("Noteikumi par 20XX./20YY. macibu gada un
macibu semestru sakuma un beigu laiku un brivdienu laiku"). The years the Cabinet has set are in
NATIONAL_BREAKS; any other school year follows the rule the past years kept (see `ruled_breaks`).
Summer is the break of grades 1-8 and 10-11 (grades 9 and 12 sit exams in June: a school that
wants them counted gives its own dates as SchoolHoliday rows instead). Public holidays come from
the maintained `holidays` library (holidays.LV), not a hand-typed list. A Saturday made a working
day by a transferred day off is still not a school day.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from storage.models import SchoolHoliday
from storage.one_of import one_of
from storage.statements import Statement

Span = tuple[date, date]  # first and last day, inclusive

# Autumn, winter, spring and summer breaks as the Cabinet set them, by the calendar year the
# school year starts in. Sources: the Cabinet's regulations for 2024/25 (adopted 2023) and
# 2025/26 (adopted 17 December 2024), as published on likumi.lv and announced by the ministry;
# 2026/27 as the Cabinet approved it on 16 December 2025 (reported by LETA on 23 December and by
# jauns.lv on 16 December 2025, the same four breaks; spring a week earlier than the rule below
# gives); the regulation's number on likumi.lv is still to add.
NATIONAL_BREAKS: dict[int, tuple[Span, ...]] = {
    2024: (
        (date(2024, 10, 21), date(2024, 10, 25)),
        (date(2024, 12, 23), date(2025, 1, 3)),
        (date(2025, 3, 10), date(2025, 3, 14)),
        (date(2025, 5, 31), date(2025, 8, 31)),
    ),
    2025: (
        (date(2025, 10, 20), date(2025, 10, 24)),
        (date(2025, 12, 22), date(2026, 1, 2)),
        (date(2026, 3, 9), date(2026, 3, 13)),
        (date(2026, 6, 1), date(2026, 8, 31)),
    ),
    2026: (
        (date(2026, 10, 19), date(2026, 10, 23)),
        (date(2026, 12, 21), date(2027, 1, 1)),
        (date(2027, 3, 8), date(2027, 3, 12)),
        (date(2027, 6, 1), date(2027, 8, 31)),
    ),
}


def _iso_week(year: int, week: int) -> Span:
    """Monday to Friday of an ISO week."""
    monday = date.fromisocalendar(year, week, 1)
    return monday, monday + timedelta(days=4)


def ruled_breaks(school_year: int) -> tuple[Span, ...]:
    """A year the table lacks: the rule the Cabinet's calendars of 2020-2025 kept.

    Autumn: ISO week 43. Winter: two weeks from the first Monday on or after 21 December.
    Spring: ISO week 11. Summer: 1 June to 31 August.
    """
    winter_start = date(school_year, 12, 21)
    winter_start += timedelta(days=-winter_start.weekday() % 7)
    return (
        _iso_week(school_year, 43),
        (winter_start, winter_start + timedelta(days=11)),
        _iso_week(school_year + 1, 11),
        (date(school_year + 1, 6, 1), date(school_year + 1, 8, 31)),
    )


def national_breaks(school_year: int) -> tuple[Span, ...]:
    return NATIONAL_BREAKS.get(school_year) or ruled_breaks(school_year)


def _days(span: Span, first: date, last: date) -> Iterable[date]:
    """The days of `span` that fall between first and last."""
    day = max(span[0], first)
    while day <= min(span[1], last):
        yield day
        day += timedelta(days=1)


@lru_cache(maxsize=256)
def national_days_off(first: date, last: date) -> frozenset[date]:
    """Weekdays between first and last on which no school in Latvia teaches.

    Kept (the same spans are asked for all day, and working them out takes over a millisecond)."""
    years = range(first.year, last.year + 1)
    national = holidays.LV(years=years)  # type: ignore[no-untyped-call]  # holidays is untyped
    closed: set[date] = set(day for day in national if first <= day <= last)
    for school_year in range(first.year - 1, last.year + 1):
        for span in national_breaks(school_year):
            closed.update(_days(span, first, last))
    return frozenset(day for day in closed if day.weekday() < 5)


@dataclass(frozen=True)
class SchoolCalendar:
    """One school's teaching days within a known span of dates."""

    first: date
    last: date
    closed: frozenset[date]  # weekdays the school does not teach, national and its own

    def teaches(self, day: date) -> bool:
        if not self.first <= day <= self.last:
            raise ValueError(f"{day} is outside {self.first}..{self.last}")
        return day.weekday() < 5 and day not in self.closed

    def school_days(self, first: date, last: date) -> int:
        """How many days from first to last inclusive the school teaches."""
        count = 0
        day = first
        while day <= last:
            count += self.teaches(day)
            day += timedelta(days=1)
        return count


async def calendars(
    school_ids: Iterable[int], first: date, last: date
) -> dict[int, SchoolCalendar]:
    """Each school's calendar from first to last, in one query however many schools (built
    once a process: every class tap and every Save asks)."""
    ids = sorted(set(school_ids))
    national = national_days_off(first, last)
    own: dict[int, set[date]] = {school_id: set() for school_id in ids}
    if ids:
        for row in await _HOLIDAYS.rows(schools=ids, first=first, last=last):
            own[row["school_id"]].update(_days((row["first_day"], row["last_day"]), first, last))
    return {
        school_id: SchoolCalendar(first, last, national | frozenset(own[school_id]))
        for school_id in ids
    }


_HOLIDAYS = Statement(
    SchoolHoliday,
    lambda v: SchoolHoliday.filter(
        **one_of("school_id", v("schools")), first_day__lte=v("last"), last_day__gte=v("first")
    ).values("school_id", "first_day", "last_day"),
)


async def school_calendar(school_id: int, first: date, last: date) -> SchoolCalendar:
    return (await calendars([school_id], first, last))[school_id]
