"""The semester report: every table against figures counted by hand on a small world, scopes
and roles, suppression in shared figures, and a fixed number of queries."""

from decimal import Decimal

import pytest

from core.access import load_actor
from core.clock import Semester, today
from core.digest import Scope
from core.errors import AccessDenied, NotFound
from core.reports import build_report, parse_scope
from core.services import activities, consultations, iaps, outcomes, signals
from storage.models import (
    Membership,
    Municipality,
    Person,
    RiskSignal,
    School,
    SchoolClass,
    Student,
)
from storage.query_counter import count_queries
from tests.world import submitted_plan

SEMESTER = Semester.current()


async def programme_admin():
    person = await Person.create(display_name="IKVD analyst", telegram_id=199)
    await Membership.create(person_id=person.id, role="programme_admin")
    return await load_actor(person.id)


async def busy_semester(world) -> None:
    """School A: a1 with a submitted plan (its risk addressed), a2 signal only, a3 a draft whose
    risk no measure addresses. School B: b1 a signal. School C: c1 a signal and a draft."""
    teacher = world.teacher_a
    await submitted_plan(world.student_a1, teacher)  # low_achievement; psychologist, soc. ped.
    await signals.record_risk_signal(teacher, world.student_a2.id, "health")
    await signals.record_risk_signal(teacher, world.student_a3.id, "behaviour")
    draft = await iaps.open_iap(teacher, world.student_a3.id)
    await iaps.add_measure(
        teacher,
        draft.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=2,
        risk_factors=["health"],
    )
    await signals.record_risk_signal(world.teacher_b, world.student_b1.id, "family_crisis")
    await signals.record_risk_signal(world.coordinator_m2, world.student_c1.id, "health")
    await iaps.open_iap(world.coordinator_m2, world.student_c1.id)
    await consultations.log_consultation(
        world.psychologist_a, world.student_a1.id, held_on=today(), minutes=60, mode="remote"
    )
    await outcomes.record_outcome(teacher, world.student_a1.id, SEMESTER, "continues")
    await outcomes.record_outcome(
        teacher, world.student_a2.id, SEMESTER, "left_early", "employment"
    )
    await activities.register_peer_activity(
        world.volunteer,
        world.ngo.id,
        title="Board games",
        held_on=today(),
        format="event",
        participants=10,
        at_risk_participants=3,
        hours=2,
    )


def rows(report, code: str) -> list[list]:
    return report.table(code).rows


async def test_a_schools_report_holds_its_exact_figures(world):
    await busy_semester(world)
    report = await build_report(world.coordinator_a, Scope("school", world.school_a.id), SEMESTER)
    assert not report.suppressed
    school = "Ezerkalnes vidusskola"
    assert rows(report, "students") == [[school, 3, 3, 2]]
    # draft, in approval, approved, in progress, under review, paused, withdrawn, total
    assert rows(report, "plans_by_status") == [[school, 1, 1, 0, 0, 0, 0, 0, 2]]
    assert rows(report, "consent") == [[school, 1, 0, 1, 2]]
    assert rows(report, "plan_quality") == [[school, 2, 1, Decimal("50.0"), 1, Decimal(0), 0]]
    consultations_table = {row[0]: row[1:] for row in rows(report, "consultations")}
    assert consultations_table == {
        "Psychologist": [2, Decimal("6.0"), 1, Decimal("1.0"), 1],
        "Social pedagogue": [1, Decimal("4.0"), 0, Decimal("0.0"), 0],
    }
    assert rows(report, "material_support") == []
    assert rows(report, "risks") == [
        ["Low achievement", "Learning and school-related risks", 1, 1, 0],
        ["Behaviour problems", "Learning and school-related risks", 1, 1, 1],
        ["Health", "Social environment and health risks", 1, 0, 0],
    ]
    # continues, completed, moved, left early, other, recorded
    assert rows(report, "outcomes") == [[school, 1, 0, 0, 1, 0, 2]]
    reasons = rows(report, "early_leaving_reasons")
    assert reasons[0] == ["Started work", 1] and reasons[-1] == ["Total", 1]
    # reduced, unchanged, worse, not reviewed, total
    assert rows(report, "review") == [[school, 0, 0, 0, 2, 2]]
    assert rows(report, "measures_realised") == [
        ["Realised fully", 0],
        ["Realised partly", 0],
        ["Not realised", 0],
    ]
    assert rows(report, "youth_activities") == [
        ["Ezerkalnes novads", "Jauniesu klubs Tilts", 1, 10, 3, Decimal("2.0")]
    ]


