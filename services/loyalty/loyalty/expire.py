"""`python -m loyalty.expire`: one pass of the ledger's scheduled work (cron-friendly).

Releases lapsed reservations, journals delayed activations, reviews the tiers of members whose
spend has left the window, expires lots past their end of day and sends `bonus.expiring`
notices. Re-running never does anything twice; the worker runs the same pass periodically.
"""

import asyncio

from kit.db import create_engine, session_factory
from loyalty.expiry import sweep
from loyalty.settings import LoyaltySettings


async def main() -> None:
    settings = LoyaltySettings()
    engine = create_engine(settings.database_url)
    try:
        result = await sweep(session_factory(engine), settings.program_rules())
    finally:
        await engine.dispose()
    print(
        f"released {result.lapsed_reservations} lapsed reservations,"
        f" journalled {result.activated_lots} activations,"
        f" reviewed {result.reviewed_tiers} tiers,"
        f" expired {result.expired_points} points, sent {result.expiring_notices} expiry notices"
    )


if __name__ == "__main__":
    asyncio.run(main())
