"""aiogram's HTTP session, cheaper in CPU: calls as JSON bodies, answers validated from their text.

aiogram's `AiohttpSession` sends a call as a form (each field's value dumped to JSON on its own,
the whole then URL-encoded) and reads Telegram's answer with `json.loads` before validating the
dict. The Bot API takes `application/json` bodies as well, except for uploads: a call without
files goes here as one JSON object of the fields aiogram's form would have, one with an
`InputFile` as aiogram's multipart form. Both are posted by aiogram's own `make_request`
(timeouts, network errors, connections and middlewares unchanged). Answers are validated from
their text in one step; whatever is not a success goes through aiogram's own `check_response`, so
errors raise exactly as they always did.
"""

from functools import cache
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InputFile
from aiohttp import FormData
from aiohttp.payload import JsonPayload
from pydantic import ValidationError


@cache
def response_type(returning: Any) -> type[Response[Any]]:
    """`Response[returning]`, built once per result type and kept (pydantic keeps it weakly)."""
    return Response[returning]


class JsonSession(AiohttpSession):
    """`AiohttpSession` sending calls without files as JSON."""

    def build_form_data(  # type: ignore[override]  # aiohttp posts a payload as it does a form
        self, bot: Bot, method: TelegramMethod[TelegramType]
    ) -> FormData | JsonPayload:
        """The call's body: the fields aiogram's form has (defaults resolved, None and "" left
        out; Nones not even dumped) in one JSON object; aiogram's multipart form for an upload."""
        files: dict[str, InputFile] = {}
        fields: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":
                fields[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        return JsonPayload(fields, dumps=self.json_dumps)

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        """A success validated straight from the text; anything else checked by aiogram."""
        try:
            response = response_type(method.__returning__).model_validate_json(
                content, context={"bot": bot}
            )
        except ValidationError:
            return super().check_response(bot, method, status_code, content)
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED and response.ok:
            return response
        return super().check_response(bot, method, status_code, content)
