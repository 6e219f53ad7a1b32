"""Schools, classes and students: what a person may see (roster imports: core.services.rosters)."""

from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import audit
from core.access import (
    Actor,
    coordinated_school,
    scope_values,
    slotted_school_scope,
    slotted_students_on_lists,
    students_on_lists,
    visible_school,
)
from core.csv_import import LineProblem  # noqa: F401  (imported from here by other imports)
from core.errors import InvalidInput
from core.i18n import N_
from core.kept import kept
from core.text import clean_line, clean_name
from storage.models import School, SchoolClass, Student
from storage.statements import ModelStatement, Statement

NAME_LIMIT = 80
LIST_ORDER = ("last_name", "first_name", "id")  # a class's list, as everyone sees it
LIST_LIMIT = 500  # students a list shows at most


async def list_schools(actor: Actor) -> list[School]:
    values = scope_values(actor)
    return await _SCHOOLS.models(schools=values["schools"], municipalities=values["municipalities"])


_SCHOOLS = ModelStatement(School, lambda v: School.filter(slotted_school_scope(v)).order_by("name"))


async def list_classes(actor: Actor, school_id: int) -> list[SchoolClass]:
    """The school's classes; NotFound for a school the actor may not see (their own school,
    where staff work, needs no query to tell)."""
    if school_id not in actor.staff_school_ids:
        await visible_school(actor, school_id)
    return await _CLASSES.models(school=school_id)


_CLASSES = ModelStatement(
    SchoolClass, lambda v: SchoolClass.filter(school_id=v("school")).order_by("grade", "name")
)


async def create_class(actor: Actor, school_id: int, grade: int, name: str) -> SchoolClass:
    await coordinated_school(actor, school_id)
    name = clean_name(name)
    if not 1 <= grade <= 12 or not name or len(name) > 20:
        raise InvalidInput(N_("A class needs a grade from 1 to 12 and a short name."))
    async with in_transaction():
        school_class, created = await SchoolClass.get_or_create(
            school_id=school_id, name=name, defaults={"grade": grade}
        )
        if created:
            await audit.record(actor.id, "class.create", "school_class", school_class.id)
    return school_class


async def list_students(
    actor: Actor,
    *,
    school_id: int | None = None,
    class_id: int | None = None,
    search: str | None = None,
) -> list[Student]:
    """The students on the lists this actor may see, optionally narrowed to a school, a class or
    a name."""
    query = students_on_lists(actor)
    if school_id is not None:
        query = query.filter(school_id=school_id)
    if class_id is not None:
        query = query.filter(school_class_id=class_id)
    if search:
        for word in clean_line(search).split()[:3]:
            query = query.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return await query.order_by(*LIST_ORDER).limit(LIST_LIMIT)


@dataclass(slots=True)
class Listed:
    """A student as a class's list shows them."""

    id: int
    first_name: str
    last_name: str


async def class_list(actor: Actor, class_id: int) -> list[Listed]:
    """A class's list as `list_students(actor, class_id=...)` gives it, only the names: read
    whenever a class is tapped, it builds no models (half the time), nor its query."""
    rows = await _CLASS_LIST.rows(**scope_values(actor), school_class=class_id)
    return [Listed(row["id"], row["first_name"], row["last_name"]) for row in rows]


async def kept_class_list(actor: Actor, class_id: int, token: str) -> list[Listed]:
    """`class_list`, kept for the flow with this `token` (`core.kept`): the list a teacher ticks,
    read when the class is tapped (and again once the copy is older), not on every tap."""
    students = await kept(token, ("class", class_id), actor, lambda: class_list(actor, class_id))
    return list(students)


_CLASS_LIST = Statement(
    Student,
    lambda v: (
        slotted_students_on_lists(v)
        .filter(school_class_id=v("school_class"))
        .order_by(*LIST_ORDER)
        .limit(LIST_LIMIT)
        .values("id", "first_name", "last_name")
    ),
)


def grade_of(class_name: str) -> int:
    """The grade a class name starts with (`7.a` -> 7), or 0 when it has none in 1-12."""
    digits = ""
    for char in class_name:
        if not char.isdigit():
            break
        digits += char
    grade = int(digits) if digits else 0
    return grade if 1 <= grade <= 12 else 0
