"""What an SRE relies on in the rendered manifests, checked on both overlays."""

import json
import re
from typing import Any

import pytest
from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from loyalty.settings import LoyaltySettings
from notifier.settings import NotifierSettings
from orchestrator.settings import OrchestratorSettings
from segments.settings import SegmentsSettings
from tests.k8s.conftest import REPO

SERVICES = ["loyalty", "segments", "notifier", "orchestrator"]
# The gateway's API is "gateway"; its worker (the app-event outbox relay) is "gateway-worker";
# the till's door (the gateway's app with loyalty's in one process) is "till-door".
DEPLOYABLES = ["gateway", "gateway-worker", "till-door"] + [
    f"{s}-{role}" for s in SERVICES for role in ("api", "worker")
]
PUBLIC = ("gateway", "till-door")  # the ingress's backends, besides the provider's callbacks
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
        package = "till_door" if name == "till-door" else name.split("-")[0]
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


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_only_the_public_doors_accept_traffic_from_anywhere(rendered: Any, overlay: str) -> None:
    open_to_all = set()
    for policy in of_kind(rendered(overlay), "NetworkPolicy").values():
        for rule in policy["spec"].get("ingress", []):
            if not rule.get("from"):
                labels = policy["spec"]["podSelector"]["matchLabels"]
                assert labels["app.kubernetes.io/component"] == "api", policy["metadata"]["name"]
                open_to_all.add(labels["app.kubernetes.io/name"])
    assert open_to_all == set(PUBLIC)


def test_the_ingress_sends_the_tills_purchases_to_the_door(rendered: Any) -> None:
    (ingress,) = of_kind(rendered("prod"), "Ingress").values()
    paths = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert paths["/v1/purchases"] == "till-door"
    assert paths["/"] == "gateway"
    services = of_kind(rendered("prod"), "Service")
    assert services["till-door"]["spec"]["selector"]["app.kubernetes.io/name"] == "till-door"


def test_the_door_reads_the_settings_of_both_apps_it_serves(rendered: Any) -> None:
    door = of_kind(rendered("prod"), "Deployment")["till-door"]["spec"]["template"]["spec"]
    for container in (*door["initContainers"], *door["containers"]):
        sources = container["envFrom"]
        maps = [s["configMapRef"]["name"] for s in sources if "configMapRef" in s]
        configs = {name.rsplit("-", 1)[0] for name in maps}
        secrets = {s["secretRef"]["name"] for s in sources if "secretRef" in s}
        assert configs == {"gateway-config", "loyalty-config"}, container["name"]
        assert secrets == {"gateway-secrets", "loyalty-secrets"}, container["name"]


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_workers_accept_nothing_but_metrics_scraping(rendered: Any, overlay: str) -> None:
    objects = rendered(overlay)
    policies = of_kind(objects, "NetworkPolicy").values()
    for name, deployment in of_kind(objects, "Deployment").items():
        if not name.endswith("-worker"):
            continue
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        for policy in policies:
            if "Ingress" not in policy["spec"]["policyTypes"]:
                continue
            if not _selects(policy["spec"]["podSelector"], labels):
                continue
            for rule in policy["spec"].get("ingress", []):
                sources = rule.get("from", [])
                assert sources, (name, policy["metadata"]["name"])
                # Only Prometheus, from its namespace (components/monitoring).
                assert all("namespaceSelector" in s for s in sources), (
                    name,
                    policy["metadata"]["name"],
                )


def test_the_gateway_worker_relays_with_the_gateway_settings(rendered: Any) -> None:
    for overlay in ("dev", "prod"):
        deployments = of_kind(rendered(overlay), "Deployment")
        worker, api = deployments["gateway-worker"], deployments["gateway"]
        (app,) = worker["spec"]["template"]["spec"]["containers"]
        (api_app,) = api["spec"]["template"]["spec"]["containers"]
        assert app["command"] == ["python", "-m", "gateway.worker"]
        assert app["image"].split("/")[-1].startswith("gateway-worker:")
        assert app["envFrom"] == api_app["envFrom"]
        assert worker["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == (
            "worker"
        )


