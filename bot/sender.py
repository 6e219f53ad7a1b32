"""The outbox's sender: each due item rendered in its recipient's language, sent, marked.

The `Sender` takes the items whose time has come, claims each (two senders never send one item),
keeps within Telegram's limits and marks each sent, retried later, or failed with the reason.
An item whose matter was settled before it went out (a question already answered by the other
parent, consent already given) is not sent: it is marked failed as obsolete.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.pacing import Pacer, outbox_sending, share_pacer
from core.access import Actor, actor_of
from core.catalogues import HIGH
from core.clock import now as clock_now
from core.digest import digests_read_ahead
from core.errors import DomainError
from core.i18n import supported
from core.services import absence_levels, attendance, iaps, needs, outbox, reminders
from core.services.digests import read_digests_ahead, scope_and_week
from handlers.absences import absence_high_view
from handlers.approvals import approved_view, returned_view, waiting_long_view, waiting_view
from handlers.digest import digest_messages
from handlers.needs import answered_view, consent_view, question_view
from handlers.plan_status import plan_start_view, review_due_view
from handlers.replies import Outgoing

if TYPE_CHECKING:
    from storage.models import OutboxItem

log = logging.getLogger(__name__)
BATCH = 100
MAX_ATTEMPTS = 5
IN_FLIGHT = 32  # items being sent at once, each to a chat of its own
PREPARERS = 4  # items claimed and rendered side by side
BACKOFF_SECONDS = 30
Rendered = tuple[str, InlineKeyboardMarkup | None]
Prepared = tuple["OutboxItem", int, list["Outgoing"]]


class Obsolete(Exception):
    """The item's matter was settled before it went out: nothing to send."""


async def need_question(actor: Actor, payload: dict) -> Rendered:
    need = await needs.get_need(actor, payload["need_id"])
    if need.status != "asked":
        raise Obsolete("already answered")
    return question_view(need)


async def need_answered(actor: Actor, payload: dict) -> Rendered:
    return answered_view(await needs.get_need(actor, payload["need_id"])), None


async def consent_request(actor: Actor, payload: dict) -> Rendered:
    iap = await needs.consent_request(actor, payload["iap_id"])
    if iap.status != "draft" or iap.consent == "given":
        raise Obsolete("consent no longer asked")
    return consent_view(iap)


async def iap_returned(actor: Actor, payload: dict) -> Rendered:
    student, comment = await iaps.why_returned(actor, payload["iap_id"])
    return returned_view(student, comment, payload["iap_id"])


async def iap_waiting(actor: Actor, payload: dict) -> Rendered:
    plan = await iaps.plan_waiting_for(actor, payload["iap_id"])
    if plan is None:
        raise Obsolete("no longer waiting for this approver")
    return waiting_view(plan)


async def iap_approved(actor: Actor, payload: dict) -> Rendered:
    iap, student = await iaps.plan_and_student(actor, payload["iap_id"])
    if iap.status != "approved":
        raise Obsolete("moved on since")
    return approved_view(iap, student, actor)


async def plan_start_reminder(actor: Actor, payload: dict) -> Rendered:
    semester = reminders.semester_of(payload)
    students = await reminders.students_needing_plan(actor, semester)
    if not students:
        raise Obsolete("every student has a plan")
    return plan_start_view(students, semester)


async def review_reminder(actor: Actor, payload: dict) -> Rendered:
    semester = reminders.semester_of(payload)
    plans = await reminders.plans_to_review(actor, semester)
    if not plans:
        raise Obsolete("nothing left in progress")
    return review_due_view(plans, semester, actor.locale)


async def approval_reminder(actor: Actor, payload: dict) -> Rendered:
    plans = await reminders.plans_waiting_too_long(actor)
    if not plans:
        raise Obsolete("nothing waiting too long")
    return waiting_long_view(len(plans))


async def absence_high(actor: Actor, payload: dict) -> Rendered:
    student = await attendance.student_at_risk_of_absence(actor, payload["student_id"])
    if student.absence_level != HIGH:
        raise Obsolete("no longer at high risk")
    return absence_high_view(student, payload)


