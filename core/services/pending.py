"""Read queries for coordinators and volunteers: what waits for them, whom they may invite."""

from typing import Any

from tortoise.expressions import Q

from core.access import Actor, coordinated_student
from core.catalogues import PARENT, SCHOOL_COORDINATOR, SPECIALIST, TEACHER, VOLUNTEER
from core.errors import InvalidInput, NotFound
from core.i18n import N_
from core.services.iaps import iaps_waiting_for
from core.services.schools import NAME_LIMIT, list_schools, list_students
from core.text import clean_line
from storage.models import Iap, Ngo, PeerActivity, School, Student, SupportNeed

OWN_ACTIVITIES_LIMIT = 50
SEARCH_LIMIT = 2 * NAME_LIMIT + 1  # a first and a last name


def _coordinated_scope(actor: Actor, prefix: str = "") -> Q:
    """A filter on School (or, with a prefix like `student__school__`, on what belongs to one)."""
    schools: dict[str, Any] = {f"{prefix}id__in": list(actor.coordinated_school_ids) or [-1]}
    municipalities: dict[str, Any] = {
        f"{prefix}municipality_id__in": list(actor.municipality_ids) or [-1]
    }
    return Q(**schools) | Q(**municipalities)


def invitable_roles(actor: Actor) -> list[str]:
    """Roles this actor may invite: staff and parents of their schools; municipality coordinators
    also school coordinators and volunteers of their municipality."""
    roles = [TEACHER, SPECIALIST, PARENT] if actor.is_coordinator else []
    if actor.municipality_ids:
        roles += [SCHOOL_COORDINATOR, VOLUNTEER]
    return roles


async def coordinated_schools(actor: Actor) -> list[School]:
    """Schools this actor coordinates, directly or through their municipality."""
    if not actor.is_coordinator:
        return []
    return await School.filter(_coordinated_scope(actor)).order_by("name")


async def municipality_schools(actor: Actor) -> list[School]:
    """Schools of the municipalities this actor coordinates."""
    return await School.filter(municipality_id__in=list(actor.municipality_ids) or [-1]).order_by(
        "name"
    )


async def municipality_ngos(actor: Actor) -> list[Ngo]:
    """Youth NGOs of the municipalities this actor coordinates."""
    return await Ngo.filter(municipality_id__in=list(actor.municipality_ids) or [-1]).order_by(
        "name"
    )


async def volunteer_ngos(actor: Actor) -> list[Ngo]:
    """The NGOs this actor volunteers for, with their municipality."""
    return (
        await Ngo.filter(id__in=list(actor.ngo_ids) or [-1])
        .select_related("municipality")
        .order_by("name")
    )


async def own_activities(actor: Actor) -> list[PeerActivity]:
    """The peer activities this actor registered, newest first."""
    return (
        await PeerActivity.filter(volunteer_id=actor.id)
        .order_by("-held_on", "-id")
        .limit(OWN_ACTIVITIES_LIMIT)
    )


async def waiting_plans(actor: Actor) -> list[Iap]:
    """Plans waiting for this actor's signature, with student, class, school and preparer."""
    plans = await iaps_waiting_for(actor)
    if plans:
        await Student.fetch_for_list([plan.student for plan in plans], "school_class")
        await Iap.fetch_for_list(plans, "preparer")
    return plans


async def needs_awaiting_parents(actor: Actor) -> list[SupportNeed]:
    """Support needs in this actor's coordinated schools still waiting for a parent's answer."""
    if not actor.is_coordinator:
        return []
    return (
        await SupportNeed.filter(_coordinated_scope(actor, "student__school__"), status="asked")
        .select_related("student__school", "student__school_class")
        .order_by("created_at", "id")
    )


async def coordinated_iap(actor: Actor, iap_id: int) -> Iap:
    """A plan of a student in a school this actor coordinates, with the student loaded."""
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None:
        raise NotFound()
    iap.student = await coordinated_student(actor, iap.student_id)
    return iap


async def find_students(actor: Actor, search: str) -> list[Student]:
    """Students of the schools the actor works with whose name holds the typed words.

    With their class and school; a person's own child at another school is not among them.
    InvalidInput when nothing, or more than a full name, is typed.
    """
    words = clean_line(search)
    if not words or len(words) > SEARCH_LIMIT:
        raise InvalidInput(N_("Type part of the student's name."))
    schools = {school.id for school in await list_schools(actor)}
    students = [s for s in await list_students(actor, search=words) if s.school_id in schools]
    if students:
        await Student.fetch_for_list(students, "school_class", "school")
    return students
