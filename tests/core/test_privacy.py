"""Privacy in the core: token lifetimes, export, erasure and retention, the read audit."""

from datetime import UTC, date, datetime, timedelta

import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from core.clock import Semester, now, today
from core.digest import Scope, Week, build_digest
from core.digest_view import digest_to_dict
from core.errors import InvalidInput, NotFound
from core.iap import assemble_for_student, assemble_school
from core.services import consultations, iaps, needs, privacy, signals
from core.services.overview import students_at_risk
from core.services.people import (
    create_api_token,
    create_invite,
    list_api_tokens,
    revoke_api_token,
)
from storage.db import database, tortoise_config, upgrade
from storage.models import (
    ApiToken,
    AuditEvent,
    Iap,
    Membership,
    OutboxItem,
    Person,
    RiskSignal,
    Student,
)

SEMESTER = Semester.current()
EARLIER = (
    Semester(SEMESTER.school_year, 1)
    if SEMESTER.number == 2
    else Semester(SEMESTER.school_year - 1, 2)
)

# --- tokens ---------------------------------------------------------------------------------


async def test_a_token_is_valid_for_one_to_365_days(world):
    for days in (0, 366):
        with pytest.raises(InvalidInput):
            await create_api_token(world.teacher_a.id, days)
    await create_api_token(world.teacher_a.id, 365)
    assert len(await list_api_tokens()) == 1


async def test_revoking_twice_is_harmless(world):
    await create_api_token(world.teacher_a.id)
    token = (await list_api_tokens())[0]
    first = (await revoke_api_token(token.id)).revoked_at
    again = (await revoke_api_token(token.id)).revoked_at
    assert first is not None and again == first


async def test_migrating_expires_old_tokens_in_90_days_and_keeps_students_records(
    empty_database_url,
):
    config = tortoise_config(empty_database_url)
    await migrate(config=config, target="models.0003_signal_and_session_school")
    try:
        for statement in (
            "INSERT INTO person (id, display_name, locale, unreachable, created_at)"
            " VALUES (1, 'Fictional', 'lv', FALSE, '2026-01-10 08:00:00+00')",
            "INSERT INTO api_token (token_hash, person_id, created_at)"
            " VALUES ('abc', 1, '2026-01-10 08:00:00+00')",
            "INSERT INTO municipality (id, name) VALUES (1, 'Fictional novads')",
            "INSERT INTO school (id, name, kind, state_vocational, municipality_id)"
            " VALUES (7, 'Fictional skola', 'general', FALSE, 1)",
            "INSERT INTO school_class (id, school_id, grade, name) VALUES (3, 7, 9, '9.a')",
            "INSERT INTO student (id, school_id, school_class_id, first_name, last_name,"
            " family_language) VALUES (5, 7, 3, 'Anna', 'Paraugs', 'lv')",
            'INSERT INTO risk_signal (student_id, school_id, "group", factor, level,'
            " observed_from, observed_to, created_at) VALUES (5, 7, 'learning', 'behaviour',"
            " 'caution', '2026-01-12', '2026-01-12', '2026-01-12 08:00:00+00')",
        ):
            await connections.get("default").execute_script(statement)
    finally:
        await Tortoise.close_connections()
    await upgrade(empty_database_url)
    async with database(empty_database_url, apply_migrations=False):
        token = await ApiToken.get(token_hash="abc")
        assert token.expires_at == datetime(2026, 4, 10, 8, tzinfo=UTC)
        student = await Student.get(id=5)
        assert student.erased_at is None
        assert now() - student.created_at < timedelta(minutes=5)  # retention starts now
        assert await RiskSignal.filter(student_id=5).count() == 1


# --- the read audit -------------------------------------------------------------------------


async def reads() -> list[tuple[int | None, str, str, int]]:
    rows = await AuditEvent.filter(action__startswith="read.").order_by("id")
    return [(e.person_id, e.action, e.entity, e.entity_id) for e in rows]


