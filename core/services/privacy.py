"""Privacy: who read a student's data, a copy of everything held (right of access), and erasure
with retention (right to erasure) that keeps the programme's statistics true.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from tortoise.expressions import Q
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor
from core.catalogues import (
    APPROVAL_STEPS,
    CONSENT_STATES,
    CONSULTATION_MODES,
    EARLY_LEAVING_REASONS,
    IAP_STATUSES,
    MEASURE_REALISED,
    NEED_STATUSES,
    OUTCOMES,
    RISK_FACTORS,
    RISK_GROUPS,
    RISK_LEVELS,
    RISK_OUTCOMES,
    ROLES,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
    Catalogue,
)
from core.clock import Semester, now, today
from core.errors import NotFound
from core.person_changes import person_changed
from core.services import outbox
from core.services.absence_levels import ABSENCE_HIGH
from storage.columns import column
from storage.models import (
    Absence,
    ApiToken,
    AuditEvent,
    Consultation,
    Iap,
    IapApproval,
    IapMeasure,
    IapRiskGroup,
    IapTransition,
    Invite,
    Membership,
    OutboxItem,
    Person,
    RiskSignal,
    Student,
    StudentOutcome,
    SupportNeed,
)

ACCESS_LOG_LIMIT = 500


async def coordinated_student(actor: Actor, student_id: int) -> Student:
    """A student of a school this actor coordinates (directly or through the municipality).

    Anyone else is answered as if the student did not exist.
    """
    student = await Student.get_or_none(id=student_id).select_related("school")
    if student is None or not (
        student.school_id in actor.coordinated_school_ids
        or student.school.municipality_id in actor.municipality_ids
    ):
        raise NotFound()
    return student


@dataclass(frozen=True)
class AccessLine:
    at: datetime
    person_id: int | None  # None: the operator at the command line
    person_name: str | None
    what: str  # plan, risk_signals, consultations, support_needs, student, export; plans
    scope: str  # student, or school: a school-wide list the student may have been on


async def access_log(actor: Actor, student_id: int) -> list[AccessLine]:
    """Who read the student's data and when, newest first (the latest 500)."""
    student = await coordinated_student(actor, student_id)
    rows = (
        await AuditEvent.filter(
            Q(entity="student", entity_id=student.id)
            | Q(entity="school", entity_id=student.school_id),
            action__startswith=audit.READ,
        )
        .order_by("-at", "-id")
        .limit(ACCESS_LOG_LIMIT)
        .values("at", "person_id", "person__display_name", "action", "entity")
    )
    return [
        AccessLine(
            at=row["at"],
            person_id=row["person_id"],
            person_name=row["person__display_name"],
            what=row["action"].removeprefix(audit.READ),
            scope=row["entity"],
        )
        for row in rows
    ]


# --- right of access: a copy of everything held ---------------------------------------------

# Every model holding data about a student, directly or through their plans: the export and the
# erasure below cover each (a test checks no model with a student or plan key is missing).
STUDENT_DATA = (
    Student,
    Absence,
    RiskSignal,
    Consultation,
    SupportNeed,
    Iap,
    IapMeasure,
    IapApproval,
    IapTransition,
    IapRiskGroup,
    StudentOutcome,
    Membership,
    Invite,
    OutboxItem,
    AuditEvent,
)
Row = dict[str, Any]


