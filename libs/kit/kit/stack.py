"""Starts the real servers and the platform's processes for `make run` and for the tests.

Used only on developer machines and in CI; production runs each piece on Kubernetes.
"""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "retention-platform"
SERVICES = ("loyalty", "segments", "notifier", "orchestrator")
APIS = ("gateway", *SERVICES)
WORKERS = SERVICES
SERVERS = frozenset({"nats", "redis", "postgres", "temporal", "smtp-sink"})


class StackError(RuntimeError):
    pass


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready: Callable[[], bool] | None = None
    user: str | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise StackError(f"{what} not ready after {timeout:.0f}s")


def find_binary(name: str, env_var: str) -> str:
    candidates = [os.environ.get(env_var), str(CACHE / "bin" / name), shutil.which(name)]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise StackError(f"{name} not found: run `make bootstrap` (or set {env_var})")


class ProcessGroup:
    """Children started in their own sessions, logs in one folder, stopped together."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, proc: Proc) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{proc.name}.log", "ab")  # noqa: SIM115
        argv = ["runuser", "-u", proc.user, "--", *proc.argv] if proc.user else proc.argv
        child = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **proc.env},
            cwd=ROOT,
            start_new_session=True,
        )
        self.procs[proc.name] = child
        return child

    def start_and_wait(self, proc: Proc, timeout: float = 60) -> None:
        self.start_all_and_wait([proc], timeout)

    def start_all_and_wait(self, procs: list[Proc], timeout: float = 60) -> None:
        """Starts them side by side, then waits until each is ready or one has died."""
        children = [(proc, self.start(proc)) for proc in procs]

        def all_ready() -> bool:
            for proc, child in children:
                if child.poll() is not None:
                    log = self.log_of(proc.name)
                    raise StackError(f"{proc.name} exited with {child.returncode}: see {log}")
            return all(proc.ready() for proc, _ in children if proc.ready)

        wait_until(all_ready, timeout, ", ".join(proc.name for proc in procs))

    def log_of(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def pids(self) -> dict[str, int]:
        return {name: child.pid for name, child in self.procs.items()}

    def stop(self, name: str, timeout: float = 15, sig: signal.Signals = signal.SIGTERM) -> None:
        child = self.procs.pop(name, None)
        if child is not None:
            terminate([child.pid], timeout, sig)

    def stop_all(self, timeout: float = 15) -> None:
        """The platform's processes first, then the servers they were using."""
        platform = [name for name in self.procs if name not in SERVERS]
        terminate([self.procs.pop(name).pid for name in platform], timeout)
        terminate([self.procs.pop(name).pid for name in list(self.procs)], timeout)


