"""Migrations: they build a working database, run twice harmlessly, keep data, match the models."""

from decimal import Decimal

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from core.access import load_actor
from core.clock import Semester
from core.services import needs
from storage.db import database, tortoise_config, upgrade
from storage.models import (
    Absence,
    AuditEvent,
    Consultation,
    Iap,
    IapMeasure,
    IapRiskGroup,
    Membership,
    Municipality,
    OutboxItem,
    RiskSignal,
    SupportNeedAsker,
)


async def test_migrations_build_a_working_database(empty_database_url):
    await upgrade(empty_database_url)
    await upgrade(empty_database_url)  # nothing left to apply: no error
    async with database(empty_database_url):
        municipality = await Municipality.create(name="Fictional novads")
        await AuditEvent.create(action="test", entity="municipality", entity_id=municipality.id)
        assert await Municipality.filter(name="Fictional novads").count() == 1


async def test_models_have_no_changes_missing_a_migration(db):
    detector = MigrationAutodetector(db.apps, tortoise_config()["apps"])
    assert await detector.changes() == []


BEFORE_SCHOOL_COLUMNS = [
    "INSERT INTO municipality (id, name) VALUES (1, 'Fictional novads')",
    "INSERT INTO school (id, name, kind, state_vocational, municipality_id)"
    " VALUES (7, 'Fictional skola', 'general', FALSE, 1)",
    "INSERT INTO school_class (id, school_id, grade, name) VALUES (3, 7, 9, '9.a')",
    "INSERT INTO student (id, school_id, school_class_id, first_name, last_name, family_language)"
    " VALUES (5, 7, 3, 'Anna', 'Paraugs', 'lv')",
    'INSERT INTO risk_signal (student_id, "group", factor, level, observed_from, observed_to,'
    " created_at) VALUES (5, 'education', 'absences', 'caution', '2026-11-02', '2026-11-02',"
    " '2026-11-02 08:00:00+00')",
    "INSERT INTO consultation (student_id, specialist_type, held_on, minutes, mode,"
    " student_confirmed, created_at) VALUES (5, 'psychologist', '2026-11-03', 40, 'in_person',"
    " TRUE, '2026-11-03 09:00:00+00')",
]


async def test_signals_and_sessions_logged_before_school_columns_get_their_students_school(
    empty_database_url,
):
    config = tortoise_config(empty_database_url)
    await migrate(config=config, target="models.0002_outbox_parts_sent")
    try:
        for statement in BEFORE_SCHOOL_COLUMNS:
            await connections.get("default").execute_script(statement)
    finally:
        await Tortoise.close_connections()
    await upgrade(empty_database_url)
    async with database(empty_database_url, apply_migrations=False):
        assert await RiskSignal.all().values_list("school_id", flat=True) == [7]
        assert await Consultation.all().values_list("school_id", flat=True) == [7]


BEFORE_CONSENT_EVIDENCE = [
    *BEFORE_SCHOOL_COLUMNS[:4],
    "INSERT INTO person (id, display_name, locale, unreachable, created_at)"
    " VALUES (11, 'Fictional teacher', 'lv', FALSE, '2026-09-01 08:00:00+00')",
    "INSERT INTO person (id, display_name, locale, unreachable, created_at)"
    " VALUES (12, 'Fictional parent', 'lv', FALSE, '2026-09-01 08:00:00+00')",
    "INSERT INTO membership (person_id, role, student_id, created_at)"
    " VALUES (12, 'parent', 5, '2026-09-01 08:00:00+00')",
    *(
        "INSERT INTO iap (id, student_id, school_year, semester, status, preparer_id, consent,"
        f" consent_by_id, consent_at, created_at, updated_at) VALUES ({iap_id}, 5, 2026,"
        f" {semester}, 'draft', 11, '{consent}', {by}, {at}, '2026-09-02 08:00:00+00',"
        " '2026-09-02 08:00:00+00')"
        for iap_id, semester, consent, by, at in (
            (1, 1, "given", 11, "'2026-09-03 08:00:00+00'"),  # entered by staff
            (2, 2, "refused", 12, "'2026-09-03 08:00:00+00'"),  # the parent's own answer
            (3, 3, "missing", "NULL", "NULL"),
        )
    ),
]


async def test_consent_kept_before_evidence_is_marked_online_or_unknown(empty_database_url):
    config = tortoise_config(empty_database_url)
    await migrate(config=config, target="models.0003_signal_and_session_school")
    try:
        for statement in BEFORE_CONSENT_EVIDENCE:
            await connections.get("default").execute_script(statement)
    finally:
        await Tortoise.close_connections()
    await upgrade(empty_database_url)
    async with database(empty_database_url, apply_migrations=False):
        plans = await Iap.all().order_by("id").values_list("consent_method", "consent_signed_on")
        assert plans == [("unknown", None), ("online", None), (None, None)]


BEFORE_NEED_ASKERS = [
    *BEFORE_CONSENT_EVIDENCE[:7],
    "INSERT INTO support_need (id, student_id, support_type, school_year, semester, months,"
    " status, asked_by_id, created_at) VALUES (9, 5, 'meals', 2026, 1, '[]', 'asked', 11,"
    " '2026-09-04 08:00:00+00')",
    "INSERT INTO outbox (recipient_id, kind, payload, status, attempts, parts_sent, not_before,"
    " next_attempt_at, created_at) VALUES (12, 'need_question', '{\"need_id\": 9}', 'sent', 1,"
    " 0, '2026-09-04 08:00:00+00', '2026-09-04 08:00:00+00', '2026-09-04 08:00:00+00')",
]