def _plain(value: Any) -> Any:
    """A value as JSON has it: dates and moments in ISO 8601, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(record: Any, *names: str) -> Row:
    return {name: _plain(getattr(record, name)) for name in names}


def _coded(catalogue: Catalogue[Any], code: str | None, locale: str) -> Row | None:
    """A catalogue code with its label in `locale` (the code alone if the catalogue lacks it)."""
    if code is None:
        return None
    return {"code": code, "label": catalogue[code].text(locale) if code in catalogue else code}


def _events(events: list[AuditEvent]) -> list[Row]:
    return [_fields(e, "at", "person_id", "action", "entity", "entity_id") for e in events]


async def export_student(student_id: int, locale: str, reader_id: int | None = None) -> Row:
    """Everything held about a student, labels in `locale`; the read is audited."""
    student = await Student.get_or_none(id=student_id).select_related(
        "school__municipality", "school_class"
    )
    if student is None:
        raise NotFound()
    await audit.read(reader_id, "student", student.id, "export")
    signals = await RiskSignal.filter(student_id=student.id).order_by("observed_to", "id")
    absences = await Absence.filter(student_id=student.id).order_by("day")
    sessions = await Consultation.filter(student_id=student.id).order_by("held_on", "id")
    needs = await SupportNeed.filter(student_id=student.id).order_by("created_at", "id")
    plans = await Iap.filter(student_id=student.id).order_by("school_year", "semester")
    plan_ids = [plan.id for plan in plans] or [-1]
    measures = await IapMeasure.filter(iap_id__in=plan_ids).order_by("id")
    approvals = await IapApproval.filter(iap_id__in=plan_ids).order_by("at", "id")
    history = await IapTransition.filter(iap_id__in=plan_ids).order_by("at", "id")
    groups = await IapRiskGroup.filter(iap_id__in=plan_ids).order_by("id")
    parents = await Membership.filter(student_id=student.id).order_by("id")
    invites = await Invite.filter(student_id=student.id).order_by("id")
    outcomes = await StudentOutcome.filter(student_id=student.id).order_by("school_year", "id")
    ids = _RecordIds.of(
        student.id, signals, sessions, needs, plans, measures, parents, invites, outcomes
    )
    messages = await _messages_about(ids, _people(needs, plans, approvals, history, parents))
    messages += await _warnings_about(student.id)
    events = await AuditEvent.filter(ids.audit_filter()).order_by("at", "id")
    return {
        "student": {
            **_fields(student, "id", "first_name", "last_name", "family_language"),
            **_fields(student, "created_at", "erased_at", "student_ref", "left_at"),
            "absence_level": _coded(RISK_LEVELS, student.absence_level, locale),
            "class": _fields(student.school_class, "id", "grade", "name"),
            "school": _fields(student.school, "id", "name", "kind"),
            "municipality": _fields(student.school.municipality, "id", "name"),
        },
        "risk_signals": [_signal(signal, locale) for signal in signals],
        "absences": [
            _fields(a, "day", "unexcused", "excused", "source", "reporter_id", "school_id")
            for a in absences
        ],
        "consultations": [_session(session, locale) for session in sessions],
        "support_needs": [_need(need, locale) for need in needs],
        "plans": [_plan(plan, measures, approvals, history, groups, locale) for plan in plans],
        "outcomes": [
            {
                **_fields(o, "id", "school_id", "school_year", "semester"),
                "outcome": _coded(OUTCOMES, o.outcome, locale),
                "reason": _coded(EARLY_LEAVING_REASONS, o.reason, locale),
                **_fields(o, "recorded_by_id", "recorded_at"),
            }
            for o in outcomes
        ],
        "parents": [
            {**_fields(m, "person_id", "created_at"), "role": _coded(ROLES, m.role, locale)}
            for m in parents
        ],
        "invites": [
            _fields(
                i,
                "id",
                "role",
                "created_by_id",
                "created_at",
                "expires_at",
                "used_at",
                "used_by_id",
            )
            for i in invites
        ],
        "messages": [_message(item) for item in messages],
        "audit_events": _events(events),
    }


def _signal(signal: RiskSignal, locale: str) -> Row:
    return {
        **_fields(signal, "id", "value", "observed_from", "observed_to", "reporter_id", "note"),
        "group": _coded(RISK_GROUPS, signal.group, locale),
        "factor": _coded(RISK_FACTORS, signal.factor, locale),
        "level": _coded(RISK_LEVELS, signal.level, locale),
        "created_at": _plain(signal.created_at),
    }


def _session(session: Consultation, locale: str) -> Row:
    return {
        **_fields(session, "id", "held_on", "minutes", "provider_id", "student_confirmed"),
        "specialist_type": _coded(SPECIALIST_TYPES, session.specialist_type, locale),
        "mode": _coded(CONSULTATION_MODES, session.mode, locale),
        "topic": session.topic,
        "created_at": _plain(session.created_at),
    }


def _need(need: SupportNeed, locale: str) -> Row:
    return {
        **_fields(need, "id", "school_year", "semester", "months", "details"),
        "support_type": _coded(SUPPORT_TYPES, need.support_type, locale),
        "status": _coded(NEED_STATUSES, need.status, locale),
        **_fields(need, "asked_by_id", "answered_by_id", "answered_at", "created_at"),
    }


def _plan(
    plan: Iap,
    measures: list[IapMeasure],
    approvals: list[IapApproval],
    history: list[IapTransition],
    groups: list[IapRiskGroup],
    locale: str,
) -> Row:
    return {
        **_fields(plan, "id", "school_year", "semester", "preparer_id"),
        "status": _coded(IAP_STATUSES, plan.status, locale),
        "consent": _coded(CONSENT_STATES, plan.consent, locale),
        **_fields(plan, "consent_by_id", "consent_at", "pause_reason", "evaluation", "continues"),
        "risk_outcome": _coded(RISK_OUTCOMES, plan.risk_outcome, locale),
        **_fields(plan, "continued_from_id", "created_at", "updated_at"),
        "measures": [
            {
                **_fields(m, "id", "kind", "planned_quantity", "created_at"),
                "specialist_type": _coded(SPECIALIST_TYPES, m.specialist_type, locale),
                "support_type": _coded(SUPPORT_TYPES, m.support_type, locale),
                "risk_factors": [_coded(RISK_FACTORS, code, locale) for code in m.risk_factors],
                "realised": _coded(MEASURE_REALISED, m.realised, locale),
                "evaluation_note": m.evaluation_note,
                "months": m.months,
            }
            for m in measures
            if m.iap_id == plan.id
        ],
        "risk_groups": [
            {
                "group": _coded(RISK_GROUPS, g.group, locale),
                "factors_added": [_coded(RISK_FACTORS, code, locale) for code in g.factors],
                **_fields(g, "justification", "created_at", "updated_at"),
            }
            for g in groups
            if g.iap_id == plan.id
        ],
        "approvals": [
            {**_fields(a, "person_id", "at"), "step": _coded(APPROVAL_STEPS, a.step, locale)}
            for a in approvals
            if a.iap_id == plan.id
        ],
        "status_history": [
            {
                "from": _coded(IAP_STATUSES, t.from_status, locale),
                "to": _coded(IAP_STATUSES, t.to_status, locale),
                **_fields(t, "person_id", "comment", "at"),
            }
            for t in history
            if t.iap_id == plan.id
        ],
    }


def _message(item: OutboxItem) -> Row:
    return _fields(
        item, "id", "recipient_id", "kind", "payload", "status", "created_at", "sent_at"
    ) | {"last_error": item.last_error}


@dataclass(frozen=True)
class _RecordIds:
    """The ids of a student's records: what audit events and messages about them name."""

    student: int
    by_entity: dict[str, list[int]]

    @classmethod
    def of(cls, student_id: int, *groups: list[Any]) -> "_RecordIds":
        by_entity: dict[str, list[int]] = {"student": [student_id]}
        for group in groups:
            for record in group:
                by_entity.setdefault(record._meta.db_table, []).append(record.id)
        return cls(student_id, by_entity)

    def audit_filter(self) -> Q:
        filters = [Q(entity=entity, entity_id__in=ids) for entity, ids in self.by_entity.items()]
        return Q(*filters, join_type=Q.OR)

    def names(self, payload: dict[str, Any]) -> bool:
        """Whether a message's payload is about one of these records."""
        keys = {"student_id": "student", "need_id": "support_need", "iap_id": "iap"}
        return any(
            payload.get(key) in self.by_entity.get(entity, ()) for key, entity in keys.items()
        )


