from gateway.settings import GatewaySettings
from kit.migrations import upgrade

SCRIPT_LOCATION = "gateway:migrations"

if __name__ == "__main__":
    upgrade(SCRIPT_LOCATION, GatewaySettings().database_url)
