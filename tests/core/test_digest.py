"""The weekly digest: figures on crafted weeks, Riga's week boundaries, access, fixed queries."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.chart_drawing import chart_template, render_chart
from core.clock import RIGA, Semester, today
from core.digest import (
    Digest,
    Figures,
    History,
    SchoolLine,
    Scope,
    Sessions,
    Week,
    build_digest,
    digest_history,
    digests_read_ahead,
    read_ahead,
)
from core.digest_view import digest_to_dict, render_digest
from core.errors import AccessDenied, InvalidInput, NotFound
from core.markup import plain
from core.services import activities, consultations, iaps, needs, signals
from storage.models import (
    Consultation,
    Iap,
    IapTransition,
    PeerActivity,
    Person,
    RiskSignal,
    Student,
    SupportNeed,
)
from storage.query_counter import count_queries

WEEK = date(2026, 11, 9)  # Monday; the week before starts 2 November
SEMESTER = Semester(2026, 1)


def riga(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A moment on Riga's wall clock, in UTC as the services store moments."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=RIGA).astimezone(UTC)


def school(world, name: str) -> Scope:
    return Scope("school", getattr(world, f"school_{name}").id)


def municipality(world, name: str) -> Scope:
    return Scope("municipality", getattr(world, name).id)


async def signal(actor, student, factor: str, logged: datetime, observed: date | None = None):
    """A risk signal logged (created_at) at a given moment, observed on a given day."""
    value = 3 if factor == "unexcused_absences" else None
    saved = await signals.record_risk_signal(actor, student.id, factor, value=value)
    day = observed or logged.astimezone(RIGA).date()
    await RiskSignal.filter(id=saved.id).update(
        created_at=logged, observed_from=day, observed_to=day
    )
    return saved


async def session(actor, student, held_on: date, minutes: int, specialist: str | None = None):
    saved = await consultations.log_consultation(
        actor,
        student.id,
        held_on=today() - timedelta(days=1),
        minutes=minutes,
        mode="in_person",
        specialist_type=specialist,
    )
    await Consultation.filter(id=saved.id).update(held_on=held_on)
    return saved


async def opened_plan(world, student, at: datetime) -> Iap:
    """A draft plan for the semester, opened (and its history begun) at the moment given."""
    plan = await iaps.open_iap(world.teacher_a, student.id, SEMESTER)
    await Iap.filter(id=plan.id).update(created_at=at)
    await IapTransition.filter(iap_id=plan.id).update(at=at)
    return plan


async def submitted_plan(world, student, at: datetime) -> Iap:
    """A plan sent for approval and signed by the school: waiting for the municipality."""
    plan = await iaps.open_iap(world.teacher_a, student.id, SEMESTER)
    await iaps.add_measure(
        world.teacher_a,
        plan.id,
        kind="consultation",
        planned_quantity=5,
        specialist_type="psychologist",
        risk_factors=["behaviour"],
    )
    await iaps.record_consent(
        world.teacher_a, plan.id, given=True, method="paper", signed_on=today()
    )
    await iaps.submit_for_approval(world.teacher_a, plan.id)
    await iaps.approve_iap(world.coordinator_a, plan.id)
    await Iap.filter(id=plan.id).update(created_at=at)
    await IapTransition.filter(iap_id=plan.id).update(at=at)
    return plan


async def peer_activity(world, held_on: date, participants: int, at_risk: int, hours: str):
    saved = await activities.register_peer_activity(
        world.volunteer,
        world.ngo.id,
        title="Peer club",
        held_on=today(),
        format="workshop",
        participants=participants,
        at_risk_participants=at_risk,
        hours=hours,
    )
    await PeerActivity.filter(id=saved.id).update(held_on=held_on)


async def need(world, support_type: str, asked: datetime, confirmed: datetime | None = None):
    saved = await needs.ask_parent_about_need(
        world.teacher_a, world.student_a1.id, support_type, SEMESTER
    )
    await SupportNeed.filter(id=saved.id).update(created_at=asked)
    if confirmed is not None:
        details = "Ezerkalne - Liepas" if support_type == "transport_tickets" else None
        await needs.answer_need(
            world.parent_a1, saved.id, confirmed=True, months=[11, 12], details=details
        )
        await SupportNeed.filter(id=saved.id).update(answered_at=confirmed)


@pytest.fixture
async def week_of_records(world):
    return await add_week_of_records(world)


async def add_week_of_records(world):
    """Two weeks in school A (and a little in B and C): the figures each test checks."""
    before = WEEK - timedelta(days=7)
    teacher = world.teacher_a
    # Signals: a1 first seen the week before; a2 first seen this week; a3 known since September.
    await signal(teacher, world.student_a1, "unexcused_absences", riga(before + timedelta(2)))
    await signal(teacher, world.student_a1, "behaviour", riga(WEEK + timedelta(1)))
    await signal(teacher, world.student_a2, "family_crisis", riga(WEEK + timedelta(2)))
    await signal(teacher, world.student_a3, "health", riga(date(2026, 9, 15)))
    await signal(teacher, world.student_a3, "material_conditions", riga(WEEK))
    await signal(world.teacher_b, world.student_b1, "low_motivation", riga(WEEK + timedelta(3)))
    await signal(
        world.coordinator_m2, world.student_c1, "behaviour", riga(WEEK + timedelta(3))
    )  # another municipality: never in M1's figures
    # Plans: a3's draft opened the week before, a1's sent for approval this week.
    await opened_plan(world, world.student_a3, riga(before + timedelta(1)))
    await submitted_plan(world, world.student_a1, riga(WEEK + timedelta(3)))
    # Consultations: two with the psychologist and one with the teacher this week, one before.
    await session(world.psychologist_a, world.student_a1, WEEK + timedelta(1), 45)
    await session(world.psychologist_a, world.student_a1, WEEK + timedelta(4), 60)
    await session(world.teacher_a, world.student_a2, WEEK + timedelta(6), 30)
    await session(world.psychologist_a, world.student_a1, before + timedelta(6), 30)
    await session(world.psychologist_a, world.student_a1, WEEK + timedelta(7), 90)  # next week
    # Needs: meals asked before, confirmed this week; tickets asked this week, unanswered.
    await need(world, "meals", riga(before + timedelta(3)), riga(WEEK + timedelta(4)))
    await need(world, "transport_tickets", riga(WEEK + timedelta(1)))
    # Youth activities in M1.
    await peer_activity(world, WEEK + timedelta(1), 12, 3, "2")
    await peer_activity(world, WEEK + timedelta(5), 6, 2, "1.5")
    await peer_activity(world, before + timedelta(2), 8, 1, "1")
    # People the bot cannot reach.
    await Person.filter(id=world.parent_a1.id).update(unreachable=True)
    await Person.filter(id=world.teacher_b.id).update(unreachable=True)
    return world


async def test_school_figures_for_the_week_and_the_week_before(week_of_records):
    world = week_of_records
    digest = await build_digest(world.coordinator_a, school(world, "a"), WEEK + timedelta(3))
    assert digest.week == Week(WEEK)
    assert digest.semester == SEMESTER
    now, before = digest.figures, digest.previous
    assert now.signals_by_group == {"learning": 1, "family": 1, "economic": 1}
    assert before.signals_by_group == {"learning": 1}
    assert (now.newly_at_risk, before.newly_at_risk) == (1, 1)  # a2 now; a1 the week before
    # End of this week: a2 has signals and no plan. End of the week before: a1.
    assert (now.at_risk_without_plan, before.at_risk_without_plan) == (1, 1)
    assert now.plans_by_status == {"draft": 1, "in_approval": 1}
    assert before.plans_by_status == {"draft": 1}
    assert now.sessions_by_specialist == {
        "psychologist": Sessions(2, 105),
        "teacher": Sessions(1, 30),
    }
    assert (now.sessions, now.hours) == (3, Decimal("2.25"))
    assert (before.sessions, before.hours) == (1, Decimal("0.50"))
    assert (now.needs_confirmed, before.needs_confirmed) == (1, 0)
    assert (now.needs_awaiting_parents, before.needs_awaiting_parents) == (1, 1)
    assert (now.activities.activities, now.activities.participants) == (2, 18)
    assert (now.activities.at_risk_participants, now.activities.hours) == (5, Decimal("3.50"))
    assert (before.activities.activities, before.activities.participants) == (1, 8)
    # The school's approval is given: the plan waits for the municipality, not for A.
    assert digest.waiting_for_approval == []
    assert digest.unreachable == ["Parent A1"]
    assert digest.schools == []


async def test_municipality_digest_has_a_line_per_school(week_of_records):
    world = week_of_records
    digest = await build_digest(world.coordinator_m1, municipality(world, "m1"), WEEK)
    assert digest.name == "Ezerkalnes novads"
    assert [line.name for line in digest.schools] == [
        "Ezerkalnes tehnikums",
        "Ezerkalnes vidusskola",
        "Liepu pamatskola",
    ]
    lines = {line.school_id: line for line in digest.schools}
    assert lines[world.school_a.id].figures.signals == 3
    assert lines[world.school_b.id].figures.signals == 1
    assert lines[world.school_b.id].figures.at_risk_without_plan == 1
    assert lines[world.school_v.id].figures == Figures()
    assert digest.figures.signals == 4  # school C is in M2
    assert digest.figures.at_risk_without_plan == 2
    assert digest.figures.newly_at_risk == 2  # a2 and b1
    assert digest.figures.activities.activities == 2
    plan_id = await Iap.filter(student_id=world.student_a1.id).first().values_list("id", flat=True)
    assert digest.waiting_for_approval == [plan_id]
    assert digest.unreachable == ["Parent A1", "Teacher B"]
    # A school digest read by the municipality coordinator shows the plan waiting for them.
    school_a = await build_digest(world.coordinator_m1, school(world, "a"), WEEK)
    assert school_a.waiting_for_approval == [plan_id]
    assert school_a.schools == []


async def test_an_empty_week_is_all_zeros(world):
    digest = await build_digest(world.coordinator_m1, municipality(world, "m1"), WEEK)
    assert digest.figures == Figures()
    assert digest.previous == Figures()
    assert digest.waiting_for_approval == []
    text = plain(render_digest(digest, "lv"))
    assert "Jaunu riska signālu nav." in text
    assert "Konsultāciju nav bijis." in text
    assert "Šajā semestrī vēl nav neviena atbalsta plāna." in text
    assert "Pašvaldībā jauniešu aktivitāšu nav bijis." in text
    assert "• Nekā steidzama nav." in text
    assert "Ezerkalnes vidusskola: jauni signāli 0 (±0), bez plāna 0 (±0)" in text


async def test_any_day_is_read_as_its_week(week_of_records):
    world = week_of_records
    sunday = await build_digest(world.coordinator_a, school(world, "a"), WEEK + timedelta(6))
    monday = await build_digest(world.coordinator_a, school(world, "a"), WEEK)
    assert sunday.week == monday.week == Week(WEEK)
    assert sunday.figures == monday.figures


# --- Riga's weeks across the change of clocks ---------------------------------------------


async def test_october_week_ends_at_riga_midnight_after_clocks_go_back(world):
    """Sunday 25 October 2026 Riga goes from UTC+3 to UTC+2: the week ends at 22:00 UTC."""
    week = date(2026, 10, 19)
    teacher, a1 = world.teacher_a, world.student_a1
    await signal(teacher, a1, "behaviour", riga(date(2026, 10, 18), 23, 59))  # the week before
    await signal(teacher, a1, "behaviour", riga(date(2026, 10, 19), 0, 30))  # Monday, UTC+3
    await signal(teacher, a1, "behaviour", riga(date(2026, 10, 25), 23, 30))  # Sunday, UTC+2
    await signal(teacher, a1, "behaviour", riga(date(2026, 10, 26), 0, 30))  # the next week
    assert riga(date(2026, 10, 25), 23, 30).hour == 21  # UTC+2

    digest = await build_digest(world.coordinator_a, school(world, "a"), week)
    assert (digest.figures.signals, digest.previous.signals) == (2, 1)
    following = await build_digest(world.coordinator_a, school(world, "a"), date(2026, 10, 26))
    assert (following.figures.signals, following.previous.signals) == (1, 2)
    # The first signal ever was the one of 18 October: a1 was new the week before.
    assert (digest.figures.newly_at_risk, digest.previous.newly_at_risk) == (0, 1)


async def test_march_week_starts_and_ends_at_riga_midnight_around_clocks_going_forward(world):
    """Sunday 28 March 2027 Riga goes from UTC+2 to UTC+3: the week ends at 21:00 UTC."""
    week = date(2027, 3, 22)
    teacher, a1 = world.teacher_a, world.student_a1
    await signal(teacher, a1, "behaviour", riga(date(2027, 3, 21), 23, 30))  # the week before
    await signal(teacher, a1, "behaviour", riga(date(2027, 3, 22), 0, 30))  # Monday, UTC+2
    await signal(teacher, a1, "behaviour", riga(date(2027, 3, 28), 23, 30))  # Sunday, UTC+3
    await signal(teacher, a1, "behaviour", riga(date(2027, 3, 29), 0, 30))  # the next week
    assert riga(date(2027, 3, 28), 23, 30).hour == 20  # UTC+3

    digest = await build_digest(world.coordinator_a, school(world, "a"), week)
    assert digest.semester == Semester(2026, 2)
    assert (digest.figures.signals, digest.previous.signals) == (2, 1)
    history = await digest_history(
        world.coordinator_a, school(world, "a"), weeks=3, until=date(2027, 3, 29)
    )
    assert history.weeks == [date(2027, 3, 15), date(2027, 3, 22), date(2027, 3, 29)]
    assert history.signals == [1, 2, 1]


async def test_sessions_count_by_the_day_they_were_held(world):
    await session(world.psychologist_a, world.student_a1, date(2026, 10, 25), 60)
    await session(world.psychologist_a, world.student_a1, date(2026, 10, 26), 45)
    digest = await build_digest(world.coordinator_a, school(world, "a"), date(2026, 10, 25))
    assert (digest.figures.sessions, digest.figures.hours) == (1, Decimal("1.00"))
    assert digest.previous.sessions == 0


# --- who may read what --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "scope", "refusal"),
    [
        ("teacher_a", ("school", "school_a"), AccessDenied),  # they see their school
        ("psychologist_a", ("school", "school_a"), AccessDenied),
        ("parent_a1", ("school", "school_a"), NotFound),  # out of scope: as if not there
        ("volunteer", ("municipality", "m1"), NotFound),
        ("outsider", ("school", "school_a"), NotFound),
        ("coordinator_a", ("school", "school_b"), NotFound),
        ("coordinator_a", ("municipality", "m1"), NotFound),
        ("coordinator_v", ("school", "school_a"), NotFound),
        ("coordinator_m1", ("school", "school_c"), NotFound),
        ("coordinator_m1", ("municipality", "m2"), NotFound),
        ("coordinator_m2", ("school", "school_a"), NotFound),
    ],
)
async def test_only_the_scope_s_coordinators_read_its_digest(world, reader, scope, refusal):
    kind, name = scope
    with pytest.raises(refusal):
        await build_digest(getattr(world, reader), Scope(kind, getattr(world, name).id), WEEK)
    with pytest.raises(refusal):
        await digest_history(getattr(world, reader), Scope(kind, getattr(world, name).id))


async def test_coordinators_read_their_own_scopes(world):
    await build_digest(world.coordinator_a, school(world, "a"), WEEK)
    await build_digest(world.coordinator_v, school(world, "v"), WEEK)
    await build_digest(world.coordinator_m1, school(world, "b"), WEEK)
    await build_digest(world.coordinator_m1, school(world, "v"), WEEK)
    await build_digest(world.coordinator_m2, municipality(world, "m2"), WEEK)


async def test_a_missing_school_is_not_found_and_bad_scopes_are_invalid(world):
    with pytest.raises(NotFound):
        await build_digest(world.coordinator_m1, Scope("school", 99999), WEEK)
    for text in ("school", "school-", "school-x", "class-1", "municipality--1", "", "school-1-2"):
        with pytest.raises(InvalidInput):
            Scope.parse(text)
    assert Scope.parse("municipality-7") == Scope("municipality", 7)
    assert str(Scope("school", 3)) == "school-3"
    with pytest.raises(InvalidInput):
        await digest_history(world.coordinator_a, school(world, "a"), weeks=0)


# --- a fixed number of queries ------------------------------------------------------------


async def queries_for(actor, scope: Scope) -> tuple[int, int]:
    with count_queries() as digest_queries:
        await build_digest(actor, scope, WEEK)
    with count_queries() as history_queries:
        await digest_history(actor, scope, until=WEEK)
    return digest_queries.queries, history_queries.queries


async def add_bulk(world, students_per_class: int) -> None:
    """Many more students with signals, sessions and plans, through the services."""
    before = WEEK - timedelta(days=7)
    classes = ((world.class_a8, world.teacher_a), (world.class_b7, world.teacher_b))
    for school_class, teacher in classes:
        for number in range(students_per_class):
            student = await Student.create(
                school_id=school_class.school_id,
                school_class=school_class,
                first_name=f"Bulk {number}",
                last_name="Student",
            )
            day = WEEK if number % 2 else before
            await signal(teacher, student, "low_achievement", riga(day + timedelta(number % 7)))
            await session(teacher, student, day + timedelta(number % 7), 40, "teacher")
            if number % 3 == 0:
                plan = await iaps.open_iap(teacher, student.id, SEMESTER)
                await IapTransition.filter(iap_id=plan.id).update(at=riga(before))


async def test_the_query_count_does_not_grow_with_the_data(world):
    readers = [
        (world.coordinator_a, school(world, "a")),
        (world.coordinator_m1, municipality(world, "m1")),
    ]
    empty = [await queries_for(actor, scope) for actor, scope in readers]
    await add_week_of_records(world)
    small = [await queries_for(actor, scope) for actor, scope in readers]
    await add_bulk(world, 15)
    large = [await queries_for(actor, scope) for actor, scope in readers]
    assert empty == small == large
    (school_digest, school_history), (municipality_digest, municipality_history) = large
    assert (school_digest, municipality_digest) == (12, 13)
    assert (school_history, municipality_history) == (3, 4)
    digest = await build_digest(world.coordinator_m1, municipality(world, "m1"), WEEK)
    assert digest.figures.signals + digest.previous.signals > 30  # the bulk data was counted


async def built(readers) -> list[tuple[Digest, History]]:
    return [
        (await build_digest(actor, scope, WEEK), await digest_history(actor, scope, until=WEEK))
        for actor, scope in readers
    ]


async def test_a_batch_of_digests_is_read_ahead_in_a_fixed_number_of_queries(week_of_records):
    world = week_of_records
    readers = [
        (world.coordinator_a, school(world, "a")),
        (world.coordinator_v, school(world, "v")),
        (world.coordinator_m1, school(world, "b")),
        (world.coordinator_m1, municipality(world, "m1")),
        (world.coordinator_m2, municipality(world, "m2")),
    ]
    alone = await built(readers)
    for batch in (readers[:1], readers):
        with digests_read_ahead():
            with count_queries() as ahead:
                await read_ahead([scope for _, scope in batch], Week(WEEK))
            with count_queries() as again:  # e.g. items of the batch still waiting
                await read_ahead([scope for _, scope in batch], Week(WEEK))
            assert again.queries == 0
            with count_queries() as each:
                together = await built(batch)
            assert await built(readers) == alone  # those not read ahead are read as before
        assert ahead.queries == 14
        assert together == alone[: len(batch)]
        # Each digest and chart only resolves its scope: a school in 1 query, a municipality in 2.
        resolving = sum(2 if scope.kind == "municipality" else 1 for _, scope in batch)
        assert each.queries == 2 * resolving


async def test_nothing_is_read_ahead_outside_its_context(week_of_records):
    world = week_of_records
    with count_queries() as ahead:
        await read_ahead([school(world, "a")], Week(WEEK))
    assert ahead.queries == 0
    assert await queries_for(world.coordinator_a, school(world, "a")) == (12, 3)


# --- the text -----------------------------------------------------------------------------


async def test_the_text_puts_what_needs_the_reader_first_in_latvian(week_of_records):
    world = week_of_records
    digest = await build_digest(world.coordinator_m1, municipality(world, "m1"), WEEK)
    text = plain(render_digest(digest, "lv"))
    assert text.splitlines()[:3] == [
        "Nedēļas kopsavilkums: Ezerkalnes novads",
        "Nedēļa: 09.11.2026. – 15.11.2026.",
        "2026./2027. mācību gada I semestris",
    ]
    urgent = [
        "• 1 plāns gaida Jūsu saskaņojumu",
        "• 2 skolēni ar riska signāliem bez plāna šajā semestrī (+1)",
        "• Ar 2 cilvēkiem nevar sazināties Telegramā: Parent A1, Teacher B",
        "• 1 materiālā atbalsta pieprasījums gaida vecāku atbildi (±0)",
    ]
    assert [text.index(line) for line in urgent] == sorted(text.index(line) for line in urgent)
    assert text.index(urgent[-1]) < text.index("jauni riska signāli")
    assert "• 4 jauni riska signāli (+3)" in text
    assert "   – Mācību darba un izglītības iestādes riski: 2 (+1)" in text
    assert "• 2 skolēni ar riska signālu pirmo reizi (+1)" in text
    assert "• 2 atbalsta plāni šajā semestrī (+1)" in text
    assert "• 3 notikušas konsultācijas (+2), 2,25 h (+1,75)" in text
    assert "   – Psihologs: 2 konsultācijas (+1), 1,75 h" in text
    assert "• Vecāki apstiprināja 1 materiālā atbalsta pieprasījumu (+1)" in text
    assert "• 2 jauniešu aktivitātes pašvaldībā (+1)" in text
    assert "dalībnieki: 18 (+10), no tiem ar riska signāliem: 5 (+4); stundas: 3,5 (+2,5)" in text
    assert (
        "• Liepu pamatskola: jauni signāli 1 (+1), bez plāna 1 (+1), konsultācijas 0 (±0), "
        "stundas 0 (±0), gaida vecāku atbildi 0 (±0)"
    ) in text


async def test_the_text_in_russian(week_of_records):
    world = week_of_records
    digest = await build_digest(world.coordinator_a, school(world, "a"), WEEK)
    text = plain(render_digest(digest, "ru"))
    assert text.splitlines()[:2] == [
        "Недельная сводка: Ezerkalnes vidusskola",
        "Неделя: 09.11.2026 – 15.11.2026",
    ]
    assert "• 1 ученик с сигналами риска без плана в этом семестре (±0)" in text
    assert "• 1 человек недоступен в Telegram: Parent A1" in text
    assert "• 3 новых сигнала риска (+2)" in text
    assert "• 3 проведённые консультации (+2), 2,25 ч (+1,75)" in text
    assert "По школам:" not in text


def digest_with(**figures) -> Digest:
    previous = Figures(signals_by_group={"learning": 3})
    return Digest(
        scope=Scope("school", 1),
        name="Skola",
        week=Week(WEEK),
        semester=SEMESTER,
        figures=Figures(**figures),
        previous=previous,
    )


@pytest.mark.parametrize(
    ("n", "latvian", "russian"),
    [
        (0, "• 0 jaunu riska signālu (-3)", "• 0 новых сигналов риска (-3)"),
        (1, "• 1 jauns riska signāls (-2)", "• 1 новый сигнал риска (-2)"),
        (2, "• 2 jauni riska signāli (-1)", "• 2 новых сигнала риска (-1)"),
        (11, "• 11 jaunu riska signālu (+8)", "• 11 новых сигналов риска (+8)"),
        (21, "• 21 jauns riska signāls (+18)", "• 21 новый сигнал риска (+18)"),
        (1021, "• 1 021 jauns riska signāls (+1 018)", "• 1 021 новый сигнал риска (+1 018)"),
    ],
)
def test_plurals_follow_the_number(n, latvian, russian):
    digest = digest_with(signals_by_group={"learning": n} if n else {})
    assert latvian in plain(render_digest(digest, "lv")).replace("\xa0", " ")
    assert russian in plain(render_digest(digest, "ru")).replace("\xa0", " ")


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "• 1 plāns gaida Jūsu saskaņojumu"),
        (2, "• 2 plāni gaida Jūsu saskaņojumu"),
        (11, "• 11 plānu gaida Jūsu saskaņojumu"),
        (21, "• 21 plāns gaida Jūsu saskaņojumu"),
    ],
)
def test_plans_waiting_for_approval_in_latvian_plurals(n, expected):
    digest = digest_with()
    digest.waiting_for_approval = list(range(n))
    assert expected in plain(render_digest(digest, "lv"))


def test_the_municipality_text_adds_a_line_per_school_in_ukrainian():
    digest = digest_with(signals_by_group={"family": 2})
    digest.scope = Scope("municipality", 1)
    digest.schools = [
        SchoolLine(1, "Skola 1", Figures(signals_by_group={"family": 2}), Figures()),
        SchoolLine(2, "Skola 2", Figures(), digest.previous),
    ]
    text = plain(render_digest(digest, "uk"))
    assert "За школами:" in text
    assert "• Skola 1: нові сигнали 2 (+2), без плану 0 (±0)" in text
    assert "• Skola 2: нові сигнали 0 (-3)" in text


def test_the_digest_as_json_has_every_code():
    digest = digest_with(signals_by_group={"family": 2})
    body = digest_to_dict(digest)
    assert body["week"] == {"start": "2026-11-09", "end": "2026-11-15"}
    assert body["previous_week"] == {"start": "2026-11-02", "end": "2026-11-08"}
    assert body["figures"]["signals_by_group"] == {
        "learning": 0,
        "economic": 0,
        "family": 2,
        "social_health": 0,
    }
    assert body["previous"]["signals"] == 3
    assert body["figures"]["plans_by_status"]["in_progress"] == 0


# --- the chart ----------------------------------------------------------------------------


async def test_the_chart_is_a_png_of_eight_weeks(week_of_records):
    world = week_of_records
    history = await digest_history(world.coordinator_m1, municipality(world, "m1"), until=WEEK)
    assert len(history.weeks) == 8
    assert history.weeks[-1] == WEEK
    assert history.signals[-2:] == [1, 4]
    assert history.sessions[-2:] == [1, 3]
    assert history.hours[-2:] == [Decimal("0.50"), Decimal("2.25")]
    assert sum(history.signals) == 5  # a3's signal of 15 September is before the eight weeks
    for locale in ("lv", "ru"):
        png = render_chart(history, locale)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(png) > 5000


def test_the_chart_of_an_empty_history():
    weeks = [WEEK - timedelta(days=7 * back) for back in range(7, -1, -1)]
    empty = History(weeks, [0] * 8, [0] * 8, [Decimal(0)] * 8)
    assert render_chart(empty, "uk").startswith(b"\x89PNG")


def test_each_chart_is_drawn_to_its_own_scale_whatever_was_drawn_before():
    weeks = [WEEK - timedelta(days=7 * back) for back in range(7, -1, -1)]
    small = History(weeks, [1, 0, 2, 0, 0, 1, 0, 3], [0, 1, 0, 0, 2, 0, 0, 1], [Decimal(1)] * 8)
    large = History(weeks, [300, 50, 120, 70, 40, 160, 10, 80], [2] * 8, [Decimal(125)] * 8)
    alone = {}
    for name, history in (("small", small), ("large", large)):
        chart_template.cache_clear()  # a figure never drawn before
        alone[name] = render_chart(history, "lv")
    assert alone["small"] != alone["large"]
    assert render_chart(small, "lv") == alone["small"]  # right after the large one
    assert render_chart(large, "lv") == alone["large"]
    assert render_chart(small, "lv") == alone["small"]


async def test_students_who_left_or_moved_are_not_at_risk_without_a_plan(week_of_records):
    """Their signals stay in the school's figures; they are no longer on its lists to plan for."""
    world = week_of_records
    from core.services.rosters import move_student

    await Student.filter(id=world.student_a2.id).update(left_at=WEEK)
    await move_student(None, world.student_b1.id, world.school_v.id, class_name="1.k")
    digest = await build_digest(world.coordinator_m1, municipality(world, "m1"), WEEK)
    lines = {line.school_id: line for line in digest.schools}
    assert lines[world.school_b.id].figures.signals == 1
    assert lines[world.school_b.id].figures.at_risk_without_plan == 0
    assert lines[world.school_v.id].figures.at_risk_without_plan == 0
    school_a = await build_digest(world.coordinator_a, school(world, "a"), WEEK + timedelta(3))
    assert school_a.figures.signals_by_group == {"learning": 1, "family": 1, "economic": 1}
    assert (school_a.figures.at_risk_without_plan, school_a.previous.at_risk_without_plan) == (0, 1)
