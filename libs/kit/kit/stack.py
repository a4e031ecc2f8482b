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
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import asyncpg

ROOT = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "retention-platform"
SERVICES = ("loyalty", "segments", "notifier", "orchestrator")
APIS = ("gateway", *SERVICES)
# The gateway has a worker too: the relay of its outbox (app events).
WORKERS = (*SERVICES, "gateway")
TILL_DOOR = "till-door"  # its process's name
SERVERS = frozenset({"nats", "redis", "postgres", "temporal", "smtp-sink", "provider-sink"})


class StackError(RuntimeError):
    pass


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready: Callable[[], bool] | None = None
    user: str | None = None


_handed_out: set[int] = set()


def free_port() -> int:
    """A port free now and never handed out before by this process (the OS may reuse one)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


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
        self.specs: dict[str, Proc] = {}  # how each was started, to start it again

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
        self.specs[proc.name] = proc
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


@dataclass
class _Restarts:
    count: int = 0
    due_at: float | None = None  # when the exited process is started again
    started_at: float = field(default_factory=time.monotonic)


class Supervisor:
    """Starts again, with a doubling backoff, any process of ``group`` that exited: what
    Kubernetes does for a crashed container, so a developer's platform heals like production.

    ``check`` is called in the owner's loop. A process that ran ``steady_seconds`` before it
    exited starts again after ``first_delay``; one that keeps exiting waits up to ``max_delay``.
    """

    def __init__(
        self,
        group: ProcessGroup,
        log: Callable[[str], None] = print,
        first_delay: float = 1.0,
        max_delay: float = 30.0,
        steady_seconds: float = 60.0,
    ) -> None:
        self.group = group
        self.log = log
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.steady_seconds = steady_seconds
        self.held: set[str] = set()
        self.state: dict[str, _Restarts] = {}

    def hold(self, name: str) -> None:
        """Leaves ``name`` down (a planned outage) until ``release``."""
        self.held.add(name)

    def release(self, name: str) -> None:
        self.held.discard(name)

    def check(self) -> list[str]:
        """One look at every process: notes those that exited, restarts those now due."""
        now = time.monotonic()
        restarted = []
        for name, child in list(self.group.procs.items()):
            state = self.state.setdefault(name, _Restarts())
            if child.poll() is None or name in self.held:
                continue
            if state.due_at is None:
                state.due_at = now + self._delay(state, now)
                self.log(
                    f"{name} exited with {child.returncode}; restarting in "
                    f"{state.due_at - now:.1f}s (restart {state.count + 1}); "
                    f"see {self.group.log_of(name)}"
                )
            elif now >= state.due_at:
                self.group.start(self.group.specs[name])
                state.count += 1
                state.due_at, state.started_at = None, now
                self.log(f"{name} restarted (pid {self.group.procs[name].pid})")
                restarted.append(name)
        return restarted

    def _delay(self, state: _Restarts, now: float) -> float:
        if now - state.started_at >= self.steady_seconds:
            state.count = 0  # it had been running fine: a fresh crash, not a crash loop
        return min(self.first_delay * 2.0**state.count, self.max_delay)


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


TEMPORAL_DEV_GOGC = "50"
# The dev server keeps its history in one SQLite file. By default SQLite commits through a
# rollback journal: a file written, synced and deleted around every commit, which cost the
# server about a third of its CPU per workflow task under the POS benchmark. With a write-ahead
# log and `synchronous=normal` a commit appends to the log and syncs only at checkpoints; a
# commit survives the server's crash or kill (the chaos faults), though not the machine's
# power loss. Production runs Temporal on its own database (k8s/dependencies/).
TEMPORAL_DEV_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


def temporal_proc(port: int, ui_port: int, db_file: Path, headless: bool = False) -> Proc:
    db_file.parent.mkdir(parents=True, exist_ok=True)
    argv = [find_binary("temporal", "TEMPORAL_CLI"), "server", "start-dev", "--ip", "127.0.0.1"]
    argv += ["--port", str(port), "--db-filename", str(db_file), "--log-level", "warn"]
    argv += ["--headless"] if headless else ["--ui-port", str(ui_port)]
    for attribute in ("ChainId", "CustomerId", "EnrollmentStatus"):
        argv += ["--search-attribute", f"{attribute}=Keyword"]
    argv += ["--search-attribute", "ChainVersion=Int"]
    argv += [arg for pragma in TEMPORAL_DEV_PRAGMAS for arg in ("--sqlite-pragma", pragma)]
    # Go's collector lets the heap grow to twice what is live (GOGC=100). Under the POS
    # benchmark the dev server's live heap stays near 50 MB, its heap reached ~100 MB and its RSS
    # ~215 MB (idle, 72 MB of that RSS are pages of its 250 MB binary). Collecting at one and a
    # half times what is live keeps the heap near 75 MB and the RSS under 200 MB, for about twice
    # the collections: a few milliseconds of CPU a second.
    env = {"GOGC": TEMPORAL_DEV_GOGC}
    return Proc("temporal", argv, env=env, ready=lambda: port_open(port))


def smtp_sink_proc(smtp_port: int, http_port: int, mail_dir: Path) -> Proc:
    argv = ["python", "-m", "sinks.smtp", "--smtp-port", str(smtp_port)]
    argv += ["--http-port", str(http_port), "--dir", str(mail_dir)]
    return Proc("smtp-sink", argv, ready=lambda: http_ok(f"http://127.0.0.1:{http_port}/healthz"))


def provider_sink_proc(port: int, secret: str = "dev-callback-secret") -> Proc:
    argv = ["python", "-m", "sinks.http_provider", "--port", str(port), "--secret", secret]
    return Proc("provider-sink", argv, ready=lambda: http_ok(f"http://127.0.0.1:{port}/healthz"))


def postgres_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise StackError("PostgreSQL binaries not found: run `make bootstrap-test`")
    return found[-1]


# The production cluster's parameters (k8s/dependencies/postgres-cluster.yaml; a test holds
# the two equal). Autovacuum visits each database every 10 s rather than every minute: the
# ledger's hot tables gather two dead rows a purchase, and the plans PostgreSQL caches for
# the till's statements are only as good as its last look at them (docs/operations.md,
# "PostgreSQL upkeep").
POSTGRES_PARAMETERS = {
    "max_connections": "400",
    "shared_buffers": "1GB",
    "autovacuum_naptime": "10s",
}


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
    for name, value in POSTGRES_PARAMETERS.items():
        settings += ["-c", f"{name}={value}"]
    argv = [postgres_bin("postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1"]
    argv += ["-k", str(data), *settings]
    return Proc("postgres", argv, ready=lambda: postgres_accepting(port), user=user)


def postgres_accepting(port: int) -> bool:
    """PostgreSQL answers connections on ``port``. Its port opens while it is still starting
    up (recovering after a stop, say), when a connection is refused with "the database system
    is starting up": an open port is not enough."""
    if not port_open(port):
        return False
    argv = [postgres_bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "2"]
    return subprocess.run(argv, check=False, timeout=10).returncode == 0


