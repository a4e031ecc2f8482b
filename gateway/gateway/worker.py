"""The gateway's background process: the outbox relay for app events (it consumes none)."""

from gateway.models import outbox
from gateway.settings import GatewaySettings
from kit.worker import main, relay_and_consumers

if __name__ == "__main__":
    main(GatewaySettings(), relay_and_consumers(outbox.table, lambda _resources: []))
