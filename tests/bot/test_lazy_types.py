"""aiogram's Telegram types built on first use (bot/lazy_types.py): `serve` with a bot idles
at about half the memory, and every type, every method and every method's answer still builds."""

import json
import os
import subprocess
import sys


def run(probe: str) -> dict:
    """`probe` in a fresh interpreter after `import_aiogram()`; its last line printed as JSON."""
    code = f"import json, sys\nfrom bot.lazy_types import import_aiogram\nimport_aiogram()\n{probe}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_hot_types_are_built_at_import_and_another_on_first_use():
    found = run(
        "from aiogram.types import Contact, Message, Update\n"
        "built = lambda: [c.__pydantic_complete__ for c in (Update, Message, Contact)]\n"
        "before = built()\n"
        "contact = Contact.model_validate({'phone_number': '+371 2000', 'first_name': 'Anna'})\n"
        "print(json.dumps({'before': before, 'after': built(), 'name': contact.first_name}))"
    )
    assert found == {"before": [True, True, False], "after": [True, True, True], "name": "Anna"}


def test_every_type_method_and_answer_builds_on_first_use():
    # In functions: pydantic's first-use build reads the namespace five frames up, as it is
    # in any handler, middleware or session.
    found = run(
        "from pydantic import BaseModel\n"
        "from aiogram import methods, types\n"
        "from aiogram.methods.base import Response, TelegramMethod\n"
        "def build(cls):\n"
        "    cls.__pydantic_validator__.validate_python  # a stand-in's attribute builds it\n"
        "    cls.__pydantic_serializer__.to_python\n"
        "    if issubclass(cls, TelegramMethod) and cls is not TelegramMethod:\n"
        "        Response[cls.__returning__].__pydantic_validator__.validate_python\n"
        "    return cls.__pydantic_complete__\n"
        "def every():\n"
        "    models = [getattr(m, name) for m in (types, methods) for name in m.__all__]\n"
        "    models = [c for c in models if isinstance(c, type) and issubclass(c, BaseModel)]\n"
        "    return len(models), sum(build(c) for c in models)\n"
        "models, built = every()\n"
        "print(json.dumps({'models': models, 'built': built}))"
    )
    assert found["models"] > 500  # the types and methods of Bot API 9
    assert found["built"] == found["models"]


def test_serve_with_a_bot_imports_aiogram_lazily(tmp_path):
    serve = (
        "import asyncio, json\n"
        "from bot import runner\n"
        "from bot.settings import BotSettings\n"
        "async def main():\n"
        "    settings = BotSettings(bot_token='42:TEST', telegram_api_url='http://127.0.0.1:9')\n"
        "    async with runner.serving(settings):\n"
        "        from aiogram.types import Contact, Message\n"
        "        return [Message.__pydantic_complete__, Contact.__pydantic_complete__]\n"
        "print(json.dumps(asyncio.run(main())))"
    )
    environment = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path / 'serve.db'}"}
    environment.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", serve],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env=environment,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, False]