NOTIFIER_SECRETS = {
    "NOTIFIER_CALLBACK_SECRET",
    "NOTIFIER_TRACKING_SECRET",
    "NOTIFIER_PROVIDER_API_KEY",
}
NOTIFIER_URLS = {"NOTIFIER_PROVIDER_URL", "NOTIFIER_CALLBACK_URL", "NOTIFIER_PUBLIC_URL"}


def _notifier_config(objects: Objects) -> dict[str, str]:
    (config,) = (c for n, c in of_kind(objects, "ConfigMap").items() if n.startswith("notifier-"))
    data: dict[str, str] = config["data"]
    return data


def test_notifier_secrets_come_from_its_secret_and_urls_from_its_config(rendered: Any) -> None:
    dev = rendered("dev")
    (secret,) = (s for n, s in of_kind(dev, "Secret").items() if n.startswith("notifier-"))
    assert set(secret["data"]) >= NOTIFIER_SECRETS
    # Production secrets are created from the secret store, never rendered.
    assert not any(o["kind"] == "Secret" for o in rendered("prod"))
    for overlay in ("dev", "prod"):
        config = _notifier_config(rendered(overlay))
        assert set(config) >= NOTIFIER_URLS, overlay
        assert not NOTIFIER_SECRETS & set(config), overlay


def test_notifier_public_urls_are_on_the_ingress_host_and_routed(rendered: Any) -> None:
    objects = rendered("prod")
    config = _notifier_config(objects)
    (ingress,) = of_kind(objects, "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    routes = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    public = f"https://{rule['host']}"
    assert config["NOTIFIER_PUBLIC_URL"] == public
    assert config["NOTIFIER_CALLBACK_URL"].startswith(public + "/")
    callback_path = config["NOTIFIER_CALLBACK_URL"].removeprefix(public)
    assert routes[callback_path] == "notifier-api"
    assert routes["/"] == "gateway"


def test_dev_notifier_talks_to_in_cluster_services(rendered: Any) -> None:
    objects = rendered("dev")
    config = _notifier_config(objects)
    services = of_kind(objects, "Service")
    for setting in ("NOTIFIER_CALLBACK_URL", "NOTIFIER_PUBLIC_URL"):
        host = config[setting].removeprefix("http://").split("/")[0].split(":")[0]
        assert host.split(".")[0] in services, setting
        assert host.endswith(".retention-dev.svc.cluster.local"), setting


SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "loyalty": LoyaltySettings,
    "segments": SegmentsSettings,
    "notifier": NotifierSettings,
    "orchestrator": OrchestratorSettings,
}


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_configured_variable_is_a_setting_of_its_service(rendered: Any, overlay: str) -> None:
    """A misspelt variable would be ignored silently (extra="ignore") and the default used."""
    for kind in ("ConfigMap", "Secret"):
        for name, source in of_kind(rendered(overlay), kind).items():
            package = name.split("-")[0]
            if package not in SETTINGS:
                continue
            fields = {f"{package.upper()}_{f.upper()}" for f in SETTINGS[package].model_fields}
            unknown = set(source["data"]) - fields
            assert not unknown, (overlay, name, unknown)


def test_target_down_alert_covers_every_scraped_service(rendered: Any) -> None:
    rules = of_kind(rendered("prod"), "PrometheusRule")["retention-platform"]
    (expr,) = (
        r["expr"]
        for g in rules["spec"]["groups"]
        for r in g["rules"]
        if r.get("alert") == "PlatformTargetDown"
    )
    match = re.search(r'job=~"([^"]+)"', expr)
    assert match
    for service in of_kind(rendered("prod"), "Service"):
        assert re.fullmatch(match.group(1), service), service


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
    # The gateway's outbox relay runs a fixed 1-2 replicas: no KEDA.
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
