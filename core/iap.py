"""IAP assembly: one structure per student and semester, built from what was logged.

Whatever a student's history, assembling costs the same fixed number of queries (eleven, on one
connection), and a whole school's plans come back from one call (`assemble_school`) for one more
(its students in play), besides the access check and the audit. What was realised is what the
semester holds: sessions of a measure's specialist type, confirmed months of its support type (a
plan has at most one measure of each). A parent reads the `for_parent` projection.

A plan's risks are those its student's signals show in the semester, and the factors its preparer
added (`from_signals` False, dated when added, at the caution level); the preparer justifies each
risk group. What stops a draft from being sent for approval is `blockers`.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Max, Min, Sum

from core import audit
from core.access import Actor, can_work_with, student_scope, visible_school, visible_student
from core.catalogues import ABSENCES, CAUTION, HIGH, RISK_FACTORS
from core.clock import RIGA, Semester
from core.errors import AccessDenied, NotFound
from core.formatting import hours_of
from core.missed_lessons import missed_lessons
from storage.models import (
    Consultation,
    Iap,
    IapApproval,
    IapMeasure,
    IapRiskGroup,
    IapTransition,
    RiskSignal,
    School,
    Student,
    StudentOutcome,
    SupportNeed,
)
from storage.one_of import one_of
from storage.statements import Statement, one_connection


@dataclass
class RiskLine:
    group: str
    factor: str
    level: str  # the highest level seen
    first_seen: date
    last_seen: date
    signals: int
    lessons_missed: int | None  # absences summed; None for factors without a value
    addressed: bool = False  # some measure is linked to this factor
    from_signals: bool = True  # False: added by the preparer, without a signal this semester


@dataclass
class MeasureLine:
    id: int
    kind: str  # consultation | material
    specialist_type: str | None
    support_type: str | None
    risk_factors: list[str]
    planned: Decimal  # hours, or months of support
    months: list[int] = field(default_factory=list)  # material support: the months planned
    sessions: int = 0
    hours: Decimal = Decimal(0)
    months_confirmed: list[int] = field(default_factory=list)
    rating: str | None = None  # the review's: how it was realised, see MEASURE_REALISED
    evaluation_note: str | None = None

    @property
    def realised(self) -> Decimal:
        """How much of the planned quantity was delivered: hours, or months."""
        return self.hours if self.kind == "consultation" else Decimal(len(self.months_confirmed))


@dataclass
class SessionsLine:
    specialist_type: str
    sessions: int
    hours: Decimal


@dataclass
class NeedLine:
    id: int
    support_type: str
    status: str
    months: list[int]
    details: str | None


@dataclass
class Gap:
    """What a plan lacks. Kinds: no_plan, consent_missing, risk_without_measure,
    measure_not_realised; and what blocks a draft (`blockers`): no_risks, justification_missing,
    amount_missing."""

    kind: str
    code: str | None = None  # the factor, risk group, or specialist / support type
    measure_id: int | None = None  # the measure concerned, for amount_missing


@dataclass
class HistoryLine:
    from_status: str | None
    to_status: str
    at: datetime
    comment: str | None


@dataclass
class AssembledIap:
    student_id: int
    first_name: str
    last_name: str
    class_name: str
    school_id: int
    school_name: str
    semester: Semester
    state_vocational: bool = False  # a state vocational school: no municipality approval
    iap_id: int | None = None
    status: str | None = None
    preparer_name: str | None = None
    preparer_id: int | None = None
    consent: str = "missing"
    consent_method: str | None = None  # see CONSENT_METHODS
    consent_signed_on: date | None = None  # the date on the signed paper form
    consent_recorded_at: datetime | None = None
    consent_recorded_by: str | None = None  # the name of who recorded it
    approvals: list[tuple[str, datetime]] = field(default_factory=list)
    approvers: dict[str, str] = field(default_factory=dict)  # step -> who signed it
    pause_reason: str | None = None
    evaluation: str | None = None
    risk_outcome: str | None = None  # the review's: see RISK_OUTCOMES
    continues: bool | None = None
    continued_from_id: int | None = None
    outcome: str | None = None  # how the student's semester ended: see OUTCOMES
    outcome_reason: str | None = None  # left early: see EARLY_LEAVING_REASONS
    risks: list[RiskLine] = field(default_factory=list)
    justifications: dict[str, str] = field(default_factory=dict)  # risk group -> preparer's text
    measures: list[MeasureLine] = field(default_factory=list)
    sessions: list[SessionsLine] = field(default_factory=list)
    needs: list[NeedLine] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    history: list[HistoryLine] = field(default_factory=list)
    parent_view: bool = False  # the `for_parent` projection


async def assemble_iap(actor: Actor, iap_id: int) -> AssembledIap:
    """One plan by its id, as `assemble_for_student` gives it; out of scope answers as missing."""
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None:
        raise NotFound()
    semester = Semester(iap.school_year, iap.semester)
    try:
        return await assemble_for_student(actor, iap.student_id, semester)
    except AccessDenied:
        raise NotFound() from None


async def assemble_for_student(actor: Actor, student_id: int, semester: Semester) -> AssembledIap:
    """The student's plan as this actor may read it: whole for staff, `for_parent` for a parent."""
    student = await visible_student(actor, student_id)
    await audit.read(actor.id, "student", student.id, "plan")
    plan = (await assemble([student.id], semester))[0]
    return for_parent(plan) if await _reads_as_parent(actor, student) else plan


