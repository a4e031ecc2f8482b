"""Checks that every Dockerfile under docker/ follows the project's image pattern.

hadolint covers general Dockerfile hygiene; this covers what our deployments rely on:
a multi-stage build from the uv lock file, and deployable stages that run as a non-root
user with a health check and a command.

Usage: python docker/check_dockerfiles.py [DOCKERFILE ...]  (default: docker/Dockerfile*)
"""

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser  # type: ignore[import-untyped,import-not-found,unused-ignore]

DEPLOYABLE_STAGES = ("api", "worker", "gateway-api")
ROOT_USERS = {"", "root", "0", "0:0", "root:root"}


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse_stages(path: Path) -> list[Stage]:
    # fileobj, because the parser takes a path not named "Dockerfile" for a directory.
    with path.open("rb") as handle:
        parser = DockerfileParser(fileobj=io.BytesIO(handle.read()), env_replace=False)
    stages: list[Stage] = []
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"].strip()
        if instruction == "FROM":
            words = value.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name=name, base=words[0]))
        elif stages:
            stages[-1].instructions.append((instruction, value))
    return stages


def lineage(stage: Stage, by_name: dict[str, Stage]) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first."""
    chain = [stage]
    while chain[-1].base in by_name and len(chain) <= len(by_name):
        chain.append(by_name[chain[-1].base])
    return chain


def last(instruction: str, chain: list[Stage]) -> str | None:
    for stage in chain:
        values = [v for i, v in stage.instructions if i == instruction]
        if values:
            return values[-1]
    return None


def check_stage(stage: Stage, by_name: dict[str, Stage]) -> list[str]:
    chain = lineage(stage, by_name)
    problems = []
    user = last("USER", chain)
    if user is None or user.strip() in ROOT_USERS:
        problems.append(f"stage {stage.name!r} must end on a non-root USER (found {user!r})")
    healthcheck = last("HEALTHCHECK", chain)
    if healthcheck is None or healthcheck.upper().startswith("NONE"):
        problems.append(f"stage {stage.name!r} needs a HEALTHCHECK")
    command = last("CMD", chain) or last("ENTRYPOINT", chain)
    if command is None:
        problems.append(f"stage {stage.name!r} needs a CMD or ENTRYPOINT")
    elif not command.startswith("["):
        problems.append(f"stage {stage.name!r}: use the exec (JSON) form so SIGTERM reaches it")
    return problems


def check_file(path: Path) -> list[str]:
    stages = parse_stages(path)
    by_name = {s.name: s for s in stages}
    problems = []
    if len(stages) < 2:
        problems.append("must be a multi-stage build")
    runs = [v for s in stages for i, v in s.instructions if i == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    if not syncs or not all("--frozen" in r and "--no-dev" in r for r in syncs):
        problems.append("dependencies must come from `uv sync --frozen --no-dev`")
    copies = [v for s in stages for i, v in s.instructions if i == "COPY"]
    if not any("uv.lock" in c for c in copies):
        problems.append("the uv.lock file must be copied into the build")
    deployable = [by_name[n] for n in DEPLOYABLE_STAGES if n in by_name]
    if not deployable:
        problems.append(f"no deployable stage named one of {DEPLOYABLE_STAGES}")
    for stage in deployable:
        problems.extend(check_stage(stage, by_name))
    return [f"{path}: {p}" for p in problems]


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(
        p for p in Path("docker").glob("Dockerfile*") if p.suffix != ".dockerignore"
    )
    if not paths:
        print("no Dockerfile found", file=sys.stderr)
        return 1
    problems = [p for path in paths for p in check_file(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
