"""Time for pacing and delivery tests."""

from datetime import UTC, datetime, time, timedelta

from core.clock import RIGA, today

# Noon tomorrow in Riga: no quiet hours, and whatever the tests queue until then is due. A sender
# given this wall clock sends at any hour the tests run.
NOON = datetime.combine(today() + timedelta(days=1), time(12), tzinfo=RIGA).astimezone(UTC)


class VirtualTime:
    """A clock that only moves when someone sleeps: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
