"""Run the routers' synchronous filters inline instead of in a thread.

aiogram awaits a filter that is a coroutine function and hands any other callable to
`asyncio.to_thread`: a state given as a filter (`Flow.step`) and every magic filter (`F.text`)
hop to the thread pool and back on each check, for dozens of checks per update. They are
cheap, pure and never block, so here each becomes a coroutine calling it directly (its signature,
which aiogram reads to pass arguments, is kept). Run once on the finished dispatcher.
"""

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject


def inline_sync_filters(router: Router) -> int:
    """Make every synchronous filter and handler of the router tree awaitable; give the count."""
    changed = 0
    for observer in router.observers.values():
        handlers = [*observer.handlers, getattr(observer, "_handler", None)]
        for handler in handlers:
            if handler is None:
                continue
            for callable_object in [handler, *(handler.filters or [])]:
                if not callable_object.awaitable:
                    _inline(callable_object)
                    changed += 1
    for sub_router in router.sub_routers:
        changed += inline_sync_filters(sub_router)
    return changed


def _inline(callable_object: CallableObject) -> None:
    function: Callable[..., Any] = callable_object.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    callable_object.callback = inline
    callable_object.awaitable = True
