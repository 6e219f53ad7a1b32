"""Drive the real Dispatcher with real Updates, as Telegram would, against a recording session."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Protocol

from aiogram import Bot, Dispatcher
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberUpdated,
    Message,
    PhotoSize,
    Update,
    User,
)

from bot.session import BOT_USER, Sent

TEST_TOKEN = "42:TEST-TOKEN"


class Recorder(Protocol):
    """What a simulator reads of the bot's session (a RecordingSession, or one over HTTP)."""

    chats: defaultdict[int, list[Sent]]  # what the bot sent or edited, per chat
    alerts: list[tuple[int, str]]  # (user id, text) of callback answers

    def next_update_id(self) -> int: ...


@dataclass
class Simulator:
    dispatcher: Dispatcher
    bot: Bot
    session: Recorder
    updates: list[Update] = field(default_factory=list)  # every update fed, oldest first
    _message_ids: count = field(default_factory=lambda: count(1))

    def user(self, telegram_id: int, first_name: str = "Test", language: str = "lv") -> "FakeUser":
        return FakeUser(
            self, User(id=telegram_id, is_bot=False, first_name=first_name, language_code=language)
        )

    async def feed(self, update: Update) -> None:
        self.updates.append(update)
        await self.dispatcher.feed_update(self.bot, update)

    def next_update_id(self) -> int:
        """Telegram numbers updates; simulators sharing a session share the numbering."""
        return self.session.next_update_id()


@dataclass
class FakeUser:
    """A person in a private chat with the bot: types, taps buttons, reads what comes back."""

    simulator: Simulator
    user: User

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def inbox(self) -> list[Sent]:
        """Everything the bot sent or edited in this chat, oldest first."""
        return self.simulator.session.chats[self.id]

    @property
    def last(self) -> Sent:
        return self.inbox[-1]

    @property
    def alerts(self) -> list[str]:
        return [text for user_id, text in self.simulator.session.alerts if user_id == self.id]

    @property
    def private_chat(self) -> Chat:
        return Chat(id=self.id, type="private")

    def _message(self, chat: Chat | None = None, **content) -> Message:
        return Message(
            message_id=next(self.simulator._message_ids),
            date=datetime.now(UTC),
            chat=chat or self.private_chat,
            from_user=self.user,
            **content,
        )

    async def _feed(self, update: Update) -> list[Sent]:
        before = len(self.inbox)
        await self.simulator.feed(update)
        return self.inbox[before:]

    async def send(
        self, text: str, update_id: int | None = None, chat: Chat | None = None
    ) -> list[Sent]:
        """Type a message (in the private chat, or in `chat`); give back what the bot answered in
        the private chat."""
        update_id = update_id or self.simulator.next_update_id()
        message = self._message(chat, text=text)
        return await self._feed(Update(update_id=update_id, message=message))

    async def add_bot_to(self, chat: Chat) -> None:
        """Add the bot to a group or channel (Telegram tells the bot with my_chat_member)."""
        change = ChatMemberUpdated(
            chat=chat,
            from_user=self.user,
            date=datetime.now(UTC),
            old_chat_member=ChatMemberLeft(user=BOT_USER),
            new_chat_member=ChatMemberMember(user=BOT_USER),
        )
        await self.simulator.feed(
            Update(update_id=self.simulator.next_update_id(), my_chat_member=change)
        )

    async def send_photo(self) -> list[Sent]:
        photo = [PhotoSize(file_id="photo", file_unique_id="photo", width=10, height=10)]
        return await self.send_content(photo=photo)

    async def send_content(self, chat: Chat | None = None, **content) -> list[Sent]:
        """Send a message of any content (a sticker, a location...)."""
        message = self._message(chat, **content)
        return await self._feed(Update(update_id=self.simulator.next_update_id(), message=message))

    async def edit(self, text: str, chat: Chat | None = None) -> list[Sent]:
        """Edit a message sent earlier (Telegram sends the new text as an edited_message)."""
        edited = self._message(chat, text=text, edit_date=int(datetime.now(UTC).timestamp()))
        update = Update(update_id=self.simulator.next_update_id(), edited_message=edited)
        return await self._feed(update)

    def find_button(self, label: str) -> tuple[Sent, str]:
        """The newest message with a button whose text contains `label`, and that button's data."""
        for sent in reversed(self.inbox):
            for text, data in sent.buttons():
                if label in text:
                    return sent, data
        raise LookupError(f"no button {label!r}")

    async def press(self, label: str) -> list[Sent]:
        """Tap the newest button whose text contains `label`."""
        sent, data = self.find_button(label)
        return await self.press_data(data, sent)

    async def press_data(
        self, data: str, on: Sent | None = None, *, chat: Chat | None = None, inline: bool = False
    ) -> list[Sent]:
        """Send a callback with any data (a forged or stale one too) from a bot message: in the
        private chat, in `chat`, or (`inline`) from an inline-mode message, which has none."""
        update_id = self.simulator.next_update_id()
        message: Message | None = None
        if not inline:
            message = (on or self.last).as_message()
            if chat is not None:
                message = message.model_copy(update={"chat": chat})
        callback = CallbackQuery(
            id=f"{self.id}:{update_id}",
            from_user=self.user,
            chat_instance=str(self.id),
            data=data,
            message=message,
            inline_message_id=f"inline-{update_id}" if inline else None,
        )
        return await self._feed(Update(update_id=update_id, callback_query=callback))
