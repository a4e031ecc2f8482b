"""`exit`: ends the enrollment with the step's reason."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.definitions.model import ExitStep
    from orchestrator.workflows.context import StepContext


async def run_exit(ctx: StepContext, step: ExitStep) -> str | None:
    ctx.state.exit(step.reason)
    return None
