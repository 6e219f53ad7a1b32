"""Tortoise ORM models. Codes (roles, factors, statuses…) are plain strings checked in core/."""

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Municipality(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120, unique=True)

    class Meta:
        table = "municipality"


class School(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=16)  # general | vocational
    state_vocational = fields.BooleanField(default=False)
    municipality: fields.ForeignKeyRelation[Municipality] = fields.ForeignKeyField(
        "models.Municipality", related_name="schools", on_delete=fields.RESTRICT
    )
    municipality_id: int
    # The school's own settings; null means the programme's default (see core.catalogues).
    lessons_per_day = fields.SmallIntField(null=True)
    absence_caution_percent = fields.DecimalField(max_digits=4, decimal_places=1, null=True)
    absence_high_percent = fields.DecimalField(max_digits=4, decimal_places=1, null=True)
    absence_window_days = fields.SmallIntField(null=True)

    class Meta:
        table = "school"


class SchoolHoliday(Model):
    """Days a school does not teach beyond the national calendar: its own breaks and closures."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="holidays", on_delete=fields.CASCADE
    )
    school_id: int
    first_day = fields.DateField()
    last_day = fields.DateField()
    name = fields.CharField(max_length=120, null=True)

    class Meta:
        table = "school_holiday"
        unique_together = (("school", "first_day"),)


class SchoolClass(Model):
    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="classes", on_delete=fields.RESTRICT
    )
    school_id: int
    grade = fields.SmallIntField()  # grade 1-12, or vocational course 1-4
    name = fields.CharField(max_length=20)

    class Meta:
        table = "school_class"
        unique_together = (("school", "name"),)


class Student(Model):
    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="students", on_delete=fields.RESTRICT, db_index=True
    )
    school_id: int
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="students", on_delete=fields.RESTRICT, db_index=True
    )
    school_class_id: int
    first_name = fields.CharField(max_length=80)
    last_name = fields.CharField(max_length=80)
    family_language = fields.CharField(max_length=8, default="lv")
    # The school register's pupil id (the e-journal's or the national register's), never a
    # personal identity code: what roster and attendance files name the student by.
    student_ref = fields.CharField(max_length=40, null=True)
    left_at = fields.DateField(null=True)  # left the school: off the lists, records kept
    absence_level = fields.CharField(max_length=16, null=True)  # caution | high, from attendance
    # On the roster since (for retention); null only in the schema: SQLite cannot make it
    # required without rebuilding the table, which would cascade-delete the student's records.
    created_at = fields.DatetimeField(auto_now_add=True, null=True)
    erased_at = fields.DatetimeField(null=True)  # personal data erased; the rows stay for counts

    class Meta:
        table = "student"
        unique_together = (("school", "student_ref"),)


class Absence(Model):
    """Lessons a student missed on one school day, unexcused and excused: one row a day."""

    id = fields.BigIntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="absences", on_delete=fields.CASCADE
    )
    student_id: int
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="absences", on_delete=fields.RESTRICT
    )  # the student's on that day
    school_id: int
    day = fields.DateField()
    unexcused = fields.SmallIntField(default=0)
    excused = fields.SmallIntField(default=0)
    source = fields.CharField(max_length=16)  # import | bot
    reporter: fields.ForeignKeyNullableRelation["Person"] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="absences_logged", on_delete=fields.SET_NULL
    )
    reporter_id: int | None
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "absence"
        unique_together = (("student", "day"),)
        indexes = (("school_id", "day"),)


class Ngo(Model):
    """A youth NGO or youth group running peer activities in one municipality."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    municipality: fields.ForeignKeyRelation[Municipality] = fields.ForeignKeyField(
        "models.Municipality", related_name="ngos", on_delete=fields.RESTRICT
    )
    municipality_id: int

    class Meta:
        table = "ngo"


class Person(Model):
    id = fields.IntField(primary_key=True)
    display_name = fields.CharField(max_length=120)
    telegram_id = fields.BigIntField(null=True, unique=True)
    locale = fields.CharField(max_length=8, default="lv")
    # Own quiet hours as minutes after midnight, Riga time; the default lives in core.
    quiet_start_minute = fields.SmallIntField(null=True)
    quiet_end_minute = fields.SmallIntField(null=True)
    unreachable = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"


