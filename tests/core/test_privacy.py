"""Privacy in the core: token lifetimes, export, erasure and retention, the read audit."""

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from core.clock import Semester
from core.errors import AccessDenied, InvalidInput, NotFound
from core.iap import assemble_for_student, assemble_school
from core.services import consultations, needs, privacy, signals
from core.services.people import create_api_token, list_api_tokens, revoke_api_token
from storage.db import database, tortoise_config, upgrade
from storage.models import ApiToken, AuditEvent

SEMESTER = Semester.current()

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


async def test_tokens_issued_before_expiry_existed_expire_90_days_after_creation(
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
        ):
            await connections.get("default").execute_script(statement)
    finally:
        await Tortoise.close_connections()
    await upgrade(empty_database_url)
    async with database(empty_database_url, apply_migrations=False):
        token = await ApiToken.get(token_hash="abc")
        assert token.expires_at == datetime(2026, 4, 10, 8, tzinfo=UTC)
        assert token.expires_at - token.created_at == timedelta(days=90)


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
    with pytest.raises(AccessDenied):
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