def _people(*groups: list[Any]) -> set[int]:
    """Everyone named in these records: the people messages about the student went to."""
    names = ("person_id", "asked_by_id", "answered_by_id", "preparer_id", "consent_by_id")
    return {
        person_id
        for group in groups
        for record in group
        for name in names
        if (person_id := getattr(record, name, None)) is not None
    }


async def _messages_about(ids: _RecordIds, people: set[int]) -> list[OutboxItem]:
    """Messages about the student's records, among those sent to the people in them."""
    items = await OutboxItem.filter(recipient_id__in=list(people) or [-1]).order_by("id")
    return [item for item in items if ids.names(item.payload or {})]


async def _warnings_about(student_id: int) -> list[OutboxItem]:
    """Early warnings about the student's absences (sent to coordinators and teachers)."""
    items = await OutboxItem.filter(kind=ABSENCE_HIGH).order_by("id")
    return [item for item in items if (item.payload or {}).get("student_id") == student_id]


async def export_student_for(actor: Actor, student_id: int, locale: str) -> Row:
    """The export, for a coordinator of the student's school or municipality only."""
    student = await coordinated_student(actor, student_id)
    return await export_student(student.id, locale, actor.id)


async def export_person(person_id: int, locale: str) -> Row:
    """Everything held about a person: who they are, their roles and tokens, what they recorded
    (audit events by them) and what was sent to them."""
    person = await Person.get_or_none(id=person_id)
    if person is None:
        raise NotFound()
    memberships = await Membership.filter(person_id=person.id).order_by("id")
    tokens = await ApiToken.filter(person_id=person.id).order_by("id")
    events = await AuditEvent.filter(person_id=person.id).order_by("at", "id")
    messages = await OutboxItem.filter(recipient_id=person.id).order_by("id")
    await audit.read(None, "person", person.id, "export")
    return {
        "person": _fields(
            person,
            "id",
            "display_name",
            "telegram_id",
            "locale",
            "quiet_start_minute",
            "quiet_end_minute",
            "unreachable",
            "created_at",
        ),
        "memberships": [
            {
                **_fields(m, "id", "specialty", "school_id", "municipality_id", "ngo_id"),
                "role": _coded(ROLES, m.role, locale),
                **_fields(m, "student_id", "created_at"),
            }
            for m in memberships
        ],
        "api_tokens": [
            _fields(t, "id", "created_at", "expires_at", "last_used_at", "revoked_at")
            for t in tokens
        ],
        "audit_events": _events(events),
        "messages": [_message(item) for item in messages],
    }


