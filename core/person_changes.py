"""Listeners told when what an actor is made of changes: a person's roles, language,
reachability or Telegram id. The bot's actor cache listens (core never imports the bot).

Services call `person_changed` after their write is committed. Listeners are held weakly (a
bound method's object may go away, e.g. a dispatcher of a test), and one failing is logged, not
raised: the write has happened, and a cache bounds its staleness by its own time to live.
"""

import logging
import weakref
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
Listener = Callable[[int, int | None], Awaitable[None]]

_listeners: list[weakref.WeakMethod[Listener]] = []


def on_person_change(listener: Listener) -> None:
    """Call the bound method `listener(person_id, telegram_id or None)` after each change."""
    _listeners.append(weakref.WeakMethod(listener))


async def person_changed(person_id: int, telegram_id: int | None = None) -> None:
    for reference in list(_listeners):
        listener = reference()
        if listener is None:
            _listeners.remove(reference)
            continue
        try:
            await listener(person_id, telegram_id)
        except Exception as error:  # noqa: BLE001 (a cache's trouble must not undo a write)
            log.warning("telling of a person's change failed: %s", type(error).__name__)
