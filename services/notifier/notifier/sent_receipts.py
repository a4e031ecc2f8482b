"""What a provider accepted, remembered outside the database the moment it answers.

An attempt's outcome is recorded in the notifier's database when its transaction commits. If
the database goes away between the provider's answer and that commit (an outage, a restart, a
failover), the retry cannot tell from the database that the message left, and would send it a
second time. So the provider's receipt is also written to Redis as soon as it comes back, and
an attempt looks for it there before it sends: a receipt found is recorded as the outcome and
nothing is sent again. Only a crash in the instant between the provider's answer and this
write, or Redis down at both moments, can still repeat a message (with the same Message-ID and
Idempotency-Key, so a provider that honours them drops it).
"""

import logging
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Longer than any attempt is retried (NOTIFIER_SEND_ATTEMPTS tries at most
# NOTIFIER_SEND_MAX_BACKOFF_SECONDS apart), so a receipt outlives every retry of its attempt.
RECEIPT_TTL = timedelta(days=7)


class SentReceipts:
    def __init__(self, redis: Redis, prefix: str = "notifier") -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, attempt_id: str) -> str:
        return f"{self.prefix}:sent:{attempt_id}"

    async def remember(self, attempt_id: str, provider_message_id: str) -> None:
        """After the provider accepted; Redis away costs only this safeguard, not the send."""
        try:
            await self.redis.set(self.key(attempt_id), provider_message_id, ex=RECEIPT_TTL)
        except RedisError as exc:
            log.warning("could not remember the send of %s: %s", attempt_id, exc)

    async def recall(self, attempt_id: str) -> str | None:
        """The provider's id for a message an earlier execution of the attempt sent, if any.

        Redis away is taken as no receipt: the attempt sends rather than waits for Redis."""
        try:
            found = await self.redis.get(self.key(attempt_id))
        except RedisError as exc:
            log.warning("could not look for an earlier send of %s: %s", attempt_id, exc)
            return None
        if found is None:
            return None
        return found.decode() if isinstance(found, bytes) else str(found)
