"""What became of the messages of one source (a campaign, a chain step): sent, deferred,
failed and skipped, each with its reasons, read from the deliveries the notifier keeps."""

from sqlalchemy.ext.asyncio import AsyncSession

from notifier import repository
from notifier.schemas import OutcomesOut

SENT = frozenset({"sent", "delivered", "opened", "clicked"})
# A delivery that ended without any provider being asked: the customer or the policy said no.
SKIP_REASONS = frozenset(
    {
        "no_consent",
        "no_address",
        "no_template",
        "other_channel_available",
        "daily_cap",
        "pause",
        "quiet_hours",
    }
)


def classify(groups: list[tuple[str, str | None, int]], source: str) -> OutcomesOut:
    out = OutcomesOut(source=source)
    for status, reason, count in groups:
        out.total += count
        if status in SENT:
            out.sent += count
        elif status == "queued":
            out.pending += count
        else:
            bucket = _bucket(out, status, reason)
            key = reason or status
            bucket[key] = bucket.get(key, 0) + count
    return out


def _bucket(out: OutcomesOut, status: str, reason: str | None) -> dict[str, int]:
    if status == "deferred":
        return out.deferred
    return out.skipped if reason in SKIP_REASONS else out.failed


async def of_source(session: AsyncSession, source: str) -> OutcomesOut:
    return classify(await repository.delivery_outcomes(session, source), source)