async def weekly_digest(actor: Actor, payload: dict) -> list[Outgoing]:
    scope, week = scope_and_week(payload)
    return await digest_messages(actor, scope, week)


def one_message(renderer: Callable[[Actor, dict], Awaitable[Rendered]]):
    """A renderer of one text with buttons, as a list of messages."""

    async def render(actor: Actor, payload: dict) -> list[Outgoing]:
        text, keyboard = await renderer(actor, payload)
        return [Outgoing(text, keyboard)]

    return render


RENDERERS: dict[str, Callable[[Actor, dict], Awaitable[list["Outgoing"]]]] = {
    outbox.NEED_QUESTION: one_message(need_question),
    outbox.NEED_ANSWERED: one_message(need_answered),
    outbox.CONSENT_REQUEST: one_message(consent_request),
    outbox.IAP_RETURNED: one_message(iap_returned),
    outbox.IAP_WAITING: one_message(iap_waiting),
    outbox.IAP_APPROVED: one_message(iap_approved),
    outbox.PLAN_START_REMINDER: one_message(plan_start_reminder),
    outbox.REVIEW_REMINDER: one_message(review_reminder),
    outbox.APPROVAL_REMINDER: one_message(approval_reminder),
    outbox.WEEKLY_DIGEST: weekly_digest,
    absence_levels.ABSENCE_HIGH: one_message(absence_high),
}


async def render(item: "OutboxItem", i18n: I18n) -> list[Outgoing]:
    """The item's messages in its recipient's language, from what is stored now."""
    renderer = RENDERERS.get(item.kind)
    if renderer is None:
        raise Obsolete(f"unknown kind {item.kind}")
    actor = await actor_of(item.recipient)  # loaded with the item
    with i18n.context(), i18n.use_locale(supported(actor.locale)):
        return await renderer(actor, item.payload)


