"""Catalogues as data with stable codes; their labels are gettext msgids (see locales/)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from core.i18n import N_, gettext


@dataclass(frozen=True)
class Entry:
    code: str
    label: str  # msgid, English: the full official name, for plans, PDFs and reports
    short: str | None = field(default=None, kw_only=True)  # msgid for buttons, when label is long

    def text(self, locale: str) -> str:
        return gettext(self.label, locale)

    def button_text(self, locale: str) -> str:
        """The label a button shows: the short one when there is one."""
        return gettext(self.short or self.label, locale)


@dataclass(frozen=True)
class RiskFactor(Entry):
    group: str
    unit: str | None = None  # what the signal's value counts, when it has one


E = TypeVar("E", bound=Entry)


class Catalogue(Generic[E]):
    """An ordered set of entries looked up by code."""

    def __init__(self, *entries: E) -> None:
        self.entries = entries
        self._by_code = {entry.code: entry for entry in entries}

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str | None) -> E:
        """The entry with this code; KeyError for an unknown one or none (a null column)."""
        if code is None:
            raise KeyError(code)
        return self._by_code[code]

    def __iter__(self) -> Iterator[E]:
        return iter(self.entries)

    def codes(self) -> list[str]:
        return list(self._by_code)


RISK_GROUPS = Catalogue(
    Entry("learning", N_("Learning and school-related risks"), short=N_("Learning and school")),
    Entry("economic", N_("Economic risks"), short=N_("Economic")),
    Entry("family", N_("Family-related risks"), short=N_("Family")),
    Entry(
        "social_health",
        N_("Social environment and health risks"),
        short=N_("Environment and health"),
    ),
)

ABSENCES = "unexcused_absences"
LESSONS = "lessons"

RISK_FACTORS = Catalogue(
    RiskFactor(ABSENCES, N_("Unexcused absences"), "learning", LESSONS, short=N_("Absences")),
    RiskFactor("low_achievement", N_("Low achievement"), "learning"),
    RiskFactor("learning_difficulties", N_("Learning difficulties"), "learning"),
    RiskFactor("behaviour", N_("Behaviour problems"), "learning"),
    RiskFactor(
        "school_conflicts",
        N_("Conflicts at school, bullying"),
        "learning",
        short=N_("Conflicts, bullying"),
    ),
    RiskFactor("low_motivation", N_("Lack of motivation"), "learning"),
    RiskFactor("material_conditions", N_("Material conditions"), "economic"),
    RiskFactor("starting_work", N_("Starting work"), "economic", short=N_("Starting a job")),
    RiskFactor(
        "parent_involvement",
        N_("Insufficient parent involvement"),
        "family",
        short=N_("Parents little involved"),
    ),
    RiskFactor("family_crisis", N_("Family crisis"), "family"),
    RiskFactor("parents_abroad", N_("Parents abroad"), "family"),
    RiskFactor("health", N_("Health"), "social_health"),
    RiskFactor("pregnancy_marriage", N_("Pregnancy or marriage"), "social_health"),
    RiskFactor("addictions", N_("Addictions"), "social_health"),
)

CAUTION, HIGH = "caution", "high"
RISK_LEVELS = Catalogue(
    Entry(CAUTION, N_("Caution")),
    Entry(HIGH, N_("High risk")),
)

SPECIALIST_TYPES = Catalogue(
    Entry("teacher", N_("Teacher")),
    Entry("psychologist", N_("Psychologist")),
    Entry("social_pedagogue", N_("Social pedagogue")),
    Entry("teacher_assistant", N_("Teacher's assistant")),
    Entry("special_ed_teacher", N_("Special-education teacher"), short=N_("Special-ed teacher")),
    Entry("sign_interpreter", N_("Sign-language interpreter"), short=N_("Sign interpreter")),
    Entry("assistant", N_("Assistant")),
    Entry("occupational_therapist", N_("Occupational therapist")),
)

TRANSPORT_TICKETS = "transport_tickets"
SUPPORT_TYPES = Catalogue(
    Entry(TRANSPORT_TICKETS, N_("Transport tickets")),
    Entry("special_transport", N_("Special transport")),
    Entry("lodging", N_("Dormitory")),
    Entry("meals", N_("Meals")),
    Entry("learning_materials", N_("Learning materials")),
    Entry(
        "personal_items",
        N_("Personal items: clothing, footwear, hygiene"),
        short=N_("Clothing and hygiene"),
    ),
)

CONSULTATION_MODES = Catalogue(
    Entry("in_person", N_("In person")),
    Entry("remote", N_("Remote")),
)

NEED_STATUSES = Catalogue(
    Entry("asked", N_("Awaiting the parent")),
    Entry("confirmed", N_("Confirmed")),
    Entry("declined", N_("Declined")),
)

ACTIVITY_FORMATS = Catalogue(
    Entry("workshop", N_("Workshop")),
    Entry("sport", N_("Sports")),
    Entry("camp", N_("Camp")),
    Entry("mentoring", N_("Peer mentoring"), short=N_("Mentoring")),
    Entry("event", N_("Event")),
    Entry("online", N_("Online")),
)

IAP_STATUSES = Catalogue(
    Entry("draft", N_("Draft")),
    Entry("in_approval", N_("In approval")),
    Entry("approved", N_("Approved")),
    Entry("in_progress", N_("In progress")),
    Entry("under_review", N_("Under review")),
    Entry("paused", N_("Paused")),
    Entry("withdrawn", N_("Withdrawn")),
)

# Status moves an IAP allows; approval and its return happen through the approval chain.
IAP_MOVES: dict[str, set[str]] = {
    "draft": {"withdrawn"},
    "in_approval": {"withdrawn"},
    "approved": {"in_progress", "paused", "withdrawn"},
    "in_progress": {"under_review", "paused", "withdrawn"},
    "under_review": {"in_progress", "withdrawn"},
    "paused": {"in_progress", "withdrawn"},
    "withdrawn": set(),
}

# The end-of-semester review: how each measure was realised, and how the risk situation changed.
MEASURE_REALISED = Catalogue(
    Entry("full", N_("Realised fully")),
    Entry("partly", N_("Realised partly")),
    Entry("not", N_("Not realised")),
)

RISK_OUTCOMES = Catalogue(
    Entry("reduced", N_("Risk reduced")),
    Entry("unchanged", N_("Risk unchanged")),
    Entry("worse", N_("Risk increased")),
)

# How an involved student's semester ended, recorded by the school's staff at its end (or
# whenever it happens); left early carries a reason from EARLY_LEAVING_REASONS.
LEFT_EARLY = "left_early"
OUTCOMES = Catalogue(
    Entry("continues", N_("Continues learning at the school"), short=N_("Continues learning")),
    Entry("completed", N_("Completed the level or programme"), short=N_("Studies completed")),
    Entry("moved", N_("Moved to another school"), short=N_("Changed school")),
    Entry(LEFT_EARLY, N_("Left education early"), short=N_("Left early")),
    Entry("other", N_("Other outcome")),
)

EARLY_LEAVING_REASONS = Catalogue(
    Entry("employment", N_("Started work")),
    Entry("moved_abroad", N_("Moved abroad")),
    Entry("family", N_("Family reasons")),
    Entry("health", N_("Health reasons")),
    Entry(
        "motivation",
        N_("Lack of motivation or learning difficulties"),
        short=N_("Motivation or learning"),
    ),
    Entry("other", N_("Other reason")),
)

CONSENT_STATES = Catalogue(
    Entry("missing", N_("Consent missing")),
    Entry("given", N_("Consent given")),
    Entry("refused", N_("Consent refused")),
)

# How a consent (or refusal) came: the parent's own answer online, or a signed paper form entered
# by staff (the parent's, or the student's own once of age); `unknown` for consent kept before.
ONLINE, PAPER, ADULT_STUDENT = "online", "paper", "adult_student"
CONSENT_METHODS = Catalogue(
    Entry(ONLINE, N_("by the parent, online")),
    Entry(PAPER, N_("on a paper form signed by the parent"), short=N_("Paper, by the parent")),
    Entry(
        ADULT_STUDENT,
        N_("on a paper form signed by the adult student"),
        short=N_("Paper, by the student"),
    ),
    Entry("unknown", N_("unknown (recorded earlier)"), short=N_("Unknown")),
)

# Approval chain after the parent's consent: preparer -> school director -> municipality.
APPROVAL_STEPS = Catalogue(
    Entry("preparer", N_("Preparer")),
    Entry("school", N_("School director")),
    Entry("municipality", N_("Municipality coordinator"), short=N_("Municipal coordinator")),
)

TEACHER, SPECIALIST, PARENT, VOLUNTEER = "teacher", "specialist", "parent", "volunteer"
SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR = "school_coordinator", "municipality_coordinator"
PROGRAMME_ADMIN = "programme_admin"  # IKVD staff: the programme's schools and national figures
ROLES = Catalogue(
    Entry(TEACHER, N_("Teacher")),
    Entry(SPECIALIST, N_("Support specialist")),
    Entry(PARENT, N_("Parent")),
    Entry(VOLUNTEER, N_("Volunteer")),
    Entry(SCHOOL_COORDINATOR, N_("School coordinator"), short=N_("Coordinator (school)")),
    Entry(
        MUNICIPALITY_COORDINATOR,
        N_("Municipality coordinator"),
        short=N_("Municipal coordinator"),
    ),
    Entry(PROGRAMME_ADMIN, N_("Programme administrator"), short=N_("Administrator")),
)

SCHOOL_KINDS = Catalogue(
    Entry("general", N_("General education")),
    Entry("vocational", N_("Vocational education"), short=N_("Vocational")),
)

LANGUAGES = ("lv", "ru", "uk", "en")

# Absence thresholds (EWIMS): unexcused lessons missed as a percentage of the lessons of the
# school days in a rolling window; a school may set its own (School's columns, null = these).
ABSENCE_CAUTION_PERCENT = 5
ABSENCE_HIGH_PERCENT = 10
ABSENCE_WINDOW_DAYS = 28  # calendar days, of which only the school's school days count
LESSONS_PER_SCHOOL_DAY = 6

# The programme's defaults for a school's own settings (a school's null setting means these).
ABSENCE_CAUTION_PERCENT = 5  # unexcused absences, % of lessons in the window: caution from here
ABSENCE_HIGH_PERCENT = 10  # ... high risk from here
ABSENCE_WINDOW_DAYS = 28  # the rolling window the share is counted over, in calendar days
