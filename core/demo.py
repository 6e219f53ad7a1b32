"""Demo data: a fictional municipality, its schools and people, and a term of records.

Everything after the roster is written through the core services, so the rules and the audit
trail apply as they would for real users. Names are invented and spelled without diacritics;
notes, topics and titles are plain Latvian.
"""

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from typing import Any

from tortoise.transactions import in_transaction

from core.access import Actor, load_actor
from core.catalogues import (
    ABSENCES,
    HIGH,
    MUNICIPALITY_COORDINATOR,
    PAPER,
    PARENT,
    RISK_FACTORS,
    SCHOOL_COORDINATOR,
    SPECIALIST,
    TEACHER,
    TRANSPORT_TICKETS,
    VOLUNTEER,
)
from core.clock import Semester, today
from core.school_calendar import calendars
from core.services import activities, attendance, consultations, iaps, needs, outcomes, signals
from core.services.absence_levels import recompute_levels
from storage.models import (
    Consultation,
    Iap,
    Membership,
    Municipality,
    Ngo,
    PeerActivity,
    Person,
    RiskSignal,
    School,
    SchoolClass,
    Student,
)

SEED = 2017  # the programme's first year
STUDENTS_PER_CLASS = 10
CLASSES = {
    "general": ((7, "7.a"), (8, "8.b"), (9, "9.a"), (11, "11.a")),
    "vocational": ((1, "1.k"), (2, "2.m")),
}
AT_RISK = {"general": 9, "vocational": 5}  # besides the example student
# Plan stages, given in turn to each school's students at risk (the example student first).
PLAN_STAGES = {
    "general": (
        "in_progress",
        "in_progress",
        "school_signed",  # waiting for the municipality
        "in_approval",
        "consented",
        "paused",
        "under_review",
    ),
    "vocational": ("approved", "in_progress", "draft"),
}
STAGES = (
    "draft",
    "consented",
    "in_approval",
    "school_signed",
    "approved",
    "in_progress",
    "paused",  # the last two branch off "in_progress"
    "under_review",
)
SESSION_STAGES = ("approved", "in_progress", "paused", "under_review")
TRANSPORT_MONTHS = 4
ABSENCE_DAYS = 30  # absences fall in the last six weeks, so some reach the high level

LV_FIRST = {
    "f": ("Anna", "Marta", "Elīna", "Laura", "Katrīna", "Līga", "Evelīna", "Alise", "Paula"),
    "m": ("Jānis", "Mārtiņš", "Roberts", "Kristaps", "Edgars", "Rihards", "Toms", "Dāvis", "Emīls"),
}
LV_LAST = (
    ("Kalniņš", "Kalniņa"),
    ("Ozols", "Ozola"),
    ("Liepiņš", "Liepiņa"),
    ("Krūmiņš", "Krūmiņa"),
    ("Zariņš", "Zariņa"),
    ("Jansons", "Jansone"),
    ("Vītols", "Vītola"),
    ("Balodis", "Balode"),
    ("Ziediņš", "Ziediņa"),
    ("Lapsa", "Lapsa"),
    ("Egle", "Egle"),
)
RU_FIRST = {
    "f": ("Darja", "Anastasija", "Viktorija", "Sofija", "Poļina"),
    "m": ("Artjoms", "Maksims", "Daniils", "Ņikita", "Kirils"),
}
RU_LAST = (
    ("Ivanovs", "Ivanova"),
    ("Petrovs", "Petrova"),
    ("Smirnovs", "Smirnova"),
    ("Volkovs", "Volkova"),
    ("Kuzņecovs", "Kuzņecova"),
)
EXAMPLE_STUDENT = ("Markuss", "Bērziņš")
UKRAINIAN_STUDENT = ("Sofija", "Bondarenko")

