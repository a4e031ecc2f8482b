"""Renders every kustomize overlay and checks what comes out.

For each directory under <k8s-dir>/overlays:
  1. `kustomize build` must succeed;
  2. every object must validate (strict: unknown fields fail) against the Kubernetes schemas
     bundled in kubernetes-validate, for each requested Kubernetes version; custom resources
     validate against the project's own schemas in <k8s-dir>/schemas (see README there);
     an object of a kind neither knows fails;
  3. alert and recording rules must have balanced PromQL brackets, dashboards must be JSON;
  4. kube-score must report neither a critical nor a warning.
The YAML under <k8s-dir>/dependencies (Helm values, operator manifests) must parse, and its
Kubernetes objects validate the same way.

Prints one summary line on success; every problem, one per line, on failure (exit 1).
"""

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,import-not-found,unused-ignore]
import kubernetes_validate  # type: ignore[import-untyped,import-not-found,unused-ignore]
import yaml  # type: ignore[import-untyped,import-not-found,unused-ignore]

CUSTOM_RESOURCES = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.json",
    ("postgresql.cnpg.io/v1", "Cluster"): "cnpg-cluster.json",
    ("postgresql.cnpg.io/v1", "Database"): "cnpg-database.json",
}
KUBE_SCORE_OPTIONAL = ["container-seccomp-profile"]
Obj = dict[str, Any]


class Checker:
    def __init__(self, k8s_dir: Path, versions: list[str]) -> None:
        self.schemas_dir = k8s_dir / "schemas"
        self.versions = versions
        self.problems: list[str] = []
        self.objects = 0

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def check_object(self, where: str, obj: Obj) -> None:
        self.objects += 1
        name = f"{where} {obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        schema_file = CUSTOM_RESOURCES.get((str(obj.get("apiVersion")), str(obj.get("kind"))))
        if schema_file:
            self.check_custom(name, obj, schema_file)
        else:
            self.check_builtin(name, obj)
        if obj.get("kind") == "PrometheusRule":
            self.check_rules(name, obj)
        if obj.get("kind") == "ConfigMap":
            self.check_dashboards(name, obj)

    def check_builtin(self, name: str, obj: Obj) -> None:
        for version in self.versions:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(p) for p in error.path)
                self.fail(name, f"Kubernetes {version}: {path}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError:
                self.fail(name, f"no schema for {obj.get('apiVersion')} {obj.get('kind')}")
                return

    def check_custom(self, name: str, obj: Obj, schema_file: str) -> None:
        schema = json.loads((self.schemas_dir / schema_file).read_text())
        for error in jsonschema.Draft202012Validator(schema).iter_errors(obj):
            path = ".".join(str(p) for p in error.absolute_path)
            self.fail(name, f"{path}: {error.message}")

    def check_rules(self, name: str, obj: Obj) -> None:
        for group in obj.get("spec", {}).get("groups", []):
            for rule in group.get("rules", []):
                label = rule.get("alert") or rule.get("record")
                if not balanced(str(rule.get("expr", ""))):
                    self.fail(name, f"rule {label}: unbalanced brackets in expr")

    def check_dashboards(self, name: str, obj: Obj) -> None:
        for key, text in (obj.get("data") or {}).items():
            if key.endswith(".json"):
                try:
                    dashboard = json.loads(text)
                except json.JSONDecodeError as error:
                    self.fail(name, f"{key} is not JSON: {error}")
                    continue
                for expr in dashboard_exprs(dashboard):
                    if not balanced(expr):
                        self.fail(name, f"{key}: unbalanced brackets in {expr!r}")


def balanced(expr: str) -> bool:
    pairs, stack, quote = {")": "(", "]": "[", "}": "{"}, [], ""
    for char in expr:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack and not quote


def dashboard_exprs(dashboard: Obj) -> Iterator[str]:
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            yield str(target.get("expr", ""))


def render(kustomize: str, overlay: Path) -> tuple[str, str]:
    done = subprocess.run(
        [kustomize, "build", str(overlay)], capture_output=True, text=True, check=False
    )
    return (done.stdout, "") if done.returncode == 0 else ("", done.stderr.strip())


def kube_score(binary: str, rendered: str) -> list[str]:
    command = [binary, "score", "--output-format", "ci", "--exit-one-on-warning"]
    for test in KUBE_SCORE_OPTIONAL:
        command += ["--enable-optional-test", test]
    done = subprocess.run(
        [*command, "-"], input=rendered, capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return []
    lines = done.stdout.splitlines() + done.stderr.splitlines()
    findings = [line for line in lines if not line.startswith(("[OK]", "[SKIPPED]"))]
    return findings or [f"kube-score exited {done.returncode}"]


def load_documents(where: str, text: str, checker: Checker) -> list[Obj]:
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc]
    except yaml.YAMLError as error:
        checker.fail(where, f"not YAML: {error}")
        return []


def check_overlay(checker: Checker, overlay: Path, args: argparse.Namespace) -> None:
    rendered, error = render(args.kustomize, overlay)
    if error:
        checker.fail(str(overlay), f"kustomize build failed: {error}")
        return
    for obj in load_documents(str(overlay), rendered, checker):
        checker.check_object(str(overlay), obj)
    for finding in kube_score(args.kube_score, rendered):
        checker.fail(f"{overlay} kube-score", finding)


def check_dependencies(checker: Checker, directory: Path) -> None:
    for path in sorted(directory.glob("*.yaml")):
        for doc in load_documents(str(path), path.read_text(), checker):
            if isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc:
                checker.check_object(str(path), doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k8s-dir", type=Path, default=Path("k8s"))
    parser.add_argument("--kustomize", required=True)
    parser.add_argument("--kube-score", required=True)
    parser.add_argument("--kubernetes-version", action="append", required=True)
    args = parser.parse_args()
    checker = Checker(args.k8s_dir, args.kubernetes_version)
    overlays = sorted(p for p in (args.k8s_dir / "overlays").iterdir() if p.is_dir())
    if not overlays:
        checker.fail(str(args.k8s_dir), "no overlay found")
    for overlay in overlays:
        check_overlay(checker, overlay, args)
    if (args.k8s_dir / "dependencies").is_dir():
        check_dependencies(checker, args.k8s_dir / "dependencies")
    for problem in checker.problems:
        print(problem, file=sys.stderr)
    if checker.problems:
        print(f"k8s-check: {len(checker.problems)} problem(s)", file=sys.stderr)
        return 1
    names = ", ".join(o.name for o in overlays)
    versions = ", ".join(args.kubernetes_version)
    print(f"k8s-check: overlays {names}: {checker.objects} objects valid (Kubernetes {versions})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
