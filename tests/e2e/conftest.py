"""The whole platform as real processes on this session's servers, on PostgreSQL."""

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from kit.stack import (
    APIS,
    ROOT,
    WORKERS,
    Ports,
    ProcessGroup,
    free_port,
    platform_env,
    smtp_sink_proc,
    start_platform,
    worker_proc,
)
from kit.testing import Infra, unique


@dataclass
class Platform:
    group: ProcessGroup
    ports: Ports
    env: dict[str, str]
    worker_ports: dict[str, int]
    namespace: str
    database_urls: dict[str, str]
    pos_key: str = ""

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def service(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports.api(name)}"

    @property
    def mail(self) -> str:
        return f"http://127.0.0.1:{self.ports.smtp_http}"

    def create_key(self, *scopes: str) -> str:
        argv = [sys.executable, "-m", "gateway.admin", "create-key", "--name", "e2e"]
        for scope in scopes:
            argv += ["--scope", scope]
        done = subprocess.run(
            argv, env={**os.environ, **self.env}, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def kill_worker(self, package: str) -> None:
        self.group.stop(f"{package}-worker", sig=signal.SIGKILL)

    def start_worker(self, package: str, **extra_env: str) -> subprocess.Popen[bytes]:
        proc = worker_proc(package, {**self.env, **extra_env}, self.worker_ports[package])
        if extra_env:
            return self.group.start(proc)
        self.group.start_and_wait(proc)
        return self.group.procs[proc.name]


@pytest.fixture(scope="session")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    databases = {name: await infra.create_database(unique(f"e2e_{name}_")) for name in APIS}
    ports = Ports(
        **{name: free_port() for name in (*APIS, "smtp", "smtp_http")},
        nats=infra.nats_port,
        redis=infra.redis_port,
        temporal=infra.temporal_port,
        temporal_ui=0,
    )
    namespace = unique("e2e")
    env = platform_env(ports, databases.__getitem__, namespace)
    group = ProcessGroup(infra.root / "platform-logs")
    worker_ports = {name: free_port() for name in WORKERS}
    try:
        group.start_and_wait(smtp_sink_proc(ports.smtp, ports.smtp_http, infra.root / "mail"))
        start_platform(group, ports, env, worker_ports)
        platform = Platform(group, ports, env, worker_ports, namespace, databases)
        platform.pos_key = platform.create_key("pos")
        yield platform
    finally:
        group.stop_all()
