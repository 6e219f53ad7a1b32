"""A Bot API session that never leaves the process: it records every call and answers it.

`pumpurs chat` and the tests drive the real Dispatcher through it, as Telegram would.
"""

from collections import defaultdict
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, InlineKeyboardMarkup, Message, MessageEntity, User

from bot.telegram_html import HtmlError, parse_html

BOT_USER = User(id=1, is_bot=True, first_name="Pumpurs", username="pumpurs_bot")


@dataclass
class Sent:
    """One message the bot sent or edited, as the user sees it: `text` without markup, its
    formatting in `entities`; `markup` is the text as the bot sent it (HTML or plain)."""

    chat_id: int
    message_id: int
    text: str
    keyboard: InlineKeyboardMarkup | None
    edited: bool = False
    photo: bool = False
    document: bool = False
    entities: list[MessageEntity] = field(default_factory=list)
    markup: str = ""
    html: bool = False  # sent with parse_mode="HTML"

    def bold(self) -> list[str]:
        """The parts of the text shown in bold."""
        return [self.part(entity) for entity in self.entities if entity.type == "bold"]

    def part(self, entity: MessageEntity) -> str:
        """The text an entity covers (its offsets count UTF-16 code units, as Telegram's do)."""
        units = self.text.encode("utf-16-le")
        start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
        return units[start:end].decode("utf-16-le")

    def as_message(self) -> Message:
        """The message as Telegram gives it back (and puts under a tapped button)."""
        return Message(
            message_id=self.message_id,
            date=datetime.now(UTC),
            chat=Chat(id=self.chat_id, type="private"),
            from_user=BOT_USER,
            text=self.text,
            entities=self.entities or None,
            reply_markup=self.keyboard,
        )

    def buttons(self) -> list[tuple[str, str]]:
        """Every inline button, row by row, as (text, callback data or url)."""
        if self.keyboard is None:
            return []
        return [
            (button.text, button.callback_data or button.url or "")
            for row in self.keyboard.inline_keyboard
            for button in row
        ]


@dataclass
class RecordingSession(BaseSession):
    """Answers Bot API calls locally and keeps those it accepted; `fail` may inject an error per
    call."""

    calls: list[TelegramMethod[Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    chats: defaultdict[int, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    alerts: list[tuple[int, str]] = field(default_factory=list)  # (user id, text) of answers
    answered: set[str] = field(default_factory=set)  # callback query ids answered
    fail: Callable[[TelegramMethod[Any]], Exception | None] | None = None

    def __post_init__(self) -> None:
        super().__init__()
        self._ids = count(1000)
        self._update_ids = count(1)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        if self.fail is not None and (error := self.fail(method)) is not None:
            raise error
        if isinstance(method, AnswerCallbackQuery):
            self._answer(method)
        self.calls.append(method)
        if isinstance(method, GetMe):
            return BOT_USER  # type: ignore[return-value]
        if isinstance(method, SendMessage | SendPhoto | SendDocument):
            return self._message(bot, method)  # type: ignore[return-value]
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            return self._edit(bot, method)  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    def _answer(self, method: AnswerCallbackQuery) -> None:
        """As strict as Telegram: a query is answered once."""
        if method.callback_query_id in self.answered:
            raise TelegramBadRequest(
                method,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.answered.add(method.callback_query_id)
        if method.text:
            self.alerts.append((int(method.callback_query_id.split(":")[0]), method.text))

    def _message(self, bot: Bot, method: SendMessage | SendPhoto | SendDocument) -> Message:
        text = method.text if isinstance(method, SendMessage) else (method.caption or "")
        keyboard = (
            method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
        )
        sent = Sent(
            chat_id=int(method.chat_id),
            message_id=next(self._ids),
            text=text,
            keyboard=keyboard,
            photo=isinstance(method, SendPhoto),
            document=isinstance(method, SendDocument),
        )
        self._keep(self._formatted(bot, method, sent, method.parse_mode))
        return sent.as_message()

    def _edit(self, bot: Bot, method: EditMessageText | EditMessageReplyMarkup) -> Message:
        chat = self.chats[int(method.chat_id or 0)]
        previous = next((s for s in reversed(chat) if s.message_id == method.message_id), None)
        if previous is None:  # deleted, or never sent: Telegram's answer
            raise TelegramBadRequest(method, "Bad Request: message to edit not found")
        sent = Sent(
            chat_id=previous.chat_id,
            message_id=previous.message_id,
            text=previous.text,
            keyboard=method.reply_markup,
            edited=True,
            entities=previous.entities,
            markup=previous.markup,
            html=previous.html,
        )
        if isinstance(method, EditMessageText):
            sent.text = method.text or ""
            sent = self._formatted(bot, method, sent, method.parse_mode)
        same = (sent.text, sent.entities) == (previous.text, previous.entities)
        if same and method.reply_markup == previous.keyboard:
            raise TelegramBadRequest(method, "Bad Request: message is not modified")
        self._keep(sent)
        return sent.as_message()

    @staticmethod
    def _formatted(bot: Bot, method: TelegramMethod[Any], sent: Sent, mode: object) -> Sent:
        """The text as Telegram reads it in its parse mode (the bot's default unless given);
        refused as Telegram refuses HTML it cannot parse."""
        if isinstance(mode, Default):
            mode = bot.default[mode.name]
        sent.markup = sent.text
        sent.html = mode == "HTML"
        if sent.html:
            try:
                sent.text, sent.entities = parse_html(sent.markup)
            except HtmlError as error:
                raise TelegramBadRequest(
                    method, f"Bad Request: can't parse entities: {error}"
                ) from None
        else:
            sent.entities = []
        return sent

    def _keep(self, sent: Sent) -> None:
        """In order overall (`sent`), and per chat (`chats`: a user's inbox without a search)."""
        self.sent.append(sent)
        self.chats[sent.chat_id].append(sent)
