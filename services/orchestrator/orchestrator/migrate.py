from kit.migrations import upgrade
from orchestrator.settings import OrchestratorSettings

SCRIPT_LOCATION = "orchestrator:migrations"

if __name__ == "__main__":
    upgrade(SCRIPT_LOCATION, OrchestratorSettings().database_url)
