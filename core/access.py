"""Access policy: who may see and write what. Services call these before touching data.

Teacher or specialist: their own school. Parent: their own children. Volunteer: no student data.
School coordinator: their school. Municipality coordinator: every school of their municipality.
"""

from dataclasses import dataclass, field

from tortoise.expressions import Q

from core.catalogues import (
    MUNICIPALITY_COORDINATOR,
    PARENT,
    SCHOOL_COORDINATOR,
    SPECIALIST,
    TEACHER,
    VOLUNTEER,
)
from core.errors import AccessDenied, NotFound
from storage.models import Membership, Person, School, Student

STAFF_ROLES = (TEACHER, SPECIALIST, SCHOOL_COORDINATOR)


@dataclass(frozen=True)
class Actor:
    """A person with their memberships loaded: what every access decision is made from."""

    person: Person
    memberships: tuple[Membership, ...] = field(default=())

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def locale(self) -> str:
        return self.person.locale

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.memberships}

    def school_ids(self, *roles: str) -> set[int]:
        return {m.school_id for m in self.memberships if m.role in roles and m.school_id}

    @property
    def staff_school_ids(self) -> set[int]:
        return self.school_ids(*STAFF_ROLES)

    @property
    def coordinated_school_ids(self) -> set[int]:
        return self.school_ids(SCHOOL_COORDINATOR)

    @property
    def municipality_ids(self) -> set[int]:
        return {
            m.municipality_id
            for m in self.memberships
            if m.role == MUNICIPALITY_COORDINATOR and m.municipality_id
        }

    @property
    def child_ids(self) -> set[int]:
        return {m.student_id for m in self.memberships if m.role == PARENT and m.student_id}

    @property
    def ngo_ids(self) -> set[int]:
        return {m.ngo_id for m in self.memberships if m.role == VOLUNTEER and m.ngo_id}

    @property
    def specialty(self) -> str | None:
        """The actor's own specialist type, the default when they log a consultation."""
        for m in self.memberships:
            if m.role in (TEACHER, SPECIALIST) and m.specialty:
                return m.specialty
        return None

    @property
    def is_coordinator(self) -> bool:
        return bool(self.coordinated_school_ids or self.municipality_ids)


async def load_actor(person_id: int) -> Actor:
    person = await Person.get_or_none(id=person_id)
    if person is None:
        raise NotFound()
    return await actor_of(person)


async def actor_of(person: Person) -> Actor:
    """The person, already loaded, with their memberships."""
    return Actor(person, tuple(await Membership.filter(person_id=person.id)))


def student_scope(actor: Actor) -> Q:
    """A filter on Student: the students this actor may see (none for a volunteer)."""
    scope = Q(id__in=list(actor.child_ids)) if actor.child_ids else Q(id=-1)
    if actor.staff_school_ids:
        scope |= Q(school_id__in=list(actor.staff_school_ids))
    if actor.municipality_ids:
        scope |= Q(school__municipality_id__in=list(actor.municipality_ids))
    return scope


def school_scope(actor: Actor) -> Q:
    """A filter on School: the schools whose staff data this actor may see."""
    scope = Q(id__in=list(actor.staff_school_ids)) if actor.staff_school_ids else Q(id=-1)
    if actor.municipality_ids:
        scope |= Q(municipality_id__in=list(actor.municipality_ids))
    return scope


async def visible_student(actor: Actor, student_id: int) -> Student:
    """The student, if this actor may see them; AccessDenied or NotFound otherwise."""
    student = await Student.filter(student_scope(actor), id=student_id).first()
    if student is not None:
        return student
    if await Student.exists(id=student_id):
        raise AccessDenied()
    raise NotFound()


async def visible_school(actor: Actor, school_id: int) -> School:
    school = await School.filter(school_scope(actor), id=school_id).first()
    if school is not None:
        return school
    if await School.exists(id=school_id):
        raise AccessDenied()
    raise NotFound()


def can_work_with(actor: Actor, student: Student, municipality_id: int) -> bool:
    """Staff of the student's school, or a coordinator over it: may log and plan for them."""
    return student.school_id in actor.staff_school_ids or municipality_id in actor.municipality_ids


async def workable_student(actor: Actor, student_id: int) -> Student:
    """A student this actor may log signals, sessions and plans for (not a parent's right)."""
    student = await visible_student(actor, student_id)
    school = await School.get(id=student.school_id)
    if not can_work_with(actor, student, school.municipality_id):
        raise AccessDenied()
    return student


async def coordinated_school(actor: Actor, school_id: int) -> School:
    """A school this actor coordinates, directly or through its municipality."""
    school = await School.get_or_none(id=school_id)
    if school is None:
        raise NotFound()
    if (
        school.id in actor.coordinated_school_ids
        or school.municipality_id in actor.municipality_ids
    ):
        return school
    raise AccessDenied()
