"""What an SRE relies on in the rendered manifests, checked on both overlays."""

import json
from typing import Any

import pytest

from tests.k8s.conftest import REPO

SERVICES = ["loyalty", "segments", "notifier", "orchestrator"]
DEPLOYABLES = ["gateway"] + [f"{s}-{role}" for s in SERVICES for role in ("api", "worker")]
Objects = list[dict[str, Any]]


def of_kind(objects: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_deployable_is_probed_hardened_and_migrated_first(
    rendered: Any, overlay: str
) -> None:
    deployments = of_kind(rendered(overlay), "Deployment")
    assert sorted(deployments) == sorted(DEPLOYABLES)
    for name, deployment in deployments.items():
        package = name.split("-")[0]
        pod = deployment["spec"]["template"]["spec"]
        (app,) = pod["containers"]
        (migrate,) = pod["initContainers"]
        assert app["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert app["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert app["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert {"requests", "limits"} <= set(app["resources"]), name
        assert migrate["command"] == ["python", "-m", f"{package}.migrate"], name
        assert migrate["image"] == app["image"], name
        assert pod["terminationGracePeriodSeconds"] >= 30, name


def test_workers_serve_health_on_the_port_their_settings_read(rendered: Any) -> None:
    objects = rendered("prod")
    configs = {n.rsplit("-", 1)[0]: c for n, c in of_kind(objects, "ConfigMap").items()}
    for name, deployment in of_kind(objects, "Deployment").items():
        if name.endswith("-worker"):
            (app,) = deployment["spec"]["template"]["spec"]["containers"]
            package = name.split("-")[0]
            setting = f"{package.upper()}_WORKER_HTTP_PORT"
            assert app["ports"][0]["containerPort"] == int(
                configs[f"{package}-config"]["data"][setting]
            )


def test_the_gateway_finds_every_service_through_an_existing_service(rendered: Any) -> None:
    objects = rendered("prod")
    services = of_kind(objects, "Service")
    config = next(c for n, c in of_kind(objects, "ConfigMap").items() if n.startswith("gateway-"))
    for service in SERVICES:
        url = config["data"][f"GATEWAY_{service.upper()}_URL"]
        host, port = url.removeprefix("http://").split(":")
        assert host in services
        assert services[host]["spec"]["ports"][0]["port"] == int(port)


def test_only_the_gateway_accepts_traffic_from_anywhere(rendered: Any) -> None:
    for policy in of_kind(rendered("prod"), "NetworkPolicy").values():
        for rule in policy["spec"].get("ingress", []):
            if not rule.get("from"):
                assert policy["spec"]["podSelector"] == {
                    "matchLabels": {"app.kubernetes.io/name": "gateway"}
                }


def test_apis_autoscale_and_everything_has_a_disruption_budget(rendered: Any) -> None:
    objects = rendered("prod")
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in of_kind(objects, "HorizontalPodAutoscaler").values()
    }
    scaled = {
        s["spec"]["scaleTargetRef"]["name"] for s in of_kind(objects, "ScaledObject").values()
    }
    budgets = set(of_kind(objects, "PodDisruptionBudget"))
    assert hpas == {d for d in DEPLOYABLES if not d.endswith("-worker")}
    assert scaled == {"notifier-worker", "orchestrator-worker"}
    assert budgets == set(DEPLOYABLES)


def test_the_dashboard_shows_the_operational_metrics(rendered: Any) -> None:
    dashboard_map = of_kind(rendered("prod"), "ConfigMap")["retention-platform-dashboard"]
    dashboard = json.loads(dashboard_map["data"]["retention-platform.json"])
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    for metric in [
        "http_request_duration_seconds_bucket",
        "http_requests_total",
        "chain_enrollments_total",
        "chain_exits_total",
        "deliveries_total",
        "policy_decisions_total",
        "outbox_oldest_pending_age_seconds",
        "outbox_pending_events",
        "consumer_events_total",
        "jetstream_consumer_num_pending",
    ]:
        assert metric in exprs, metric


def test_alerts_point_at_sections_the_runbook_has() -> None:
    runbook = (REPO / "docs" / "operations.md").read_text().lower()
    rules = (REPO / "k8s" / "components" / "monitoring" / "prometheusrule.yaml").read_text()
    anchors = {
        line.split("#", 1)[1].strip() for line in rules.splitlines() if "runbook_url" in line
    }
    headings = {
        "-".join(line.lstrip("#").strip().replace(",", "").split())
        for line in runbook.splitlines()
        if line.startswith("#")
    }
    assert anchors <= headings
