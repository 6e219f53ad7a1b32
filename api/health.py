"""What /healthz tells of the bot: the runner updates a plain status, the API reads it."""

from dataclasses import dataclass

from fastapi import FastAPI

NOT_CONFIGURED = "not configured"
STARTING = "starting"
RUNNING = "running"


@dataclass
class BotStatus:
    """The bot's state: not configured, starting, running, or `retrying: <error type>`."""

    state: str = NOT_CONFIGURED

    def retrying(self, error: BaseException) -> None:
        self.state = f"retrying: {type(error).__name__}"


def bot_status(app: FastAPI) -> BotStatus:
    """The app's bot status; "not configured" until a runner starts a bot on the app."""
    if not hasattr(app.state, "bot_status"):
        app.state.bot_status = BotStatus()
    return app.state.bot_status
