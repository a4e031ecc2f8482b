"""One small module per step kind; the interpreter looks the runner up by `kind`."""

from collections.abc import Awaitable, Callable
from typing import Any

from orchestrator.workflows.steps.branch import run_branch
from orchestrator.workflows.steps.exit import run_exit
from orchestrator.workflows.steps.grant import run_grant
from orchestrator.workflows.steps.send import run_send
from orchestrator.workflows.steps.wait import run_wait

Runner = Callable[[Any, Any], Awaitable[str | None]]

RUNNERS: dict[str, Runner] = {
    "send": run_send,
    "wait": run_wait,
    "grant_bonus": run_grant,
    "branch": run_branch,
    "exit": run_exit,
}
