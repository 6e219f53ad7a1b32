"""aiogram wiring: Bot and Dispatcher factory, middlewares, keyboards, polling/webhook, the CLI."""
