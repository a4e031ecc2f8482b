"""The gateway image carries the built console: the Dockerfile builds it, the gateway serves it."""

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.console import mount_console
from gateway.settings import GatewaySettings
from kit.stack import ROOT

DOCKERFILE = ROOT / "docker" / "Dockerfile"


def stages() -> dict[str, tuple[str, str]]:
    """Stage name -> (base, body) of docker/Dockerfile."""
    text = DOCKERFILE.read_text()
    found = re.findall(r"^FROM (\S+) AS (\S+)\n(.*?)(?=^FROM |\Z)", text, flags=re.M | re.S)
    return {name: (base, body) for base, name, body in found}


def test_the_gateway_image_builds_and_serves_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = stages()
    _, console = built["console"]
    assert "COPY console/package.json console/package-lock.json" in console
    assert "npm ci" in console and "npm run build" in console
    base, gateway = built["gateway-api"]
    assert base == "api"
    assert "COPY --from=console /console/dist /app/console" in gateway
    assert "ENV GATEWAY_CONSOLE_DIST=/app/console" in gateway
    ignore = (ROOT / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    assert "!console/**" in ignore and "console/node_modules" in ignore
    assert "gateway:gateway-api" in (ROOT / "k8s" / "k8s.mk").read_text()

    # What the image's environment variable points the gateway at is what it serves.
    (tmp_path / "index.html").write_text("<title>Retention console</title>")
    monkeypatch.setenv("GATEWAY_CONSOLE_DIST", str(tmp_path))
    app = FastAPI()
    mount_console(app, GatewaySettings())
    page = TestClient(app).get("/console/")
    assert page.status_code == 200, page.text
    assert "Retention console" in page.text
