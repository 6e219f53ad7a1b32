"""Redis helpers: connecting, and a health check."""

import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError


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

    `hold()` takes the lease if it is free, or renews it if this instance has it.
    """

    def __init__(self, redis: Redis, key: str, ttl_seconds: int) -> None:
        self.redis, self.key, self.ttl = redis, key, ttl_seconds
        self.token = uuid.uuid4().hex

    async def hold(self) -> bool:
        if await self.redis.set(self.key, self.token, nx=True, ex=self.ttl):
            return True
        holder = await self.redis.get(self.key)
        if holder is not None and holder.decode() == self.token:
            await self.redis.expire(self.key, self.ttl)
            return True
        return False
