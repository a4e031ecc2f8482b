"""`make k8s-check` and `make dockerfile-lint` pass on the real tree and fail on broken input."""

import shutil
from pathlib import Path

import pytest

from tests.k8s.conftest import REPO, Make


def test_k8s_check_passes_on_the_real_tree(make: Make) -> None:
    done = make("k8s-check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "overlays dev, prod" in done.stdout


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


BREAKAGES = {
    # A typo in a field name of a built-in kind: the API server would reject or drop it.
    "unknown-field": ("base/loyalty/worker.yaml", "  replicas: 2", "  replica: 2"),
    # A wrong type in a built-in kind.
    "wrong-type": ("base/gateway/hpa.yaml", "averageUtilization: 70", "averageUtilization: high"),
    # A typo inside a custom resource, caught by the project's own CRD schema.
    "crd-typo": ("components/monitoring/servicemonitor.yaml", "interval: 30s", "intervall: 30s"),
    # kustomize cannot build the overlay at all.
    "missing-resource": ("base/gateway/kustomization.yaml", "- service.yaml", "- services.yaml"),
    # Valid YAML and schema, but the linter objects: a container with no resource limits.
    "lint-no-limits": ("base/patches/api.yaml", "          limits:\n", "          unused:\n"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_k8s_check_fails_on_a_broken_manifest(make: Make, tmp_path: Path, breakage: str) -> None:
    copy = tmp_path / "k8s"
    shutil.copytree(REPO / "k8s", copy)
    file, old, new = BREAKAGES[breakage]
    if breakage == "lint-no-limits":
        # Drop the limits block (its three lines) rather than renaming it, which is a type error.
        _break(copy / file, old, "")
        _break(copy / file, '              cpu: "1"\n              memory: 512Mi\n', "")
        _break(copy / file, "              ephemeral-storage: 128Mi\n", "")
    else:
        _break(copy / file, old, new)

    done = make("k8s-check", f"K8S_DIR={copy}")

    assert done.returncode != 0, done.stdout
    assert "problem" in done.stderr or "Error" in done.stderr


def test_dockerfile_lint_passes_on_the_real_dockerfile(make: Make) -> None:
    done = make("dockerfile-lint")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("USER 10001:10001\n", "", "non-root USER"),
        ("--frozen --no-dev --no-editable", "--no-dev --no-editable", "uv sync --frozen"),
        (
            "HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \\\n"
            '    CMD ["python", "/usr/local/bin/healthcheck"]\n',
            "",
            "HEALTHCHECK",
        ),
    ],
)
def test_dockerfile_lint_fails_when_the_pattern_is_broken(
    make: Make, tmp_path: Path, old: str, new: str, complaint: str
) -> None:
    original = (REPO / "docker" / "Dockerfile").read_text()
    assert old in original
    broken = tmp_path / "Dockerfile"
    broken.write_text(original.replace(old, new))

    done = make("dockerfile-lint", f"DOCKERFILES={broken}")

    assert done.returncode != 0
    assert complaint in done.stdout + done.stderr
