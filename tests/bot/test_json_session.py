"""The bot's Bot API calls go as JSON over HTTP and come back, or fail, as with aiogram's forms."""

from datetime import UTC, datetime

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiohttp import web

from bot.factory import create_bot
from bot.json_session import JsonSession
from bot.pacing import share_pacer
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN
from tests.bot.fake_telegram import FakeTelegram, error

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text=f"Skolnieks {row}.{col}", callback_data=f"s:{row}:{col}")]
        for row in range(5)
        for col in range(5)
    ]
)


@pytest.fixture
async def bot(telegram):
    bot = create_bot(BotSettings(bot_token=TEST_TOKEN, telegram_api_url=telegram.url))
    yield bot
    await bot.session.close()


def aiogram_bot(telegram: FakeTelegram, bot: Bot) -> Bot:
    """`bot` on aiogram's own session, which sends forms: as create_bot made it before."""
    session = AiohttpSession()
    session.api = TelegramAPIServer.from_base(telegram.url)
    return Bot(TEST_TOKEN, session=session, default=bot.default)


def bad_gateway_page() -> web.Response:
    return web.Response(status=502, text="<h1>502 Bad Gateway</h1>", content_type="text/html")


async def test_a_message_goes_as_json_and_comes_back_as_a_message_of_this_bot(bot, telegram):
    assert isinstance(bot.session, JsonSession)
    message = await bot.send_message(7001, "Izvēlieties skolnieku", reply_markup=KEYBOARD)

    assert isinstance(message, Message)
    assert (message.chat.id, message.text) == (7001, "Izvēlieties skolnieku")
    assert message.reply_markup is not None
    assert message.reply_markup.model_dump() == KEYBOARD.model_dump()
    assert message.bot is bot  # answers know their bot, as aiogram's do: message.answer() works
    content_type, fields = telegram.bodies[-1]
    assert content_type == "application/json"
    assert fields["link_preview_options"] == '{"is_disabled": true}'  # the bot's default


async def test_the_json_body_has_the_fields_aiogram_sent_as_a_form(bot, telegram):
    async def calls(bot: Bot) -> None:
        await bot.send_message(7001, "Sveiki", reply_markup=KEYBOARD, parse_mode="HTML")
        await bot.ban_chat_member(7001, 8001, until_date=datetime(2026, 12, 1, tzinfo=UTC))
        await bot.answer_callback_query("q1", text="", show_alert=False)

    await calls(bot)
    json_bodies, telegram.bodies = telegram.bodies, []
    form_bot = aiogram_bot(telegram, bot)
    await calls(form_bot)
    await form_bot.session.close()

    assert [c for c, _ in json_bodies] == ["application/json"] * 3
    assert [c for c, _ in telegram.bodies] == ["application/x-www-form-urlencoded"] * 3
    assert [f for _, f in json_bodies] == [f for _, f in telegram.bodies]
    assert "text" not in json_bodies[-1][1]  # "" is left out, as from the form


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda: error(400, "Bad Request: message is not modified"), TelegramBadRequest),
        (lambda: error(429, "Too Many Requests: retry after 30", 30), TelegramRetryAfter),
        (lambda: error(403, "Forbidden: bot was blocked by the user"), TelegramForbiddenError),
        (bad_gateway_page, ClientDecodeError),
    ],
)
async def test_refusals_raise_what_they_raised_with_forms(bot, telegram, answer, expected):
    telegram.fail = lambda method: answer()
    raised = []
    for sender in (bot, aiogram_bot(telegram, bot)):
        with pytest.raises(expected) as caught:
            await sender.edit_message_text(text="Sveiki", chat_id=7001, message_id=5)
        raised.append(str(caught.value))
        await sender.session.close()
    assert raised[0] == raised[1]
    if expected is TelegramRetryAfter:
        assert caught.value.retry_after == 30


async def test_a_document_is_still_uploaded_as_a_multipart_form(bot, telegram):
    plan = BufferedInputFile(b"%PDF-1.4 plan", filename="plan.pdf")
    message = await bot.send_document(7001, plan, caption="Atbalsta plans")

    assert message.document is not None and message.document.file_name == "plan.pdf"
    assert message.caption == "Atbalsta plans"
    content_type, fields = telegram.bodies[-1]
    assert content_type == "multipart/form-data"
    assert fields["document"].startswith("attach://")
    assert telegram.files == [("plan.pdf", b"%PDF-1.4 plan")]


async def test_a_reply_refused_for_a_second_is_retried_and_paced_over_json(bot, telegram):
    refusals = iter([error(429, "Too Many Requests: retry after 1", 1)])
    telegram.fail = lambda method: next(refusals, None) if method == "sendMessage" else None
    pacer = share_pacer(bot.session)

    message = await bot.send_message(7001, "Sveiki")

    assert message.text == "Sveiki"
    assert telegram.sent == [(7001, "Sveiki")]  # the second try, after the wait
    assert pacer.chat_wait(7001) > 0  # the reply took its turn from the shared pacer
