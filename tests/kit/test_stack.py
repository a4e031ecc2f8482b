"""The servers the stack starts count as ready once they serve, not once their port opens."""

import socket
import subprocess
from pathlib import Path

import yaml  # type: ignore[import-untyped,import-not-found,unused-ignore]

from kit.stack import POSTGRES_PARAMETERS, ROOT, Infra, postgres_bin, postgres_proc


def test_postgresql_is_ready_when_it_answers_not_when_its_port_opens(
    tmp_path: Path, infra: Infra
) -> None:
    """PostgreSQL opens its port while it is still starting up, and refuses connections then
    ("the database system is starting up"): a test that connected at that moment failed."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "PG_VERSION").write_text("15\n")  # an existing cluster: nothing to initialise
    with socket.create_server(("127.0.0.1", 0)) as silent:  # an open port that never answers
        port = silent.getsockname()[1]
        ready = postgres_proc(port, data).ready
        assert ready is not None and not ready()
    serving = postgres_proc(infra.postgres_port, data).ready
    assert serving is not None and serving()


def test_the_stack_runs_postgresql_as_the_production_cluster_is_configured(infra: Infra) -> None:
    """The tests, the benchmarks and `make up` run what k8s/ deploys: the same parameters, and
    autovacuum visiting each database every 10 s (docs/operations.md, "PostgreSQL upkeep")."""
    manifests = yaml.safe_load_all((ROOT / "k8s/dependencies/postgres-cluster.yaml").read_text())
    cluster = next(m for m in manifests if m and m["kind"] == "Cluster")
    parameters = cluster["spec"]["postgresql"]["parameters"]
    assert {name: str(value) for name, value in parameters.items()} == POSTGRES_PARAMETERS

    argv = [postgres_bin("psql"), "-h", "127.0.0.1", "-p", str(infra.postgres_port)]
    argv += ["-U", "postgres", "-At"]
    for name in POSTGRES_PARAMETERS:
        argv += ["-c", f"SHOW {name}"]
    shown = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30)
    assert dict(zip(POSTGRES_PARAMETERS, shown.stdout.split(), strict=True)) == POSTGRES_PARAMETERS
    assert POSTGRES_PARAMETERS["autovacuum_naptime"] == "10s"
