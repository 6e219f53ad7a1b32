"""Replying well: long texts split under Telegram's limit, unchanged edits are not sent.

A text is plain unless `html=True` is given: then it is Telegram HTML, every stored or typed text
in it escaped (core.markup in the views, aiogram.utils.formatting in the flows).
"""

from dataclasses import dataclass

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

TELEGRAM_LIMIT = 4096


def mode(html: bool) -> ParseMode | None:
    return ParseMode.HTML if html else None


def cut(line: str, limit: int) -> int:
    """Where to cut a line too long for one message: at the limit, but never inside an HTML
    entity or tag (`&amp;`, `<b>`), so each part of a valid HTML line stays valid."""
    head = line[:limit]
    at = limit
    if (entity := head.rfind("&")) >= 0 and ";" not in head[entity:]:
        at = entity
    if (tag := head.rfind("<")) > head.rfind(">"):
        at = min(at, tag)
    return at if at > 0 else limit


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Cut at line breaks (or, for one very long line, at the limit) into parts under `limit`."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            at = cut(line, limit)
            parts.append(line[:at])
            line = line[at:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


async def answer_long(
    message: Message,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    html: bool = False,
) -> None:
    """Send a text of any length; the keyboard goes with the last part."""
    parts = split_text(text)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.answer(
            part, reply_markup=reply_markup if last else None, parse_mode=mode(html)
        )


def shown_text(message: Message, html: bool) -> str | None:
    """What a message shows, as HTML (its entities written as tags) or as plain text."""
    if message.text is None:
        return None
    return message.html_text if html else message.text


# What Telegram answers an edit of a message it can no longer edit.
GONE = ("message to edit not found", "message can't be edited", "MESSAGE_ID_INVALID")


async def edit_or_keep(
    message: Message,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    html: bool = False,
) -> None:
    """Edit a message in place; one already showing this text and keyboard is left alone, and
    one Telegram can no longer edit (deleted meanwhile, or too old) is replaced by a new one.

    `message` is the one under the tapped button, as Telegram gave it: it carries what it shows.
    """
    unchanged = shown_text(message, html) == text
    if unchanged and _dumped(message.reply_markup) == _dumped(reply_markup):
        return
    try:
        await message.edit_text(text, reply_markup=reply_markup, parse_mode=mode(html))
    except TelegramBadRequest as error:
        if "message is not modified" in str(error):
            return
        if not any(reason in str(error) for reason in GONE):
            raise
        await message.answer(text, reply_markup=reply_markup, parse_mode=mode(html))


def _dumped(markup: InlineKeyboardMarkup | None) -> dict | None:
    """The buttons as plain data (a model's == would also compare the Bot it is bound to)."""
    return None if markup is None else markup.model_dump()


@dataclass(frozen=True)
class Outgoing:
    """One Bot API call of a delivery: a text (with buttons) or a photo with a caption, both in
    Telegram HTML."""

    text: str = ""
    keyboard: InlineKeyboardMarkup | None = None
    photo: bytes | None = None

    async def send(self, bot: Bot, chat_id: int) -> None:
        if self.photo is not None:
            picture = BufferedInputFile(self.photo, filename="chart.png")
            caption = self.text or None
            await bot.send_photo(
                chat_id,
                picture,
                caption=caption,
                reply_markup=self.keyboard,
                parse_mode=ParseMode.HTML,
            )
        else:
            await bot.send_message(
                chat_id, self.text, reply_markup=self.keyboard, parse_mode=ParseMode.HTML
            )


async def show(
    message: Message,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    edit: bool,
    html: bool = False,
) -> None:
    """Edit the flow's message after a tap; answer with a new one after typing."""
    if edit:
        await edit_or_keep(message, text, markup, html=html)
    else:
        await message.answer(text, reply_markup=markup, parse_mode=mode(html))


async def buttons_due(message: Message) -> None:
    """Something typed or sent where a button is expected."""
    await message.answer(_("Please tap one of the buttons above, or /cancel to stop."))


async def stale_button(callback: CallbackQuery) -> None:
    """A button of a step no longer under way (or a forged one)."""
    await callback.answer(
        _("This button is no longer active. Start again from /menu."), show_alert=True
    )


def tapped(callback: CallbackQuery) -> Message:
    """The message whose button was tapped. A tap without one (inline mode, or a message
    Telegram no longer shows the bot) is answered before any handler (bot/middlewares.py)."""
    message = callback.message
    assert isinstance(message, Message), "bot/middlewares.py lets only taps on messages through"
    return message
