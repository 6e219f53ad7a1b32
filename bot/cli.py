"""The `pumpurs` command line."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer

from bot import cli_attendance, cli_roster
from bot.actors import ActorCache
from bot.cli_admin import admin_app
from core.access import load_actor
from core.catalogues import ROLES
from core.errors import DomainError
from core.i18n import supported
from core.links import invite_link
from storage.db import database, upgrade
from storage.redis import connect_redis
from storage.settings import storage_settings

T = TypeVar("T")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

app = typer.Typer(help="Pumpurs: early-school-leaving support (PuMPuRS).", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
invite_app = typer.Typer(help="One-time invites.", no_args_is_help=True)
privacy_app = typer.Typer(help="Personal data: export, erasure, retention.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(invite_app, name="invite")
app.add_typer(privacy_app, name="privacy")
app.add_typer(cli_roster.app, name="roster")
app.add_typer(admin_app, name="admin")
app.add_typer(cli_attendance.app, name="attendance")


@asynccontextmanager
async def telling_running_bots() -> AsyncIterator[None]:
    """With Redis, the bots' cached actors are forgotten when a command changes a person."""
    redis_url = storage_settings().redis_url
    if redis_url is None:  # bots without Redis keep actors for seconds only
        yield
        return
    redis = connect_redis(redis_url)
    cache = ActorCache(redis)  # listens while the command runs
    try:
        yield
    finally:
        del cache
        await redis.aclose()


def run_with_database(work: Callable[[], Awaitable[T]]) -> T:
    """Open (and migrate) the database, run `work`, close; a domain error exits with its text."""

    async def main() -> T:
        async with database(), telling_running_bots():
            return await work()

    try:
        return asyncio.run(main())
    except DomainError as error:
        typer.echo(error.text("en"), err=True)
        raise typer.Exit(code=1) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API (docs at /docs) and, when BOT_TOKEN is set, the Telegram bot."""
    from bot.runner import serve as run_server

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    asyncio.run(run_server(host, port))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    asyncio.run(upgrade())
    typer.echo("Database is up to date.")


@app.command("demo-data")
def demo_data(
    if_empty: Annotated[bool, typer.Option(help="Only when the database is empty.")] = False,
) -> None:
    """Load a fictional municipality, schools, students, staff and a term of records."""
    from core.demo import database_is_empty, load_demo_data

    async def work() -> str:
        if not await database_is_empty():
            if if_empty:
                return "The database already has data; demo data not loaded."
            raise typer.BadParameter("the database is not empty")
        summary = await load_demo_data()
        return f"Demo data loaded: {summary}\n{summary.roles_text()}"

    typer.echo(run_with_database(work))


@token_app.command("create")
def token_create(
    person_id: Annotated[int, typer.Option(help="The person the token acts as.")],
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 90,
) -> None:
    """Issue an API bearer token for a person; it is printed once and stored hashed."""
    from core.services.people import create_api_token

    typer.echo(run_with_database(lambda: create_api_token(person_id, days)))


@token_app.command("list")
def token_list() -> None:
    """Every token: id, person, created, expires, last used, revoked (never the secret)."""
    from core.services.people import list_api_tokens

    def moment(value: datetime | None) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"

    tokens = run_with_database(list_api_tokens)
    typer.echo("id\tperson\tcreated\texpires\tlast used\trevoked")
    for token in tokens:
        times = (token.created_at, token.expires_at, token.last_used_at, token.revoked_at)
        typer.echo("\t".join([str(token.id), str(token.person_id), *map(moment, times)]))


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token at once: requests with it are refused from now on."""
    from core.services.people import revoke_api_token

    run_with_database(lambda: revoke_api_token(token_id))
    typer.echo(f"Token {token_id} is revoked.")


@invite_app.command("create")
def invite_create(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES.codes())}.")],
    school_id: Annotated[int | None, typer.Option()] = None,
    municipality_id: Annotated[int | None, typer.Option()] = None,
    ngo_id: Annotated[int | None, typer.Option()] = None,
    student_id: Annotated[int | None, typer.Option(help="For a parent: the child.")] = None,
    specialty: Annotated[str | None, typer.Option(help="For a specialist.")] = None,
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 7,
    by: Annotated[int | None, typer.Option(help="Issue as this person (checks scope).")] = None,
) -> None:
    """Issue a one-time invite; prints the code (and the bot link when BOT_USERNAME is set)."""
    from core.services.people import create_invite

    async def work() -> str:
        actor = await load_actor(by) if by is not None else None
        issued = await create_invite(
            actor,
            role,
            school_id=school_id,
            municipality_id=municipality_id,
            ngo_id=ngo_id,
            student_id=student_id,
            specialty=specialty,
            valid_days=days,
        )
        return invite_link(issued.code) or issued.code

    typer.echo(run_with_database(work))


@app.command()
def chat(
    as_: Annotated[
        str,
        typer.Option(
            "--as", help="teacher, specialist, parent, volunteer, coordinator or municipality."
        ),
    ],
) -> None:
    """Talk to the bot from this terminal as a local person, without Telegram."""
    from bot.chat import ROLES as CHAT_ROLES  # the people `make run`'s demo has
    from bot.chat import chat as run_chat

    if as_ not in CHAT_ROLES:
        raise typer.BadParameter(f"choose one of: {', '.join(CHAT_ROLES)}")
    run_with_database(lambda: run_chat(as_))


@privacy_app.command("export")
def privacy_export(
    student_id: Annotated[int | None, typer.Option(help="Everything held about a student.")] = None,
    person_id: Annotated[int | None, typer.Option(help="Everything held about a person.")] = None,
    locale: Annotated[str, typer.Option(help="Language of the labels: lv, ru, uk, en.")] = "lv",
) -> None:
    """Print, as JSON, everything held about a student or a person (right of access)."""
    from core.services import privacy

    if (student_id is None) == (person_id is None):
        raise typer.BadParameter("give either --student-id or --person-id")
    if student_id is not None:
        data = run_with_database(lambda: privacy.export_student(student_id, supported(locale)))
    elif person_id is not None:
        data = run_with_database(lambda: privacy.export_person(person_id, supported(locale)))
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@privacy_app.command("erase")
def privacy_erase(
    student_id: Annotated[int, typer.Option(help="The student whose personal data goes.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a student's names and free text for good; their counts stay in the statistics."""
    from core.services import privacy

    if not yes:
        typer.confirm(
            f"Erase student {student_id}'s personal data? This cannot be undone.", abort=True
        )
    erased = run_with_database(lambda: privacy.erase_student(student_id))
    typer.echo(f"Student {student_id}: " + ("erased." if erased else "was already erased."))


@privacy_app.command("purge")
def privacy_purge(
    before: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Erase students whose last activity was before this day "
            "(default: RETENTION_YEARS, 5, years ago).",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase every student whose last plan (or, without one, last record) is past retention."""
    from core.services import privacy

    cutoff = before.date() if before else privacy.retention_cutoff()
    due = run_with_database(lambda: privacy.students_past_retention(cutoff))
    if not due:
        typer.echo(f"No student's last activity is before {cutoff}: nothing to erase.")
        return
    if not yes:
        typer.confirm(
            f"Erase the personal data of {len(due)} students whose last activity was before "
            f"{cutoff}? This cannot be undone.",
            abort=True,
        )
    erased = run_with_database(lambda: privacy.purge(cutoff))
    typer.echo(f"Erased {erased} students.")