async def test_reading_a_plan_or_records_leaves_one_event_each(world):
    student = world.student_a1.id
    await assemble_for_student(world.teacher_a, student, SEMESTER)
    await signals.list_risk_signals(world.teacher_a, student)
    await consultations.list_consultations(world.psychologist_a, student)
    await needs.list_needs(world.parent_a1, student)
    assert await reads() == [
        (world.teacher_a.id, "read.plan", "student", student),
        (world.teacher_a.id, "read.risk_signals", "student", student),
        (world.psychologist_a.id, "read.consultations", "student", student),
        (world.parent_a1.id, "read.support_needs", "student", student),
    ]


async def test_a_school_wide_read_is_one_event_however_many_students(world):
    for student in (world.student_a1, world.student_a2, world.student_a3):
        await signals.record_risk_signal(world.teacher_a, student.id, "behaviour")
    assert len(await assemble_school(world.coordinator_a, world.school_a.id, SEMESTER)) == 3
    assert await reads() == [(world.coordinator_a.id, "read.plans", "school", world.school_a.id)]


async def test_a_refused_read_leaves_no_read_event(world):
    with pytest.raises(NotFound):
        await assemble_for_student(world.teacher_b, world.student_a1.id, SEMESTER)
    with pytest.raises(NotFound):
        await signals.list_risk_signals(world.teacher_a, 999_999)
    assert await reads() == []


async def test_the_access_log_names_who_read_what(world):
    await assemble_for_student(world.teacher_a, world.student_a1.id, SEMESTER)
    await assemble_for_student(world.teacher_a, world.student_a2.id, SEMESTER)  # someone else
    await assemble_school(world.coordinator_m1, world.school_a.id, SEMESTER)
    log = await privacy.access_log(world.coordinator_a, world.student_a1.id)
    assert [(line.person_name, line.what, line.scope) for line in log] == [
        ("Coordinator M1", "plans", "school"),
        ("Teacher A", "plan", "student"),
    ]


async def test_only_the_students_coordinators_read_the_access_log(world):
    assert await privacy.access_log(world.coordinator_m1, world.student_a1.id) == []
    for outsider in (world.teacher_a, world.coordinator_m2, world.coordinator_v, world.parent_a1):
        with pytest.raises(NotFound):
            await privacy.access_log(outsider, world.student_a1.id)


# --- right of access ------------------------------------------------------------------------

# Free text typed about student a1, each distinctive, to look for after erasure.
NOTE, TOPIC, ROUTE = "Zvejnieku iela 9 note", "Talked about the stepfather", "Bus 7 Priedes route"
COMMENT, REASON, EVALUATION = "Rework the measures", "Family moved for a month", "Went well"
JUSTIFICATION = "Misses school when the family works at the market"
PARENT_NAME = "Ilze Kalnina"  # the parent's Telegram name shares the child's surname


async def full_history(world) -> Iap:
    """Student a1 with something in every table that can hold data about a student."""
    teacher, a1 = world.teacher_a, world.student_a1.id
    await Person.filter(id=world.parent_a1.id).update(display_name=PARENT_NAME)
    await signals.record_risk_signal(teacher, a1, "unexcused_absences", value=3, note=NOTE)
    await consultations.log_consultation(
        world.psychologist_a, a1, held_on=today(), minutes=40, mode="remote", topic=TOPIC
    )
    need = await needs.ask_parent_about_need(teacher, a1, "transport_tickets", SEMESTER)
    await needs.answer_need(
        world.parent_a1, need.id, confirmed=True, months=SEMESTER.months()[:1], details=ROUTE
    )
    await create_invite(world.coordinator_a, "parent", student_id=a1)
    earlier = await iaps.open_iap(teacher, a1, EARLIER)
    plan = await iaps.open_iap(teacher, a1, SEMESTER)
    for iap in (earlier, plan):
        await iaps.add_measure(
            teacher,
            iap.id,
            kind="consultation",
            specialist_type="psychologist",
            planned_quantity=6,
            risk_factors=["unexcused_absences"],
        )
        await iaps.set_risk_justification(teacher, iap.id, "learning", JUSTIFICATION)
        await iaps.record_consent(world.parent_a1, iap.id, given=True)
        await iaps.submit_for_approval(teacher, iap.id)
    await iaps.return_iap(world.coordinator_a, earlier.id, COMMENT)  # a message to the preparer
    await iaps.approve_iap(world.coordinator_a, plan.id)
    await iaps.approve_iap(world.coordinator_m1, plan.id)
    await Iap.filter(id=earlier.id).update(pause_reason=REASON, evaluation=EVALUATION)
    return plan


