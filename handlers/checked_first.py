"""A flow's check run before its steps, so a refusal comes on the tap itself.

A step that answers the tap and moves the flow on before it reads what it needs would, for a
person who lost access meanwhile, refuse in a message after the spinner was answered, with the
flow moved on. A step registered with the flags `check_first` gives runs only once the flow's
check has passed: a refusal is the tap's alert, and nothing of the flow has changed.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.flags import get_flag
from aiogram.types import TelegramObject

from core.access import Actor

FLAG = "checked_first"  # a step's flag: the check to run before it
Check = Callable[[Actor, dict[str, Any]], Awaitable[object]]
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


async def _checked(handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
    check: Check | None = get_flag(data, FLAG)
    if check is not None:
        await check(data["actor"], await data["state"].get_data())
    return await handler(event, data)


def check_first(router: Router, check: Check) -> dict[str, Any]:
    """The flags under which a step of `router` runs only after `check(actor, the flow's data)`
    passed; the check raises to refuse (core's AccessDenied, NotFound)."""
    for observer in (router.callback_query, router.message):
        if _checked not in observer.middleware:
            observer.middleware(_checked)
    return {FLAG: check}
