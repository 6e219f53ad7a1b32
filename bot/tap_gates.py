"""Pass a tap by a flow's router at once when none of its buttons could have made it.

aiogram tries a router's tap handlers one after another, and each handler's CallbackData filter
splits the tap's data and, where the prefix matches, builds its model: a tap of the risk flow is
tried against every handler of the absences flow before its own. Where every tap handler of a
router has a CallbackData filter, the router gets one more root filter: the tap's prefix is one
of theirs. A tap it turns away is one none of the handlers would have taken.
Run once on the finished dispatcher, before `inline_sync_filters`.
"""

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery


class TapPrefix(Filter):
    """The tap's callback data starts with one of these CallbackData prefixes."""

    def __init__(self, prefixes: set[tuple[str, str]]) -> None:
        self.prefixes = {prefix for prefix, _ in prefixes}
        self.separators = tuple({separator for _, separator in prefixes})

    async def __call__(self, callback: CallbackQuery) -> bool:
        data = callback.data or ""
        return any(data.partition(separator)[0] in self.prefixes for separator in self.separators)

    def __str__(self) -> str:
        return f"TapPrefix({sorted(self.prefixes)})"


def gate_taps(router: Router) -> int:
    """Give each router of the tree whose taps are all CallbackData its TapPrefix; the count."""
    gated = 0
    for sub_router in router.sub_routers:
        gated += gate_taps(sub_router)
    observer = router.callback_query
    prefixes = _prefixes(observer.handlers)
    if router.sub_routers or not prefixes:
        return gated  # a root filter would hold back the sub-routers' taps too
    observer.filter(TapPrefix(prefixes))
    return gated + 1


def _prefixes(handlers: list[HandlerObject]) -> set[tuple[str, str]] | None:
    """Each handler's CallbackData (prefix, separator); None if one takes other taps too."""
    prefixes: set[tuple[str, str]] = set()
    for handler in handlers:
        kinds = [
            f.callback.callback_data
            for f in handler.filters or []
            if isinstance(f.callback, CallbackQueryFilter)
        ]
        if not kinds:
            return None
        prefixes.update((kind.__prefix__, kind.__separator__) for kind in kinds)
    return prefixes