async def assemble_plan(actor: Actor, iap_id: int) -> AssembledIap:
    """A plan by its id, as this actor may read it; a plan out of sight answers as missing."""
    iap = await Iap.get_or_none(id=iap_id)
    if iap is None or not await Student.filter(student_scope(actor), id=iap.student_id).exists():
        raise NotFound()
    semester = Semester(iap.school_year, iap.semester)
    return await assemble_for_student(actor, iap.student_id, semester)


async def _reads_as_parent(actor: Actor, student: Student) -> bool:
    """The actor sees this student only as their parent, not as staff or coordinator over them."""
    if student.id not in actor.child_ids:
        return False
    school = await School.get(id=student.school_id)
    return not can_work_with(actor, student, school.municipality_id)


def for_parent(plan: AssembledIap) -> AssembledIap:
    """What a parent reads of their child's plan; the one place this is decided.

    A parent sees the status and approvals (who signed, as on the signed paper, and the
    preparer), the consent (how and when, not who entered it), the risks (group, factor, level,
    counts, dates), the measures planned and what was delivered
    (sessions, hours, months), the support needs with their own answers, and the history's
    status changes with dates. A parent never sees staff's words: no history comments (an
    approver's return comment), no pause reason, no evaluation (neither the overall note nor the
    rating and note of each measure, nor the risk situation) or whether the plan continues, no
    semester outcome recorded by staff, no
    risk justifications, no name of who entered the consent, no gaps (staff's to-do list).
    Signal notes and session topics are never assembled for anyone.
    """
    return replace(
        plan,
        justifications={},
        consent_recorded_by=None,
        pause_reason=None,
        evaluation=None,
        risk_outcome=None,
        measures=[replace(m, rating=None, evaluation_note=None) for m in plan.measures],
        continues=None,
        outcome=None,
        outcome_reason=None,
        gaps=[],
        history=[replace(line, comment=None) for line in plan.history],
        parent_view=True,
    )


async def assemble_school(actor: Actor, school_id: int, semester: Semester) -> list[AssembledIap]:
    """Every student of the school with a plan or a risk signal in the semester.

    For the school's staff and coordinators only: a parent, who has no school in scope, is
    refused and reads their own child's plan through `assemble_for_student`.
    """
    await visible_school(actor, school_id)
    await audit.read(actor.id, "school", school_id, "plans")
    return await assemble(await school_students_in_play(school_id, semester), semester)


async def school_students_in_play(school_id: int, semester: Semester) -> list[int]:
    """Students of a school with a plan, or on its lists with a signal, in the semester (one
    query), by id."""
    rows = await _IN_PLAY.rows(school=school_id, **_semester(semester))
    return [row["id"] for row in rows]


_IN_PLAY = Statement(
    Student,
    lambda v: (
        Student.filter(
            Q(
                id__in=Subquery(
                    Iap.filter(
                        student__school_id=v("school"), school_year=v("year"), semester=v("number")
                    ).values("student_id")
                )
            )
            | Q(
                left_at__isnull=True,  # a leaver's plans stay listed, not their signals
                id__in=Subquery(
                    RiskSignal.filter(
                        student__school_id=v("school"),
                        observed_to__gte=v("start"),
                        observed_to__lte=v("end"),
                    ).values("student_id")
                ),
            ),
            school_id=v("school"),
        )
        .order_by("id")
        .values("id")
    ),
)


def _semester(semester: Semester) -> dict[str, Any]:
    """The values of a semester the statements below take."""
    return {
        "year": semester.school_year,
        "number": semester.number,
        "start": semester.start,
        "end": semester.end,
    }