async def test_a_municipalitys_report_has_a_row_per_school_and_hides_small_counts(world):
    await busy_semester(world)
    for n in range(4):  # school B reaches five students involved
        student = await Student.create(
            school_id=world.school_b.id,
            school_class=world.class_b7,
            first_name="Extra",
            last_name=f"Student {n}",
        )
        await signals.record_risk_signal(world.teacher_b, student.id, "family_crisis")
    report = await build_report(world.coordinator_m1, Scope("municipality", world.m1.id), SEMESTER)
    assert report.suppressed
    assert rows(report, "students") == [
        # the technical school's zeros hide A's figures from the totals' subtraction
        ["Ezerkalnes tehnikums", "<5", "<5", 0],
        ["Ezerkalnes vidusskola", "<5", "<5", "<5"],
        ["Liepu pamatskola", 5, 5, 0],
        ["Total", 8, 8, "<5"],
    ]
    risks = {row[0]: row[2:] for row in rows(report, "risks")}
    assert risks["Family crisis"] == [5, 0, 0]
    assert risks["Health"] == ["<5", 0, 0]
    assert rows(report, "youth_activities")[0][4] == "<5"


async def test_the_programme_administrator_reads_the_country_by_municipality(world):
    await busy_semester(world)
    report = await build_report(await programme_admin(), parse_scope("country"), SEMESTER)
    assert report.name == "Latvia"
    assert [row[0] for row in rows(report, "students")] == [
        "Ezerkalnes novads",
        "Priedaines novads",
        "Total",
    ]
    plans = rows(report, "plans_by_status")
    assert plans[1] == ["Priedaines novads", "<5", 0, 0, 0, 0, 0, 0, "<5"]


async def test_scopes_follow_the_roles(world):
    country = parse_scope("country")
    for reader in (world.coordinator_a, world.coordinator_m1, world.teacher_a, world.outsider):
        with pytest.raises(AccessDenied):
            await build_report(reader, country, SEMESTER)
    with pytest.raises(NotFound):  # another municipality's school
        await build_report(world.coordinator_m1, Scope("school", world.school_c.id), SEMESTER)
    with pytest.raises(NotFound):
        await build_report(world.coordinator_m1, Scope("municipality", world.m2.id), SEMESTER)
    with pytest.raises(NotFound):
        await build_report(world.coordinator_a, Scope("municipality", world.m1.id), SEMESTER)
    with pytest.raises(AccessDenied):  # sees the school, does not coordinate it
        await build_report(world.teacher_a, Scope("school", world.school_a.id), SEMESTER)
    own = await build_report(world.coordinator_m1, Scope("school", world.school_b.id), SEMESTER)
    assert own.name == "Liepu pamatskola"


async def test_a_report_costs_the_same_queries_for_one_school_or_many(world):
    admin = await programme_admin()
    await busy_semester(world)
    scopes = [
        (admin, parse_scope("country")),
        (world.coordinator_m1, Scope("municipality", world.m1.id)),
        (world.coordinator_a, Scope("school", world.school_a.id)),
    ]

    async def queries() -> list[int]:
        counts = []
        for reader, scope in scopes:
            with count_queries() as counted:
                await build_report(reader, scope, SEMESTER)
            counts.append(counted.queries)
        return counts

    before = await queries()
    for n in range(12):
        municipality = world.m1 if n % 2 else await Municipality.create(name=f"Novads {n}")
        school = await School.create(name=f"Skola {n}", kind="general", municipality=municipality)
        school_class = await SchoolClass.create(school=school, grade=5, name="5.a")
        student = await Student.create(
            school=school, school_class=school_class, first_name="X", last_name=str(n)
        )
        await RiskSignal.create(
            student=student,
            school=school,
            group="social_health",
            factor="health",
            level="caution",
            observed_from=today(),
            observed_to=today(),
        )
    assert await queries() == before
    assert before == [10, 11, 10]


async def test_the_demo_has_last_semesters_outcomes_in_its_report(db):
    from core.demo import load_demo_data

    summary = await load_demo_data()
    coordinator = await load_actor(summary.municipality_coordinator_id)
    this = Semester.current()
    last = Semester(this.school_year - 1, 2) if this.number == 1 else Semester(this.school_year, 1)
    report = await build_report(coordinator, Scope("municipality", summary.municipality_id), last)
    total = rows(report, "outcomes")[-1]
    assert total[0] == "Total" and total[1:] == ["<5", "<5", 0, 0, 0, "<5"]
    exact = await build_report(
        await load_actor(summary.school_coordinator_id),
        Scope("school", summary.school_ids[0]),
        last,
    )
    assert sum(row[-1] for row in rows(exact, "outcomes")) >= 1


async def test_a_municipality_without_schools_still_renders(world):
    from core.report_chart import render_report_chart
    from core.report_export import report_xlsx
    from core.report_view import render_report

    empty = await Municipality.create(name="Klusais novads")
    report = await build_report(await programme_admin(), Scope("municipality", empty.id), SEMESTER)
    assert rows(report, "students") == []
    text = render_report(report, "lv")
    assert "Iesaistītie izglītojamie: –" in text
    assert render_report_chart(report, "lv").startswith(b"\x89PNG")
    assert report_xlsx(report, "lv").startswith(b"PK")
