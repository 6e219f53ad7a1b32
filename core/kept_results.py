"""Results that were slow to build, kept a while so the next reader does not wait again.

The country's effectiveness report takes several seconds at the programme's scale (bench/README,
`bench.effectiveness`: 6 s on a quiet 2-core machine, about a minute on a loaded one); a
municipality's or a school's takes well under a second and is built afresh each time. Readers who
ask while a result is being built wait for that one build.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class KeptResults(Generic[T]):
    """Keeps a result that took at least `slow` seconds for `keep` seconds, by key."""

    def __init__(self, slow: float, keep: float) -> None:
        self.slow = slow
        self.keep = keep
        self._kept: dict[Hashable, tuple[float, T]] = {}
        self._building: dict[Hashable, asyncio.Task[T]] = {}

    async def get(self, key: Hashable, build: Callable[[], Awaitable[T]]) -> T:
        """The kept result for `key`, the one being built, or a new one."""
        self._forget_old()
        if key in self._kept:
            return self._kept[key][1]
        task = self._building.get(key)
        if task is None:
            task = asyncio.ensure_future(self._build(key, build))
            self._building[key] = task
            task.add_done_callback(lambda _: self._building.pop(key, None))
        return await asyncio.shield(task)

    async def _build(self, key: Hashable, build: Callable[[], Awaitable[T]]) -> T:
        started = time.monotonic()
        result = await build()
        if time.monotonic() - started >= self.slow:
            self._kept[key] = (started, result)
        return result

    def _forget_old(self) -> None:
        now = time.monotonic()
        for key in [key for key, (built, _) in self._kept.items() if now - built >= self.keep]:
            del self._kept[key]
