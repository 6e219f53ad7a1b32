"""The webhook: checked secret, each update handled before the 2xx, a redelivery handled once."""

import httpx

from api.app import create_app
from bot.factory import create_bot, create_dispatcher
from bot.session import RecordingSession
from bot.settings import BotSettings
from bot.simulator import TEST_TOKEN
from bot.webhook import WEBHOOK_PATH, webhook_router, webhook_secret


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
    app.include_router(webhook_router(dispatcher, bot, secret))
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
