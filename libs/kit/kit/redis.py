"""The Redis client every process uses: a connection that died with a Redis restart is
replaced at once, not handed out again.

A pooled connection outlives a Redis restart as a dead socket; without a retry each of them
fails one request (a pool of dozens fails requests for minutes under light traffic). A
connection error is retried once, on a fresh connection; a timeout is not retried (Redis that
is really away must not double the wait). Idle connections are checked before use.
"""

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

HEALTH_CHECK_SECONDS = 15


def connect_redis(url: str, timeout_seconds: float = 2.0) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
        health_check_interval=HEALTH_CHECK_SECONDS,
    )
