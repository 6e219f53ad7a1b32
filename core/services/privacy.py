"""Privacy: who read a student's data, a copy of everything held (right of access), and erasure
with retention (right to erasure) that keeps the programme's statistics true.
"""

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from core import audit
from core.access import Actor
from core.errors import NotFound
from storage.models import AuditEvent, Student

ACCESS_LOG_LIMIT = 500


async def coordinated_student(actor: Actor, student_id: int) -> Student:
    """A student of a school this actor coordinates (directly or through the municipality).

    Anyone else is answered as if the student did not exist.
    """
    student = await Student.get_or_none(id=student_id).select_related("school")
    if student is None or not (
        student.school_id in actor.coordinated_school_ids
        or student.school.municipality_id in actor.municipality_ids
    ):
        raise NotFound()
    return student


@dataclass(frozen=True)
class AccessLine:
    at: datetime
    person_id: int | None  # None: the operator at the command line
    person_name: str | None
    what: str  # plan, risk_signals, consultations, support_needs, student, export; plans
    scope: str  # student, or school: a school-wide list the student may have been on


async def access_log(actor: Actor, student_id: int) -> list[AccessLine]:
    """Who read the student's data and when, newest first (the latest 500)."""
    student = await coordinated_student(actor, student_id)
    rows = (
        await AuditEvent.filter(
            Q(entity="student", entity_id=student.id)
            | Q(entity="school", entity_id=student.school_id),
            action__startswith=audit.READ,
        )
        .order_by("-at", "-id")
        .limit(ACCESS_LOG_LIMIT)
        .values("at", "person_id", "person__display_name", "action", "entity")
    )
    return [
        AccessLine(
            at=row["at"],
            person_id=row["person_id"],
            person_name=row["person__display_name"],
            what=row["action"].removeprefix(audit.READ),
            scope=row["entity"],
        )
        for row in rows
    ]
