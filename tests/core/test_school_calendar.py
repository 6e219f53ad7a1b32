"""The school calendar: weekdays, minus public holidays, national breaks and a school's own."""

from datetime import date

from core.school_calendar import calendars, national_breaks, national_days_off, ruled_breaks
from storage.models import SchoolHoliday


async def test_weekends_public_holidays_and_breaks_are_not_school_days(world):
    school = world.school_a
    calendar = (await calendars([school.id], date(2025, 10, 1), date(2026, 6, 30)))[school.id]
    assert calendar.teaches(date(2025, 10, 15))  # a Wednesday in term
    assert not calendar.teaches(date(2025, 10, 18))  # a Saturday
    assert not calendar.teaches(date(2025, 11, 18))  # Proclamation Day
    assert not calendar.teaches(date(2025, 11, 17))  # the day off moved to the Monday before
    assert not calendar.teaches(date(2025, 10, 22))  # the autumn break 2025
    assert not calendar.teaches(date(2026, 1, 2))  # the winter break
    assert calendar.teaches(date(2026, 1, 5))  # the second semester starts
    assert not calendar.teaches(date(2026, 3, 11))  # the spring break
    assert not calendar.teaches(date(2026, 6, 3))  # summer
    # October 2025: 23 weekdays, less the autumn break's five.
    assert calendar.school_days(date(2025, 10, 1), date(2025, 10, 31)) == 18


async def test_a_schools_own_holidays_count_for_it_alone(world):
    await SchoolHoliday.create(
        school=world.school_a, first_day=date(2026, 2, 9), last_day=date(2026, 2, 13)
    )
    found = await calendars(
        [world.school_a.id, world.school_b.id], date(2026, 2, 1), date(2026, 2, 28)
    )
    assert found[world.school_a.id].school_days(date(2026, 2, 1), date(2026, 2, 28)) == 15
    assert found[world.school_b.id].school_days(date(2026, 2, 1), date(2026, 2, 28)) == 20


def test_years_the_cabinet_has_not_set_follow_the_rule_of_past_years():
    # The rule reproduces the Cabinet's 2025/26 calendar.
    assert ruled_breaks(2025) == national_breaks(2025)
    autumn, winter, spring, summer = national_breaks(2027)
    assert autumn == (date(2027, 10, 25), date(2027, 10, 29))
    assert winter == (date(2027, 12, 27), date(2028, 1, 7))
    assert spring == (date(2028, 3, 13), date(2028, 3, 17))
    assert summer == (date(2028, 6, 1), date(2028, 8, 31))


def test_the_2027_spring_break_is_the_one_the_cabinet_set_not_the_rule():
    assert national_breaks(2026)[2] == (date(2027, 3, 8), date(2027, 3, 12))
    assert ruled_breaks(2026)[2] == (date(2027, 3, 15), date(2027, 3, 19))


def test_the_national_days_off_of_a_span_are_worked_out_once():
    first, last = date(2031, 11, 1), date(2031, 11, 30)  # a span no other test asks for
    before = national_days_off.cache_info()
    days = national_days_off(first, last)
    assert national_days_off(first, last) is days
    after = national_days_off.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert date(2031, 11, 18) in days  # Proclamation Day, a Tuesday
