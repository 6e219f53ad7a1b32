"""The API's endpoints: each parses, calls one service function, and shapes the answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import AuthenticateFirst, CurrentActor, Locale, SemesterParam, semester_param
from api.errors import answers
from api.schemas import (
    ActivityIn,
    ActivityOut,
    ClassIn,
    ClassOut,
    ConsentIn,
    ConsultationIn,
    ConsultationOut,
    IapIn,
    IapOut,
    InviteIn,
    InviteOut,
    Line,
    MeasureIn,
    MeasureOut,
    MoveIn,
    MoveStudentIn,
    NeedAnswerIn,
    NeedIn,
    NeedOut,
    ReturnIn,
    ReviewIn,
    ReviewOut,
    RiskSignalIn,
    RiskSignalOut,
    RosterOut,
    RosterRefs,
    SchoolOut,
    StudentOut,
)
from core import audit, catalogues
from core.access import visible_student
from core.iap import assemble_for_student, assemble_school
from core.iap_view import iap_to_dict
from core.ids import Id
from core.links import invite_link
from core.services import (
    activities,
    consultations,
    iaps,
    needs,
    people,
    rosters,
    schools,
    signals,
)

router = APIRouter(route_class=AuthenticateFirst)

CATALOGUES: dict[str, catalogues.Catalogue[Any]] = {
    "risk_groups": catalogues.RISK_GROUPS,
    "risk_factors": catalogues.RISK_FACTORS,
    "risk_levels": catalogues.RISK_LEVELS,
    "specialist_types": catalogues.SPECIALIST_TYPES,
    "support_types": catalogues.SUPPORT_TYPES,
    "consultation_modes": catalogues.CONSULTATION_MODES,
    "activity_formats": catalogues.ACTIVITY_FORMATS,
    "iap_statuses": catalogues.IAP_STATUSES,
    "measure_realised": catalogues.MEASURE_REALISED,
    "risk_outcomes": catalogues.RISK_OUTCOMES,
    "outcomes": catalogues.OUTCOMES,
    "early_leaving_reasons": catalogues.EARLY_LEAVING_REASONS,
    "roles": catalogues.ROLES,
}


@router.get("/catalogues", tags=["catalogues"])
async def list_catalogues(locale: Locale) -> dict[str, list[dict[str, Any]]]:
    """Every catalogue's codes with labels in the language of Accept-Language."""
    return {
        name: [
            {"code": entry.code, "label": entry.text(locale)}
            | ({"group": entry.group} if isinstance(entry, catalogues.RiskFactor) else {})
            for entry in catalogue
        ]
        for name, catalogue in CATALOGUES.items()
    }


@router.get("/me", tags=["people"])
async def me(actor: CurrentActor) -> dict[str, Any]:
    return {
        "id": actor.id,
        "display_name": actor.person.display_name,
        "locale": actor.locale,
        "roles": sorted(actor.roles),
    }


# Schools, classes, students


@router.get("/schools", tags=["schools"])
async def list_schools(actor: CurrentActor) -> list[SchoolOut]:
    return [SchoolOut.model_validate(s) for s in await schools.list_schools(actor)]


@router.get("/schools/{school_id}/classes", tags=["schools"], responses=answers(404))
async def list_classes(actor: CurrentActor, school_id: Id) -> list[ClassOut]:
    return [ClassOut.model_validate(c) for c in await schools.list_classes(actor, school_id)]


@router.post(
    "/schools/{school_id}/classes", status_code=201, tags=["schools"], responses=answers(403, 404)
)
async def create_class(actor: CurrentActor, school_id: Id, body: ClassIn) -> ClassOut:
    school_class = await schools.create_class(actor, school_id, body.grade, body.name)
    return ClassOut.model_validate(school_class)


