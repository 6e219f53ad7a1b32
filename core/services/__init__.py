"""One service function per use case, called by both the bot and the HTTP API."""
