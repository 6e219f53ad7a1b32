"""Waiting in a test for what another task or server does."""

import asyncio
from collections.abc import Callable


async def eventually(condition: Callable[[], object], seconds: float = 10) -> None:
    """Wait until `condition()` holds (another task makes it so), or fail after `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 (the condition is another task's doing)
            await asyncio.sleep(0.05)
