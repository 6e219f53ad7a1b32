"""The bot's configuration, from the environment (or .env)."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: str | None = None
    webhook_url: str | None = None  # public base URL; Telegram posts to it + /telegram/webhook
    webhook_secret: str | None = None
    telegram_api_url: str | None = None  # a self-hosted Bot API server
    redis_url: str | None = None
    digest_cron: str = "0 8 * * mon"  # when weekly digests go out, Riga time
    flood_limit: int = 20  # updates a user may send ...
    flood_window_seconds: int = 10  # ... within this many seconds
