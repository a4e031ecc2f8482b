"""`python -m loyalty.expire`: one pass of the ledger's scheduled work (cron-friendly).

Expires lots past their end of day, sends `bonus.expiring` notices and releases lapsed
reservations. Re-running never expires twice; the worker runs the same pass periodically.
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
        f"expired {result.expired_points} points, sent {result.expiring_notices} expiry notices,"
        f" released {result.lapsed_reservations} lapsed reservations"
    )


if __name__ == "__main__":
    asyncio.run(main())
