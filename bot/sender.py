"""The outbox's sender: each due item rendered in its recipient's language, sent, marked.

One round (`send_due`) takes the items whose time has come and sends each once: sent, or failed
with the reason. Retries, rate limits and locking between instances come later.
An item whose matter was settled before it went out (a question already answered by the other
parent, consent already given) is not sent: it is marked failed as obsolete.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from core.access import Actor, load_actor
from core.errors import DomainError
from core.i18n import supported
from core.services import needs, outbox
from handlers.needs import answered_view, consent_view, question_view

if TYPE_CHECKING:
    from storage.models import OutboxItem

BATCH = 100
Rendered = tuple[str, InlineKeyboardMarkup | None]


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


RENDERERS: dict[str, Callable[[Actor, dict], Awaitable[Rendered]]] = {
    outbox.NEED_QUESTION: need_question,
    outbox.NEED_ANSWERED: need_answered,
    outbox.CONSENT_REQUEST: consent_request,
}


async def render(item: "OutboxItem", i18n: I18n) -> Rendered:
    """The item's text and buttons in its recipient's language, from what is stored now."""
    renderer = RENDERERS.get(item.kind)
    if renderer is None:
        raise Obsolete(f"unknown kind {item.kind}")
    actor = await load_actor(item.recipient_id)
    with i18n.context(), i18n.use_locale(supported(actor.locale)):
        return await renderer(actor, item.payload)


async def deliver(bot: Bot, i18n: I18n, item: "OutboxItem", now: datetime | None = None) -> bool:
    """Send one item and mark it; True when it went out."""
    chat_id = item.recipient.telegram_id
    if chat_id is None:
        await outbox.mark_failed(item.id, "no Telegram account")
        return False
    try:
        text, keyboard = await render(item, i18n)
    except Obsolete as reason:
        await outbox.mark_failed(item.id, f"obsolete: {reason}")
        return False
    except DomainError as error:  # e.g. the recipient no longer has access
        await outbox.mark_failed(item.id, error.code)
        return False
    try:
        await bot.send_message(chat_id, text, reply_markup=keyboard)
    except TelegramAPIError as error:
        await outbox.mark_failed(item.id, f"{type(error).__name__}: {error.message}")
        return False
    await outbox.mark_sent(item.id, now=now)
    return True


async def send_due(bot: Bot, i18n: I18n, *, now: datetime | None = None, limit: int = BATCH) -> int:
    """Drain the due items once; how many were sent."""
    sent = 0
    for item in await outbox.due_items(limit, now=now):
        sent += await deliver(bot, i18n, item, now)
    return sent
