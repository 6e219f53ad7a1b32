"""The outbox: messages the bot sends on its own initiative, held until they may be delivered.

Producers only insert (`enqueue`); the bot's sender takes the due items, claims each (so two
senders never send one item), renders it in the recipient's language and marks it sent, to be
retried later, or failed. A claim is a lease: an item whose sender died while "sending" becomes
due again when the lease runs out; an item marked sent is never sent again. A payload holds ids
and numbers only, never names or free text: the text is rendered when the message goes out.

Quiet hours: a person's own (`quiet_start_minute`-`quiet_end_minute`, Riga time), else
21:00-08:00. A window may cross midnight; its start is quiet, its end is not. Equal start and
end mean no quiet hours.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from core.clock import RIGA
from core.clock import now as clock_now
from core.person_changes import person_changed
from storage.models import OutboxItem, Person

NEED_QUESTION = "need_question"
NEED_ANSWERED = "need_answered"
CONSENT_REQUEST = "consent_request"

WEEKLY_DIGEST = "weekly_digest"
IAP_RETURNED = "iap_returned"
IAP_WAITING = "iap_waiting"  # to an approver: a plan waits for their signature
IAP_APPROVED = "iap_approved"  # to the preparer: the last signature is given
PLAN_START_REMINDER = "plan_start_reminder"  # semester start: students at high risk, no plan
REVIEW_REMINDER = "review_reminder"  # before semester end: plans in progress to review
APPROVAL_REMINDER = "approval_reminder"  # plans waiting long for an approver

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
LEASE = timedelta(minutes=2)
DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)
ERROR_LIMIT = 500


def quiet_hours(person: Person) -> tuple[time, time]:
    """The person's quiet hours on Riga's wall clock, each end falling back to the default."""
    start = _clock(person.quiet_start_minute) or DEFAULT_QUIET_START
    end = _clock(person.quiet_end_minute) or DEFAULT_QUIET_END
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def _utc(moment: datetime | None) -> datetime:
    """The moment (default: now) in UTC, as the database compares it."""
    return (moment or clock_now()).astimezone(UTC)


def _clock(minute: int | None) -> time | None:
    return None if minute is None else time(minute // 60, minute % 60)


def quiet_until(start: time, end: time, moment: datetime) -> datetime | None:
    """When the quiet hours around `moment` end (UTC), or None if `moment` is not in them."""
    local = moment.astimezone(RIGA)
    wall = local.time().replace(tzinfo=None)
    if start == end:
        return None
    if start < end:
        quiet = start <= wall < end
        end_day = local.date()
    else:  # across midnight: from start this evening until end the next morning
        quiet = wall >= start or wall < end
        end_day = local.date() + timedelta(days=1) if wall >= start else local.date()
    if not quiet:
        return None
    return datetime.combine(end_day, end, tzinfo=RIGA).astimezone(UTC)


def _check_payload(payload: Mapping[str, object]) -> None:
    """Ids and numbers only: a payload must never carry names or free text."""
    for key, value in payload.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, int | float) for v in values):
            raise ValueError(f"outbox payload {key!r}: ids and numbers only")


async def enqueue(
    person_id: int,
    kind: str,
    payload: Mapping[str, object],
    *,
    respect_quiet_hours: bool,
    now: datetime | None = None,
    dedupe_key: str | None = None,
) -> OutboxItem:
    """Queue a message for a person; inside their quiet hours it waits until they end.

    With a `dedupe_key`, the same message (person, kind, key) is queued once, however often
    producers ask: the database's unique constraint decides, even between instances.
    """
    _check_payload(payload)
    moment = _utc(now)
    person = await Person.get(id=person_id)
    due = moment
    if respect_quiet_hours:
        due = quiet_until(*quiet_hours(person), moment) or moment
    try:
        return await OutboxItem.create(
            recipient_id=person.id,
            kind=kind,
            payload=dict(payload),
            not_before=due,
            next_attempt_at=due,
            dedupe_key=dedupe_key,
        )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return await OutboxItem.get(recipient_id=person.id, kind=kind, dedupe_key=dedupe_key)


async def enqueue_many(
    messages: list[tuple[int, str, str]],
    payload: Mapping[str, object],
    *,
    now: datetime | None = None,
) -> None:
    """Queue messages (person, kind, dedupe key) with one payload, each after its recipient's
    quiet hours, in two queries; a message queued before (same person, kind, key) stays as it is.
    """
    _check_payload(payload)
    if not messages:
        return
    moment = _utc(now)
    people = {p.id: p for p in await Person.filter(id__in={m[0] for m in messages})}
    items = []
    for person_id, kind, dedupe_key in messages:
        due = quiet_until(*quiet_hours(people[person_id]), moment) or moment
        items.append(
            OutboxItem(
                recipient_id=person_id,
                kind=kind,
                payload=dict(payload),
                not_before=due,
                next_attempt_at=due,
                dedupe_key=dedupe_key,
            )
        )
    await OutboxItem.bulk_create(items, ignore_conflicts=True)


def _claimable(moment: datetime) -> Q:
    """Pending and due, or claimed by a sender whose lease ran out (it died mid-send)."""
    return Q(status=PENDING, next_attempt_at__lte=moment) | Q(
        status=SENDING, claimed_until__lt=moment
    )


async def due_items(
    limit: int = 100, now: datetime | None = None, recipient_id: int | None = None
) -> list[OutboxItem]:
    """Items whose time has come, oldest due first, with their recipient loaded; only one
    person's with `recipient_id` (the others stay queued)."""
    query = OutboxItem.filter(_claimable(_utc(now)))
    if recipient_id is not None:
        query = query.filter(recipient_id=recipient_id)
    return await query.select_related("recipient").order_by("next_attempt_at", "id").limit(limit)