# --- the platform's own processes -------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    gateway: int = 8000
    loyalty: int = 8001
    segments: int = 8002
    notifier: int = 8003
    orchestrator: int = 8004
    till_door: int = 8005  # the gateway with loyalty in-process: where tills buy (till_door)
    nats: int = 4222
    redis: int = 6379
    temporal: int = 7233
    temporal_ui: int = 8233
    smtp: int = 1025
    smtp_http: int = 8025
    provider: int = 8026  # the local HTTP provider sink (push, SMS, messenger)

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
    if namespace:
        # Platforms sharing one Temporal server (tests, benchmarks) must not share a task
        # queue: one platform's workers would run the other's workflows against their own
        # databases.
        env["ORCHESTRATOR_TASK_QUEUE"] = f"{namespace}-orchestrator"
        env["ORCHESTRATOR_NOTIFIER_TASK_QUEUE"] = f"{namespace}-notifier"
        env["NOTIFIER_TASK_QUEUE"] = f"{namespace}-notifier"
    env["NOTIFIER_SMTP_HOST"] = "127.0.0.1"
    env["NOTIFIER_SMTP_PORT"] = str(ports.smtp)
    env["NOTIFIER_PROVIDER_URL"] = f"http://127.0.0.1:{ports.provider}"
    env["NOTIFIER_CALLBACK_URL"] = f"http://127.0.0.1:{ports.notifier}/callbacks/provider"
    env["NOTIFIER_PUBLIC_URL"] = f"http://127.0.0.1:{ports.gateway}"
    return env


def tracing_env(directory: Path, sample_rate: float = 1.0) -> dict[str, str]:
    """Every API and worker exporting its spans to files under ``directory`` (kit.tracing)."""
    env: dict[str, str] = {}
    for name in APIS:
        prefix = f"{name.upper()}_"
        env[prefix + "TRACING_EXPORTER"] = "file"
        env[prefix + "TRACING_DIR"] = str(directory)
        env[prefix + "TRACING_SAMPLE_RATE"] = str(sample_rate)
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


def api_proc(package: str, port: int, env: dict[str, str], name: str = "") -> Proc:
    argv = ["uvicorn", f"{package}.app:create_app", "--factory", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}/healthz"
    return Proc(name or f"{package}-api", argv, env=env, ready=lambda: http_ok(url))


def till_door_proc(port: int, env: dict[str, str]) -> Proc:
    """The till's door: the gateway's app with loyalty's in one process (services/till_door)."""
    return api_proc("till_door", port, env, TILL_DOOR)


def worker_proc(package: str, env: dict[str, str], http_port: int) -> Proc:
    env = {**env, f"{package.upper()}_WORKER_HTTP_PORT": str(http_port)}
    url = f"http://127.0.0.1:{http_port}/healthz"
    return Proc(
        f"{package}-worker",
        ["python", "-m", f"{package}.worker"],
        env=env,
        ready=lambda: http_ok(url),
    )


# How long servers and services may take to answer after their start. A busy machine (a CI
# runner shared with other jobs, every core taken) is slow to start two dozen processes at once;
# a healthy start is seconds, so this only decides when a start that will never succeed fails.
START_SECONDS = float(os.environ.get("STACK_START_SECONDS", "300"))