class Membership(Model):
    """One role a person holds, with its scope (school, municipality, NGO or child)."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="memberships", on_delete=fields.CASCADE, db_index=True
    )
    person_id: int
    role = fields.CharField(max_length=32)
    specialty = fields.CharField(max_length=32, null=True)
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "models.School", null=True, related_name="memberships", on_delete=fields.CASCADE
    )
    school_id: int | None
    municipality: fields.ForeignKeyNullableRelation[Municipality] = fields.ForeignKeyField(
        "models.Municipality", null=True, related_name="memberships", on_delete=fields.CASCADE
    )
    municipality_id: int | None
    ngo: fields.ForeignKeyNullableRelation[Ngo] = fields.ForeignKeyField(
        "models.Ngo", null=True, related_name="memberships", on_delete=fields.CASCADE
    )
    ngo_id: int | None
    student: fields.ForeignKeyNullableRelation[Student] = fields.ForeignKeyField(
        "models.Student", null=True, related_name="parents", on_delete=fields.CASCADE
    )
    student_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership"


class Invite(Model):
    """A one-time, expiring invitation. Only the hash of its code is stored."""

    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    role = fields.CharField(max_length=32)
    specialty = fields.CharField(max_length=32, null=True)
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "models.School", null=True, related_name="invites", on_delete=fields.CASCADE
    )
    school_id: int | None
    municipality: fields.ForeignKeyNullableRelation[Municipality] = fields.ForeignKeyField(
        "models.Municipality", null=True, related_name="invites", on_delete=fields.CASCADE
    )
    municipality_id: int | None
    ngo: fields.ForeignKeyNullableRelation[Ngo] = fields.ForeignKeyField(
        "models.Ngo", null=True, related_name="invites", on_delete=fields.CASCADE
    )
    ngo_id: int | None
    student: fields.ForeignKeyNullableRelation[Student] = fields.ForeignKeyField(
        "models.Student", null=True, related_name="invites", on_delete=fields.CASCADE
    )
    student_id: int | None
    created_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="invites_created", on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="invites_used", on_delete=fields.SET_NULL
    )
    used_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite"


class ApiToken(Model):
    """A bearer token for the HTTP API, bound to a person. Only its hash is stored."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="api_tokens", on_delete=fields.CASCADE
    )
    person_id: int
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)  # to the hour: kept cheap
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class RiskSignal(Model):
    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="risk_signals", on_delete=fields.CASCADE
    )
    student_id: int
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="risk_signals", on_delete=fields.RESTRICT
    )  # the student's: digests count a school's signals without a join
    school_id: int
    group = fields.CharField(max_length=32)
    factor = fields.CharField(max_length=40)
    level = fields.CharField(max_length=16)  # caution | high
    value = fields.IntField(null=True)  # e.g. unexcused lessons missed
    observed_from = fields.DateField()
    observed_to = fields.DateField()
    reporter: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="risk_signals", on_delete=fields.SET_NULL
    )
    reporter_id: int | None
    note = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "risk_signal"
        indexes = (
            ("student_id", "observed_to"),
            ("student_id", "created_at"),
            ("school_id", "created_at"),
        )


class Consultation(Model):
    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="consultations", on_delete=fields.CASCADE
    )
    student_id: int
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="consultations", on_delete=fields.RESTRICT
    )  # the student's: digests count a school's sessions without a join
    school_id: int
    specialist_type = fields.CharField(max_length=32)
    provider: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="consultations", on_delete=fields.SET_NULL
    )
    provider_id: int | None
    held_on = fields.DateField()
    minutes = fields.SmallIntField()
    mode = fields.CharField(max_length=16)  # in_person | remote
    student_confirmed = fields.BooleanField(default=False)
    topic = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "consultation"
        indexes = (("student_id", "held_on"), ("school_id", "held_on"))


class SupportNeed(Model):
    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="support_needs", on_delete=fields.CASCADE
    )
    student_id: int
    support_type = fields.CharField(max_length=32)
    school_year = fields.SmallIntField()  # the year the school year starts in
    semester = fields.SmallIntField()
    # month numbers, e.g. [9, 10, 11]
    months: fields.JSONField[list[int]] = fields.JSONField(default=list)
    details = fields.TextField(null=True)  # for transport, the route
    status = fields.CharField(max_length=16, default="asked")  # asked | confirmed | declined
    asked_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="needs_asked", on_delete=fields.SET_NULL
    )
    asked_by_id: int | None
    answered_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="needs_answered", on_delete=fields.SET_NULL
    )
    answered_by_id: int | None
    answered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "support_need"
        indexes = (("student_id", "school_year", "semester"),)


