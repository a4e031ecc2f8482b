from kit.migrations import upgrade
from notifier.settings import NotifierSettings

SCRIPT_LOCATION = "notifier:migrations"

if __name__ == "__main__":
    upgrade(SCRIPT_LOCATION, NotifierSettings().database_url)
