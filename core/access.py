"""Access policy: who may see and write what. Services call these before touching data.

Teacher or specialist: their own school. Parent: their own children. Volunteer: no student data.
School coordinator: their school. Municipality coordinator: every school of their municipality.
Programme administrator (IKVD staff, national): creates and edits municipalities, schools and
NGOs, any school's settings and holidays, and issues the first coordinator invites; sees no
student data at all (no students, plans or signals: every student and school scope below gives
them nothing); national figures reach them as reports, never as records.
A school's settings and holidays are also its own coordinators' (directly or by municipality).

What a caller is told when refused (the same over HTTP and in the bot):
- NotFound (404) when the record is outside what they may see: answered exactly as for a record
  that does not exist, so no one learns which ids exist. This is checked before the input is
  validated, so a 422 tells an outsider nothing either.
- AccessDenied (403) only when they can see the record but this action on it is not theirs: a
  parent reading their own child's records through a staff-only action, a teacher approving a
  plan of their school or asking for its digest, a colleague taking back someone else's signal,
  a coordinator registering an activity for an organisation of their municipality, a teacher
  changing their school's settings. And to anyone but the programme administrator asking for an
  administrator's action (a municipality, a new school, an NGO, the import): refused for the role
  before any id is looked up, so this 403 tells nothing about which ids exist either.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from core.catalogues import (
    MUNICIPALITY_COORDINATOR,
    PARENT,
    PROGRAMME_ADMIN,
    SCHOOL_COORDINATOR,
    SPECIALIST,
    TEACHER,
    VOLUNTEER,
)
from core.errors import AccessDenied, NotFound
from storage.models import Membership, Ngo, Person, School, SchoolClass, Student
from storage.one_of import one_of
from storage.statements import ModelStatement

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
    def only_school(self) -> int | None:
        """The school, when one school's staff is all this actor's scope (most teachers): the
        flows need not list the schools to know it; None otherwise."""
        schools = self.staff_school_ids
        if len(schools) != 1 or self.municipality_ids:
            return None
        return next(iter(schools))

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

    def coordinates(self, school: School) -> bool:
        return (
            school.id in self.coordinated_school_ids
            or school.municipality_id in self.municipality_ids
        )

    @property
    def is_coordinator(self) -> bool:
        return bool(self.coordinated_school_ids or self.municipality_ids)

    @property
    def is_programme_admin(self) -> bool:
        """National programme administration: organisations, never student data."""
        return PROGRAMME_ADMIN in self.roles


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
    return slotted_student_scope(scope_values(actor).__getitem__)


def scope_values(actor: Actor) -> dict[str, list[int]]:
    """The values `slotted_student_scope` and `slotted_school_scope` take, for this actor."""
    return {
        "children": sorted(actor.child_ids),
        "schools": sorted(actor.staff_school_ids),
        "municipalities": sorted(actor.municipality_ids),
    }


def slotted_student_scope(value: Callable[[str], Any]) -> Q:
    """The students an actor may see (`student_scope`), with its ids given by `value`: at each
    run for a query built once (`storage.statements`), or from `scope_values` at once."""
    return (
        Q(**one_of("id", value("children")))
        | Q(**one_of("school_id", value("schools")))
        | Q(**one_of("school__municipality_id", value("municipalities")))
    )


def students_on_lists(actor: Actor) -> QuerySet[Student]:
    """The students on the lists this actor may see: in their scope, not left the school."""
    return slotted_students_on_lists(scope_values(actor).__getitem__)


def slotted_students_on_lists(value: Callable[[str], Any]) -> QuerySet[Student]:
    """`students_on_lists`, with its ids given by `value` (see slotted_student_scope)."""
    return Student.filter(slotted_student_scope(value), left_at__isnull=True)


def slotted_school_scope(value: Callable[[str], Any]) -> Q:
    """The schools an actor may see (`school_scope`), with its ids given by `value`."""
    return Q(**one_of("id", value("schools"))) | Q(
        **one_of("municipality_id", value("municipalities"))
    )


def school_scope(actor: Actor) -> Q:
    """A filter on School: the schools whose staff data this actor may see."""
    return slotted_school_scope(scope_values(actor).__getitem__)


async def visible_student(actor: Actor, student_id: int) -> Student:
    """The student, if this actor may see them; NotFound otherwise, as if there were none.

    An erased student is nobody's to open or write about again (school-wide counts keep them).
    """
    student = await _VISIBLE.first(**scope_values(actor), student=student_id)
    if student is None:
        raise NotFound()
    return student


def _visible(value: Callable[[str], Any]) -> QuerySet[Student]:
    """`visible_student`'s query, with its values given by `value` (see slotted_student_scope)."""
    return Student.filter(slotted_student_scope(value), id=value("student"), erased_at__isnull=True)


