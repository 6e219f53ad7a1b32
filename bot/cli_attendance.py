"""`pumpurs attendance`: import a school's attendance export, recompute its students' levels.

Run by the operator (no person acts: audited with no actor), for a school given by id.
"""

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Attendance: e-journal exports and early-warning levels.", no_args_is_help=True
)


def _levels_line(by_level: dict[str | None, int]) -> str:
    return ", ".join(
        f"{level or 'none'}: {by_level.get(level, 0)}" for level in (None, "caution", "high")
    )


@app.command("import")
def import_file(
    school_id: Annotated[int, typer.Option(help="The school the file is from.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV export.")],
    dry_run: Annotated[bool, typer.Option(help="Only tell what would change.")] = False,
) -> None:
    """Import `student_ref,date,lessons_missed[,excused]` rows: all of them or, on any bad line,
    none (each bad line is printed)."""
    from bot.cli import run_with_database
    from core.csv_import import file_chunks
    from core.services.attendance import import_attendance

    report = run_with_database(
        lambda: import_attendance(None, school_id, file_chunks(str(file)), dry_run=dry_run)
    )
    found = report.detected
    typer.echo(
        f"Read {report.rows} rows ({found.encoding}, {found.separator} separator, "
        f"{found.line_ending} line endings), {report.first_day} to {report.last_day}."
    )
    verb = "would be" if dry_run else "were"
    typer.echo(
        f"Student-days: {report.created} new, {report.updated} changed, "
        f"{report.unchanged} unchanged {verb} saved."
    )
    for note in report.warnings:
        typer.echo(f"Warning: {note.text('en')}")
    if report.levels is not None:
        typer.echo(f"Students in the file by level: {_levels_line(report.levels.by_level)}.")
        for change in report.levels.changes:
            typer.echo(
                f"Student {change.student_id}: {change.before or 'none'} -> "
                f"{change.after or 'none'} ({change.unexcused} of {change.lessons} lessons "
                f"unexcused, {change.excused} excused, {change.window_from} to {change.window_to})"
            )


@app.command("levels")
def levels(
    school_id: Annotated[int, typer.Option(help="The school whose students to recompute.")],
) -> None:
    """Recompute every current student's level over the window ending today; print the counts."""
    from bot.cli import run_with_database
    from core import clock
    from core.services.absence_levels import recompute_levels

    count = run_with_database(lambda: recompute_levels([school_id], clock.today()))
    typer.echo(f"Students by level: {_levels_line(count.by_level)}; {len(count.changes)} changed.")
