from kit.migrations import upgrade
from loyalty.settings import LoyaltySettings

SCRIPT_LOCATION = "loyalty:migrations"

if __name__ == "__main__":
    upgrade(SCRIPT_LOCATION, LoyaltySettings().database_url)
