"""Privacy in the core: token lifetimes, export, erasure and retention, the read audit."""

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from core.errors import InvalidInput
from core.services.people import create_api_token, list_api_tokens, revoke_api_token
from storage.db import database, tortoise_config, upgrade
from storage.models import ApiToken

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
