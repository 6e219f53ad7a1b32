"""Lessons students missed over a span of days, summed from the attendance: the one query the
absence levels, a risk signal's suggested level and the plans' risk summary share."""

from datetime import date
from typing import NamedTuple

from tortoise.functions import Sum

from storage.models import Absence
from storage.one_of import one_of
from storage.statements import Statement


class Missed(NamedTuple):
    unexcused: int
    excused: int


NONE_MISSED = Missed(0, 0)


async def missed_lessons(student_ids: list[int], first: date, last: date) -> dict[int, Missed]:
    """Each student's lessons missed from first to last inclusive (one query; a student with no
    absence recorded in the span is left out)."""
    rows = await _MISSED.rows(students=student_ids, first=first, last=last)
    return {
        row["student_id"]: Missed(int(row["unexcused_sum"] or 0), int(row["excused_sum"] or 0))
        for row in rows
    }


_MISSED = Statement(
    Absence,
    lambda v: (
        Absence.filter(
            **one_of("student_id", v("students")), day__gte=v("first"), day__lte=v("last")
        )
        .annotate(unexcused_sum=Sum("unexcused"), excused_sum=Sum("excused"))
        .group_by("student_id")
        .values("student_id", "unexcused_sum", "excused_sum")
    ),
)
