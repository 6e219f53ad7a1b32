"""A flow's check run before its steps, so a refusal comes on the tap itself.

A step that answers the tap and moves the flow on before it reads what it needs would, for a
person who lost access meanwhile, refuse in a message after the spinner was answered, with the
flow moved on. In the states `check_first` names, every step of the router runs only once the
flow's check has passed: a refusal is the tap's alert, and nothing of the flow has changed.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.fsm.state import State
from aiogram.types import TelegramObject

from core.access import Actor

Check = Callable[[Actor, dict[str, Any]], Awaitable[object]]
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def check_first(router: Router, check: Check, *states: State) -> None:
    """Before each step of `router` in one of `states`: `check(actor, the flow's data)`, which
    raises to refuse (core's AccessDenied, NotFound)."""
    names = {state.state for state in states}

    async def checked(handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if data.get("raw_state") in names:
            await check(data["actor"], await data["state"].get_data())
        return await handler(event, data)

    router.callback_query.middleware(checked)
    router.message.middleware(checked)