_VISIBLE = ModelStatement(Student, _visible)


async def visible_school(actor: Actor, school_id: int) -> School:
    """The school, if this actor may see its staff data; NotFound otherwise."""
    school = await School.filter(school_scope(actor), id=school_id).first()
    if school is None:
        raise NotFound()
    return school


def can_work_with(actor: Actor, student: Student, municipality_id: int) -> bool:
    """Staff of the student's school, or a coordinator over it: may log and plan for them."""
    return student.school_id in actor.staff_school_ids or municipality_id in actor.municipality_ids


async def workable_student(actor: Actor, student_id: int, *, with_class: bool = False) -> Student:
    """A student this actor may log signals, sessions and plans for (not a parent's right); one
    query, their school (and with_class, their class) read with them. NotFound for a student the
    actor may not see, AccessDenied for one they may see but not work with (a parent)."""
    found = _WORKABLE_WITH_CLASS if with_class else _WORKABLE
    student = await found.first(**scope_values(actor), student=student_id)
    if student is None:
        raise NotFound()
    if not can_work_with(actor, student, student.school.municipality_id):
        raise AccessDenied()
    return student


_WORKABLE = ModelStatement(Student, lambda v: _visible(v).select_related("school"))
_WORKABLE_WITH_CLASS = ModelStatement(
    Student, lambda v: _visible(v).select_related("school", "school_class")
)


async def workable_class(actor: Actor, class_id: int) -> SchoolClass:
    """A class whose students this actor may log for, its school read with it; NotFound for
    anyone else."""
    school_class = await _WORKABLE_CLASS.first(
        schools=sorted(actor.staff_school_ids),
        municipalities=sorted(actor.municipality_ids),
        school_class=class_id,
    )
    if school_class is None:
        raise NotFound()
    return school_class


_WORKABLE_CLASS = ModelStatement(
    SchoolClass,
    lambda v: SchoolClass.filter(
        Q(**one_of("school_id", v("schools")))
        | Q(**one_of("school__municipality_id", v("municipalities"))),
        id=v("school_class"),
    ).select_related("school"),
)


async def coordinated_school(actor: Actor, school_id: int) -> School:
    """A school this actor coordinates, directly or through its municipality."""
    school = await visible_school(actor, school_id)
    if not actor.coordinates(school):
        raise AccessDenied()
    return school


def require_programme_admin(actor: Actor | None) -> None:
    """The programme administrator's actions: AccessDenied to anyone else (None: the operator).

    Refused before any record is looked up, so the answer says nothing about which ids exist.
    """
    if actor is not None and not actor.is_programme_admin:
        raise AccessDenied()


async def configurable_school(actor: Actor | None, school_id: int) -> School:
    """A school whose settings and holidays this actor may change: any for the programme
    administrator (None: the operator), their own for a coordinator; AccessDenied to its staff."""
    if actor is None or actor.is_programme_admin:
        school = await School.get_or_none(id=school_id)
        if school is None:
            raise NotFound()
        return school
    return await coordinated_school(actor, school_id)


async def coordinated_student(actor: Actor, student_id: int) -> Student:
    """A student of a school this actor coordinates; AccessDenied to others who see them."""
    student = await visible_student(actor, student_id)
    if not actor.coordinates(await School.get(id=student.school_id)):
        raise AccessDenied()
    return student


async def volunteered_ngo(actor: Actor, ngo_id: int) -> Ngo:
    """An organisation this actor volunteers for; AccessDenied to a coordinator over it."""
    if ngo_id in actor.ngo_ids and (ngo := await Ngo.get_or_none(id=ngo_id)) is not None:
        return ngo
    if actor.municipality_ids and await Ngo.exists(
        id=ngo_id, municipality_id__in=list(actor.municipality_ids)
    ):
        raise AccessDenied()
    raise NotFound()
