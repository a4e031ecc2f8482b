"""`POST /chains/{id}/dry-run`: the shared contract (`kit.contracts.dry_run`) with the chain
definition typed by the orchestrator's own model."""

from pydantic import Field

from kit.contracts.dry_run import DryRunRequest
from orchestrator.definitions.model import ChainDefinition


class DryRunIn(DryRunRequest):
    definition: ChainDefinition | None = Field(
        default=None, description="A definition to try instead of the draft or a version"
    )