async def assemble(student_ids: list[int], semester: Semester) -> list[AssembledIap]:
    """Assemble the IAPs of these students (access already checked) in a fixed number of queries.

    Rows are read as values, not models: building model objects was half the time; and each
    query is a `Statement`, built by the ORM once, not once a call: most of the rest. They run
    on one connection, taken from the pool once."""
    if not student_ids:
        return []
    async with one_connection(Student):
        result = await _assemble(student_ids, semester)
    for entry in result.values():
        entry.gaps = _gaps(entry)
    return list(result.values())


async def _assemble(student_ids: list[int], semester: Semester) -> dict[int, AssembledIap]:
    """The students' plans by student, all but their gaps."""
    values = {"students": student_ids, **_semester(semester)}
    students = await _STUDENTS.rows(**values)
    result = {
        s["id"]: AssembledIap(
            student_id=s["id"],
            first_name=s["first_name"],
            last_name=s["last_name"],
            class_name=s["class_name"],
            school_id=s["school_id"],
            school_name=s["school_name"],
            semester=semester,
            state_vocational=s["state_vocational"],
        )
        for s in students
    }
    iaps = await _IAPS.rows(**values)
    iap_student = {iap["id"]: iap["student_id"] for iap in iaps}
    for iap in iaps:
        entry = result[iap["student_id"]]
        entry.iap_id, entry.status, entry.consent = iap["id"], iap["status"], iap["consent"]
        entry.preparer_name = iap["preparer_name"]
        entry.preparer_id, entry.risk_outcome = iap["preparer_id"], iap["risk_outcome"]
        entry.consent_method = iap["consent_method"]
        entry.consent_signed_on = iap["consent_signed_on"]
        entry.consent_recorded_at = iap["consent_at"]
        entry.consent_recorded_by = iap["consent_by_name"]
        entry.pause_reason, entry.evaluation = iap["pause_reason"], iap["evaluation"]
        entry.continues, entry.continued_from_id = iap["continues"], iap["continued_from_id"]
    for row in await _OUTCOMES.rows(**values):
        entry = result[row["student_id"]]
        entry.outcome, entry.outcome_reason = row["outcome"], row["reason"]
    added = await _add_plan_parts(result, iap_student)
    await _add_risks(result, values, added)
    await _add_sessions_and_needs(result, values)
    return result


_STUDENTS = Statement(
    Student,
    lambda v: (
        Student.filter(**one_of("id", v("students")))
        .order_by("school_class__grade", "school_class__name", "last_name", "first_name")
        .values(
            "id",
            "first_name",
            "last_name",
            "school_id",
            class_name="school_class__name",
            school_name="school__name",
            state_vocational="school__state_vocational",
        )
    ),
)
_IAPS = Statement(
    Iap,
    lambda v: Iap.filter(
        **one_of("student_id", v("students")), school_year=v("year"), semester=v("number")
    ).values(
        "id",
        "student_id",
        "status",
        "consent",
        "preparer_id",
        "risk_outcome",
        "consent_method",
        "consent_signed_on",
        "consent_at",
        "pause_reason",
        "evaluation",
        "continues",
        "continued_from_id",
        preparer_name="preparer__display_name",
        consent_by_name="consent_by__display_name",
    ),
)
_OUTCOMES = Statement(
    StudentOutcome,
    lambda v: StudentOutcome.filter(
        **one_of("student_id", v("students")), school_year=v("year"), semester=v("number")
    ).values("student_id", "outcome", "reason"),
)


async def _add_plan_parts(
    result: dict[int, AssembledIap], iap_student: dict[int, int]
) -> dict[int, dict[str, date]]:
    """Measures, approvals, history and justifications; gives back the factors preparers added
    (per student: factor -> the day added)."""
    iap_ids = list(iap_student)
    for measure in await _MEASURES.rows(iaps=iap_ids):
        result[iap_student[measure["iap_id"]]].measures.append(
            MeasureLine(
                id=measure["id"],
                kind=measure["kind"],
                specialist_type=measure["specialist_type"],
                support_type=measure["support_type"],
                risk_factors=list(measure["risk_factors"]),
                planned=measure["planned_quantity"],
                rating=measure["realised"],
                evaluation_note=measure["evaluation_note"],
                months=sorted(measure["months"]),
            )
        )
    for approval in await _APPROVALS.rows(iaps=iap_ids):
        entry = result[iap_student[approval["iap_id"]]]
        entry.approvals.append((approval["step"], approval["at"]))
        if approval["signer"] is not None:
            entry.approvers[approval["step"]] = approval["signer"]
    for step in await _HISTORY.rows(iaps=iap_ids):
        result[iap_student[step["iap_id"]]].history.append(
            HistoryLine(step["from_status"], step["to_status"], step["at"], step["comment"])
        )
    added: dict[int, dict[str, date]] = defaultdict(dict)
    for group in await _RISK_GROUPS.rows(iaps=iap_ids):
        student_id = iap_student[group["iap_id"]]
        if group["justification"]:
            result[student_id].justifications[group["group"]] = group["justification"]
        for factor in group["factors"]:
            added[student_id][factor] = group["created_at"].astimezone(RIGA).date()
    return added