class SupportNeedAsker(Model):
    """Everyone who asked the parents about a need: each is told the answer."""

    id = fields.IntField(primary_key=True)
    need: fields.ForeignKeyRelation[SupportNeed] = fields.ForeignKeyField(
        "models.SupportNeed", related_name="askers", on_delete=fields.CASCADE
    )
    need_id: int
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="need_questions_asked", on_delete=fields.CASCADE
    )
    person_id: int
    asked_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "support_need_asker"
        unique_together = (("need", "person"),)


class PeerActivity(Model):
    id = fields.IntField(primary_key=True)
    ngo: fields.ForeignKeyRelation[Ngo] = fields.ForeignKeyField(
        "models.Ngo", related_name="activities", on_delete=fields.CASCADE
    )
    ngo_id: int
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "models.School", null=True, related_name="peer_activities", on_delete=fields.SET_NULL
    )
    school_id: int | None
    municipality: fields.ForeignKeyRelation[Municipality] = fields.ForeignKeyField(
        "models.Municipality", related_name="peer_activities", on_delete=fields.RESTRICT
    )
    municipality_id: int
    held_on = fields.DateField()
    title = fields.CharField(max_length=200)
    format = fields.CharField(max_length=32)
    participants = fields.IntField()
    at_risk_participants = fields.IntField()
    hours = fields.DecimalField(max_digits=6, decimal_places=2)
    description = fields.TextField(null=True)
    volunteer: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="peer_activities", on_delete=fields.SET_NULL
    )
    volunteer_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "peer_activity"


class Iap(Model):
    """An individual support plan: one per student per semester."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="iaps", on_delete=fields.CASCADE
    )
    student_id: int
    school_year = fields.SmallIntField()
    semester = fields.SmallIntField()
    status = fields.CharField(max_length=16, default="draft")
    preparer: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="iaps_prepared", on_delete=fields.SET_NULL
    )
    preparer_id: int | None
    consent = fields.CharField(max_length=16, default="missing")  # missing | given | refused
    consent_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="iap_consents", on_delete=fields.SET_NULL
    )
    consent_by_id: int | None
    consent_at = fields.DatetimeField(null=True)
    consent_method = fields.CharField(max_length=16, null=True)  # see CONSENT_METHODS
    consent_signed_on = fields.DateField(null=True)  # the date on the signed paper form
    pause_reason = fields.TextField(null=True)
    evaluation = fields.TextField(null=True)
    risk_outcome = fields.CharField(max_length=16, null=True)  # the review's: see RISK_OUTCOMES
    continues = fields.BooleanField(null=True)
    continued_from: fields.ForeignKeyNullableRelation["Iap"] = fields.ForeignKeyField(
        "models.Iap", null=True, related_name="continuations", on_delete=fields.SET_NULL
    )
    continued_from_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    approvals: fields.ReverseRelation["IapApproval"]

    class Meta:
        table = "iap"
        unique_together = (("student", "school_year", "semester"),)


class IapApproval(Model):
    """One step of the approval chain signed off: preparer, school, municipality."""

    id = fields.IntField(primary_key=True)
    iap: fields.ForeignKeyRelation[Iap] = fields.ForeignKeyField(
        "models.Iap", related_name="approvals", on_delete=fields.CASCADE
    )
    iap_id: int
    step = fields.CharField(max_length=16)
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="iap_approvals", on_delete=fields.SET_NULL
    )
    person_id: int | None
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "iap_approval"
        unique_together = (("iap", "step"),)


class IapTransition(Model):
    """The IAP's history: every status change, who made it and when."""

    id = fields.IntField(primary_key=True)
    iap: fields.ForeignKeyRelation[Iap] = fields.ForeignKeyField(
        "models.Iap", related_name="transitions", on_delete=fields.CASCADE, db_index=True
    )
    iap_id: int
    from_status = fields.CharField(max_length=16, null=True)
    to_status = fields.CharField(max_length=16)
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="iap_transitions", on_delete=fields.SET_NULL
    )
    person_id: int | None
    comment = fields.TextField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "iap_transition"


