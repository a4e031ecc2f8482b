"""Helpers for the Kubernetes and Dockerfile checks: they drive k8s/k8s.mk like an SRE would."""

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,import-not-found,unused-ignore]

REPO = Path(__file__).resolve().parents[2]
K8S_MK = REPO / "k8s" / "k8s.mk"

Make = Callable[..., subprocess.CompletedProcess[str]]


def run_make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(K8S_MK), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=280,
    )


@pytest.fixture(scope="session")
def make() -> Make:
    return run_make


@pytest.fixture(scope="session")
def rendered() -> Callable[[str], list[dict[str, Any]]]:
    """The objects of one overlay, as `make k8s-render` prints them."""
    cache: dict[str, list[dict[str, Any]]] = {}

    def render(overlay: str) -> list[dict[str, Any]]:
        if overlay not in cache:
            done = run_make("k8s-render", f"OVERLAY={overlay}")
            assert done.returncode == 0, done.stderr
            cache[overlay] = [d for d in yaml.safe_load_all(done.stdout) if d]
        return cache[overlay]

    return render
