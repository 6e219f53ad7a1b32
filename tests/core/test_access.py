"""Every role against every resource: who is let through, who is denied."""

from collections.abc import Awaitable
from datetime import date, timedelta
from unittest.mock import patch

import pytest

from core import clock
from core.access import (
    Actor,
    can_work_with,
    school_scope,
    student_scope,
    visible_student,
    workable_class,
    workable_student,
)
from core.clock import Semester, today
from core.csv_import import chunks_of
from core.errors import AccessDenied, Conflict, NotFound
from core.iap import assemble_for_student, assemble_school
from core.kept import new_token
from core.services import (
    activities,
    attendance,
    consultations,
    iaps,
    needs,
    people,
    rosters,
    schools,
    signals,
)
from storage.models import School, SchoolClass, Student
from storage.query_counter import count_queries

ROLES = (
    "teacher_a",
    "psychologist_a",
    "teacher_b",
    "coordinator_a",
    "coordinator_m1",
    "coordinator_m2",
    "parent_a1",
    "volunteer",
    "outsider",
)
STAFF_OVER_A1 = {"teacher_a", "psychologist_a", "coordinator_a", "coordinator_m1"}
COORDINATORS_OVER_A = {"coordinator_a", "coordinator_m1"}


async def _absences_on_a_school_day(actor, class_id: int, student_id: int):
    """Absences on a Friday in term, that day being today (today may be a holiday)."""
    friday = date(2026, 2, 27)
    with patch.object(clock, "today", lambda: friday):
        return await attendance.record_absences(actor, class_id, {student_id: 2}, friday)


def _actions(world):
    a1 = world.student_a1.id
    yesterday = today() - timedelta(days=1)
    return {
        "read student": (
            lambda actor: visible_student(actor, a1),
            STAFF_OVER_A1 | {"parent_a1"},
        ),
        "record risk signal": (
            lambda actor: signals.record_risk_signal(actor, a1, "behaviour"),
            STAFF_OVER_A1,
        ),
        "record absences": (
            lambda actor: _absences_on_a_school_day(actor, world.class_a7.id, a1),
            STAFF_OVER_A1,
        ),
        "log consultation": (
            lambda actor: consultations.log_consultation(
                actor, a1, held_on=yesterday, minutes=45, mode="remote", specialist_type="teacher"
            ),
            STAFF_OVER_A1,
        ),
        "ask parent about need": (
            lambda actor: needs.ask_parent_about_need(actor, a1, "meals"),
            STAFF_OVER_A1,
        ),
        "read needs": (lambda actor: needs.list_needs(actor, a1), STAFF_OVER_A1 | {"parent_a1"}),
        "read IAP": (
            lambda actor: assemble_for_student(actor, a1, Semester.current()),
            STAFF_OVER_A1 | {"parent_a1"},
        ),
        "open IAP": (lambda actor: iaps.open_iap(actor, a1), STAFF_OVER_A1),
        "read school IAPs": (
            lambda actor: assemble_school(actor, world.school_a.id, Semester.current()),
            STAFF_OVER_A1,
        ),
        "list school classes": (
            lambda actor: schools.list_classes(actor, world.school_a.id),
            STAFF_OVER_A1,
        ),
        "import roster": (
            lambda actor: rosters.import_roster(
                actor,
                world.school_a.id,
                chunks_of(b"student_ref,class,first_name,last_name\nR-1,7.a,Zane,Roze\n"),
                partial=True,
            ),
            COORDINATORS_OVER_A,
        ),
        "move a student": (
            lambda actor: rosters.move_student(
                actor, world.student_a3.id, world.school_b.id, class_name="8.a"
            ),
            {"coordinator_m1"},
        ),
        "invite a teacher": (
            lambda actor: people.create_invite(actor, "teacher", school_id=world.school_a.id),
            COORDINATORS_OVER_A,
        ),
        "invite a parent": (
            lambda actor: people.create_invite(actor, "parent", student_id=a1),
            COORDINATORS_OVER_A,
        ),
        "invite a school coordinator": (
            lambda actor: people.create_invite(
                actor, "school_coordinator", school_id=world.school_a.id
            ),
            {"coordinator_m1"},
        ),
        "invite a volunteer": (
            lambda actor: people.create_invite(actor, "volunteer", ngo_id=world.ngo.id),
            {"coordinator_m1"},
        ),
        "register peer activity": (
            lambda actor: activities.register_peer_activity(
                actor,
                world.ngo.id,
                title="Board games evening",
                held_on=yesterday,
                format="event",
                participants=12,
                at_risk_participants=3,
                hours=2,
            ),
            {"volunteer"},
        ),
        "list peer activities": (
            lambda actor: activities.list_peer_activities(actor),
            {"volunteer", "coordinator_m1", "coordinator_m2"},
        ),
    }


ACTIONS = (
    "read student",
    "record risk signal",
    "record absences",
    "log consultation",
    "ask parent about need",
    "read needs",
    "read IAP",
    "open IAP",
    "read school IAPs",
    "list school classes",
    "import roster",
    "move a student",
    "invite a teacher",
    "invite a parent",
    "invite a school coordinator",
    "invite a volunteer",
    "register peer activity",
    "list peer activities",
)


@pytest.mark.parametrize("action", ACTIONS)
async def test_each_role_is_let_through_or_denied(world, action):
    call, allowed = _actions(world)[action]
    outcome = {}
    for role in ROLES:
        try:
            await call(getattr(world, role))
            outcome[role] = True
        except Conflict:
            outcome[role] = True  # let through; a second write of the same thing conflicts
        except (AccessDenied, NotFound):
            outcome[role] = False
    assert {role for role, passed in outcome.items() if passed} == allowed


