"""Privacy: who read a student's data, a copy of everything held (right of access), and erasure
with retention (right to erasure) that keeps the programme's statistics true.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q

from core import audit
from core.access import Actor
from core.catalogues import (
    APPROVAL_STEPS,
    CONSENT_STATES,
    CONSULTATION_MODES,
    IAP_STATUSES,
    NEED_STATUSES,
    RISK_FACTORS,
    RISK_GROUPS,
    RISK_LEVELS,
    ROLES,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
    Catalogue,
)
from core.errors import NotFound
from storage.models import (
    ApiToken,
    AuditEvent,
    Consultation,
    Iap,
    IapApproval,
    IapMeasure,
    IapTransition,
    Invite,
    Membership,
    OutboxItem,
    Person,
    RiskSignal,
    Student,
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
    RiskSignal,
    Consultation,
    SupportNeed,
    Iap,
    IapMeasure,
    IapApproval,
    IapTransition,
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


def _coded(catalogue: Catalogue, code: str | None, locale: str) -> Row | None:
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
    sessions = await Consultation.filter(student_id=student.id).order_by("held_on", "id")
    needs = await SupportNeed.filter(student_id=student.id).order_by("created_at", "id")
    plans = await Iap.filter(student_id=student.id).order_by("school_year", "semester")
    plan_ids = [plan.id for plan in plans] or [-1]
    measures = await IapMeasure.filter(iap_id__in=plan_ids).order_by("id")
    approvals = await IapApproval.filter(iap_id__in=plan_ids).order_by("at", "id")
    history = await IapTransition.filter(iap_id__in=plan_ids).order_by("at", "id")
    parents = await Membership.filter(student_id=student.id).order_by("id")
    invites = await Invite.filter(student_id=student.id).order_by("id")
    ids = _RecordIds.of(student.id, signals, sessions, needs, plans, measures, parents, invites)
    messages = await _messages_about(ids, _people(needs, plans, approvals, history, parents))
    events = await AuditEvent.filter(ids.audit_filter()).order_by("at", "id")
    return {
        "student": {
            **_fields(student, "id", "first_name", "last_name", "family_language"),
            "class": _fields(student.school_class, "id", "grade", "name"),
            "school": _fields(student.school, "id", "name", "kind"),
            "municipality": _fields(student.school.municipality, "id", "name"),
        },
        "risk_signals": [_signal(signal, locale) for signal in signals],
        "consultations": [_session(session, locale) for session in sessions],
        "support_needs": [_need(need, locale) for need in needs],
        "plans": [_plan(plan, measures, approvals, history, locale) for plan in plans],
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
    locale: str,
) -> Row:
    return {
        **_fields(plan, "id", "school_year", "semester", "preparer_id"),
        "status": _coded(IAP_STATUSES, plan.status, locale),
        "consent": _coded(CONSENT_STATES, plan.consent, locale),
        **_fields(plan, "consent_by_id", "consent_at", "pause_reason", "evaluation", "continues"),
        **_fields(plan, "continued_from_id", "created_at", "updated_at"),
        "measures": [
            {
                **_fields(m, "id", "kind", "planned_quantity", "created_at"),
                "specialist_type": _coded(SPECIALIST_TYPES, m.specialist_type, locale),
                "support_type": _coded(SUPPORT_TYPES, m.support_type, locale),
                "risk_factors": [_coded(RISK_FACTORS, code, locale) for code in m.risk_factors],
            }
            for m in measures
            if m.iap_id == plan.id
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