# --- right to erasure and retention ---------------------------------------------------------

ERASED = "—"  # what an erased name reads as: nothing that points to anyone


class PrivacySettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Years personal data is kept after a student's last activity (see the README for why 5).
    retention_years: int = Field(default=5, ge=1, le=50)


def retention_cutoff(years: int | None = None, day: date | None = None) -> date:
    """The day before which a student's last activity lets their data be erased."""
    years = years or PrivacySettings().retention_years
    day = day or today()
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


async def erase_student(student_id: int, by: int | None = None) -> bool:
    """Erase a student's personal data for good; False if it was erased before.

    Names become a placeholder; notes, topics, routes, reasons, evaluations and comments are
    blanked; the child's parent links and invites go, and a parent left with no role keeps no
    name or Telegram id. Rows, codes, dates and numbers stay, so every count stays true (a
    semester outcome holds codes only, and stays whole).
    Messages about the student still waiting are dropped. The erasure is audited, without content.
    """
    student = await Student.get_or_none(id=student_id)
    if student is None:
        raise NotFound()
    plans = Iap.filter(student_id=student.id)
    async with in_transaction():
        erased = await Student.filter(id=student.id, erased_at__isnull=True).update(
            first_name=ERASED,
            last_name=ERASED,
            family_language="lv",
            student_ref=None,  # the register's id names the child as well as a name does
            absence_level=None,
            erased_at=now(),
        )
        if not erased:
            return False
        ids = _RecordIds.of(
            student.id,
            await SupportNeed.filter(student_id=student.id).only("id"),
            await plans.only("id"),
        )
        parents = await column(Membership.filter(student_id=student.id), "person_id")
        people = set(parents) | await _people_of(student.id)
        await _drop_messages_about(ids, people)
        await _drop(await _warnings_about(student.id))
        await Absence.filter(student_id=student.id).delete()  # a day-by-day record of a child
        await RiskSignal.filter(student_id=student.id).update(note=None)
        await Consultation.filter(student_id=student.id).update(topic=None)
        await SupportNeed.filter(student_id=student.id).update(details=None)
        await plans.update(pause_reason=None, evaluation=None)
        await IapMeasure.filter(iap__student_id=student.id).update(evaluation_note=None)
        await IapTransition.filter(iap__student_id=student.id).update(comment=None)
        await IapRiskGroup.filter(iap__student_id=student.id).update(justification=None)
        await Membership.filter(student_id=student.id).delete()
        await Invite.filter(student_id=student.id).delete()
        await _forget_people_without_roles(set(parents))
        await audit.record(by, "student.erase", "student", student.id)
    for person_id in set(parents):  # they lost a role (and maybe their Telegram id)
        await person_changed(person_id)
    return True