@dataclass
class Sender:
    """Drains the outbox within Telegram's limits; retries what may succeed later.

    Up to IN_FLIGHT items go at once, each to a chat of its own, so one chat's second of waiting
    between a digest's text and its chart does not hold up the others. Its Pacer is shared with
    the Bot's replies (`bot.pacing`): they go first, and the outbox takes the moments they leave.
    An item of several messages records each one Telegram accepted: a retry sends the rest only.
    429: wait `retry_after` (everything pauses) and try the item again, not counted as a failure.
    403: the person blocked the bot or is gone: marked unreachable, the item failed.
    Other errors: retried with growing pauses up to MAX_ATTEMPTS, then failed with the reason.
    """

    bot: Bot
    i18n: I18n
    pacer: Pacer = field(default_factory=Pacer)
    wall_clock: Callable[[], datetime] = clock_now
    recipient_id: int | None = None  # only this person's items (the local simulator's own)
    _chats_in_flight: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        share_pacer(self.bot.session, self.pacer)

    async def drain(
        self, limit: int = BATCH, still_leader: Callable[[], Awaitable[bool]] | None = None
    ) -> int:
        """Send what is due, batch after batch, until nothing is; how many items were sent.

        PREPARERS tasks claim and render items while up to IN_FLIGHT are being sent, so building
        digests overlaps with waiting for Telegram's pace (their charts were drawn when they were
        queued: `core.chart`); a batch's digests are read together before its items are handed
        out (`read_digests_ahead`), so each digest only resolves its scope. `still_leader`, asked
        after each batch, ends the drain when this instance no longer holds the sender's lease.
        """
        due: asyncio.Queue[OutboxItem | None] = asyncio.Queue(maxsize=PREPARERS)
        in_flight = asyncio.Semaphore(IN_FLIGHT)
        results: list[bool] = []

        async def feed() -> None:
            while items := await outbox.due_items(
                limit, now=self.wall_clock(), recipient_id=self.recipient_id
            ):
                digests = (item.payload for item in items if item.kind == outbox.WEEKLY_DIGEST)
                await read_digests_ahead(digests)
                for item in items:
                    await due.put(item)
                if still_leader is not None and not await still_leader():
                    break
            for _ in range(PREPARERS):
                await due.put(None)  # no more: each preparer stops

        async def send(prepared: Prepared) -> None:
            try:
                results.append(await self._send(*prepared))
            finally:
                self._chats_in_flight.discard(prepared[1])
                in_flight.release()

        try:
            with digests_read_ahead():  # one batch's digests read together, before they go
                async with asyncio.TaskGroup() as tasks:

                    async def prepare_and_send() -> None:
                        while (item := await due.get()) is not None:
                            if (prepared := await self.prepare(item)) is not None:
                                await in_flight.acquire()
                                tasks.create_task(send(prepared))

                    tasks.create_task(feed())
                    for _ in range(PREPARERS):
                        tasks.create_task(prepare_and_send())
        finally:  # a drain that failed half-way must not leave chats marked busy for good
            self._chats_in_flight.clear()
        return sum(results)

    async def prepare(self, item: "OutboxItem") -> Prepared | None:
        """Claim and render one item; None when it is not to be sent now (or ever)."""
        now = self.wall_clock()
        if not await outbox.claim(item.id, now=now):
            return None  # another sender has it
        chat_id = item.recipient.telegram_id
        if chat_id is None:
            await outbox.mark_failed(item.id, "no Telegram account")
            return None
        if chat_id in self._chats_in_flight or self.pacer.chat_wait(chat_id) > 0:
            later = now + timedelta(seconds=self.pacer.chat_interval)
            await outbox.retry_later(item.id, later, None, count=False)
            return None  # this chat is having a message: others go first
        self._chats_in_flight.add(chat_id)
        try:
            return item, chat_id, await render(item, self.i18n)
        except Obsolete as reason:
            await outbox.mark_failed(item.id, f"obsolete: {reason}")
        except DomainError as error:  # e.g. the recipient no longer has access
            await outbox.mark_failed(item.id, error.code)
        except Exception as error:  # a fault of ours: retried later, the others go on
            log.error("rendering outbox item %s failed: %s", item.id, type(error).__name__)
            await self._failed_attempt(item, f"rendering: {type(error).__name__}")
        self._chats_in_flight.discard(chat_id)
        return None

    async def _send(self, item: "OutboxItem", chat_id: int, messages: list[Outgoing]) -> bool:
        try:
            for part in range(item.parts_sent, len(messages)):
                await self.pacer.slot(chat_id)
                try:
                    with outbox_sending():  # paced already; a 429 reschedules the item (below)
                        await messages[part].send(self.bot, chat_id)
                finally:
                    self.pacer.answered(chat_id)
                if part + 1 < len(messages):
                    await outbox.mark_parts_sent(item.id, part + 1)
        except TelegramRetryAfter as error:
            self.pacer.pause(error.retry_after)
            later = self.wall_clock() + timedelta(seconds=error.retry_after)
            await outbox.retry_later(item.id, later, "429 Too Many Requests", count=False)
            return False
        except TelegramForbiddenError as error:
            await outbox.mark_unreachable(item.id, item.recipient_id, f"403: {error.message}")
            return False
        # ClientDecodeError: an answer that is not JSON, e.g. a proxy's 502 page
        except (TelegramAPIError, TelegramNetworkError, ClientDecodeError) as error:
            await self._failed_attempt(item, f"{type(error).__name__}: {error.message}")
            return False
        await outbox.mark_sent(item.id, now=self.wall_clock())
        return True

    async def _failed_attempt(self, item: "OutboxItem", reason: str) -> None:
        if item.attempts + 1 >= MAX_ATTEMPTS:
            await outbox.mark_failed(item.id, reason)
            return
        backoff = timedelta(seconds=BACKOFF_SECONDS * 2**item.attempts)
        await outbox.retry_later(item.id, self.wall_clock() + backoff, reason)


async def send_due(
    bot: Bot,
    i18n: I18n,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
    recipient_id: int | None = None,
) -> int:
    """Send the items due (as at `now`), to everyone or to one person only; how many were sent."""
    clock = (lambda: now) if now else clock_now
    sender = Sender(bot, i18n, wall_clock=clock, recipient_id=recipient_id)
    return await sender.drain(limit)
