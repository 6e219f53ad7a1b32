"""What nothing else handled: unknown commands, stray text, media, stale or forged buttons, and
being added to a group."""

import logging
import traceback
from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.filters import JOIN_TRANSITION, ChatMemberUpdatedFilter, ExceptionTypeFilter
from aiogram.types import ChatMemberUpdated, ErrorEvent, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.errors import DomainError
from handlers.replies import stale_button

log = logging.getLogger(__name__)


async def unknown_command(message: Message, actor: Actor | None) -> None:
    await message.answer(_("I don't know this command, or it is not for your role. See /help."))


async def stray_text(message: Message, actor: Actor | None) -> None:
    if actor is None or not actor.roles:
        await message.answer(_("To join, open the invite link from your coordinator. See /help."))
        return
    await message.answer(_("Choose what to do in /menu, or see /help."))


async def unsupported_message(message: Message) -> None:
    await message.answer(_("I can only read text messages here. See /help."))


async def leave_group(event: ChatMemberUpdated, bot: Bot) -> None:
    """Added to a group or channel: the bot works in private chats only, so it leaves."""
    with suppress(TelegramAPIError):
        await bot.leave_chat(event.chat.id)


async def domain_error(event: ErrorEvent, i18n: I18n) -> None:
    """A refused action (no access, not found, invalid): say so in the user's language."""
    error = event.exception
    assert isinstance(error, DomainError)
    await _tell(event, error.text(i18n.current_locale))


async def unexpected_error(event: ErrorEvent) -> None:
    """Anything else: log its type and where, not its message (it may hold data); apologise."""
    where = "".join(traceback.format_tb(event.exception.__traceback__))
    log.error(
        "update %s failed: %s\n%s", event.update.update_id, type(event.exception).__name__, where
    )
    await _tell(event, _("Something went wrong on our side. Please try again."))


async def telegram_refused(event: ErrorEvent) -> None:
    """Telegram refused a reply (flood limit, or the person blocked the bot): nothing to tell.

    Handled here, so the update counts as done: a webhook retry would repeat what was saved.
    """
    log.warning(
        "update %s: Telegram refused a reply: %s",
        event.update.update_id,
        type(event.exception).__name__,
    )


async def _tell(event: ErrorEvent, text: str) -> None:
    """An alert on the tapped button, or a message when its spinner was already answered (or the
    query expired, or the text is too long for an alert); a message after a typed one.

    Best effort: if Telegram refuses it too, the update still ends here.
    """
    with suppress(TelegramAPIError):
        callback = event.update.callback_query
        if callback is not None:
            try:
                await callback.answer(text, show_alert=True)
            except TelegramBadRequest:
                if callback.bot is not None:  # always, for an update the dispatcher feeds
                    await callback.bot.send_message(callback.from_user.id, text)
        elif event.update.message is not None:
            await event.update.message.answer(text)


def create_router() -> Router:
    """Registered last: it takes whatever the role routers left."""
    router = Router(name="fallback")
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(stray_text, F.text)
    router.message.register(unsupported_message)
    router.callback_query.register(stale_button)
    added = ChatMemberUpdatedFilter(JOIN_TRANSITION)
    router.my_chat_member.register(leave_group, added, F.chat.type != ChatType.PRIVATE)
    router.errors.register(domain_error, ExceptionTypeFilter(DomainError))
    refused = ExceptionTypeFilter(TelegramRetryAfter, TelegramForbiddenError)
    router.errors.register(telegram_refused, refused)
    router.errors.register(unexpected_error)
    return router
