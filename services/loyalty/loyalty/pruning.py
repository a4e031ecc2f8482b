"""What loyalty's worker prunes: the kit's tables, and the answers kept for Idempotency-Key."""

from datetime import timedelta

from kit.retention import Target, standard_targets
from loyalty.models import outbox
from loyalty.settings import LoyaltySettings


def targets(settings: LoyaltySettings) -> list[Target]:
    records = outbox.table.metadata.tables["idempotency_records"]
    keep = timedelta(days=settings.idempotency_retention_days)
    return [*standard_targets(outbox.table, settings), Target(records, "created_at", keep)]
