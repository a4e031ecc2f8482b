"""A chain's dry run as the marketer API asks for it: the shared contract
(`kit.contracts.dry_run`) with the chain definition typed by the gateway's own schema."""

from pydantic import ConfigDict, Field

from gateway.marketer.definition import ChainDefinition
from kit.contracts.dry_run import REQUEST_EXAMPLE, DryRunOut, DryRunRequest

__all__ = ["DryRunIn", "DryRunOut"]


class DryRunIn(DryRunRequest):
    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra={"examples": [REQUEST_EXAMPLE]}
    )

    definition: ChainDefinition | None = Field(
        default=None, description="A definition to try instead of the draft or a version"
    )
