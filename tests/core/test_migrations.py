"""Migrations: they build a working database, run twice harmlessly, and match the models."""

from tortoise.migrations.autodetector import MigrationAutodetector

from storage.db import database, tortoise_config, upgrade
from storage.models import AuditEvent, Municipality


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