async def claim(item_id: int, now: datetime | None = None) -> bool:
    """Take an item for sending; of two senders trying at once, exactly one gets it."""
    moment = _utc(now)
    claimed = await OutboxItem.filter(_claimable(moment), id=item_id).update(
        status=SENDING, claimed_until=moment + LEASE
    )
    return claimed == 1


async def mark_sent(item_id: int, now: datetime | None = None) -> None:
    await OutboxItem.filter(id=item_id, status__in=(PENDING, SENDING)).update(
        status=SENT, sent_at=_utc(now), attempts=F("attempts") + 1, claimed_until=None
    )


async def mark_parts_sent(item_id: int, parts: int) -> None:
    """Telegram accepted the first `parts` messages of the item: a retry sends only the rest."""
    await OutboxItem.filter(id=item_id, status=SENDING).update(parts_sent=parts)


async def retry_later(item_id: int, at: datetime, error: str | None, *, count: bool = True) -> None:
    """Put a claimed item back, due at `at`; `count` it as a failed attempt or not (a pause)."""
    changes: dict[str, object] = {
        "status": PENDING,
        "next_attempt_at": _utc(at),
        "claimed_until": None,
        "last_error": error[:ERROR_LIMIT] if error else None,
    }
    if count:
        changes["attempts"] = F("attempts") + 1
    await OutboxItem.filter(id=item_id, status__in=(PENDING, SENDING)).update(**changes)


async def mark_failed(item_id: int, error: str) -> None:
    """Give up on an item, keeping the reason (no names: Telegram's or our own error text)."""
    await OutboxItem.filter(id=item_id, status__in=(PENDING, SENDING)).update(
        status=FAILED,
        last_error=error[:ERROR_LIMIT],
        attempts=F("attempts") + 1,
        claimed_until=None,
    )


async def mark_unreachable(item_id: int, person_id: int, error: str) -> None:
    """The person blocked the bot or left Telegram: fail the item, flag them for the digest."""
    await mark_failed(item_id, error)
    await Person.filter(id=person_id).update(unreachable=True)
    await person_changed(person_id)
