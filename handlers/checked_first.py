"""A flow's check run before its steps, so a refusal comes on the tap itself.

A step that answers the tap and moves the flow on before it reads what it needs would, for a
person who lost access meanwhile, refuse in a message after the spinner was answered, with the
flow moved on. Registered with the flags `check_first` gives, a step runs only once the flow's
check has passed: a refusal is the tap's alert, and nothing of the flow has changed.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.flags import get_flag
from aiogram.types import TelegramObject

from core.access import Actor

FLAG = "checked_first"
Check = Callable[[Actor, dict[str, Any]], Awaitable[object]]
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def check_first(router: Router, check: Check) -> dict[str, Any]:
    """Run `check(actor, the flow's data)` before each step of `router` registered with the
    flags returned; the check raises to refuse (core's AccessDenied, NotFound)."""

    async def checked(handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if get_flag(data, FLAG):
            await check(data["actor"], await data["state"].get_data())
        return await handler(event, data)

    router.callback_query.middleware(checked)
    router.message.middleware(checked)
    return {FLAG: True}