async def test_the_export_holds_every_record_about_the_student_with_labels(world):
    plan = await full_history(world)
    data = await privacy.export_student(world.student_a1.id, "ru")
    assert data["student"]["first_name"] == "Anna"
    assert data["student"]["class"]["name"] == "7.a"
    assert data["student"]["school"]["name"] == "Ezerkalnes vidusskola"
    assert data["risk_signals"][0]["note"] == NOTE
    assert data["plans"][0]["risk_groups"][0]["justification"] == JUSTIFICATION
    assert data["risk_signals"][0]["factor"]["label"] == "Пропуски без уважительной причины"
    assert data["consultations"][0]["topic"] == TOPIC
    assert data["support_needs"][0]["details"] == ROUTE
    assert data["support_needs"][0]["status"]["code"] == "confirmed"
    current = next(p for p in data["plans"] if p["id"] == plan.id)
    assert current["status"]["code"] == "approved"
    assert current["consent"]["code"] == "given"
    assert [a["step"]["code"] for a in current["approvals"]] == [
        "preparer",
        "school",
        "municipality",
    ]
    assert current["measures"][0]["specialist_type"]["label"] == "Психолог"
    assert [t["to"]["code"] for t in current["status_history"]] == [
        "draft",
        "in_approval",
        "approved",
    ]
    comments = [t["comment"] for p in data["plans"] for t in p["status_history"]]
    assert COMMENT in comments
    assert [p["person_id"] for p in data["parents"]] == [world.parent_a1.id]
    assert len(data["invites"]) == 1
    assert {m["kind"] for m in data["messages"]} == {
        "need_question",
        "need_answered",
        "iap_returned",
        "iap_waiting",  # to the approvers, each time the plan waited for them
        "iap_approved",  # to the preparer
    }
    actions = {e["action"] for e in data["audit_events"]}
    assert {"risk_signal.create", "consultation.create", "support_need.answer"} <= actions
    assert {"iap.open", "iap_measure.create", "invite.create", "read.export"} <= actions


async def test_the_export_covers_every_model_holding_data_about_a_student(db):
    """A new table with a student or plan key must be added to the export and the erasure."""
    linked_to = {"models.Student", "models.Iap"}
    holding = {
        model
        for model in Tortoise.apps["models"].values()
        for field in model._meta.fk_fields
        if model._meta.fields_map[field].model_name in linked_to
    }
    assert holding, "no model refers to a student: the check itself is broken"
    assert holding <= set(privacy.STUDENT_DATA)


async def test_a_persons_export_holds_their_roles_records_and_messages(world):
    await full_history(world)
    data = await privacy.export_person(world.parent_a1.id, "lv")
    assert data["person"]["display_name"] == PARENT_NAME
    assert [m["role"]["label"] for m in data["memberships"]] == ["Vecāks"]
    assert "support_need.answer" in {e["action"] for e in data["audit_events"]}
    assert {m["kind"] for m in data["messages"]} == {"need_question"}
    assert "token_hash" not in str(data)


async def test_only_the_students_coordinators_may_export(world):
    assert await privacy.export_student_for(world.coordinator_m1, world.student_a1.id, "lv")
    for outsider in (world.teacher_a, world.parent_a1, world.coordinator_m2):
        with pytest.raises(NotFound):
            await privacy.export_student_for(outsider, world.student_a1.id, "lv")


# --- right to erasure and retention ---------------------------------------------------------


