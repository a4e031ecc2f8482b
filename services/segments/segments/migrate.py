from kit.migrations import upgrade
from segments.settings import SegmentsSettings

SCRIPT_LOCATION = "segments:migrations"

if __name__ == "__main__":
    upgrade(SCRIPT_LOCATION, SegmentsSettings().database_url)
