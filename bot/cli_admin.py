"""`pumpurs admin`: the programme's municipalities, schools, holidays and NGOs, and the first
coordinator and administrator invites. The operator at the command line is trusted (actor None)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from core.catalogues import MUNICIPALITY_COORDINATOR, PROGRAMME_ADMIN, SCHOOL_COORDINATOR
from core.links import invite_link
from core.services import organisations
from storage.models import School

T = TypeVar("T")

admin_app = typer.Typer(
    help="Programme administration: municipalities, schools, NGOs, first invites.",
    no_args_is_help=True,
)
municipality_app = typer.Typer(help="Municipalities.", no_args_is_help=True)
school_app = typer.Typer(help="Schools and their own settings.", no_args_is_help=True)
holiday_app = typer.Typer(help="A school's own holidays.", no_args_is_help=True)
ngo_app = typer.Typer(help="Youth NGOs.", no_args_is_help=True)
admin_app.add_typer(municipality_app, name="municipality")
admin_app.add_typer(school_app, name="school")
admin_app.add_typer(holiday_app, name="holiday")
admin_app.add_typer(ngo_app, name="ngo")

Day = Annotated[datetime, typer.Argument(formats=["%Y-%m-%d"])]


def run(work: Callable[[], Awaitable[T]]) -> T:
    from bot.cli import run_with_database  # bot.cli imports this module

    return run_with_database(work)


def default(value: object) -> str:
    return "default" if value is None else str(value)


def school_line(school: School) -> str:
    settings = (
        school.lessons_per_day,
        school.absence_caution_percent,
        school.absence_high_percent,
        school.absence_window_days,
    )
    flag = "yes" if school.state_vocational else "no"
    cells = [school.id, school.municipality_id, school.name, school.kind, flag]
    return "\t".join(map(str, cells)) + "\t" + "\t".join(map(default, settings))


@municipality_app.command("add")
def municipality_add(name: Annotated[str, typer.Argument(help="The municipality's name.")]) -> None:
    """Add a municipality."""
    municipality = run(lambda: organisations.create_municipality(None, name))
    typer.echo(f"Municipality {municipality.id}: {municipality.name}")


@municipality_app.command("rename")
def municipality_rename(municipality_id: int, name: str) -> None:
    """Rename a municipality."""
    municipality = run(lambda: organisations.rename_municipality(None, municipality_id, name))
    typer.echo(f"Municipality {municipality.id}: {municipality.name}")


@municipality_app.command("list")
def municipality_list() -> None:
    """Every municipality: id and name."""
    typer.echo("id\tname")
    for municipality in run(lambda: organisations.list_municipalities(None)):
        typer.echo(f"{municipality.id}\t{municipality.name}")


@school_app.command("add")
def school_add(
    municipality_id: Annotated[int, typer.Option(help="The municipality's id.")],
    name: Annotated[str, typer.Option(help="The school's name.")],
    kind: Annotated[str, typer.Option(help="general or vocational.")],
    state_vocational: Annotated[
        bool, typer.Option(help="A state vocational school: plans skip the municipality.")
    ] = False,
) -> None:
    """Add a school to a municipality."""
    school = run(
        lambda: organisations.create_school(None, municipality_id, name, kind, state_vocational)
    )
    typer.echo(f"School {school.id}: {school.name}")


@school_app.command("edit")
def school_edit(
    school_id: int,
    name: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option(help="general or vocational.")] = None,
    state_vocational: Annotated[bool | None, typer.Option()] = None,
    lessons_per_day: Annotated[int | None, typer.Option(help="1 to 10.")] = None,
    caution_percent: Annotated[
        float | None, typer.Option(help="Unexcused absences, % of lessons: caution from here.")
    ] = None,
    high_percent: Annotated[float | None, typer.Option(help="... high risk from here.")] = None,
    window_days: Annotated[
        int | None, typer.Option(help="Days the absence share is counted over, 7 to 90.")
    ] = None,
    default_settings: Annotated[
        bool, typer.Option(help="Set every setting back to the programme's default first.")
    ] = False,
) -> None:
    """Change a school's name, kind or settings; what is not given stays."""
    changes: dict[str, object] = dict.fromkeys(organisations.SETTINGS) if default_settings else {}
    given = {
        "name": name,
        "kind": kind,
        "state_vocational": state_vocational,
        "lessons_per_day": lessons_per_day,
        "absence_caution_percent": caution_percent,
        "absence_high_percent": high_percent,
        "absence_window_days": window_days,
    }
    changes |= {field: value for field, value in given.items() if value is not None}
    school = run(lambda: organisations.edit_school(None, school_id, **changes))
    typer.echo("id\tmunicipality\tname\tkind\tstate vocational\tlessons\tcaution\thigh\twindow")
    typer.echo(school_line(school))


