"""What the middlewares read from Redis as an update arrives, in the round trip that takes its
user's lock.

Each update used to cost a round trip apiece for its mark (a redelivery is skipped), its sender's
cached actor and its sender's flood count, on top of taking the lock. A middleware that reads on
arrival queues one command on the lock's first try (`bot.fsm.ReadingLock`) and is handed the reply
in the update's data under its own key; where no lock is taken (memory storage, an update without
a user) nothing is there, and the middleware sends its command itself. Should the update not be
handled after all (waiting for the lock, or sending the update's writes, failed), each is told
(`not_handled`): a mark taken on arrival is given back, so Telegram's redelivery is handled.
"""

from typing import TYPE_CHECKING, Any

from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterPipeline

if TYPE_CHECKING:  # aiogram is loaded by the bot alone (bot.actors, which imports this, is not)
    from aiogram.types import Update

AnyPipeline = Pipeline | ClusterPipeline
UNREAD: Any = object()  # not read yet (None may be what was read)


class ReadsOnArrival:
    """A middleware whose Redis command goes with the taking of the update's lock."""

    ARRIVED: str  # the key of the command's reply in the update's data

    def read_on_arrival(self, pipe: AnyPipeline, update: "Update", data: dict[str, Any]) -> bool:
        """Queue this middleware's one command for the update (its reply goes to
        `data[ARRIVED]`); False, queuing nothing, when the update needs nothing of it."""
        raise NotImplementedError

    async def not_handled(self, update: "Update", data: dict[str, Any]) -> None:
        """The update was not handled after all: undo what the read on arrival took."""
