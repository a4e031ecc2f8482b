"""The baseline workflow of bench_chains, alone in its module so the sandbox imports only it."""

from temporalio import workflow


@workflow.defn(name="BenchNoop")
class Noop:
    @workflow.run
    async def run(self) -> None:
        return None