def start_platform(
    group: ProcessGroup, ports: Ports, env: dict[str, str], worker_ports: dict[str, int]
) -> None:
    """Migrations, then every worker and API; returns once each answers /healthz."""
    migrate(APIS, env)
    procs = [worker_proc(package, env, worker_ports[package]) for package in WORKERS]
    procs += [api_proc(package, ports.api(package), env) for package in APIS]
    procs.append(till_door_proc(ports.till_door, env))
    group.start_all_and_wait(procs, timeout=START_SECONDS)


# --- whole environments, for the tests and the benchmarks -------------------------------------


class Servers(TypedDict):
    nats_url: str
    redis_url: str
    temporal_address: str


@dataclass(frozen=True)
class Infra:
    """Where this session's servers listen."""

    group: ProcessGroup
    root: Path
    nats_port: int
    redis_port: int
    postgres_port: int
    temporal_port: int

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def servers(self) -> Servers:
        """Where a service's settings point for NATS, Redis and Temporal."""
        return Servers(
            nats_url=self.nats_url,
            redis_url=self.redis_url,
            temporal_address=self.temporal_address,
        )

    def postgres_url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.postgres_port}/{database}"

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=self.postgres_port, user="postgres", database="postgres"
        )
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.postgres_url(name)


@contextmanager
def running_infra(root: Path) -> Iterator[Infra]:
    """NATS, Redis, PostgreSQL and the Temporal dev server on free ports, stopped on exit."""
    group = ProcessGroup(root / "logs")
    ports = {name: free_port() for name in ("nats", "redis", "postgres", "temporal")}
    with ExitStack() as stack:
        # Outside private temp folders: the `postgres` user must be able to reach it.
        pg_root = Path(tempfile.mkdtemp(prefix="retention-pg-"))
        stack.callback(shutil.rmtree, pg_root, ignore_errors=True)
        stack.callback(group.stop_all)  # runs first: servers stop before their files go
        group.start_all_and_wait(
            [
                nats_proc(ports["nats"], root / "nats"),
                redis_proc(ports["redis"], root / "redis"),
                postgres_proc(ports["postgres"], pg_root / "data"),
                temporal_proc(ports["temporal"], 0, root / "temporal.db", headless=True),
            ],
            timeout=START_SECONDS,
        )
        yield Infra(
            group, root, ports["nats"], ports["redis"], ports["postgres"], ports["temporal"]
        )


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

    @property
    def till_door(self) -> str:
        """Where tills buy: the gateway's public API with loyalty in the same process."""
        return f"http://127.0.0.1:{self.ports.till_door}"

    def service(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports.api(name)}"

    @property
    def mail(self) -> str:
        return f"http://127.0.0.1:{self.ports.smtp_http}"

    @property
    def provider(self) -> str:
        return f"http://127.0.0.1:{self.ports.provider}"

    def create_key(self, *scopes: str) -> str:
        argv = [sys.executable, "-m", "gateway.admin", "create-key", "--name", "e2e"]
        for scope in scopes:
            argv += ["--scope", scope]
        done = subprocess.run(
            argv, env={**os.environ, **self.env}, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop_worker(self, package: str) -> None:
        self.group.stop(f"{package}-worker")

    def kill_worker(self, package: str) -> None:
        self.group.stop(f"{package}-worker", sig=signal.SIGKILL)

    def start_worker(self, package: str, **extra_env: str) -> subprocess.Popen[bytes]:
        proc = worker_proc(package, {**self.env, **extra_env}, self.worker_ports[package])
        if extra_env:
            return self.group.start(proc)
        self.group.start_and_wait(proc)
        return self.group.procs[proc.name]


@asynccontextmanager
async def running_platform(
    infra: Infra, extra_env: dict[str, str] | None = None
) -> AsyncIterator[Platform]:
    """Every API and worker as real processes on PostgreSQL, with a local SMTP sink;
    ``extra_env`` adds settings (e.g. ``tracing_env``)."""
    databases = {
        name: await infra.create_database(f"p_{name}_{uuid.uuid4().hex[:8]}") for name in APIS
    }
    ports = Ports(
        **{name: free_port() for name in (*APIS, "till_door", "smtp", "smtp_http", "provider")},
        nats=infra.nats_port,
        redis=infra.redis_port,
        temporal=infra.temporal_port,
        temporal_ui=0,
    )
    namespace = f"p{uuid.uuid4().hex[:8]}"
    env = {**platform_env(ports, databases.__getitem__, namespace), **(extra_env or {})}
    group = ProcessGroup(infra.root / f"platform-{namespace}-logs")
    worker_ports = {name: free_port() for name in WORKERS}
    try:
        group.start_and_wait(smtp_sink_proc(ports.smtp, ports.smtp_http, infra.root / namespace))
        group.start_and_wait(provider_sink_proc(ports.provider))
        start_platform(group, ports, env, worker_ports)
        platform = Platform(group, ports, env, worker_ports, namespace, databases)
        platform.pos_key = platform.create_key("pos")
        yield platform
    finally:
        group.stop_all()
