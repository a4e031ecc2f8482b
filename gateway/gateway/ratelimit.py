"""Per-key rate limits in Redis: GCRA (a smooth token bucket) in one atomic Lua script.

Redis keeps one number per key and policy, the theoretical arrival time (TAT) of the next
request; the script reads the Redis clock so every gateway replica agrees on time.
"""

import math
import re
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kit.errors import DomainError, ServiceUnavailable

# One GCRA step on the TAT key ``key``: {allowed 0|1, remaining, microseconds until retry,
# microseconds until full}. Shared by the scripts that spend a request (GCRA below, and the key
# directory's look-up, which spends in the same round trip: gateway/keys.py).
GCRA_FUNCTION = """
local function gcra(key, interval, burst)
  local now_parts = redis.call('TIME')
  local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
  local tolerance = interval * burst
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - tolerance
  if now < allow_at then
    return {0, 0, allow_at - now, tat - now}
  end
  redis.call('SET', key, new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
  return {1, math.floor((now - allow_at) / interval), 0, new_tat - now}
end
"""
# KEYS[1]: the TAT key. ARGV: emission interval (µs), burst.
GCRA = GCRA_FUNCTION + "return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))\n"


@dataclass(frozen=True)
class Policy:
    name: str
    per_second: float
    burst: int

    @property
    def window_seconds(self) -> int:
        return max(1, math.ceil(self.burst / self.per_second))

    def header(self) -> str:
        return f'"{self.name}";q={self.burst};w={self.window_seconds}'


@dataclass(frozen=True)
class Decision:
    policy: Policy
    allowed: bool
    remaining: int
    retry_after_seconds: int
    reset_seconds: int

    def headers(self) -> list[tuple[str, str]]:
        found = [
            ("RateLimit-Policy", self.policy.header()),
            ("RateLimit", f'"{self.policy.name}";r={self.remaining};t={self.reset_seconds}'),
        ]
        if not self.allowed:
            found.append(("Retry-After", str(self.retry_after_seconds)))
        return found


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    title = "Too many requests for this API key"


class RateLimiterUnavailable(ServiceUnavailable):
    code = "rate_limiter_unavailable"
    title = "The rate limiter cannot be reached"


# Writes that send messages or grant points cost money per call: a route is costly by a rule on
# its path template (its last literal segment names sending, enrolling or granting, so
# `/enrollments` is costly and `/enrollments/{customer_id}/cancel` is not), so a route added
# later is classified without a list to keep; a route may also say so itself with
# `openapi_extra={"x-costly": True}`. Reads are never costly.
COSTLY_SEGMENT = re.compile(
    r"(test-)?(send|sends|resend)|deliveries|messages|enrollments|grants|start|launch|dispatch"
)
WRITES = frozenset({"POST", "PUT", "PATCH"})


def is_costly(method: str, path_template: str, openapi_extra: dict[str, object] | None) -> bool:
    if (openapi_extra or {}).get("x-costly"):
        return True
    if method.upper() not in WRITES:
        return False
    literal = [part for part in path_template.split("/") if part and not part.startswith("{")]
    return bool(literal) and COSTLY_SEGMENT.fullmatch(literal[-1]) is not None


@dataclass(frozen=True)
class Spend:
    """One request of ``policy`` for ``subject``: the TAT key and the script's arguments."""

    policy: Policy
    key: str

    @property
    def args(self) -> list[int]:
        return [max(1, round(1_000_000 / self.policy.per_second)), self.policy.burst]

    def decision(self, result: list[int]) -> Decision:
        allowed, remaining, retry_us, reset_us = (int(v) for v in result)
        return Decision(
            self.policy,
            bool(allowed),
            remaining,
            retry_after_seconds=math.ceil(retry_us / 1_000_000),
            reset_seconds=math.ceil(reset_us / 1_000_000),
        )


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str = "gw:rl") -> None:
        self.redis = redis
        self.prefix = prefix
        self.script = redis.register_script(GCRA)

    def spend(self, subject: str, policy: Policy) -> Spend:
        return Spend(policy, f"{self.prefix}:{policy.name}:{subject}")

    async def check(self, subject: str, policy: Policy) -> Decision:
        spend = self.spend(subject, policy)
        try:
            result = await self.script(keys=[spend.key], args=spend.args)
        except (RedisError, OSError) as exc:
            raise RateLimiterUnavailable(type(exc).__name__) from exc
        return spend.decision(result)
