"""Read-only overviews for staff: which students in their scope are at risk this semester."""

from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.functions import Count

from core.access import Actor, students_on_lists
from core.clock import Semester
from core.errors import AccessDenied
from storage.models import Iap, RiskSignal, Student


@dataclass(frozen=True)
class StudentAtRisk:
    student_id: int
    first_name: str
    last_name: str
    class_name: str
    school_id: int
    school_name: str
    signals: int  # risk signals observed in the semester
    iap_status: str | None  # the semester's plan, None when there is none


async def students_at_risk(actor: Actor, semester: Semester) -> list[StudentAtRisk]:
    """Students in the actor's scope with a risk signal or a plan in the semester (three queries).

    Ordered by school, class and name. Only staff and coordinators may ask.
    """
    if not (actor.staff_school_ids or actor.municipality_ids):
        raise AccessDenied()
    in_scope = Subquery(students_on_lists(actor).values("id"))
    signal_rows = (
        await RiskSignal.filter(
            student_id__in=in_scope,
            observed_to__gte=semester.start,
            observed_to__lte=semester.end,
        )
        .annotate(signals=Count("id"))
        .group_by("student_id")
        .values("student_id", "signals")
    )
    plan_rows = await Iap.filter(
        student_id__in=in_scope, school_year=semester.school_year, semester=semester.number
    ).values("student_id", "status")
    signals = {row["student_id"]: row["signals"] for row in signal_rows}
    statuses = {row["student_id"]: row["status"] for row in plan_rows}
    ids = set(signals) | set(statuses)
    if not ids:
        return []
    students = (
        await Student.filter(id__in=list(ids))
        .select_related("school", "school_class")
        .order_by(
            "school__name",
            "school_class__grade",
            "school_class__name",
            "last_name",
            "first_name",
            "id",
        )
    )
    return [
        StudentAtRisk(
            student_id=s.id,
            first_name=s.first_name,
            last_name=s.last_name,
            class_name=s.school_class.name,
            school_id=s.school_id,
            school_name=s.school.name,
            signals=signals.get(s.id, 0),
            iap_status=statuses.get(s.id),
        )
        for s in students
    ]
