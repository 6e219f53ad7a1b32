"""Where the data lives: SQLite and no Redis by default, PostgreSQL and Redis in production."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite://pumpurs.sqlite3?busy_timeout=5000"
    redis_url: str | None = None


def storage_settings() -> StorageSettings:
    return StorageSettings()