@router.post(
    "/schools/{school_id}/roster",
    tags=["schools"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    responses=answers(403, 404, 409),
)
async def import_roster(
    actor: CurrentActor,
    school_id: Id,
    request: Request,
    partial: Annotated[bool, Query(description="only add and update; nobody leaves")] = False,
    dry_run: Annotated[bool, Query(description="say what would change; save nothing")] = False,
) -> RosterOut:
    """The school's roster, kept in sync with its register: an upsert by `student_ref`.

    A CSV file (at most 5 MB, 5000 students) with a header naming the columns `student_ref`,
    `class`, `first_name`, `last_name` and optionally `family_language`, in any order (also in
    Latvian: `klase`, `vards`, `uzvards`, ...; other columns are ignored). UTF-8 with or without
    BOM or cp1257; separated by commas, semicolons or tabs; any line endings: what was detected
    is in the answer.

    New refs are added; changed names, classes and family languages updated; students missing
    from a full import leave the lists (their records and plans stay), and come back when they
    reappear. `partial=true` only adds and updates. Importing the same file again changes
    nothing. The whole file or nothing: the first problem is a 422 naming its line and column
    (in `detail`, and in `fields` as `line 3, column klase`). `dry_run=true` answers the same
    counts and saves nothing. `student_ref` is the register's pupil id, never a personal code.
    """
    result = await rosters.import_roster(
        actor, school_id, request.stream(), partial=partial, dry_run=dry_run
    )
    return RosterOut(
        dry_run=result.dry_run,
        partial=result.partial,
        rows=result.rows,
        added=result.added,
        updated=result.updated,
        updated_fields=result.updated_fields,
        moved_class=result.moved_class,
        left=result.left,
        returned=result.returned,
        unchanged=result.unchanged,
        classes_created=result.classes_created,
        refs=RosterRefs(**result.refs),
        encoding=result.found.encoding,
        separator=result.found.separator,
        line_endings=result.found.line_ending,
    )


@router.post("/students/{student_id}/move", tags=["students"], responses=answers(403, 404))
async def move_student(actor: CurrentActor, student_id: Id, body: MoveStudentIn) -> StudentOut:
    """Move a student to another school of the programme (a programme administrator, or a
    municipality coordinator over both schools). Their plans and records go with them; the new
    school sees them from now on, the old one no longer does."""
    student = await rosters.move_student(actor, student_id, **body.model_dump())
    return StudentOut.model_validate(student)


@router.get("/students", tags=["students"])
async def list_students(
    actor: CurrentActor,
    school_id: Id | None = None,
    class_id: Id | None = None,
    search: Annotated[Line | None, Query(max_length=60)] = None,
) -> list[StudentOut]:
    found = await schools.list_students(
        actor, school_id=school_id, class_id=class_id, search=search
    )
    return [StudentOut.model_validate(s) for s in found]


@router.get("/students/{student_id}", tags=["students"], responses=answers(404))
async def get_student(actor: CurrentActor, student_id: Id) -> StudentOut:
    student = await visible_student(actor, student_id)
    await audit.read(actor.id, "student", student.id, "student")
    return StudentOut.model_validate(student)


# Invites


@router.post("/invites", status_code=201, tags=["people"], responses=answers(403, 404))
async def create_invite(actor: CurrentActor, body: InviteIn) -> InviteOut:
    """A one-time, expiring invite; the code is shown only in this answer."""
    issued = await people.create_invite(actor, **body.model_dump())
    return InviteOut(
        code=issued.code,
        link=invite_link(issued.code),
        role=issued.invite.role,
        expires_at=issued.invite.expires_at,
    )


# Risk signals, consultations, needs, activities


@router.post("/risk-signals", status_code=201, tags=["records"], responses=answers(403, 404))
async def record_risk_signal(actor: CurrentActor, body: RiskSignalIn) -> RiskSignalOut:
    fields = body.model_dump(exclude={"student_id", "factor"})
    signal = await signals.record_risk_signal(actor, body.student_id, body.factor, **fields)
    return RiskSignalOut.model_validate(signal)


@router.delete(
    "/risk-signals/{signal_id}", status_code=204, tags=["records"], responses=answers(403, 404)
)
async def undo_risk_signal(actor: CurrentActor, signal_id: Id) -> None:
    """The reporter takes a signal back, within ten minutes."""
    await signals.undo_risk_signal(actor, signal_id)


@router.get("/students/{student_id}/risk-signals", tags=["records"], responses=answers(403, 404))
async def list_risk_signals(actor: CurrentActor, student_id: Id) -> list[RiskSignalOut]:
    found = await signals.list_risk_signals(actor, student_id)
    return [RiskSignalOut.model_validate(s) for s in found]


@router.post("/consultations", status_code=201, tags=["records"], responses=answers(403, 404))
async def log_consultation(actor: CurrentActor, body: ConsultationIn) -> ConsultationOut:
    fields = body.model_dump(exclude={"student_id"})
    consultation = await consultations.log_consultation(actor, body.student_id, **fields)
    return ConsultationOut.model_validate(consultation)


@router.get("/students/{student_id}/consultations", tags=["records"], responses=answers(403, 404))
async def list_consultations(actor: CurrentActor, student_id: Id) -> list[ConsultationOut]:
    found = await consultations.list_consultations(actor, student_id)
    return [ConsultationOut.model_validate(c) for c in found]


@router.post("/support-needs", status_code=201, tags=["records"], responses=answers(403, 404))
async def ask_about_need(actor: CurrentActor, body: NeedIn, semester: SemesterParam) -> NeedOut:
    """Ask the student's parents whether they need this support this semester."""
    need = await needs.ask_parent_about_need(actor, body.student_id, body.support_type, semester)
    return NeedOut.model_validate(need)


@router.post("/support-needs/{need_id}/answer", tags=["records"], responses=answers(403, 404, 409))
async def answer_need(actor: CurrentActor, need_id: Id, body: NeedAnswerIn) -> NeedOut:
    need = await needs.answer_need(actor, need_id, **body.model_dump())
    return NeedOut.model_validate(need)


@router.get("/students/{student_id}/support-needs", tags=["records"], responses=answers(404))
async def list_needs(actor: CurrentActor, student_id: Id) -> list[NeedOut]:
    return [NeedOut.model_validate(n) for n in await needs.list_needs(actor, student_id)]


@router.post("/peer-activities", status_code=201, tags=["records"], responses=answers(403, 404))
async def register_peer_activity(actor: CurrentActor, body: ActivityIn) -> ActivityOut:
    fields = body.model_dump(exclude={"ngo_id"})
    activity = await activities.register_peer_activity(actor, body.ngo_id, **fields)
    return ActivityOut.model_validate(activity)


@router.get("/peer-activities", tags=["records"], responses=answers(403))
async def list_peer_activities(actor: CurrentActor) -> list[ActivityOut]:
    return [ActivityOut.model_validate(a) for a in await activities.list_peer_activities(actor)]


# IAPs


@router.get("/students/{student_id}/iap", tags=["iaps"], responses=answers(404))
async def read_iap(
    actor: CurrentActor, locale: Locale, student_id: Id, semester: SemesterParam
) -> dict[str, Any]:
    """The student's assembled plan for the semester, labels in the caller's language."""
    return iap_to_dict(await assemble_for_student(actor, student_id, semester), locale)


@router.get("/schools/{school_id}/iaps", tags=["iaps"], responses=answers(404))
async def read_school_iaps(
    actor: CurrentActor, locale: Locale, school_id: Id, semester: SemesterParam
) -> list[dict[str, Any]]:
    """Every plan (and every student at risk without one) of the school for the semester."""
    return [iap_to_dict(plan, locale) for plan in await assemble_school(actor, school_id, semester)]


@router.post("/iaps", status_code=201, tags=["iaps"], responses=answers(403, 404, 409))
async def open_iap(actor: CurrentActor, body: IapIn) -> IapOut:
    semester = semester_param(body.semester)
    return IapOut.model_validate(await iaps.open_iap(actor, body.student_id, semester))


@router.post(
    "/iaps/{iap_id}/measures", status_code=201, tags=["iaps"], responses=answers(403, 404, 409)
)
async def add_measure(actor: CurrentActor, iap_id: Id, body: MeasureIn) -> MeasureOut:
    return MeasureOut.model_validate(await iaps.add_measure(actor, iap_id, **body.model_dump()))


@router.post("/iaps/{iap_id}/consent", tags=["iaps"], responses=answers(403, 404, 409))
async def record_consent(actor: CurrentActor, iap_id: Id, body: ConsentIn) -> IapOut:
    return IapOut.model_validate(await iaps.record_consent(actor, iap_id, **body.model_dump()))


@router.post(
    "/iaps/{iap_id}/consent-request",
    status_code=202,
    tags=["iaps"],
    responses=answers(403, 404, 409),
)
async def ask_for_consent(actor: CurrentActor, iap_id: Id) -> IapOut:
    """Ask the student's parents, through the bot, to consent to this draft plan."""
    return IapOut.model_validate(await needs.ask_parent_for_consent(actor, iap_id))


@router.post("/iaps/{iap_id}/submit", tags=["iaps"], responses=answers(403, 404, 409))
async def submit_for_approval(actor: CurrentActor, iap_id: Id) -> IapOut:
    """Send a draft for approval; refused (409) while something blocks it (`/blockers`)."""
    return IapOut.model_validate(await iaps.submit_plan(actor, iap_id))


@router.post("/iaps/{iap_id}/approve", tags=["iaps"], responses=answers(403, 404, 409))
async def approve_iap(actor: CurrentActor, iap_id: Id) -> IapOut:
    return IapOut.model_validate(await iaps.approve_iap(actor, iap_id))


@router.post("/iaps/{iap_id}/return", tags=["iaps"], responses=answers(403, 404, 409))
async def return_iap(actor: CurrentActor, iap_id: Id, body: ReturnIn) -> IapOut:
    return IapOut.model_validate(await iaps.return_iap(actor, iap_id, body.comment))


@router.post("/iaps/{iap_id}/move", tags=["iaps"], responses=answers(403, 404, 409))
async def move_iap(actor: CurrentActor, iap_id: Id, body: MoveIn) -> IapOut:
    return IapOut.model_validate(await iaps.move_iap(actor, iap_id, body.status, body.reason))


@router.post("/iaps/{iap_id}/review", tags=["iaps"], responses=answers(403, 404, 409))
async def review_iap(actor: CurrentActor, iap_id: Id, body: ReviewIn) -> ReviewOut:
    iap, successor = await iaps.review_iap(actor, iap_id, **body.model_dump())
    return ReviewOut(
        iap=IapOut.model_validate(iap),
        continued_as=IapOut.model_validate(successor) if successor else None,
    )
