"""A small fictional world for tests: two municipalities, four schools, people in every role."""

from dataclasses import dataclass

from core.access import Actor, load_actor
from storage.models import Membership, Municipality, Ngo, Person, School, SchoolClass, Student


@dataclass
class World:
    m1: Municipality
    m2: Municipality
    school_a: School
    school_b: School
    school_c: School
    school_v: School  # a state vocational school: no municipality approval
    class_a7: SchoolClass
    class_a8: SchoolClass
    class_b7: SchoolClass
    student_a1: Student
    student_a2: Student
    student_a3: Student
    student_b1: Student
    student_c1: Student
    student_v1: Student
    ngo: Ngo
    teacher_a: Actor
    psychologist_a: Actor
    teacher_b: Actor
    coordinator_a: Actor
    coordinator_v: Actor
    coordinator_m1: Actor
    coordinator_m2: Actor
    parent_a1: Actor
    volunteer: Actor
    outsider: Actor
    admin: Actor  # the programme administrator: organisations, no student data


async def _person(name: str, telegram_id: int, *roles: dict) -> Actor:
    person = await Person.create(display_name=name, telegram_id=telegram_id)
    for role in roles:
        await Membership.create(person_id=person.id, **role)
    return await load_actor(person.id)


async def build_world() -> World:
    m1 = await Municipality.create(name="Ezerkalnes novads")
    m2 = await Municipality.create(name="Priedaines novads")
    school_a = await School.create(name="Ezerkalnes vidusskola", kind="general", municipality=m1)
    school_b = await School.create(name="Liepu pamatskola", kind="general", municipality=m1)
    school_c = await School.create(name="Priedaines vidusskola", kind="general", municipality=m2)
    school_v = await School.create(
        name="Ezerkalnes tehnikums", kind="vocational", state_vocational=True, municipality=m1
    )
    class_a7 = await SchoolClass.create(school=school_a, grade=7, name="7.a")
    class_a8 = await SchoolClass.create(school=school_a, grade=8, name="8.b")
    class_b7 = await SchoolClass.create(school=school_b, grade=7, name="7.a")
    class_c9 = await SchoolClass.create(school=school_c, grade=9, name="9.a")
    class_v1 = await SchoolClass.create(school=school_v, grade=1, name="1.k")

    async def student(school_class: SchoolClass, first: str, last: str) -> Student:
        return await Student.create(
            school_id=school_class.school_id,
            school_class=school_class,
            first_name=first,
            last_name=last,
        )

    student_a1 = await student(class_a7, "Anna", "Kalnina")
    student_a2 = await student(class_a7, "Janis", "Ozols")
    student_a3 = await student(class_a8, "Marta", "Liepa")
    student_b1 = await student(class_b7, "Peteris", "Berzs")
    student_c1 = await student(class_c9, "Ilze", "Egle")
    student_v1 = await student(class_v1, "Rihards", "Vitols")
    ngo = await Ngo.create(name="Jauniesu klubs Tilts", municipality=m1)

    return World(
        m1=m1,
        m2=m2,
        school_a=school_a,
        school_b=school_b,
        school_c=school_c,
        school_v=school_v,
        class_a7=class_a7,
        class_a8=class_a8,
        class_b7=class_b7,
        student_a1=student_a1,
        student_a2=student_a2,
        student_a3=student_a3,
        student_b1=student_b1,
        student_c1=student_c1,
        student_v1=student_v1,
        ngo=ngo,
        teacher_a=await _person(
            "Teacher A", 101, {"role": "teacher", "specialty": "teacher", "school": school_a}
        ),
        psychologist_a=await _person(
            "Psychologist A",
            102,
            {"role": "specialist", "specialty": "psychologist", "school": school_a},
        ),
        teacher_b=await _person(
            "Teacher B", 103, {"role": "teacher", "specialty": "teacher", "school": school_b}
        ),
        coordinator_a=await _person(
            "Coordinator A", 104, {"role": "school_coordinator", "school": school_a}
        ),
        coordinator_v=await _person(
            "Coordinator V", 105, {"role": "school_coordinator", "school": school_v}
        ),
        coordinator_m1=await _person(
            "Coordinator M1", 106, {"role": "municipality_coordinator", "municipality": m1}
        ),
        coordinator_m2=await _person(
            "Coordinator M2", 107, {"role": "municipality_coordinator", "municipality": m2}
        ),
        parent_a1=await _person("Parent A1", 108, {"role": "parent", "student": student_a1}),
        volunteer=await _person("Volunteer", 109, {"role": "volunteer", "ngo": ngo}),
        outsider=await _person("Outsider", 110),
        admin=await _person("Programme Admin", 111, {"role": "programme_admin"}),
    )


async def teacher_at(school: School, name: str, telegram_id: int) -> Actor:
    """One more teacher, e.g. a second pair of hands where the world has only a coordinator."""
    return await _person(
        name, telegram_id, {"role": "teacher", "specialty": "teacher", "school": school}
    )


async def submitted_plan(student: Student, preparer: Actor, consent_by: Actor | None = None):
    """A plan sent for approval by its preparer: a signal, two consultations, paper consent."""
    from core.clock import today
    from core.services import iaps, signals

    await signals.record_risk_signal(preparer, student.id, "low_achievement")
    iap = await iaps.open_iap(preparer, student.id)
    for specialist in ("psychologist", "social_pedagogue"):
        await iaps.add_measure(
            preparer,
            iap.id,
            kind="consultation",
            specialist_type=specialist,
            planned_quantity=4,
            risk_factors=["low_achievement"],
        )
    await iaps.record_consent(
        consent_by or preparer, iap.id, given=True, method="paper", signed_on=today()
    )
    return await iaps.submit_for_approval(preparer, iap.id)
