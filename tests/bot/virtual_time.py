"""Time for pacing tests."""


class VirtualTime:
    """A clock that only moves when someone sleeps: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
