"""The early-warning rule for absences (EWIMS): the share of a window's lessons a student missed
unexcused. Below the caution percentage no signal, from it caution, from the high one high.

Exact at the boundaries: shares are compared as integers and Decimals, never as floats (7 of 70
lessons is 10%, not 9.999...%).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.catalogues import (
    ABSENCE_CAUTION_PERCENT,
    ABSENCE_HIGH_PERCENT,
    ABSENCE_WINDOW_DAYS,
    CAUTION,
    HIGH,
    LESSONS_PER_SCHOOL_DAY,
)
from storage.models import School

LEVEL_ORDER = {None: 0, CAUTION: 1, HIGH: 2}


@dataclass(frozen=True)
class AbsenceRules:
    """A school's absence settings, its own where it has set them, else the programme's."""

    lessons_per_day: int = LESSONS_PER_SCHOOL_DAY
    caution_percent: Decimal = Decimal(ABSENCE_CAUTION_PERCENT)
    high_percent: Decimal = Decimal(ABSENCE_HIGH_PERCENT)
    window_days: int = ABSENCE_WINDOW_DAYS

    def window_start(self, last: date) -> date:
        """The first calendar day of the window that ends on `last`."""
        return last - timedelta(days=self.window_days - 1)

    def level(self, unexcused: int, lessons: int) -> str | None:
        """caution, high, or None for `unexcused` lessons missed of `lessons` taught."""
        if lessons <= 0 or unexcused <= 0:
            return None
        percent_times_lessons = Decimal(unexcused) * 100
        if percent_times_lessons >= self.high_percent * lessons:
            return HIGH
        if percent_times_lessons >= self.caution_percent * lessons:
            return CAUTION
        return None


def rules_of(school: School) -> AbsenceRules:
    default = AbsenceRules()
    return AbsenceRules(
        lessons_per_day=school.lessons_per_day or default.lessons_per_day,
        caution_percent=(
            Decimal(school.absence_caution_percent)
            if school.absence_caution_percent is not None
            else default.caution_percent
        ),
        high_percent=(
            Decimal(school.absence_high_percent)
            if school.absence_high_percent is not None
            else default.high_percent
        ),
        window_days=school.absence_window_days or default.window_days,
    )


def rose(before: str | None, after: str | None) -> bool:
    return LEVEL_ORDER[after] > LEVEL_ORDER[before]


def share_tenths(unexcused: int, lessons: int) -> int:
    """The share in tenths of a percent, rounded down: 49 for 4.9%."""
    return unexcused * 1000 // lessons if lessons else 0
