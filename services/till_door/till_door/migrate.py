"""The door's init container: the gateway's and loyalty's migrations, each to its database.

The deployments that own those databases run the same migrations first too; a rerun finds the
schema at head and does nothing, and pods racing one upgrade resolve as every service's do
(docs/operations.md, "Migrations run in an init container")."""

from gateway.migrate import SCRIPT_LOCATION as GATEWAY_MIGRATIONS
from gateway.settings import GatewaySettings
from kit.migrations import upgrade
from loyalty.migrate import SCRIPT_LOCATION as LOYALTY_MIGRATIONS
from loyalty.settings import LoyaltySettings

if __name__ == "__main__":
    upgrade(GATEWAY_MIGRATIONS, GatewaySettings().database_url)
    upgrade(LOYALTY_MIGRATIONS, LoyaltySettings().database_url)