async def _people_of(student_id: int) -> set[int]:
    """Who asked about the student's needs and prepared their plans: their messages' recipients."""
    asked = await column(SupportNeed.filter(student_id=student_id), "asked_by_id")
    prepared = await column(Iap.filter(student_id=student_id), "preparer_id")
    return {person_id for person_id in (*asked, *prepared) if person_id is not None}


async def _drop_messages_about(ids: _RecordIds, people: set[int]) -> None:
    """Messages about the student not yet sent are not sent; none keeps its error text."""
    await _drop(await _messages_about(ids, people))


async def _drop(messages: list[OutboxItem]) -> None:
    items = [item.id for item in messages]
    if not items:
        return
    waiting = (outbox.PENDING, outbox.SENDING)
    await OutboxItem.filter(id__in=items, status__in=waiting).update(
        status=outbox.FAILED, claimed_until=None
    )
    await OutboxItem.filter(id__in=items).update(last_error=None)


async def _forget_people_without_roles(person_ids: set[int]) -> None:
    """A parent whose only child was erased: no name, no Telegram id, no working token."""
    if not person_ids:
        return
    still = await Membership.filter(person_id__in=list(person_ids)).values_list(
        "person_id", flat=True
    )
    gone = list(person_ids - set(still))
    if not gone:
        return
    await Person.filter(id__in=gone).update(display_name=ERASED, telegram_id=None)
    await ApiToken.filter(person_id__in=gone, revoked_at__isnull=True).update(revoked_at=now())
    for person_id in gone:
        await audit.record(None, "person.erase", "person", person_id)


async def students_past_retention(before: date) -> list[int]:
    """Students not yet erased whose last activity was before `before`.

    A student's last activity is the latest of: the end of their last plan's semester (or the
    plan's last change), their last risk signal, consultation or support need, and the day they
    joined the roster.
    """
    last: dict[int, date] = {}

    def seen(student_id: int, moment: date | datetime | str | None) -> None:
        if moment is None:
            return
        day = _as_date(moment)
        if student_id not in last or day > last[student_id]:
            last[student_id] = day

    active = Student.filter(erased_at__isnull=True)
    for student_id, added in await active.values_list("id", "created_at"):
        seen(student_id, added or now())
    for plan in await Iap.filter(student__erased_at__isnull=True).values(
        "student_id", "school_year", "semester", "updated_at"
    ):
        seen(plan["student_id"], Semester(plan["school_year"], plan["semester"]).end)
        seen(plan["student_id"], plan["updated_at"])
    for student_id, day in (
        await Absence.filter(student__erased_at__isnull=True)
        .annotate(last=Max("day"))
        .group_by("student_id")
        .values_list("student_id", "last")
    ):
        seen(student_id, day)
    for model in (RiskSignal, Consultation, SupportNeed):
        rows = (
            await model.filter(student__erased_at__isnull=True)
            .annotate(last=Max("created_at"))
            .group_by("student_id")
            .values("student_id", "last")
        )
        for row in rows:
            seen(row["student_id"], row["last"])
    return sorted(student_id for student_id, day in last.items() if day < before)


async def purge(before: date) -> int:
    """Erase every student past retention (see `students_past_retention`); how many were."""
    erased = 0
    for student_id in await students_past_retention(before):
        erased += await erase_student(student_id)
    return erased


def _as_date(value: date | datetime | str) -> date:
    """A moment's day in UTC; SQLite returns aggregated moments as text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()
    return value