_MEASURES = Statement(
    IapMeasure,
    lambda v: (
        IapMeasure.filter(**one_of("iap_id", v("iaps")))
        .order_by("id")
        .values(
            "id",
            "iap_id",
            "kind",
            "specialist_type",
            "support_type",
            "risk_factors",
            "planned_quantity",
            "realised",
            "evaluation_note",
            "months",
        )
    ),
)
_APPROVALS = Statement(
    IapApproval,
    lambda v: (
        IapApproval.filter(**one_of("iap_id", v("iaps")))
        .order_by("at", "id")
        .values("iap_id", "step", "at", signer="person__display_name")
    ),
)
_HISTORY = Statement(
    IapTransition,
    lambda v: (
        IapTransition.filter(**one_of("iap_id", v("iaps")))
        .order_by("at", "id")
        .values("iap_id", "from_status", "to_status", "at", "comment")
    ),
)
_RISK_GROUPS = Statement(
    IapRiskGroup,
    lambda v: (
        IapRiskGroup.filter(**one_of("iap_id", v("iaps")))
        .order_by("id")
        .values("iap_id", "group", "justification", "factors", "created_at")
    ),
)


async def _lessons_missed(values: dict[str, Any]) -> dict[int, int]:
    """Unexcused lessons each student missed in the semester, from the attendance (one query).

    Not the absence signals' values: a signal holds its window's total, and windows overlap
    (a student with no attendance recorded falls back to their signals' sum, as logged by hand).
    """
    missed = await missed_lessons(values["students"], values["start"], values["end"])
    return {student_id: lessons.unexcused for student_id, lessons in missed.items()}


_SIGNALS = Statement(
    RiskSignal,
    lambda v: (
        RiskSignal.filter(
            **one_of("student_id", v("students")),
            observed_to__gte=v("start"),
            observed_to__lte=v("end"),
        )
        .annotate(
            signals=Count("id"),
            lessons=Sum("value"),
            first_seen=Min("observed_from"),
            last_seen=Max("observed_to"),
            high_signals=Count("id", _filter=Q(level=HIGH)),
        )
        .group_by("student_id", "group", "factor")
        .values(
            "student_id",
            "group",
            "factor",
            "signals",
            "lessons",
            "first_seen",
            "last_seen",
            "high_signals",
        )
    ),
)


async def _add_risks(
    result: dict[int, AssembledIap], values: dict[str, Any], added: dict[int, dict[str, date]]
) -> None:
    rows = await _SIGNALS.rows(**values)
    missed = await _lessons_missed(values)
    planned = {
        student_id: {f for m in entry.measures for f in m.risk_factors}
        for student_id, entry in result.items()
    }  # per student: the factors some measure is linked to
    for row in rows:
        student_id, factor = row["student_id"], row["factor"]
        result[student_id].risks.append(
            RiskLine(
                group=row["group"],
                factor=factor,
                level=HIGH if row["high_signals"] else CAUTION,
                first_seen=_as_date(row["first_seen"]),
                last_seen=_as_date(row["last_seen"]),
                signals=row["signals"],
                lessons_missed=(
                    missed.get(student_id, int(row["lessons"] or 0)) if factor == ABSENCES else None
                ),
                addressed=factor in planned[student_id],
            )
        )
    order = {code: index for index, code in enumerate(RISK_FACTORS.codes())}
    for student_id, entry in result.items():
        logged = {risk.factor for risk in entry.risks}
        for factor, day in added.get(student_id, {}).items():
            if factor in logged or factor not in RISK_FACTORS:
                continue
            entry.risks.append(
                RiskLine(
                    group=RISK_FACTORS[factor].group,
                    factor=factor,
                    level=CAUTION,
                    first_seen=day,
                    last_seen=day,
                    signals=0,
                    lessons_missed=None,
                    addressed=factor in planned[student_id],
                    from_signals=False,
                )
            )
        entry.risks.sort(key=lambda risk: order.get(risk.factor, len(order)))


