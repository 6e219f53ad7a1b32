"""Who is writing: the person and their memberships per Telegram user, kept between updates.

Reading them costs two queries on every update; they change rarely (an invite redeemed, a
language chosen, a child's record erased, the bot blocked or unblocked). The core tells of every
such change (`core.person_changes`), and the cache forgets that person at once.

With Redis the entries live there, so every instance sees one instance's change; they expire
after REDIS_TTL_SECONDS, which bounds what a process without a cache listening (the command line)
could leave stale. Without Redis they live in this process for MEMORY_TTL_SECONDS. A forgotten
user is marked (with the time) for FORGET_SECONDS, and a load that started before the change
(and so may have read the old rows) is not stored over the mark; loads started afterwards are.
Strangers are never cached: redeeming an invite must take effect on the next update.
"""

import json
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any, TypeVar

from redis.asyncio import Redis
from tortoise.fields import DatetimeField
from tortoise.models import Model

from bot.arrival import UNREAD, AnyPipeline
from core.access import Actor
from core.person_changes import on_person_change
from core.services.people import person_for_telegram
from storage.models import Membership, Person

Payload = dict[str, Any]
M = TypeVar("M", bound=Model)


class ActorCache:
    KEY = "pumpurs:actor:{}"  # Telegram id -> the actor's rows as JSON, or "-" and when forgotten
    PERSON_KEY = "pumpurs:actor-of:{}"  # person id -> the Telegram id cached under
    FORGOTTEN = "-"
    # Store unless the key holds an entry, or a mark of a change made after the load began.
    PUT = """
        local current = redis.call('GET', KEYS[1])
        if current and (string.sub(current, 1, 1) ~= '-'
                        or tonumber(string.sub(current, 2)) >= tonumber(ARGV[2])) then
            return 0
        end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
        redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])
        return 1
    """
    REDIS_TTL_SECONDS = 60
    MEMORY_TTL_SECONDS = 10.0
    FORGET_SECONDS = 5
    MEMORY_SIZE = 10_000

    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis
        self.memory: OrderedDict[int, tuple[float, Payload | None]] = OrderedDict()
        self.telegram_of: dict[int, int] = {}
        # Telegram id -> the entry last turned into an Actor (Redis's bytes or the payload
        # kept here), and that Actor: the same entry again gives the same Actor.
        self.built: OrderedDict[int, tuple[bytes | Payload, Actor]] = OrderedDict()
        on_person_change(self.forget)

    async def actor(self, telegram_id: int, entry: bytes | None = UNREAD) -> Actor | None:
        """The person writing from this Telegram id with their roles, or None for a stranger;
        `entry` is their entry in Redis when it was read already (`queue_get`)."""
        started = time.time()
        kept = await self._entry(telegram_id) if entry is UNREAD else entry
        built = self.built.get(telegram_id)
        if built is not None and kept is not None and built[0] == kept:
            return built[1]
        cached = self._decoded(kept) if isinstance(kept, bytes) else kept
        if cached is not None and kept is not None:
            return self._built(telegram_id, kept, _actor(cached))
        actor = await person_for_telegram(telegram_id)
        if actor is not None:
            await self._put(telegram_id, _payload(actor), started)
        return actor

    async def forget(self, person_id: int, telegram_id: int | None = None) -> None:
        """The person changed: drop what is kept under their Telegram id (old and new)."""
        if self.redis is not None:
            old = await self.redis.get(self.PERSON_KEY.format(person_id))
            ids = {int(old)} if old is not None else set()
            ids |= {telegram_id} if telegram_id is not None else set()
            mark = f"{self.FORGOTTEN}{time.time()!r}"
            async with self.redis.pipeline(transaction=False) as pipe:
                for tid in ids:
                    pipe.set(self.KEY.format(tid), mark, ex=self.FORGET_SECONDS)
                pipe.delete(self.PERSON_KEY.format(person_id))
                await pipe.execute()
            return
        known = self.telegram_of.pop(person_id, None)
        ids = {tid for tid in (known, telegram_id) if tid is not None}
        for tid in ids:
            self.memory[tid] = (time.time() + self.FORGET_SECONDS, None)

    def queue_get(self, pipe: AnyPipeline, telegram_id: int) -> bool:
        """Queue reading the entry of this Telegram id (for `actor`); False without Redis."""
        if self.redis is None:
            return False
        pipe.get(self.KEY.format(telegram_id))
        return True

    async def _entry(self, telegram_id: int) -> bytes | Payload | None:
        """What is kept for this Telegram id: Redis's bytes, or the payload kept here."""
        if self.redis is not None:
            kept = await self.redis.get(self.KEY.format(telegram_id))
            assert not isinstance(kept, str), "the client is made without decode_responses"
            return kept
        entry = self.memory.get(telegram_id)
        if entry is None or entry[0] <= time.time():
            return None
        return entry[1]

    def _built(self, telegram_id: int, entry: bytes | Payload, actor: Actor) -> Actor:
        """Keep the Actor made from this entry, for the same entry again."""
        self.built[telegram_id] = (entry, actor)
        self.built.move_to_end(telegram_id)
        if len(self.built) > self.MEMORY_SIZE:
            self.built.popitem(last=False)
        return actor

    def _decoded(self, entry: bytes | str | None) -> Payload | None:
        """The rows kept in a Redis entry; None for none, or for a mark of a change."""
        assert not isinstance(entry, str), "the client is made without decode_responses"
        if entry is None or entry.startswith(self.FORGOTTEN.encode()):
            return None
        payload: Payload = json.loads(entry)
        return payload

    async def _put(self, telegram_id: int, payload: Payload, started: float) -> None:
        person_id = payload["person"]["id"]
        if self.redis is not None:
            keys = (self.KEY.format(telegram_id), self.PERSON_KEY.format(person_id))
            arguments = (json.dumps(payload), repr(started), self.REDIS_TTL_SECONDS, telegram_id)
            await self.redis.eval(self.PUT, 2, *keys, *arguments)
            return
        entry = self.memory.get(telegram_id)
        if entry is not None and entry[1] is None and entry[0] - self.FORGET_SECONDS >= started:
            return  # forgotten since this load began: it may hold the old rows
        self.memory[telegram_id] = (time.time() + self.MEMORY_TTL_SECONDS, payload)
        self.memory.move_to_end(telegram_id)
        self.telegram_of[person_id] = telegram_id
        if len(self.memory) > self.MEMORY_SIZE:
            _, (_, dropped) = self.memory.popitem(last=False)
            if dropped is not None:
                self.telegram_of.pop(dropped["person"]["id"], None)


def _payload(actor: Actor) -> Payload:
    return {"person": _row(actor.person), "memberships": [_row(m) for m in actor.memberships]}


def _actor(payload: Payload) -> Actor:
    """An Actor from the kept rows: models as if just read. One person's updates share it while
    the rows do not change; every use of it reads, none writes to it."""
    person = _model(Person, payload["person"])
    return Actor(person, tuple(_model(Membership, row) for row in payload["memberships"]))


def _row(instance: Model) -> dict[str, Any]:
    row = {}
    for name, column in instance._meta.fields_db_projection.items():
        value = getattr(instance, name)
        row[column] = value.isoformat() if isinstance(value, datetime) else value
    return row


def _model(model: type[M], row: dict[str, Any]) -> M:
    meta = model._meta
    values = dict(row)
    for name, column in meta.fields_db_projection.items():
        if isinstance(meta.fields_map[name], DatetimeField) and isinstance(values[column], str):
            values[column] = datetime.fromisoformat(values[column])
    return model._init_from_db(**values)
