"""Migrations: they build a working database, run twice harmlessly, keep data, match the models."""

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from storage.db import database, tortoise_config, upgrade
from storage.models import AuditEvent, Consultation, Municipality, RiskSignal


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
