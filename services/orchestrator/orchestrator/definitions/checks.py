"""What a schema cannot say: step references, reachability, loops without a timer.

Each problem names the field as a path (``steps.2.next``), like the schema's own errors.
"""

from dataclasses import dataclass

from orchestrator.definitions.model import (
    BranchStep,
    ChainDefinition,
    EventSeen,
    ExitStep,
    SendStep,
    Step,
    WaitForEvent,
    WaitStep,
)


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    type: str


def problems_of(chain: ChainDefinition) -> list[Problem]:
    problems = _duplicate_ids(chain) or _dangling_references(chain)
    if problems:
        return problems
    return (
        _unreachable(chain)
        + _loops_without_a_wait(chain)
        + _self_exit(chain)
        + _schedule_without_audience(chain)
    )


def _duplicate_ids(chain: ChainDefinition) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, step in enumerate(chain.steps):
        if step.id in seen:
            problems.append(Problem(f"steps.{index}.id", f"step id {step.id!r} repeats", "dup"))
        seen.add(step.id)
    return problems


def references(step: Step) -> list[tuple[str, str]]:
    """(field, step id) for every jump a step can make besides falling through."""
    found = [("next", step.next)] if step.next else []
    if isinstance(step, WaitStep) and isinstance(step.wait, WaitForEvent) and step.wait.on_timeout:
        found.append(("wait.on_timeout", step.wait.on_timeout))
    if isinstance(step, BranchStep):
        found += [(f"cases.{i}.goto", case.goto) for i, case in enumerate(step.cases)]
    return found


def _message_step_refs(step: Step) -> list[tuple[str, str]]:
    if isinstance(step, WaitStep) and isinstance(step.wait, WaitForEvent) and step.wait.of_step:
        return [("wait.of_step", step.wait.of_step)]
    if isinstance(step, BranchStep):
        return [
            (f"cases.{i}.when.of_step", case.when.of_step)
            for i, case in enumerate(step.cases)
            if isinstance(case.when, EventSeen) and case.when.of_step
        ]
    return []


def _dangling_references(chain: ChainDefinition) -> list[Problem]:
    kinds = {step.id: step for step in chain.steps}
    problems = []
    for index, step in enumerate(chain.steps):
        for field, target in references(step):
            if target not in kinds:
                message = f"no step with id {target!r}"
                problems.append(Problem(f"steps.{index}.{field}", message, "unknown_step"))
        for field, target in _message_step_refs(step):
            if not isinstance(kinds.get(target), SendStep):
                message = f"{target!r} is not a send step of this chain"
                problems.append(Problem(f"steps.{index}.{field}", message, "not_a_send_step"))
    return problems


def successors(chain: ChainDefinition, step: Step) -> list[str]:
    if isinstance(step, ExitStep):
        return []
    jumps = [target for _, target in references(step)]
    falls_through = step.next is None
    following = chain.following(step.id)
    if falls_through and following:
        jumps.append(following)
    return jumps


def _unreachable(chain: ChainDefinition) -> list[Problem]:
    reached, frontier = {chain.steps[0].id}, [chain.steps[0]]
    while frontier:
        for target in successors(chain, frontier.pop()):
            if target not in reached:
                reached.add(target)
                frontier.append(chain.step(target))
    return [
        Problem(f"steps.{i}", f"step {s.id!r} can never be reached", "unreachable_step")
        for i, s in enumerate(chain.steps)
        if s.id not in reached
    ]


def _loops_without_a_wait(chain: ChainDefinition) -> list[Problem]:
    """A loop must pass a wait, or an enrollment would spin without a timer."""
    instant = {s.id for s in chain.steps if not isinstance(s, WaitStep)}
    state: dict[str, str] = {}

    def visit(step_id: str) -> str | None:
        state[step_id] = "open"
        for target in successors(chain, chain.step(step_id)):
            if target not in instant:
                continue
            if state.get(target) == "open":
                return target
            if target not in state and (found := visit(target)):
                return found
        state[step_id] = "done"
        return None

    for step_id in instant:
        if step_id not in state and (looped := visit(step_id)):
            index = [s.id for s in chain.steps].index(looped)
            message = f"step {looped!r} is on a loop that passes no wait"
            return [Problem(f"steps.{index}", message, "loop_without_wait")]
    return []


def _self_exit(chain: ChainDefinition) -> list[Problem]:
    if chain.id in chain.exits.on_enrollment_in:
        message = "a chain cannot exit on enrollment in itself"
        return [Problem("exits.on_enrollment_in", message, "self_reference")]
    return []


def _schedule_without_audience(chain: ChainDefinition) -> list[Problem]:
    """A scheduled run pages its audience: without one it would have nobody to enroll."""
    if chain.trigger.kind == "schedule" and not chain.audience.segment_id:
        message = "a scheduled chain needs an audience segment to run over"
        return [Problem("audience.segment_id", message, "schedule_needs_audience")]
    return []