OTHER_FACTORS = (
    "low_achievement",
    "low_motivation",
    "school_conflicts",
    "behaviour",
    "material_conditions",
    "parent_involvement",
    "family_crisis",
    "parents_abroad",
    "health",
)
EXAMPLE_FACTORS = ("low_motivation", "material_conditions", "family_crisis")
NOTES = {
    ABSENCES: "Neattaisnoti kavējumi vairākas reizes mēnesī, visbiežāk pirmdienās.",
    "low_achievement": "Nepietiekami vērtējumi matemātikā un fizikā.",
    "low_motivation": "Nepilda mājasdarbus, saka, ka skola nav vajadzīga.",
    "school_conflicts": "Konflikts ar klasesbiedriem starpbrīžos.",
    "behaviour": "Traucē stundās, grūti savalda emocijas.",
    "material_conditions": "Dzīvo 18 km no skolas, autobusa biļetes ģimenei par dārgu.",
    "parent_involvement": "Vecāki neatbild uz ziņām e-klasē.",
    "family_crisis": "Ģimenē sarežģīts periods, vecāki šķiras.",
    "parents_abroad": "Vecāki strādā ārzemēs, dzīvo pie vecmammas.",
    "health": "Bieži slimo, ārsta zīmju nav.",
    "starting_work": "Strādā vakaros, no rītiem kavē pirmās stundas.",
}
TOPICS = (
    "Motivācija un dienas režīms",
    "Attiecības klasē",
    "Sadarbība ar ģimeni",
    "Mācību plāns nedēļai",
)
PAUSE_REASON = "Skolēns ilgstoši slimo; atsāksim pēc atgriešanās skolā."
ROUTE = "Zilezera ciems – Ezerkalne, autobuss 7:15 un 15:40"
# Title, format, participants, of them at risk, hours, and the school kind (None: municipality).
ACTIVITIES = (
    ("Galda spēļu vakars", "event", 18, 4, "2.5", "general"),
    ("Futbola turnīrs", "sport", 24, 6, "4", None),
    ("Vienaudžu mentoru tikšanās", "mentoring", 8, 5, "1.5", "vocational"),
    ("Karjeras darbnīca", "workshop", 15, 3, "3", "general"),
)


@dataclass(frozen=True)
class DemoSummary:
    """What was loaded, and the people and student to try the app with."""

    municipality_id: int
    school_ids: tuple[int, ...]
    students: int
    students_at_risk: int
    risk_signals: int
    consultations: int
    iaps: int
    peer_activities: int
    teacher_id: int
    psychologist_id: int
    parent_id: int
    volunteer_id: int
    school_coordinator_id: int
    municipality_coordinator_id: int
    example_student_id: int

    def roles_text(self) -> str:
        """Which person id has which role, for `pumpurs token create --person-id`."""
        people = [
            (self.teacher_id, "teacher"),
            (self.psychologist_id, "specialist (psychologist)"),
            (self.parent_id, "parent"),
            (self.volunteer_id, "volunteer"),
            (self.school_coordinator_id, "school coordinator"),
            (self.municipality_coordinator_id, "municipality coordinator"),
        ]
        return "\n".join(f"person {pid}: {role}" for pid, role in sorted(people))


@dataclass
class _World:
    municipality: Municipality
    schools: dict[str, School]  # by kind
    ngo: Ngo
    students: dict[str, list[Student]]  # by school kind; the example leads the general school
    example: Student


@dataclass
class _Cast:
    teachers: dict[int, Actor]  # by school id
    coordinators: dict[int, Actor]  # by school id
    specialists: dict[str, Actor]  # by specialist type
    municipality_coordinator: Actor
    parent: Actor
    volunteer: Actor


@dataclass
class _Demo:
    rng: random.Random
    semester: Semester
    days: list[date]  # school days of the semester so far
    world: _World
    cast: _Cast

    def teacher(self, student: Student) -> Actor:
        return self.cast.teachers[student.school_id]

    def school(self, student: Student) -> School:
        return next(s for s in self.world.schools.values() if s.id == student.school_id)

    def transport_months(self) -> list[int]:
        return self.semester.months()[:TRANSPORT_MONTHS]

    def day(self) -> date:
        return self.rng.choice(self.days)

    def sample_days(self, count: int, *, recent: int | None = None) -> list[date]:
        """Distinct days in date order, from the last `recent` school days if given."""
        pool = self.days[-recent:] if recent else self.days
        return sorted(self.rng.sample(pool, min(count, len(pool))))


