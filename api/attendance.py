"""Attendance over HTTP: a school's e-journal export imported, a class's absences logged."""

from typing import Annotated

from fastapi import APIRouter, Body

from api.deps import AuthenticateFirst, CurrentActor, Locale
from api.errors import answers
from api.schemas import AbsencesIn, AbsencesOut, AttendanceImportOut, LevelChangeOut, LineNoteOut
from core.ids import Id
from core.services import attendance
from core.services.absence_levels import LevelChange

router = APIRouter(tags=["attendance"], route_class=AuthenticateFirst)


def change_out(change: LevelChange) -> LevelChangeOut:
    return LevelChangeOut(
        student_id=change.student_id,
        before=change.before,
        after=change.after,
        unexcused=change.unexcused,
        excused=change.excused,
        lessons=change.lessons,
        share_percent=change.share_tenths / 10,
        window_from=change.window_from,
        window_to=change.window_to,
    )


@router.post(
    "/schools/{school_id}/attendance",
    tags=["schools"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    responses=answers(403, 404),
)
async def import_attendance(
    actor: CurrentActor,
    locale: Locale,
    school_id: Id,
    content: Annotated[bytes, Body(media_type="text/csv")],
    dry_run: bool = False,
) -> AttendanceImportOut:
    """CSV `student_ref,date,lessons_missed[,excused]` (UTF-8 or cp1257, `,` or `;`): one
    absence record per student and day, a later file replacing a day's counts. All rows or
    none: a 422 lists every bad line in `fields`. The school's coordinators only."""
    report = await attendance.import_attendance(actor, school_id, content, dry_run=dry_run)
    levels = report.levels
    return AttendanceImportOut(
        dry_run=report.dry_run,
        encoding=report.detected.encoding,
        separator=report.detected.separator,
        line_ending=report.detected.line_ending,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        first_day=report.first_day,
        last_day=report.last_day,
        warnings=[
            LineNoteOut(line=note.line, problem=note.problem.text(locale))
            for note in report.warnings
        ],
        levels=(
            {level or "none": count for level, count in levels.by_level.items()} if levels else None
        ),
        changes=[change_out(change) for change in levels.changes] if levels else [],
    )


@router.post("/absences", status_code=201, tags=["records"], responses=answers(404))
async def record_absences(actor: CurrentActor, body: AbsencesIn) -> AbsencesOut:
    """Unexcused lessons several students of a class missed on one school day (default today,
    at most 14 days back); a day logged again replaces its count. Levels are recomputed."""
    report = await attendance.record_absences(
        actor, body.class_id, dict.fromkeys(body.student_ids, body.lessons), body.day
    )
    return AbsencesOut(
        day=report.day,
        saved=len(report.saved),
        changes=[change_out(change) for change in report.levels.changes],
    )