def terminate(pids: list[int], timeout: float = 15, sig: signal.Signals = signal.SIGTERM) -> None:
    """Signals each process group, waits, then kills what is left."""
    for pid in pids:
        _signal_group(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- the real servers -------------------------------------------------------------------------


def nats_proc(port: int, store: Path) -> Proc:
    argv = [find_binary("nats-server", "NATS_SERVER"), "-js", "-a", "127.0.0.1", "-p", str(port)]
    return Proc("nats", [*argv, "-sd", str(store)], ready=lambda: port_open(port))


def redis_proc(port: int, data: Path) -> Proc:
    data.mkdir(parents=True, exist_ok=True)
    argv = [find_binary("redis-server", "REDIS_SERVER"), "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--dir", str(data), "--save", "", "--appendonly", "no", "--daemonize", "no"]
    return Proc("redis", argv, ready=lambda: port_open(port))


def temporal_proc(port: int, ui_port: int, db_file: Path, headless: bool = False) -> Proc:
    db_file.parent.mkdir(parents=True, exist_ok=True)
    argv = [find_binary("temporal", "TEMPORAL_CLI"), "server", "start-dev", "--ip", "127.0.0.1"]
    argv += ["--port", str(port), "--db-filename", str(db_file), "--log-level", "warn"]
    argv += ["--headless"] if headless else ["--ui-port", str(ui_port)]
    for attribute in ("ChainId", "CustomerId", "EnrollmentStatus"):
        argv += ["--search-attribute", f"{attribute}=Keyword"]
    argv += ["--search-attribute", "ChainVersion=Int"]
    return Proc("temporal", argv, ready=lambda: port_open(port))


def smtp_sink_proc(smtp_port: int, http_port: int, mail_dir: Path) -> Proc:
    argv = ["python", "-m", "sinks.smtp", "--smtp-port", str(smtp_port)]
    argv += ["--http-port", str(http_port), "--dir", str(mail_dir)]
    return Proc("smtp-sink", argv, ready=lambda: http_ok(f"http://127.0.0.1:{http_port}/healthz"))


def postgres_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise StackError("PostgreSQL binaries not found: run `make bootstrap-test`")
    return found[-1]


def postgres_proc(port: int, data: Path) -> Proc:
    """A throwaway cluster; PostgreSQL refuses to run as root, so root runs it as `postgres`."""
    user = "postgres" if os.geteuid() == 0 else None
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(data, user, user)
            shutil.chown(data.parent, user, user)
        initdb = [postgres_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        argv = ["runuser", "-u", user, "--", *initdb] if user else initdb
        done = subprocess.run([*argv, "-E", "UTF8", "--no-sync"], capture_output=True, text=True)
        if done.returncode != 0:
            raise StackError(f"initdb failed: {done.stderr.strip()}")
    settings = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    settings += ["-c", "max_connections=400", "-c", "shared_buffers=256MB"]
    argv = [postgres_bin("postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1"]
    argv += ["-k", str(data), *settings]
    return Proc("postgres", argv, ready=lambda: port_open(port), user=user)


# --- the platform's own processes -------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    gateway: int = 8000
    loyalty: int = 8001
    segments: int = 8002
    notifier: int = 8003
    orchestrator: int = 8004
    nats: int = 4222
    redis: int = 6379
    temporal: int = 7233
    temporal_ui: int = 8233
    smtp: int = 1025
    smtp_http: int = 8025

    def api(self, name: str) -> int:
        return int(getattr(self, name))


def platform_env(
    ports: Ports, database_url: Callable[[str], str], namespace: str = ""
) -> dict[str, str]:
    """Environment for every API and worker: where the servers and the other services are."""
    env: dict[str, str] = {}
    for name in APIS:
        prefix = f"{name.upper()}_"
        env[prefix + "DATABASE_URL"] = database_url(name)
        env[prefix + "NATS_URL"] = f"nats://127.0.0.1:{ports.nats}"
        env[prefix + "REDIS_URL"] = f"redis://127.0.0.1:{ports.redis}/0"
        env[prefix + "TEMPORAL_ADDRESS"] = f"127.0.0.1:{ports.temporal}"
        env[prefix + "EVENT_NAMESPACE"] = namespace
        for other in SERVICES:
            env[f"{prefix}{other.upper()}_URL"] = f"http://127.0.0.1:{ports.api(other)}"
    env["NOTIFIER_SMTP_HOST"] = "127.0.0.1"
    env["NOTIFIER_SMTP_PORT"] = str(ports.smtp)
    return env


def migrate(packages: tuple[str, ...], env: dict[str, str]) -> None:
    """Applies every service's migrations, side by side."""
    running = {
        package: subprocess.Popen(
            ["python", "-m", f"{package}.migrate"],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for package in packages
    }
    for package, child in running.items():
        output, _ = child.communicate()
        if child.returncode != 0:
            raise StackError(f"migrations of {package} failed:\n{output}")


def api_proc(package: str, port: int, env: dict[str, str]) -> Proc:
    argv = ["uvicorn", f"{package}.app:create_app", "--factory", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}/healthz"
    return Proc(f"{package}-api", argv, env=env, ready=lambda: http_ok(url))


def worker_proc(package: str, env: dict[str, str], http_port: int) -> Proc:
    env = {**env, f"{package.upper()}_WORKER_HTTP_PORT": str(http_port)}
    url = f"http://127.0.0.1:{http_port}/healthz"
    return Proc(
        f"{package}-worker",
        ["python", "-m", f"{package}.worker"],
        env=env,
        ready=lambda: http_ok(url),
    )


def start_platform(
    group: ProcessGroup, ports: Ports, env: dict[str, str], worker_ports: dict[str, int]
) -> None:
    """Migrations, then every worker and API; returns once each answers /healthz."""
    migrate(APIS, env)
    procs = [worker_proc(package, env, worker_ports[package]) for package in WORKERS]
    procs += [api_proc(package, ports.api(package), env) for package in APIS]
    group.start_all_and_wait(procs, timeout=120)