class IapMeasure(Model):
    id = fields.IntField(primary_key=True)
    iap: fields.ForeignKeyRelation[Iap] = fields.ForeignKeyField(
        "models.Iap", related_name="measures", on_delete=fields.CASCADE, db_index=True
    )
    iap_id: int
    kind = fields.CharField(max_length=16)  # consultation | material
    specialist_type = fields.CharField(max_length=32, null=True)
    support_type = fields.CharField(max_length=32, null=True)
    # factor codes this measure addresses
    risk_factors: fields.JSONField[list[str]] = fields.JSONField(default=list)
    planned_quantity = fields.DecimalField(max_digits=6, decimal_places=1)  # hours or months
    realised = fields.CharField(max_length=16, null=True)  # the review's: see MEASURE_REALISED
    evaluation_note = fields.TextField(null=True)
    # material support: the month numbers it covers
    months: fields.JSONField[list[int]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "iap_measure"


class IapRiskGroup(Model):
    """One risk group of a plan as its preparer assessed it: justification, factors added.

    The factors are those the preparer names beside what the risk signals show.
    """

    id = fields.IntField(primary_key=True)
    iap: fields.ForeignKeyRelation[Iap] = fields.ForeignKeyField(
        "models.Iap", related_name="risk_groups", on_delete=fields.CASCADE
    )
    iap_id: int
    group = fields.CharField(max_length=32)
    justification = fields.TextField(null=True)
    # factor codes the preparer added, in this group
    factors: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "iap_risk_group"
        unique_together = (("iap", "group"),)


class StudentOutcome(Model):
    """How an involved student's semester ended: continues, completed, moved, left early, other."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="outcomes", on_delete=fields.CASCADE
    )
    student_id: int
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="student_outcomes", on_delete=fields.RESTRICT
    )  # the student's when it was recorded
    school_id: int
    school_year = fields.SmallIntField()
    semester = fields.SmallIntField()
    outcome = fields.CharField(max_length=16)  # see OUTCOMES
    reason = fields.CharField(max_length=32, null=True)  # left early: see EARLY_LEAVING_REASONS
    recorded_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="outcomes_recorded", on_delete=fields.SET_NULL
    )
    recorded_by_id: int | None
    recorded_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "student_outcome"
        unique_together = (("student", "school_year", "semester"),)


class AuditEvent(Model):
    """Who wrote what, when. Never any free text or names."""

    id = fields.BigIntField(primary_key=True)
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", null=True, related_name="audit_events", on_delete=fields.SET_NULL
    )
    person_id: int | None
    action = fields.CharField(max_length=48)
    entity = fields.CharField(max_length=32)
    entity_id = fields.IntField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_event"
        indexes = (("entity", "entity_id"),)  # what happened to a record: a student's access log


class OutboxItem(Model):
    """A message the bot sends on its own initiative, waiting for delivery.

    The payload holds ids and numbers only; the text is rendered at sending time, in the
    recipient's language.
    """

    id = fields.BigIntField(primary_key=True)
    recipient: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="outbox_items", on_delete=fields.CASCADE
    )
    recipient_id: int
    kind = fields.CharField(max_length=32)  # need_question | need_answered | consent_request ...
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="pending")  # pending|sending|sent|failed
    attempts = fields.IntField(default=0)
    parts_sent = fields.IntField(default=0)  # of a message in parts: those Telegram accepted
    not_before = fields.DatetimeField()  # the end of the recipient's quiet hours, or creation
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)  # a sender's lease while "sending"
    dedupe_key = fields.CharField(max_length=64, null=True)  # e.g. a digest's week and scope
    last_error = fields.CharField(max_length=500, null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox"
        indexes = (("status", "next_attempt_at"),)
        unique_together = (("recipient", "kind", "dedupe_key"),)


class DigestChart(Model):
    """A digest's chart drawn ahead of sending, found by what it shows (`core.chart.chart_key`).

    The weekly job draws each coordinator's chart before the digests are queued, so the sender
    only sends; a chart whose figures have changed since has another key and is drawn anew.
    Counts and dates only, in one language: nothing about a person.
    """

    key = fields.CharField(max_length=64, primary_key=True)  # sha256 of the figures and language
    png = fields.BinaryField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "digest_chart"