@school_app.command("list")
def school_list(
    municipality_id: Annotated[int | None, typer.Option(help="Only this municipality's.")] = None,
) -> None:
    """Schools with their settings ("default": the programme's)."""
    typer.echo("id\tmunicipality\tname\tkind\tstate vocational\tlessons\tcaution\thigh\twindow")
    for school in run(lambda: organisations.list_schools(None, municipality_id)):
        typer.echo(school_line(school))


@holiday_app.command("add")
def holiday_add(
    school_id: int,
    first: Day,
    last: Day,
    name: Annotated[str | None, typer.Option(help="e.g. the school's own spring break.")] = None,
) -> None:
    """Add days the school does not teach (FIRST and LAST as YYYY-MM-DD, both included)."""
    holiday = run(
        lambda: organisations.add_holiday(None, school_id, first.date(), last.date(), name)
    )
    typer.echo(f"Holiday {holiday.id}: {holiday.first_day} to {holiday.last_day}")


@holiday_app.command("list")
def holiday_list(school_id: int) -> None:
    """The school's own holidays."""
    typer.echo("id\tfirst day\tlast day\tname")
    for holiday in run(lambda: organisations.list_holidays(None, school_id)):
        typer.echo(f"{holiday.id}\t{holiday.first_day}\t{holiday.last_day}\t{holiday.name or ''}")


@holiday_app.command("remove")
def holiday_remove(holiday_id: int) -> None:
    """Remove a school's holiday."""
    run(lambda: organisations.remove_holiday(None, holiday_id))
    typer.echo(f"Holiday {holiday_id} is removed.")


@ngo_app.command("add")
def ngo_add(
    municipality_id: Annotated[int, typer.Option(help="Where it runs its activities.")],
    name: Annotated[str, typer.Option(help="The organisation's name.")],
) -> None:
    """Add a youth NGO or youth group."""
    ngo = run(lambda: organisations.create_ngo(None, municipality_id, name))
    typer.echo(f"NGO {ngo.id}: {ngo.name}")


@ngo_app.command("list")
def ngo_list(
    municipality_id: Annotated[int | None, typer.Option(help="Only this municipality's.")] = None,
) -> None:
    """Youth NGOs: id, municipality, name."""
    typer.echo("id\tmunicipality\tname")
    for ngo in run(lambda: organisations.list_ngos(None, municipality_id)):
        typer.echo(f"{ngo.id}\t{ngo.municipality_id}\t{ngo.name}")


def issue_invite(
    role: str, days: int, *, school_id: int | None = None, municipality_id: int | None = None
) -> str:
    """A one-time invite's bot link (its code without BOT_USERNAME)."""
    from core.services.people import create_invite

    async def work() -> str:
        issued = await create_invite(
            None, role, valid_days=days, school_id=school_id, municipality_id=municipality_id
        )
        return invite_link(issued.code) or issued.code

    return run(work)


@admin_app.command("invite-coordinator")
def invite_coordinator(
    school_id: Annotated[int | None, typer.Option(help="For the school's coordinator.")] = None,
    municipality_id: Annotated[
        int | None, typer.Option(help="For the municipality's coordinator.")
    ] = None,
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 7,
) -> None:
    """Issue a school's or a municipality's coordinator invite; prints the link."""
    if (school_id is None) == (municipality_id is None):
        raise typer.BadParameter("give either --school-id or --municipality-id")
    if school_id is not None:
        typer.echo(issue_invite(SCHOOL_COORDINATOR, days, school_id=school_id))
    else:
        typer.echo(issue_invite(MUNICIPALITY_COORDINATOR, days, municipality_id=municipality_id))


@admin_app.command("invite-admin")
def invite_admin(days: Annotated[int, typer.Option(help="Days until it expires.")] = 7) -> None:
    """Issue a programme administrator's invite (IKVD staff); prints the link."""
    typer.echo(issue_invite(PROGRAMME_ADMIN, days))


@admin_app.command("import-schools")
def import_schools(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A CSV file.")],
) -> None:
    """Create or update schools from CSV `municipality,school,kind,state_vocational`.

    Missing municipalities are created; a school already there is updated, not doubled. All
    rows or none: a bad line is named, and nothing is saved.
    """
    content = file.read_bytes()
    result = run(lambda: organisations.import_schools(None, content))
    typer.echo(
        f"Schools: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged; municipalities created: {result.municipalities_created}."
    )
