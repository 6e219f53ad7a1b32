"""What one flow shows again on each of its steps (a class's list, a student's name), kept in
this process for a few minutes under the flow's token.

Never in the FSM storage: that outlives a flow left half-way and is out of reach of a student's
erasure. A copy serves only the person who read it, with the same scope (a membership ended reads
again, and finds it closed); a flow that goes on on another instance, or after KEEP_SECONDS,
reads again, its access checked anew.
"""

import secrets
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

from cachetools import TTLCache

from core.access import Actor, scope_values

T = TypeVar("T")

KEEP_SECONDS = 300
KEPT = 4000  # copies kept at most (the least recently used go first)
_kept: TTLCache[tuple[str, Hashable], tuple[Hashable, Any]] = TTLCache(
    maxsize=KEPT, ttl=KEEP_SECONDS
)


def new_token() -> str:
    """A name for one flow's copies, kept in its FSM data."""
    return secrets.token_urlsafe(9)


async def kept(token: str, key: Hashable, actor: Actor, read: Callable[[], Awaitable[T]]) -> T:
    """What `read()` gives, kept under the flow's `token` and `key` for this actor alone."""
    owner = (actor.id, *(tuple(ids) for ids in scope_values(actor).values()))
    try:
        kept_by, value = _kept[token, key]
    except KeyError:
        pass
    else:
        if kept_by == owner:
            return cast(T, value)
    value = await read()
    _kept[token, key] = (owner, value)
    return value


def drop_expired() -> None:
    """Let the copies past KEEP_SECONDS go now (a TTLCache drops them when it is next written
    to, which an instance nobody writes to may not be for a long time)."""
    _kept.expire()
