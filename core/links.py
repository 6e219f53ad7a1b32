"""Deep links into the Telegram bot."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class LinkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_username: str | None = None


def invite_link(code: str) -> str | None:
    """`t.me/<bot>?start=<code>`, once the bot's username is known (BOT_USERNAME)."""
    username = LinkSettings().bot_username
    return f"https://t.me/{username}?start={code}" if username else None
