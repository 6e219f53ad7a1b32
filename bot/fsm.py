"""A user's FSM state and data in Redis read at most once an update, and not written unchanged.

With Redis FSM storage every `get_state`, `get_data`, `set_state` and `set_data` is a round trip,
and `update_data` two. A flow's step typically reads the data three or four times and writes it
once or twice. While an update is handled its user's key is locked (the dispatcher's event
isolation), so nothing else writes the state or data meanwhile: the context keeps what it read
or wrote, and gives it back as Redis would have (the data as its stored JSON, decoded anew on each
read). A write of what is stored already is skipped. An update takes two round trips: the first
takes the key's lock and reads the state and data, with what the other middlewares read on arrival
(`bot.arrival`); the second, when its handler is done, sends its writes and gives the lock back.
Memory storage is left as it is: its reads and writes are a dictionary's.

The state and data expire together (the storage's `state_ttl`, which `data_ttl` must equal): a
flow left half-way does not keep what its user typed in Redis for ever. Every update that finds
them renews both, with its writes, in the same round trip.
"""

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from secrets import token_hex
from typing import Any, Literal, cast

from aiogram import Bot, Dispatcher
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import DEFAULT_DESTINY, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.fsm.strategy import FSMStrategy
from aiogram.types import TelegramObject, Update
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError, RedisError

import handlers
from bot.arrival import UNREAD, AnyPipeline, ReadsOnArrival

VERSION_MARK = "|"  # between the flows' version and the state, in the stored state