async def statistics(world) -> list:
    """What a school's figures say: its digest, the overview, the assembled plans' numbers."""
    digest = await build_digest(
        world.coordinator_a, Scope("school", world.school_a.id), Week.current().start
    )
    overview = [
        (s.student_id, s.signals, s.iap_status)
        for s in await students_at_risk(world.coordinator_m1, SEMESTER)
    ]
    plans = [
        (
            p.student_id,
            p.status,
            p.consent,
            len(p.risks),
            [(s.sessions, s.hours) for s in p.sessions],
        )
        for p in await assemble_school(world.coordinator_a, world.school_a.id, SEMESTER)
    ]
    return [digest_to_dict(digest), overview, plans]


async def every_text_in_the_database() -> str:
    """Every text and JSON column of every table, as one string to search."""
    texts = []
    for model in Tortoise.apps["models"].values():
        names = [
            name
            for name, field in model._meta.fields_map.items()
            if field.field_type in (str, dict, list) or type(field).__name__ in ("JSONField",)
        ]
        for row in await model.all().values_list(*names):
            texts += [str(value) for value in row]
    return "\n".join(texts)


async def test_erasure_leaves_no_name_or_free_text_and_keeps_the_statistics(world):
    await full_history(world)
    before = await statistics(world)
    everything = await every_text_in_the_database()
    typed = ["Anna", "Kalnina", NOTE, TOPIC, ROUTE, COMMENT, REASON, EVALUATION, JUSTIFICATION]
    assert all(text in everything for text in typed)  # the search can find them

    assert await privacy.erase_student(world.student_a1.id, world.coordinator_a.id)

    everything = await every_text_in_the_database()
    assert [text for text in typed if text in everything] == []
    assert await statistics(world) == before
    assert await Student.get(id=world.student_a2.id).values("first_name") == {"first_name": "Janis"}


async def test_erasure_unlinks_the_parent_and_forgets_one_left_without_a_role(world):
    await full_history(world)
    await create_api_token(world.parent_a1.id)
    await privacy.erase_student(world.student_a1.id)
    parent = await Person.get(id=world.parent_a1.id)
    assert (parent.display_name, parent.telegram_id) == (privacy.ERASED, None)
    assert not await Membership.exists(student_id=world.student_a1.id)
    assert not await ApiToken.exists(person_id=parent.id, revoked_at__isnull=True)


async def test_a_parent_of_another_child_keeps_their_name_and_that_child(world):
    await Membership.create(person_id=world.parent_a1.id, role="parent", student=world.student_a2)
    await privacy.erase_student(world.student_a1.id)
    parent = await Person.get(id=world.parent_a1.id)
    assert parent.display_name == "Parent A1" and parent.telegram_id == 108
    assert await Membership.filter(person_id=parent.id).values_list("student_id", flat=True) == [
        world.student_a2.id
    ]


async def test_messages_about_an_erased_student_still_waiting_are_not_sent(world):
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals", SEMESTER)
    await privacy.erase_student(world.student_a1.id)
    assert await OutboxItem.filter(status="pending").count() == 0


async def test_erasing_twice_is_harmless_and_audited_once_without_content(world):
    await full_history(world)
    assert await privacy.erase_student(world.student_a1.id, world.coordinator_a.id)
    first = await every_text_in_the_database()
    assert not await privacy.erase_student(world.student_a1.id, world.coordinator_a.id)
    assert await every_text_in_the_database() == first
    events = await AuditEvent.filter(action="student.erase")
    assert [(e.person_id, e.entity, e.entity_id) for e in events] == [
        (world.coordinator_a.id, "student", world.student_a1.id)
    ]
    with pytest.raises(NotFound):
        await privacy.erase_student(999_999)


