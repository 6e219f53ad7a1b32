"""aiogram's HTTP session, cheaper in CPU: calls as JSON bodies.

aiogram's `AiohttpSession` sends a call as a form (each field's value dumped to JSON on its own,
the whole then URL-encoded). The Bot API takes `application/json` bodies as well, except for
uploads: a call without files goes here as one JSON object of the fields aiogram's form would
have, one with an `InputFile` as aiogram's multipart form. Both are posted by aiogram's own
`make_request`, and answers are read by its `check_response` (timeouts, network errors,
connections, middlewares and every error raised unchanged). Validating answers from their text
(`model_validate_json`) was tried and saved nothing: see bench/README.md.
"""

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile
from aiohttp import FormData
from aiohttp.payload import JsonPayload


def call_fields(
    session: BaseSession, bot: Bot, method: TelegramMethod[Any], files: dict[str, InputFile]
) -> dict[str, Any]:
    """A call's fields as aiogram's form has them (defaults resolved, None and "" left out; Nones
    not even dumped), as JSON values; its files put in `files`."""
    fields: dict[str, Any] = {}
    for key, value in method.model_dump(warnings=False, exclude_none=True).items():
        prepared = session.prepare_value(value, bot=bot, files=files, _dumps_json=False)
        if prepared is not None and prepared != "":
            fields[key] = prepared
    return fields


class JsonSession(AiohttpSession):
    """`AiohttpSession` sending calls without files as JSON."""

    def build_form_data(  # type: ignore[override]  # aiohttp posts a payload as it does a form
        self, bot: Bot, method: TelegramMethod[TelegramType]
    ) -> FormData | JsonPayload:
        """The call's fields in one JSON object; aiogram's multipart form for an upload."""
        files: dict[str, InputFile] = {}
        fields = call_fields(self, bot, method, files)
        if files:
            return super().build_form_data(bot, method)
        return JsonPayload(fields, dumps=self.json_dumps)
