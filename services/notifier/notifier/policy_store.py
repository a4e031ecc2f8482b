"""The daily cap and the minimum pause, decided atomically in Redis: one EVALSHA per decision.

Counters live under the customer's hash tag, so a Redis Cluster keeps them on one shard.
"""

from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

# KEYS: the customer's counter for the local day, the customer's last send (epoch seconds).
# ARGV: now, cap, pause seconds, key lifetime, critical ("1" counts the send, never refuses).
DECIDE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local last = tonumber(redis.call('GET', KEYS[2]) or '-1')
local now = tonumber(ARGV[1])
local pause = tonumber(ARGV[3])
if ARGV[5] ~= '1' then
  if count >= tonumber(ARGV[2]) then return {0, 'daily_cap', count} end
  if last >= 0 and now - last < pause then return {0, 'pause', last + pause} end
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[4])
return {1, 'allowed', count + 1}
"""

KEY_LIFETIME_SECONDS = 3 * 24 * 3600


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # allowed, daily_cap, pause, policy_unavailable
    value: int  # the day's count, or when the pause ends (epoch seconds)


class PolicyStore:
    def __init__(self, redis: Redis, prefix: str = "notifier") -> None:
        self.prefix = prefix
        self.script = redis.register_script(DECIDE)

    def keys(self, customer_id: str, day: str) -> list[str]:
        tag = f"{self.prefix}:policy:{{{customer_id}}}"
        return [f"{tag}:day:{day}", f"{tag}:last"]

    async def decide(
        self,
        customer_id: str,
        day: str,
        at: datetime,
        daily_cap: int,
        min_pause_seconds: int,
        critical: bool,
    ) -> Verdict:
        """Raises ``RedisError`` when Redis does not answer; the caller applies fail-open/closed."""
        args = [int(at.timestamp()), daily_cap, min_pause_seconds, KEY_LIFETIME_SECONDS]
        answer = await self.script(
            keys=self.keys(customer_id, day), args=[*args, "1" if critical else "0"]
        )
        allowed, reason, value = answer
        return Verdict(bool(allowed), _text(reason), int(value))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


__all__ = ["PolicyStore", "RedisError", "Verdict"]
