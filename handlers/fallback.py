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
from core.catalogues import PARENT
from core.errors import DomainError
from core.services.schools import list_students
from handlers.callbacks import StudentAction
from handlers.filters import STAFF
from handlers.pickers import buttons
from handlers.replies import stale_button

log = logging.getLogger(__name__)
NAME_SEARCH_LIMIT = 60  # longer text is not a name
NAMES_SHOWN = 10


async def unknown_command(message: Message, actor: Actor | None) -> None:
    await message.answer(_("I don't know this command, or it is not for your role. See /help."))


async def stray_text(message: Message, actor: Actor | None) -> None:
    """Text outside a flow: staff find a student by name; a parent learns whom to write to."""
    if actor is None or not actor.roles:
        await message.answer(_("To join, open the invite link from your coordinator. See /help."))
        return
    if actor.roles & set(STAFF) and len(message.text or "") <= NAME_SEARCH_LIMIT:
        await find_student(message, actor)
        return
    if PARENT in actor.roles:
        await message.answer(
            _(
                "I do not pass messages on to the school. To reach it, write or call your "
                "child's class teacher or the school's coordinator. Your child's support needs: "
                "/needs."
            )
        )
        return
    await message.answer(_("Choose what to do in /menu, or see /help."))


async def find_student(message: Message, actor: Actor) -> None:
    """The students whose name matches what was typed, each a button to their card."""
    found = await list_students(actor, search=message.text)
    if not found:
        await message.answer(
            _("No student matches “{text}”.").format(text=message.text)
            + "\n"
            + _("Type part of a student's name to find them, or choose what to do in /menu.")
        )
        return
    shown = found[:NAMES_SHOWN]
    items = [
        (f"{s.first_name} {s.last_name}", StudentAction(action="card", student_id=s.id))
        for s in shown
    ]
    text = _("Choose the student:")
    if len(found) > NAMES_SHOWN:
        text += "\n" + _("Only the first {count} are shown: type more of the name.").format(
            count=NAMES_SHOWN
        )
    await message.answer(text, reply_markup=buttons(items))


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