async def test_student_lists_hold_only_the_scope(world):
    def names(students):
        return {s.id for s in students}

    w = world
    assert names(await schools.list_students(w.teacher_a)) == {
        w.student_a1.id,
        w.student_a2.id,
        w.student_a3.id,
    }
    assert names(await schools.list_students(w.parent_a1)) == {w.student_a1.id}
    assert names(await schools.list_students(w.volunteer)) == set()
    assert names(await schools.list_students(w.outsider)) == set()
    assert names(await schools.list_students(w.coordinator_m2)) == {w.student_c1.id}
    assert w.student_c1.id not in names(await schools.list_students(w.coordinator_m1))
    assert len(await schools.list_students(w.coordinator_m1)) == 5


async def test_a_class_list_is_the_class_students_list_in_its_order(world):
    w = world
    await Student.filter(id=w.student_a2.id).update(left_at=today())  # left: on neither list
    for role in ROLES:
        actor = getattr(w, role)
        for school_class in (w.class_a7, w.class_a8, w.class_b7):
            listed = await schools.class_list(actor, school_class.id)
            students = await schools.list_students(actor, class_id=school_class.id)
            assert [(s.id, s.first_name, s.last_name) for s in listed] == [
                (s.id, s.first_name, s.last_name) for s in students
            ]
    assert [s.id for s in await schools.class_list(w.teacher_a, w.class_a7.id)] == [w.student_a1.id]


async def test_a_kept_class_list_serves_only_its_person_with_the_same_scope(world):
    w = world
    token = new_token()
    listed = await schools.kept_class_list(w.teacher_a, w.class_a7.id, token)
    assert [s.id for s in listed] == [
        s.id for s in await schools.class_list(w.teacher_a, w.class_a7.id)
    ]
    with count_queries() as again:
        assert await schools.kept_class_list(w.teacher_a, w.class_a7.id, token) == listed
    assert again.queries == 0
    no_longer_staff = Actor(w.teacher_a.person, ())  # their membership ended meanwhile
    assert await schools.kept_class_list(no_longer_staff, w.class_a7.id, token) == []
    assert await schools.kept_class_list(w.teacher_b, w.class_a7.id, token) == []


async def _outcome(call: Awaitable):
    """What a check gave, in one query: the record's ids and its related names, or the refusal."""
    with count_queries() as counted:
        try:
            found = await call
        except (AccessDenied, NotFound) as refused:
            found = type(refused)
    assert counted.queries == 1
    return found


async def test_workable_students_and_classes_are_those_of_the_scope(world):
    w = world
    erased = await Student.create(
        school_id=w.school_a.id, school_class=w.class_a7, first_name="Zane", last_name="Roze"
    )
    await Student.filter(id=erased.id).update(erased_at=clock.now())
    students = [w.student_a1, w.student_a2, w.student_b1, w.student_c1, w.student_v1, erased]
    for role in ROLES:
        actor = getattr(w, role)
        for student in students:
            expected = (
                await Student.filter(id=student.id, erased_at__isnull=True)
                .select_related("school", "school_class")
                .first()
            )
            seen = await Student.filter(student_scope(actor), id=student.id).exists()
            if expected is None or not seen:
                wanted = NotFound
            elif not can_work_with(actor, expected, expected.school.municipality_id):
                wanted = AccessDenied
            else:
                wanted = (expected.id, expected.school.name, expected.school_class.name)
            found = await _outcome(workable_student(actor, student.id, with_class=True))
            got = (
                found
                if isinstance(found, type)
                else (found.id, found.school.name, found.school_class.name)
            )
            assert got == wanted, (role, student.id)
            plain = await _outcome(workable_student(actor, student.id))
            assert (plain if isinstance(plain, type) else plain.id) == (
                wanted if isinstance(wanted, type) else wanted[0]
            )
        for school_class in await SchoolClass.all().select_related("school"):
            may = (
                school_class.school_id in actor.staff_school_ids
                or school_class.school.municipality_id in actor.municipality_ids
            )
            found = await _outcome(workable_class(actor, school_class.id))
            got = found if isinstance(found, type) else (found.id, found.school.name)
            assert got == ((school_class.id, school_class.school.name) if may else NotFound)


async def test_every_role_s_schools_are_those_of_its_scope_in_order(world):
    for role in ROLES:
        actor = getattr(world, role)
        expected = await School.filter(school_scope(actor)).order_by("name")
        listed = await _outcome(schools.list_schools(actor))
        assert [(s.id, s.name) for s in listed] == [(s.id, s.name) for s in expected], role


async def test_only_the_asked_parent_answers(world):
    need = await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    for role in ("teacher_a", "coordinator_a", "coordinator_m1"):  # they see the student
        with pytest.raises(AccessDenied):
            await needs.answer_need(getattr(world, role), need.id, confirmed=False)
    for role in ("teacher_b", "coordinator_m2", "volunteer", "outsider"):  # they do not
        with pytest.raises(NotFound):
            await needs.answer_need(getattr(world, role), need.id, confirmed=False)
    answered = await needs.answer_need(world.parent_a1, need.id, confirmed=False)
    assert answered.status == "declined"


async def test_school_lists_follow_scope(world):
    def ids(found):
        return {s.id for s in found}

    assert ids(await schools.list_schools(world.teacher_a)) == {world.school_a.id}
    assert ids(await schools.list_schools(world.coordinator_m1)) == {
        world.school_a.id,
        world.school_b.id,
        world.school_v.id,
    }
    assert ids(await schools.list_schools(world.parent_a1)) == set()
    assert ids(await schools.list_schools(world.volunteer)) == set()
    assert ids(await activities.ngo_schools(world.volunteer, world.ngo.id)) == {
        world.school_a.id,
        world.school_b.id,
        world.school_v.id,
    }