_SESSIONS = Statement(
    Consultation,
    lambda v: (
        Consultation.filter(
            **one_of("student_id", v("students")), held_on__gte=v("start"), held_on__lte=v("end")
        )
        .annotate(sessions=Count("id"), minutes_total=Sum("minutes"))
        .group_by("student_id", "specialist_type")
        .values("student_id", "specialist_type", "sessions", "minutes_total")
    ),
)
_NEEDS = Statement(
    SupportNeed,
    lambda v: (
        SupportNeed.filter(
            **one_of("student_id", v("students")), school_year=v("year"), semester=v("number")
        )
        .order_by("created_at", "id")
        .values("id", "student_id", "support_type", "status", "months", "details")
    ),
)


async def _add_sessions_and_needs(result: dict[int, AssembledIap], values: dict[str, Any]) -> None:
    measures = _measures_by_type(result)
    rows = await _SESSIONS.rows(**values)
    for row in sorted(rows, key=lambda r: r["specialist_type"]):
        student_id, specialist_type = row["student_id"], row["specialist_type"]
        hours = hours_of(int(row["minutes_total"] or 0))
        result[student_id].sessions.append(SessionsLine(specialist_type, row["sessions"], hours))
        for measure in measures.get((student_id, "consultation", specialist_type), ()):
            measure.sessions, measure.hours = row["sessions"], hours
    for need in await _NEEDS.rows(**values):
        student_id, support_type = need["student_id"], need["support_type"]
        result[student_id].needs.append(
            NeedLine(
                need["id"], support_type, need["status"], list(need["months"]), need["details"]
            )
        )
        if need["status"] != "confirmed":
            continue
        for measure in measures.get((student_id, "material", support_type), ()):
            months = set(measure.months_confirmed) | set(need["months"])
            measure.months_confirmed = sorted(months)


def _measures_by_type(
    result: dict[int, AssembledIap],
) -> dict[tuple[int, str, str | None], list[MeasureLine]]:
    """Each student's measures by kind and type: the specialist's, or the support's."""
    found: dict[tuple[int, str, str | None], list[MeasureLine]] = defaultdict(list)
    for student_id, entry in result.items():
        for measure in entry.measures:
            kind = measure.kind
            code = measure.specialist_type if kind == "consultation" else measure.support_type
            found[student_id, kind, code].append(measure)
    return found


def _gaps(entry: AssembledIap) -> list[Gap]:
    """What is missing: a plan, consent, a measure for a risk, delivery of a measure."""
    if entry.iap_id is None:
        return [Gap("no_plan")] if entry.risks else []
    gaps = []
    if entry.consent != "given":
        gaps.append(Gap("consent_missing"))
    gaps += [Gap("risk_without_measure", risk.factor) for risk in entry.risks if not risk.addressed]
    gaps += [
        Gap("measure_not_realised", measure.specialist_type or measure.support_type)
        for measure in entry.measures
        if measure.realised == 0
    ]
    return gaps


def blockers(plan: AssembledIap) -> list[Gap]:
    """What stops a draft from being sent for approval, in the order a preparer fixes it:
    consent, risks and their justification, a measure for each risk, an amount for each measure.
    (A plan needs a risk, and each risk a measure: so it has a measure too.)
    """
    if plan.iap_id is None:
        return []
    found = []
    if plan.consent != "given":
        found.append(Gap("consent_missing"))
    if not plan.risks:
        found.append(Gap("no_risks"))
    groups = dict.fromkeys(risk.group for risk in plan.risks)
    found += [
        Gap("justification_missing", group) for group in groups if group not in plan.justifications
    ]
    found += [Gap("risk_without_measure", risk.factor) for risk in plan.risks if not risk.addressed]
    found += [
        Gap("amount_missing", measure.specialist_type or measure.support_type, measure.id)
        for measure in plan.measures
        if not has_amount(measure)
    ]
    return found


def has_amount(measure: MeasureLine) -> bool:
    """Consultations have hours planned; material support, the months it covers."""
    if measure.kind == "material":
        return bool(measure.months)
    return measure.planned > 0


def _as_date(value: date | datetime | str) -> date:
    """SQLite returns aggregated dates as text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
