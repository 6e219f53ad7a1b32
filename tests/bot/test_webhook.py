"""The webhook: checked secret, each update handled before the 2xx, a redelivery handled once,
a body that is not an update refused with a 400, a tap's answer carried in the webhook's answer."""

import httpx

from api.app import create_app
from bot.factory import create_bot, create_dispatcher
from bot.session import RecordingSession
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN
from bot.webhook import WEBHOOK_PATH, serve_webhook, webhook_secret
from bot.webhook_reply import AnswerInWebhookReply, keeping_the_answer


def start_update(update_id: int, user_id: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "A", "language_code": "lv"},
            "text": "/start",
        },
    }


async def test_webhook_checks_the_secret_and_handles_each_update_once(db, redis):
    settings = BotSettings(bot_token=TEST_TOKEN)
    session = RecordingSession()
    bot = create_bot(settings, session)
    dispatcher = create_dispatcher(settings, redis=redis)
    secret = webhook_secret(TEST_TOKEN, None)
    app = create_app(manage_database=False)
    serve_webhook(app, dispatcher, bot, secret)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        forged = await client.post(WEBHOOK_PATH, json=start_update(1, 7001))
        assert forged.status_code == 403
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        first = await client.post(WEBHOOK_PATH, json=start_update(2, 7001), headers=headers)
        again = await client.post(WEBHOOK_PATH, json=start_update(2, 7001), headers=headers)
    assert first.status_code == again.status_code == 200
    assert [s.chat_id for s in session.sent] == [7001]
    assert "ielūguma saiti" in session.sent[0].text


async def test_webhook_refuses_a_body_that_is_not_an_update(db, redis):
    settings = BotSettings(bot_token=TEST_TOKEN)
    session = RecordingSession()
    bot = create_bot(settings, session)
    app = create_app(manage_database=False)
    secret = webhook_secret(TEST_TOKEN, None)
    serve_webhook(app, create_dispatcher(settings, redis=redis), bot, secret)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for body in (b"{not json", b'{"message": 1}'):
            answer = await client.post(WEBHOOK_PATH, content=body, headers=headers)
            assert answer.status_code == 400
            assert answer.json()["detail"]
    assert session.sent == []


def tap_update(update_id: int, user_id: int, data: str) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "A", "language_code": "lv"}
    message = {
        "message_id": 5,
        "date": 1_700_000_000,
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": 1, "is_bot": True, "first_name": "Pumpurs"},
        "text": "Izvēlieties:",
    }
    callback = {"id": f"{user_id}:9", "from": user, "chat_instance": "c", "data": data}
    return {"update_id": update_id, "callback_query": {**callback, "message": message}}


async def test_a_taps_answer_goes_back_in_the_webhooks_answer_not_as_a_request(db, redis):
    settings = BotSettings(bot_token=TEST_TOKEN)
    session = RecordingSession()
    bot = create_bot(settings, session)
    secret = webhook_secret(TEST_TOKEN, None)
    app = create_app(manage_database=False)
    serve_webhook(app, create_dispatcher(settings, redis=redis), bot, secret)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        started = await client.post(WEBHOOK_PATH, json=start_update(1, 7002), headers=headers)
        tapped = await client.post(
            WEBHOOK_PATH, json=tap_update(2, 7002, "gone:1"), headers=headers
        )
    assert started.status_code == 200 and started.content == b""  # a message: nothing to carry
    assert tapped.status_code == 200
    assert tapped.json() == {
        "method": "answerCallbackQuery",
        "callback_query_id": "7002:9",
        "text": "Šī poga vairs nav aktīva. Sāciet no jauna izvēlnē /menu.",
        "show_alert": True,
    }
    assert session.alerts == [] and session.answered == set()  # not sent by the bot itself


async def test_only_the_first_answer_is_kept_and_only_while_the_update_is_handled():
    session = RecordingSession()
    bot = create_bot(BotSettings(bot_token=TEST_TOKEN), session)
    bot.session.middleware(AnswerInWebhookReply())
    with keeping_the_answer() as kept:
        assert await bot.answer_callback_query("7003:1") is True
        await bot.answer_callback_query("7003:2", text="Kļūda", show_alert=True)
    await bot.answer_callback_query("7003:3")
    assert kept.method is not None and kept.method.callback_query_id == "7003:1"
    assert session.answered == {"7003:2", "7003:3"}  # an error's alert, and one after the update
    assert session.alerts == [(7003, "Kļūda")]


async def test_a_toast_announcing_work_under_way_is_sent_at_once_not_kept():
    session = RecordingSession()
    bot = create_bot(BotSettings(bot_token=TEST_TOKEN), session)
    bot.session.middleware(AnswerInWebhookReply())
    with keeping_the_answer() as kept:
        await bot.answer_callback_query("7004:1", text="Gatavoju pārskatu...")
        assert session.alerts == [(7004, "Gatavoju pārskatu...")]  # before the work is done
    assert kept.method is None