async def test_purge_erases_students_whose_last_activity_is_past_retention(world):
    old = datetime(2015, 3, 1, tzinfo=UTC)
    await Student.all().update(created_at=old)
    # a1: a plan of 2015/16 only; a2: a plan now; a3: nothing since the roster; b1: a signal now
    await Iap.create(student_id=world.student_a1.id, school_year=2015, semester=1)
    await Iap.filter(student_id=world.student_a1.id).update(updated_at=old)
    await Iap.create(student_id=world.student_a2.id, school_year=SEMESTER.school_year, semester=1)
    await signals.record_risk_signal(world.teacher_b, world.student_b1.id, "behaviour")
    await RiskSignal.create(
        student_id=world.student_c1.id,
        school_id=world.school_c.id,
        group="learning",
        factor="behaviour",
        level="caution",
        observed_from=old.date(),
        observed_to=old.date(),
    )
    await RiskSignal.filter(student_id=world.student_c1.id).update(created_at=old)
    cutoff = privacy.retention_cutoff(5)
    expected = sorted(
        [world.student_a1.id, world.student_a3.id, world.student_c1.id, world.student_v1.id]
    )
    assert await privacy.students_past_retention(cutoff) == expected
    assert await privacy.purge(cutoff) == 4
    assert await privacy.purge(cutoff) == 0
    kept = await Student.filter(erased_at__isnull=True).values_list("id", flat=True)
    assert sorted(kept) == sorted([world.student_a2.id, world.student_b1.id])


def test_the_retention_cutoff_is_the_years_before_today():
    day = datetime(2031, 2, 14).date()
    assert privacy.retention_cutoff(5, day) == datetime(2026, 2, 14).date()
    assert privacy.retention_cutoff(1, datetime(2028, 2, 29).date()) == datetime(2027, 2, 28).date()


async def test_an_erased_student_is_nobodys_to_see_or_write_about(world):
    await privacy.erase_student(world.student_a1.id)
    with pytest.raises(NotFound):
        await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    with pytest.raises(NotFound):
        await assemble_for_student(world.coordinator_a, world.student_a1.id, SEMESTER)


async def test_the_register_ref_is_exported_and_erased_with_the_names(world):
    from core.csv_import import chunks_of
    from core.services.rosters import import_roster

    roster = b"student_ref,class,first_name,last_name\nEK-100234,7.a,Anna,Kalnina\n"
    await import_roster(None, world.school_a.id, chunks_of(roster), partial=True)
    exported = await privacy.export_student(world.student_a1.id, "en")
    assert (exported["student"]["student_ref"], exported["student"]["left_at"]) == (
        "EK-100234",
        None,
    )
    await privacy.erase_student(world.student_a1.id)
    assert (await Student.get(id=world.student_a1.id)).student_ref is None
    # The school's next import does not match the erased student: the ref is someone new.
    result = await import_roster(None, world.school_a.id, chunks_of(roster), partial=True)
    assert result.added == 1


async def test_attendance_is_exported_and_erased_with_its_warnings(world, monkeypatch):
    from core import clock
    from core.services.absence_levels import ABSENCE_HIGH
    from core.services.attendance import record_absences
    from storage.models import Absence, OutboxItem, Student

    friday = date(2026, 2, 27)
    monkeypatch.setattr(clock, "today", lambda: friday)
    a1 = world.student_a1.id
    await Student.filter(id=a1).update(student_ref="R-17")
    for day in (date(2026, 2, 26), friday):  # 12 of 120 lessons: high, a warning queued
        await record_absences(world.teacher_a, world.class_a7.id, {a1: 6}, day)
    exported = await privacy.export_student(a1, "en")
    assert [(a["day"], a["unexcused"], a["source"]) for a in exported["absences"]] == [
        ("2026-02-26", 6, "bot"),
        ("2026-02-27", 6, "bot"),
    ]
    assert exported["student"]["student_ref"] == "R-17"
    assert exported["student"]["absence_level"]["code"] == "high"
    assert {m["kind"] for m in exported["messages"]} == {ABSENCE_HIGH}

    await privacy.erase_student(a1)
    assert await Absence.filter(student_id=a1).count() == 0
    student = await Student.get(id=a1)
    assert (student.student_ref, student.absence_level) == (None, None)
    warnings = await OutboxItem.filter(kind=ABSENCE_HIGH)
    assert warnings and {item.status for item in warnings} == {"failed"}
    assert await Absence.filter(student_id=world.student_a2.id).count() == 0  # nobody else's
