"""Redis helpers: connecting, a health check, and a lease."""

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError


def connect_redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


async def redis_ok(url: str) -> bool:
    client = connect_redis(url)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


class Lease:
    """A lease in Redis that one instance at a time holds: the others wait their turn.

    redis-py's lock, never blocking: `hold()` renews it atomically while this instance has it,
    or takes it if it is free.
    """

    def __init__(self, redis: Redis, key: str, ttl_seconds: int) -> None:
        self.lock = redis.lock(key, timeout=ttl_seconds, blocking=False, thread_local=False)

    async def hold(self) -> bool:
        try:
            await self.lock.reacquire()
            return True
        except LockError:  # not ours: never taken, or it lapsed and perhaps another has it
            return bool(await self.lock.acquire())
