"""The HTTP API: FastAPI over the same services the bot calls."""
