"""`pumpurs roster`: a school's roster from its register's CSV export, and moving a student."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import typer

from core.access import load_actor
from core.csv_import import CHUNK

app = typer.Typer(help="Rosters: import a school's students, move a student.", no_args_is_help=True)


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


@app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV file.")],
    school_id: Annotated[int, typer.Option(help="The school whose roster this is.")],
    partial: Annotated[
        bool, typer.Option("--partial", help="Only add and update; nobody is marked as left.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; save nothing.")
    ] = False,
    by: Annotated[int | None, typer.Option(help="Import as this person (checks scope).")] = None,
) -> None:
    """Upsert a roster by student_ref: header student_ref,class,first_name,last_name
    [,family_language]. The whole file or nothing; a problem names its line and column."""
    from bot.cli import run_with_database
    from core.services.rosters import KINDS, import_roster

    async def work():
        actor = await load_actor(by) if by is not None else None
        return await import_roster(
            actor, school_id, _chunks(file), partial=partial, dry_run=dry_run
        )

    result = run_with_database(work)
    found = result.found
    typer.echo(
        f"Read {result.rows} students: {found.encoding}, {found.separator}-separated, "
        f"{found.line_ending} line endings."
    )
    verb = "Would change" if dry_run else "Changed"
    typer.echo(f"{verb} ({'partial' if partial else 'full'} import):")
    for kind in KINDS:
        count = getattr(result, kind)
        refs = result.refs[kind]
        more = ", ..." if count > len(refs) else ""
        typer.echo(f"  {kind}: {count}" + (f" ({', '.join(refs)}{more})" if refs else ""))
    if result.updated_fields:
        fields = ", ".join(f"{name} {n}" for name, n in sorted(result.updated_fields.items()))
        typer.echo(f"  updated fields: {fields}")
    typer.echo(f"  unchanged: {result.unchanged}; new classes: {result.classes_created}")
    if dry_run:
        typer.echo("Dry run: nothing was saved.")
    elif not (result.changes or result.classes_created):
        typer.echo("The roster was already up to date: nothing was saved.")


@app.command("move")
def roster_move(
    student_id: Annotated[int, typer.Option(help="The student who moves.")],
    to_school_id: Annotated[int, typer.Option(help="The school they move to.")],
    class_name: Annotated[str, typer.Option("--class", help="Their class there, like 7.a.")],
    student_ref: Annotated[
        str | None, typer.Option(help="Their id in the new school's register.")
    ] = None,
    by: Annotated[int | None, typer.Option(help="Move as this person (checks scope).")] = None,
) -> None:
    """Move a student to another school: their plans and records go with them."""
    from bot.cli import run_with_database
    from core.services.rosters import move_student

    async def work():
        actor = await load_actor(by) if by is not None else None
        return await move_student(
            actor, student_id, to_school_id, class_name=class_name, student_ref=student_ref
        )

    student = run_with_database(work)
    typer.echo(f"Student {student.id} is now at school {student.school_id}.")
