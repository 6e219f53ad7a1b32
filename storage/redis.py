"""Redis helpers: connecting, and a health check."""

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