async def database_is_empty() -> bool:
    """True while no municipality exists: nothing has been set up yet."""
    return not await Municipality.exists()


async def load_demo_data() -> DemoSummary:
    """Build the fictional world and a term of records in one transaction."""
    rng = random.Random(SEED)
    semester = Semester.current()
    async with in_transaction():
        world = await _build_world(rng)
        cast = await _build_cast(world)
        demo = _Demo(rng, semester, _days_so_far(semester), world, cast)
        at_risk = _choose_at_risk(rng, world)
        await _record_signals(demo, at_risk)
        await _record_needs(demo)
        await _prepare_plans(demo, at_risk)
        await _register_activities(demo)
        await _record_last_semester_outcomes(demo, at_risk)
        return await _summary(world, cast)


def _days_so_far(semester: Semester) -> list[date]:
    """Weekdays from the semester's start to today; today alone if there are none yet."""
    span = (today() - semester.start).days + 1
    days = [semester.start + timedelta(days=n) for n in range(span)]
    return [day for day in days if day.weekday() < 5] or [today()]


async def _build_world(rng: random.Random) -> _World:
    municipality = await Municipality.create(name="Ezerkalnes novads")
    schools = {
        "general": await School.create(
            name="Ezerkalnes vidusskola", kind="general", municipality=municipality
        ),
        "vocational": await School.create(
            name="Ezerkalnes tehnikums",
            kind="vocational",
            state_vocational=True,
            municipality=municipality,
        ),
    }
    ngo = await Ngo.create(name="Jauniešu biedrība Ezera tilts", municipality=municipality)
    names = iter(_student_names(rng, sum(len(c) for c in CLASSES.values()) * STUDENTS_PER_CLASS))
    students = {kind: await _enrol(schools[kind], names) for kind in CLASSES}
    return _World(municipality, schools, ngo, students, students["general"][0])