async def test_needs_asked_before_keep_their_asker_and_questions_sent_are_not_sent_again(
    empty_database_url,
):
    config = tortoise_config(empty_database_url)
    await migrate(config=config, target="models.0004_consent_evidence")
    try:
        for statement in BEFORE_NEED_ASKERS:
            await connections.get("default").execute_script(statement)
    finally:
        await Tortoise.close_connections()
    await upgrade(empty_database_url)
    async with database(empty_database_url, apply_migrations=False):
        askers = await SupportNeedAsker.all().values_list("need_id", "person_id")
        assert askers == [(9, 11)]
        assert await OutboxItem.all().values_list("dedupe_key", flat=True) == ["need:9"]
        await Membership.create(person_id=11, role="teacher", school_id=7)
        teacher = await load_actor(11)
        asked = await needs.ask_about_need(teacher, 5, "meals", Semester(2026, 1))
        assert asked.already_open
        assert await OutboxItem.filter(kind="need_question").count() == 1


BEFORE_PLAN_EDITING = [
    *BEFORE_CONSENT_EVIDENCE[:5],
    "INSERT INTO iap (id, student_id, school_year, semester, status, preparer_id, consent,"
    " created_at, updated_at) VALUES (1, 5, 2026, 1, 'draft', 11, 'missing',"
    " '2026-09-02 08:00:00+00', '2026-09-02 08:00:00+00')",
    "INSERT INTO iap_measure (iap_id, kind, support_type, risk_factors, planned_quantity,"
    " created_at) VALUES (1, 'material', 'meals', '[\"material_conditions\"]', 4,"
    " '2026-09-02 08:00:00+00')",
]


async def test_measures_planned_before_months_were_kept_have_none(empty_database_url):
    config = tortoise_config(empty_database_url)
    await migrate(config=config, target="models.0006_privacy")
    try:
        for statement in BEFORE_PLAN_EDITING:
            await connections.get("default").execute_script(statement)
    finally:
        await Tortoise.close_connections()
    await upgrade(empty_database_url)
    async with database(empty_database_url, apply_migrations=False):
        assert await IapMeasure.all().values_list("months", "planned_quantity") == [
            ([], Decimal("4.0"))
        ]
        assert await IapRiskGroup.all().count() == 0


def _signal(student: int, first: str, last: str, value: int, note: str = "NULL") -> str:
    return (
        'INSERT INTO risk_signal (student_id, school_id, "group", factor, level, value,'
        " observed_from, observed_to, reporter_id, note, created_at) VALUES"
        f" ({student}, 7, 'learning', 'unexcused_absences', 'caution', {value}, '{first}',"
        f" '{last}', 11, {note}, '2026-11-02 08:00:00+00')"
    )


BEFORE_ATTENDANCE = [
    *BEFORE_SCHOOL_COLUMNS[:4],
    "INSERT INTO student (id, school_id, school_class_id, first_name, last_name, family_language)"
    " VALUES (6, 7, 3, 'Peteris', 'Paraugs', 'lv')",
    "INSERT INTO person (id, display_name, locale, unreachable, created_at)"
    " VALUES (11, 'Fictional teacher', 'lv', FALSE, '2026-09-01 08:00:00+00')",
    "INSERT INTO iap (id, student_id, school_year, semester, status, preparer_id, consent,"
    " created_at, updated_at) VALUES (1, 6, 2026, 1, 'draft', 11, 'missing',"
    " '2026-09-02 08:00:00+00', '2026-09-02 08:00:00+00')",
    _signal(5, "2026-11-02", "2026-11-02", 2),  # the bot's: two logs of one day
    _signal(5, "2026-11-02", "2026-11-02", 1),
    _signal(5, "2026-11-03", "2026-11-03", 4),
    _signal(5, "2026-10-01", "2026-10-31", 9),  # a period: stays
    _signal(5, "2026-11-04", "2026-11-04", 3, "'a note'"),  # a person's judgement: stays
    _signal(6, "2026-11-02", "2026-11-02", 5),  # a student with a plan: kept as well
]


async def test_absences_logged_as_signals_become_attendance(empty_database_url):
    config = tortoise_config(empty_database_url)
    await migrate(config=config, target="models.0009_data_in")
    try:
        for statement in BEFORE_ATTENDANCE:
            await connections.get("default").execute_script(statement)
    finally:
        await Tortoise.close_connections()
    await upgrade(empty_database_url)
    async with database(empty_database_url, apply_migrations=False):
        rows = await Absence.all().order_by("student_id", "day")
        assert [(a.student_id, str(a.day), a.unexcused, a.source, a.reporter_id) for a in rows] == [
            (5, "2026-11-02", 3, "bot", 11),
            (5, "2026-11-03", 4, "bot", 11),
            (6, "2026-11-02", 5, "bot", 11),
        ]
        left = await RiskSignal.all().order_by("id").values_list("student_id", "value")
        assert left == [(5, 9), (5, 3), (6, 5)]
