"""Schemathesis over every operation, as each role and with no token: the OpenAPI document is true.

Every check runs: no server error, every status and body as documented, bad input refused,
authentication enforced. The app runs in-process on Schemathesis's own event loop, so the test
database is opened (and migrated) by the app's lifespan there, on a fresh database of the kind
the suite runs on.
"""

import asyncio
import os
import uuid
from collections import Counter
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import shutdown_lifespans

from api.app import create_app
from core.clock import now
from core.services.people import _hash as token_hash
from storage.db import database
from storage.models import ApiToken
from tests.conftest import TEST_DATABASE_URL, _drop_postgres_database, require_server
from tests.world import build_world

TOKENS = {
    role: f"schemathesis-{role}"
    for role in ("teacher_a", "parent_a1", "volunteer", "coordinator_a", "coordinator_m1", "admin")
}

# Every check, with a bounded number of examples. Schema-valid input that breaks a domain rule
# (a date in the future, a plan in the wrong state for this step) is refused with the documented
# 422, so positive data may be answered with it too.
CONFIG = """
[generation]
max-examples = 5
database = "none"
deterministic = true  # the same requests on every run: CI fails only for a real change

[phases.stateful]
enabled = false

[checks]
enabled = true

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""


async def fresh_database() -> str:
    """The URL of a new, empty database of the suite's kind."""
    if not TEST_DATABASE_URL.startswith("postgres"):
        return f"sqlite:///tmp/pumpurs-schemathesis-{uuid.uuid4().hex}.sqlite3"
    import asyncpg

    name = f"test_{uuid.uuid4().hex}"
    admin = TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1)
    connection = await asyncpg.connect(admin)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return urlparse(TEST_DATABASE_URL)._replace(path=f"/{name}").geturl()


async def the_world_in(url: str) -> None:
    """Migrate the database and fill it with the test world and a token per role."""
    async with database(url):
        world = await build_world()
        for role, token in TOKENS.items():
            await ApiToken.create(
                token_hash=token_hash(token),
                person_id=getattr(world, role).id,
                expires_at=now() + timedelta(days=1),
            )


async def dropped(url: str) -> None:
    if url.startswith("sqlite"):
        os.remove(url.removeprefix("sqlite://"))
    else:
        await _drop_postgres_database(TEST_DATABASE_URL, urlparse(url).path.lstrip("/"))


DATABASE: dict[str, str] = {}  # the URL the module's world is in


def app_on_the_world():
    """The API over the module's world, opened by the app's lifespan."""
    app = create_app(manage_database=False)

    @asynccontextmanager
    async def lifespan(_):
        async with database(DATABASE["url"], apply_migrations=False):
            yield

    app.router.lifespan_context = lifespan
    return app


APP = app_on_the_world()
schema = schemathesis.openapi.from_dict(APP.openapi(), config=SchemathesisConfig.from_str(CONFIG))
schema.app = APP  # as `from_asgi` does, without a request at import time


@pytest.fixture(scope="module", autouse=True)
def the_world():
    """Migrated and filled before the first case: inside a Hypothesis test it costs minutes."""
    if TEST_DATABASE_URL.startswith("postgres"):
        require_server(TEST_DATABASE_URL, "PostgreSQL")
    DATABASE["url"] = asyncio.run(fresh_database())
    asyncio.run(the_world_in(DATABASE["url"]))
    yield
    shutdown_lifespans()
    asyncio.run(dropped(DATABASE["url"]))


SENT: Counter[str] = Counter()  # requests generated so far, per operation


@schema.parametrize()
def test_the_api_answers_as_documented(case):
    """The first request of each operation goes out as every role and with no token; the rest
    (hundreds: every boundary the coverage phase finds) each as the next role in turn."""
    callers = [*TOKENS, None]
    sent = SENT[case.operation.label]
    SENT[case.operation.label] += 1
    for role in callers if sent == 0 else [callers[sent % len(callers)]]:
        headers = {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}
        case.call_and_validate(headers=headers)