def _student_names(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """First name, last name and family language: mostly lv, some ru, one uk."""
    names = [(*EXAMPLE_STUDENT, "lv")]
    taken = {EXAMPLE_STUDENT}
    while len(names) < count - 1:
        language = "ru" if rng.random() < 0.25 else "lv"
        first_names, last_names = (RU_FIRST, RU_LAST) if language == "ru" else (LV_FIRST, LV_LAST)
        gender = rng.choice("fm")
        name = (rng.choice(first_names[gender]), rng.choice(last_names)[gender == "f"])
        if name not in taken:
            taken.add(name)
            names.append((*name, language))
    names.insert(count // 2, (*UKRAINIAN_STUDENT, "uk"))
    return names


async def _enrol(school: School, names: Iterator[tuple[str, str, str]]) -> list[Student]:
    """Create the school's classes, taking each class's students from `names`."""
    students: list[Student] = []
    for grade, class_name in CLASSES[school.kind]:
        school_class = await SchoolClass.create(school=school, grade=grade, name=class_name)
        for first, last, language in islice(names, STUDENTS_PER_CLASS):
            students.append(
                await Student.create(
                    school=school,
                    school_class=school_class,
                    first_name=first,
                    last_name=last,
                    family_language=language,
                    student_ref=f"EK-{100_000 + school.id * 1000 + len(students)}",  # fictional
                )
            )
    return students


async def _person(name: str, *memberships: dict[str, Any]) -> Actor:
    person = await Person.create(display_name=name)
    for membership in memberships:
        await Membership.create(person=person, **membership)
    return await load_actor(person.id)


async def _build_cast(world: _World) -> _Cast:
    general, vocational = world.schools["general"], world.schools["vocational"]

    def staff(role: str, specialty: str | None, *schools: School) -> list[dict[str, Any]]:
        return [{"role": role, "specialty": specialty, "school": s} for s in schools]

    return _Cast(
        teachers={
            general.id: await _person("Ilze Vītola", *staff(TEACHER, "teacher", general)),
            vocational.id: await _person("Andris Kalns", *staff(TEACHER, "teacher", vocational)),
        },
        coordinators={
            general.id: await _person("Sandra Liepiņa", *staff(SCHOOL_COORDINATOR, None, general)),
            vocational.id: await _person(
                "Guntis Balodis", *staff(SCHOOL_COORDINATOR, None, vocational)
            ),
        },
        specialists={
            "psychologist": await _person(
                "Dace Ziediņa", *staff(SPECIALIST, "psychologist", general, vocational)
            ),
            "social_pedagogue": await _person(
                "Inese Pūce", *staff(SPECIALIST, "social_pedagogue", general, vocational)
            ),
        },
        municipality_coordinator=await _person(
            "Aivars Jansons",
            {"role": MUNICIPALITY_COORDINATOR, "municipality": world.municipality},
        ),
        parent=await _person("Baiba Bērziņa", {"role": PARENT, "student": world.example}),
        volunteer=await _person("Elza Krūmiņa", {"role": VOLUNTEER, "ngo": world.ngo}),
    )


def _choose_at_risk(rng: random.Random, world: _World) -> dict[Student, tuple[str, ...]]:
    """Students at risk with their factors besides absences, per school in plan order."""
    at_risk: dict[Student, tuple[str, ...]] = {world.example: EXAMPLE_FACTORS}
    for kind, count in AT_RISK.items():
        candidates = [s for s in world.students[kind] if s is not world.example]
        pool = OTHER_FACTORS + (("starting_work",) if kind == "vocational" else ())
        for student in rng.sample(candidates, count):
            at_risk[student] = tuple(rng.sample(pool, rng.randint(1, 2)))
    return at_risk


async def _record_signals(demo: _Demo, at_risk: dict[Student, tuple[str, ...]]) -> None:
    await _record_attendance(demo, list(at_risk))
    for student, factors in at_risk.items():
        for factor in factors:
            level = HIGH if student is demo.world.example and factor == "family_crisis" else None
            day = demo.day()
            await signals.record_risk_signal(
                demo.teacher(student),
                student.id,
                factor,
                level=level,
                observed_from=day,
                observed_to=day,
                note=NOTES[factor],
            )


async def _record_attendance(demo: _Demo, at_risk: list[Student]) -> None:
    """A term of attendance, as the teachers logged it, with levels recomputed every Friday.

    Most students miss a lesson now and then and are off sick some days (excused): no signal.
    Each student at risk has a bad spell of three weeks: enough for caution, for a few for high;
    the example student's spell is the last four weeks (high now).
    """
    schools = [school.id for school in demo.world.schools.values()]
    first, last = demo.days[0], demo.days[-1]
    calendar = (await calendars(schools, first, last))[schools[0]]
    days = [day for day in demo.days if calendar.teaches(day)] or demo.days[-1:]
    high = {demo.world.example, *at_risk[1:3]}
    rows: dict[int, list[attendance.Row]] = defaultdict(list)
    for students in demo.world.students.values():
        for student in students:
            spell = 0.45 if student in high else 0.3 if student in at_risk else 0.0
            rows[student.school_id] += _attendance_of(demo, student, days, spell)
    async with in_transaction() as connection:
        for school_id, school_rows in rows.items():
            teacher = demo.cast.teachers[school_id]
            await attendance.upsert(connection, school_id, school_rows, attendance.BOT, teacher.id)
    for day in [day for day in days if day.weekday() == 4] + [days[-1]]:
        await recompute_levels(schools, day)


def _attendance_of(
    demo: _Demo, student: Student, days: list[date], spell_chance: float
) -> list[attendance.Row]:
    """One student's absent days: rare single lessons, sick days, and a bad spell if at risk."""
    rng = demo.rng
    spell_length = 20 if student is demo.world.example else 15
    start = (
        max(0, len(days) - spell_length)
        if student is demo.world.example
        else rng.randrange(max(1, len(days) - spell_length))
    )
    spell = set(days[start : start + spell_length]) if spell_chance else set()
    rows = []
    for day in days:
        unexcused = excused = 0
        if day in spell and rng.random() < spell_chance:
            unexcused = rng.randint(2, 4) if spell_chance > 0.3 else rng.randint(1, 3)
        elif rng.random() < 0.01:
            unexcused = 1
        if rng.random() < 0.02:
            excused = 6 - unexcused
        if unexcused or excused:
            rows.append(attendance.Row(student.id, day, unexcused, excused))
    return rows


async def _record_needs(demo: _Demo) -> None:
    """The parent confirms transport with the route; a question about meals still waits."""
    teacher, example = demo.teacher(demo.world.example), demo.world.example
    transport = await needs.ask_parent_about_need(
        teacher, example.id, TRANSPORT_TICKETS, demo.semester
    )
    await needs.answer_need(
        demo.cast.parent,
        transport.id,
        confirmed=True,
        months=demo.transport_months(),
        details=ROUTE,
    )
    await needs.ask_parent_about_need(teacher, example.id, "meals", demo.semester)


async def _prepare_plans(demo: _Demo, at_risk: dict[Student, tuple[str, ...]]) -> None:
    for kind, stages in PLAN_STAGES.items():
        planned = [s for s in at_risk if s.school_id == demo.world.schools[kind].id]
        for student, stage in zip(planned, stages, strict=False):
            await _prepare_plan(demo, student, at_risk[student], stage)


async def _prepare_plan(
    demo: _Demo, student: Student, factors: tuple[str, ...], stage: str
) -> None:
    """Open a plan with its measures, take it to `stage`, and log sessions once approved."""
    iap = await iaps.open_iap(demo.teacher(student), student.id, demo.semester)
    specialist_types = await _plan_measures(demo, iap, student, factors)
    await _justify_risks(demo, iap, student, factors)
    await _advance(demo, iap, student, stage)
    if stage in SESSION_STAGES:
        for specialist_type in specialist_types:
            await _log_sessions(demo, student, specialist_type)


async def _plan_measures(
    demo: _Demo, iap: Iap, student: Student, factors: tuple[str, ...]
) -> list[str]:
    """A psychologist for learning risks, a social pedagogue for the rest; the specialist types."""
    teacher = demo.teacher(student)
    learning = [ABSENCES] + [f for f in factors if RISK_FACTORS[f].group == "learning"]
    others = [f for f in factors if RISK_FACTORS[f].group != "learning"]
    plan = {"psychologist": learning, "social_pedagogue": others}
    for specialist_type, risk_factors in plan.items():
        if risk_factors:
            await iaps.add_measure(
                teacher,
                iap.id,
                kind="consultation",
                specialist_type=specialist_type,
                planned_quantity=demo.rng.choice((4, 6, 8)),
                risk_factors=risk_factors,
            )
    if student is demo.world.example:
        await iaps.add_measure(
            teacher,
            iap.id,
            kind="material",
            support_type=TRANSPORT_TICKETS,
            months=demo.transport_months(),
            risk_factors=["material_conditions"],
        )
    return [specialist_type for specialist_type, risk_factors in plan.items() if risk_factors]


async def _justify_risks(demo: _Demo, iap: Iap, student: Student, factors: tuple[str, ...]) -> None:
    """The preparer's justification of each risk group, from what the signals noted."""
    by_group: dict[str, list[str]] = defaultdict(list)
    for factor in (ABSENCES, *factors):
        by_group[RISK_FACTORS[factor].group].append(NOTES[factor])
    for group, notes in by_group.items():
        await iaps.set_risk_justification(demo.teacher(student), iap.id, group, " ".join(notes))


async def _advance(demo: _Demo, iap: Iap, student: Student, stage: str) -> None:
    """Consent, the approval chain and status moves, as far as `stage`."""
    rank = STAGES.index(stage)
    teacher, school = demo.teacher(student), demo.school(student)
    if rank >= STAGES.index("consented"):
        if student is demo.world.example:
            await iaps.record_consent(demo.cast.parent, iap.id, given=True)
        else:  # the parent's signed form, entered by the teacher
            await iaps.record_consent(teacher, iap.id, given=True, method=PAPER, signed_on=today())
    if rank >= STAGES.index("in_approval"):
        await iaps.submit_for_approval(teacher, iap.id)
    if rank >= STAGES.index("school_signed"):
        await iaps.approve_iap(demo.cast.coordinators[school.id], iap.id)
    if rank >= STAGES.index("approved") and "municipality" in iaps.approval_chain(school):
        await iaps.approve_iap(demo.cast.municipality_coordinator, iap.id)
    if rank >= STAGES.index("in_progress"):
        await iaps.move_iap(teacher, iap.id, "in_progress")
    if stage == "paused":
        await iaps.move_iap(teacher, iap.id, "paused", PAUSE_REASON)
    if stage == "under_review":
        await iaps.move_iap(teacher, iap.id, "under_review")


async def _log_sessions(demo: _Demo, student: Student, specialist_type: str) -> None:
    rng = demo.rng
    count = rng.randint(4, 6) if student is demo.world.example else rng.randint(1, 4)
    for day in demo.sample_days(count):
        await consultations.log_consultation(
            demo.cast.specialists[specialist_type],
            student.id,
            held_on=day,
            minutes=rng.choice((30, 40, 45, 60)),
            mode="remote" if rng.random() < 0.2 else "in_person",
            topic=rng.choice(TOPICS),
            student_confirmed=rng.random() < 0.85,
        )


async def _register_activities(demo: _Demo) -> None:
    for title, activity_format, participants, at_risk, hours, kind in ACTIVITIES:
        await activities.register_peer_activity(
            demo.cast.volunteer,
            demo.world.ngo.id,
            title=title,
            held_on=demo.day(),
            format=activity_format,
            participants=participants,
            at_risk_participants=at_risk,
            hours=hours,
            school_id=demo.world.schools[kind].id if kind else None,
        )


LAST_SEMESTER_OUTCOMES = ("continues", "continues", "continues", "completed")


async def _record_last_semester_outcomes(
    demo: _Demo, at_risk: dict[Student, tuple[str, ...]]
) -> None:
    """Last semester: a few of today's students at risk had a plan, and how it ended."""
    this = demo.semester
    last = Semester(this.school_year - 1, 2) if this.number == 1 else Semester(this.school_year, 1)
    for student, outcome in zip(at_risk, LAST_SEMESTER_OUTCOMES, strict=False):
        teacher = demo.teacher(student)
        await iaps.open_iap(teacher, student.id, last)
        await outcomes.record_outcome(teacher, student.id, last, outcome)


def _this_semester() -> dict[str, int]:
    semester = Semester.current()
    return {"school_year": semester.school_year, "semester": semester.number}


async def _summary(world: _World, cast: _Cast) -> DemoSummary:
    general = world.schools["general"]
    at_risk = await RiskSignal.all().distinct().values_list("student_id", flat=True)
    return DemoSummary(
        municipality_id=world.municipality.id,
        school_ids=tuple(school.id for school in world.schools.values()),
        students=await Student.all().count(),
        students_at_risk=len(set(at_risk)),
        risk_signals=await RiskSignal.all().count(),
        consultations=await Consultation.all().count(),
        iaps=await Iap.filter(**_this_semester()).count(),
        peer_activities=await PeerActivity.all().count(),
        teacher_id=cast.teachers[general.id].id,
        psychologist_id=cast.specialists["psychologist"].id,
        parent_id=cast.parent.id,
        volunteer_id=cast.volunteer.id,
        school_coordinator_id=cast.coordinators[general.id].id,
        municipality_coordinator_id=cast.municipality_coordinator.id,
        example_student_id=world.example.id,
    )