def flows_version() -> str:
    """A fingerprint of the flows' code (the modules of `handlers`)."""
    digest = hashlib.sha256()
    for module in sorted(Path(handlers.__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()[:12]


class UpdateContext(FSMContext):
    """One update's FSM context over Redis: the state and the data's JSON kept once read or
    written, the writes held until `flush`.

    A flow's state and data outlive a deploy in Redis. The state is stored with the version of
    the flows' code that set it (`flows_version`); a flow left half-way by other code is read as
    no flow at all (and its keys are deleted), so its buttons are answered as stale, not with an
    error of a step that no longer reads its data so.
    """

    storage: RedisStorage

    def __init__(self, storage: RedisStorage, key: StorageKey, version: str) -> None:
        super().__init__(storage, key)
        self.version = version
        self._state: str | None = UNREAD
        self._data: str | None = UNREAD  # the stored JSON; None when nothing is stored
        self._unsent: dict[str, str | None] = {}  # Redis key -> value to set (None: delete)
        self._held = True  # writes wait for `flush` (until the update's handler is done)

    async def flush(self, unlock: "ReadingLock | None" = None) -> None:
        """Send the writes held, renew the expiry of what is stored and not written, and give
        back the lock `unlock`, in one round trip; later writes are sent as they come."""
        self._held = False
        if not self._unsent and unlock is None:
            return
        unsent, self._unsent = self._unsent, {}
        ttl = self.storage.state_ttl
        async with self.storage.redis.pipeline(transaction=False) as pipe:
            for key, value in unsent.items():
                if value is None:
                    pipe.delete(key)
                else:
                    pipe.set(key, value, ex=ttl)
            if ttl:
                for key in self._stored_keys():
                    if key not in unsent:
                        pipe.expire(key, ttl)
            if unlock is not None:
                unlock.release_in(pipe)
            replies = await pipe.execute()
        if unlock is not None:
            unlock.released(replies[-1])

    async def _write(self, part: Literal["state", "data"], value: str | None) -> None:
        self._unsent[self.storage.key_builder.build(self.key, part)] = value
        if not self._held:
            await self.flush()

    def _keys(self) -> tuple[str, str]:
        build = self.storage.key_builder.build
        return build(self.key, "state"), build(self.key, "data")

    def _stored_keys(self) -> list[str]:
        """The keys of the state and data that hold something, as read or written."""
        stored = (self._state, self._data)
        return [
            key
            for key, value in zip(self._keys(), stored, strict=True)
            if value is not None and value is not UNREAD
        ]

    def read_in(self, pipe: AnyPipeline) -> None:
        """Queue the read of the state and the data (one MGET: nearly every step reads both)."""
        pipe.mget(*self._keys())

    def keep_read(self, values: list[bytes | str | None]) -> None:
        """Keep the state and the data read (their MGET's reply)."""
        stored, data = (value.decode() if isinstance(value, bytes) else value for value in values)
        if stored is None:
            self._state = None
        else:
            version, _, self._state = stored.partition(VERSION_MARK)
            if version != self.version:  # a flow of other code: none
                self._state = self._data = None
                self._unsent.update(dict.fromkeys(self._keys()))
                return
        if self._data is UNREAD:
            self._data = data

    async def get_state(self) -> str | None:
        """The state, and the data with it."""
        if self._state is UNREAD:
            self.keep_read(await self.storage.redis.mget(*self._keys()))
        return self._state

    async def set_state(self, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        if value == self._state:
            return
        self._state = value
        await self._write("state", None if value is None else self.version + VERSION_MARK + value)

    async def get_data(self) -> dict[str, Any]:
        if self._data is UNREAD:
            await self.get_state()
        if self._data is None:
            return {}
        data: dict[str, Any] = self.storage.json_loads(self._data)
        return data

    async def set_data(self, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            await super().set_data(data)  # refused, as the storage refuses it
            return
        encoded = self.storage.json_dumps(data) if data else None
        if encoded == self._data:
            return
        self._data = encoded
        await self._write("data", encoded)

    async def get_value(self, key: str, default: Any | None = None) -> Any | None:
        return (await self.get_data()).get(key, default)

    async def update_data(
        self, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if data:
            kwargs.update(data)
        current = await self.get_data()
        current.update(kwargs)
        await self.set_data(current)
        return current.copy()


class ReadingLock(Lock):
    """The isolation lock of aiogram (redis-py's), the update's FSM read sent with each try to
    take it: read after the SET NX on the same connection, so under the lock when it is taken.
    The first try carries the middlewares' reads on arrival too; giving the lock back goes with
    the update's writes (`UpdateContext.flush`)."""

    context: UpdateContext
    arrival: Sequence[tuple[ReadsOnArrival, Update, dict[str, Any]]] = ()

    async def do_acquire(self, token: str | bytes) -> bool:
        timeout = int(self.timeout * 1000) if self.timeout else None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.name, token, nx=True, px=timeout)
            self.context.read_in(pipe)
            queued = self._read_arrival(pipe)
            taken, values, *replies = await pipe.execute()
        for (reader, data), reply in zip(queued, replies, strict=True):
            data[reader.ARRIVED] = reply
        if taken:
            self.context.keep_read(values)
        return bool(taken)

    def _read_arrival(self, pipe: AnyPipeline) -> list[tuple[ReadsOnArrival, dict[str, Any]]]:
        """Queue the reads on arrival (on the first try only); the readers that queued one."""
        arrival, self.arrival = self.arrival, ()
        return [
            (reader, data)
            for reader, update, data in arrival
            if reader.read_on_arrival(pipe, update, data)
        ]

    def release_in(self, pipe: AnyPipeline) -> None:
        """Queue giving the lock back, as `release` would send it."""
        if self.local.token is None:
            raise LockError("Cannot release a lock that's not owned")
        pipe.eval(self.LUA_RELEASE_SCRIPT, 1, self.name, self.local.token)

    def released(self, reply: Any) -> None:
        """The lock given back (its script's reply): as `release` and leaving `async with`."""
        self.local.token = None
        if not reply and self.raise_on_release_error:
            raise LockNotOwnedError("Cannot release a lock that's no longer owned")


class UpdateContextMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware, giving each update an UpdateContext, the update's lock taken with
    the reads of `on_arrival`'s middlewares."""

    storage: RedisStorage
    events_isolation: RedisEventIsolation

    def __init__(
        self, storage: RedisStorage, isolation: RedisEventIsolation, strategy: FSMStrategy
    ) -> None:
        super().__init__(storage, isolation, strategy)
        self.version = flows_version()
        self.on_arrival: list[ReadsOnArrival] = []

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """As aiogram's, the update's writes sent with the unlock when its handler is done."""
        context = self.resolve_event_context(cast(Bot, data["bot"]), data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        context, update = cast(UpdateContext, context), cast(Update, event)
        lock = self._lock(context, update, data)
        try:
            # a random token, where redis-py's own is a uuid1 (5-30 µs to make, and it tells the
            # machine's address and the time)
            if not await lock.acquire(token=token_hex(16)):
                raise LockError("Unable to acquire lock within the time specified")
        except BaseException:
            await self._not_handled(update, data)
            raise
        try:
            data.update({"state": context, "raw_state": await context.get_state()})
            return await handler(event, data)
        finally:
            try:
                await context.flush(unlock=lock)
            except LockError:  # held past its timeout: the update was handled, however slowly
                raise
            except RedisError:  # the writes not sent: Telegram's redelivery is to be handled
                with suppress(RedisError):
                    await lock.release()  # on its own: the next update need not wait it out
                await self._not_handled(update, data)
                raise

    async def _not_handled(self, update: Update, data: dict[str, Any]) -> None:
        for reader in self.on_arrival:
            await reader.not_handled(update, data)

    def _lock(self, context: UpdateContext, update: Update, data: dict[str, Any]) -> ReadingLock:
        """The lock aiogram's RedisEventIsolation takes, its taking reading the context and what
        the middlewares read on arrival."""
        isolation = self.events_isolation
        name = isolation.key_builder.build(context.key, "lock")
        lock = ReadingLock(isolation.redis, name, **isolation.lock_kwargs)
        lock.context = context
        lock.arrival = [(reader, update, data) for reader in self.on_arrival]
        return lock

    def get_context(
        self,
        bot: Bot,
        chat_id: int,
        user_id: int,
        thread_id: int | None = None,
        business_connection_id: str | None = None,
        destiny: str = DEFAULT_DESTINY,
    ) -> FSMContext:
        key = StorageKey(
            bot_id=bot.id,
            chat_id=chat_id,
            user_id=user_id,
            thread_id=thread_id,
            business_connection_id=business_connection_id,
            destiny=destiny,
        )
        return UpdateContext(self.storage, key, self.version)


def keep_fsm_per_update(dispatcher: Dispatcher) -> None:
    """With Redis FSM storage, give each update an UpdateContext (in place of aiogram's FSM
    middleware, in its place among the update's outer middlewares)."""
    storage, isolation = dispatcher.fsm.storage, dispatcher.fsm.events_isolation
    if not isinstance(storage, RedisStorage):
        return
    if storage.state_ttl != storage.data_ttl:
        raise ValueError("the FSM state and data must expire together")
    if not isinstance(isolation, RedisEventIsolation) or isolation.redis is not storage.redis:
        return  # the read goes with the lock's taking, on the same Redis
    middleware = UpdateContextMiddleware(storage, isolation, dispatcher.fsm.strategy)
    outer = dispatcher.update.outer_middleware
    assert list(outer)[-1] is dispatcher.fsm, "aiogram's FSM middleware is registered last"
    outer.unregister(dispatcher.fsm)
    outer.register(middleware)
    dispatcher.fsm = middleware


def read_on_arrival(dispatcher: Dispatcher, *readers: ReadsOnArrival) -> None:
    """Send these middlewares' reads with the taking of each update's lock, where the dispatcher
    keeps an UpdateContext (elsewhere they send their own)."""
    if isinstance(dispatcher.fsm, UpdateContextMiddleware):
        dispatcher.fsm.on_arrival.extend(readers)
