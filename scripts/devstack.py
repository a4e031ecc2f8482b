"""`make run` and `make stop`: the whole platform on one machine, on SQLite files.

up    starts NATS, Redis, the Temporal dev server, the SMTP sink, every worker and API,
      prints the URLs and stays in the foreground until Ctrl-C (or `make stop`), restarting
      any process that exits, with a backoff (1 s doubling to 30 s), as Kubernetes would.
stop  stops what a running `up` started, and nothing else.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kit.stack import (
    APIS,
    ROOT,
    WORKERS,
    Ports,
    ProcessGroup,
    StackError,
    Supervisor,
    nats_proc,
    platform_env,
    port_open,
    provider_sink_proc,
    redis_proc,
    smtp_sink_proc,
    start_platform,
    temporal_proc,
    terminate,
    tracing_env,
)

RUN_DIR = Path(os.environ.get("RUN_DIR", ROOT / "run")).resolve()
STATE = RUN_DIR / "devstack.json"
WORKER_PORTS = {name: 8101 + i for i, name in enumerate(WORKERS)}


def ports_from_env() -> Ports:
    defaults = Ports()
    values = {
        field: int(os.environ.get(f"{field.upper()}_PORT", getattr(defaults, field)))
        for field in defaults.__dataclass_fields__
    }
    return Ports(**values)


def worker_ports() -> dict[str, int]:
    return {n: int(os.environ.get(f"{n.upper()}_WORKER_PORT", p)) for n, p in WORKER_PORTS.items()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def read_state() -> dict[str, object] | None:
    if not STATE.exists():
        return None
    return dict(json.loads(STATE.read_text()))


def check_ports(ports: Ports, workers: dict[str, int]) -> None:
    wanted = {
        f"{name} ({name.upper()}_PORT)": getattr(ports, name) for name in Ports.__dataclass_fields__
    }
    wanted |= {f"{n} worker ({n.upper()}_WORKER_PORT)": p for n, p in workers.items()}
    taken = [f"  {port}: {what}{_owner(port)}" for what, port in wanted.items() if port_open(port)]
    if taken:
        raise StackError(
            "these ports are already in use by something else:\n"
            + "\n".join(taken)
            + "\nstop what holds them, or choose other ports through the variables named."
        )


def _owner(port: int) -> str:
    found = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    line = found.stdout.strip().splitlines()[:1]
    return f" — held by {line[0].split('users:')[-1]}" if line and "users:" in line[0] else ""


def urls(ports: Ports) -> str:
    local = "http://127.0.0.1"
    rows = [
        ("gateway (public API)", f"{local}:{ports.gateway}   docs: {local}:{ports.gateway}/docs"),
        ("marketer console", f"{local}:{ports.gateway}/console/   (sign in with a marketer key)"),
        ("till's door (POS)", f"{local}:{ports.till_door}/v1/purchases"),
    ]
    rows += [(f"{name} API", f"{local}:{ports.api(name)}/docs") for name in APIS[1:]]
    rows += [
        ("Temporal UI", f"{local}:{ports.temporal_ui}   (gRPC 127.0.0.1:{ports.temporal})"),
        (
            "SMTP sink",
            f"smtp 127.0.0.1:{ports.smtp}   kept mail: {local}:{ports.smtp_http}/messages",
        ),
        (
            "HTTP provider sink",
            f"{local}:{ports.provider}/requests   (push, SMS, messenger)",
        ),
        ("NATS / Redis", f"nats://127.0.0.1:{ports.nats}   redis://127.0.0.1:{ports.redis}"),
        ("logs", str(RUN_DIR / "logs")),
        ("traces", f"{RUN_DIR / 'traces'}   `make trace` lists them, `make trace ID=…` shows one"),
    ]
    return "\n".join(f"  {what:<22} {where}" for what, where in rows)


def create_dev_key(env: dict[str, str]) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.admin",
            "create-key",
            "--name",
            "dev-pos",
            "--scope",
            "pos",
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return result.stdout.strip()


def up() -> int:
    state = read_state()
    if state and _alive(int(str(state["supervisor"]))):
        pid = state["supervisor"]
        print(f"the platform is already running (pid {pid}):\n{urls(ports_from_env())}")
        return 0
    ports, workers = ports_from_env(), worker_ports()
    check_ports(ports, workers)
    data = RUN_DIR / "data"
    data.mkdir(parents=True, exist_ok=True)
    group = ProcessGroup(RUN_DIR / "logs")
    stopping = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("starting NATS, Redis, Temporal and the SMTP sink…", flush=True)
        group.start_and_wait(nats_proc(ports.nats, RUN_DIR / "nats"))
        group.start_and_wait(redis_proc(ports.redis, RUN_DIR / "redis"))
        group.start_and_wait(
            temporal_proc(ports.temporal, ports.temporal_ui, RUN_DIR / "temporal" / "temporal.db"),
            timeout=90,
        )
        group.start_and_wait(smtp_sink_proc(ports.smtp, ports.smtp_http, RUN_DIR / "mail"))
        group.start_and_wait(provider_sink_proc(ports.provider))
        env = platform_env(ports, lambda name: f"sqlite+aiosqlite:///{data / name}.db")
        # Every trace kept, as files: `make trace` lists them, `make trace ID=…` prints one.
        env |= tracing_env(RUN_DIR / "traces")
        _write_state(group)
        print("applying migrations, starting workers and APIs…", flush=True)
        start_platform(group, ports, env, workers)
        _write_state(group)
        key = create_dev_key(env)
        print(f"\nthe platform is up:\n{urls(ports)}\n\n  a POS key for trying it: {key}\n")
        print("Ctrl-C or `make stop` stops everything.", flush=True)
        supervisor = Supervisor(group, log=_log)
        while not stopping:
            if supervisor.check():
                _write_state(group)
            time.sleep(0.5)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping…", flush=True)
        group.stop_all()
        STATE.unlink(missing_ok=True)
        print("stopped.")
    return 0


def _log(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


def _write_state(group: ProcessGroup) -> None:
    STATE.write_text(json.dumps({"supervisor": os.getpid(), "children": group.pids()}))


def stop() -> int:
    state = read_state()
    if state is None:
        print("nothing to stop: the platform is not running from this folder.")
        return 0
    supervisor = int(str(state["supervisor"]))
    if _alive(supervisor):
        os.kill(supervisor, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while _alive(supervisor) and time.monotonic() < deadline:
            time.sleep(0.2)
    children = dict(state.get("children") or {})  # type: ignore[call-overload]
    leftovers = [int(pid) for pid in children.values() if _alive(int(pid))]
    if leftovers:
        terminate(leftovers)
    STATE.unlink(missing_ok=True)
    print("stopped.")
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    sys.exit({"up": up, "stop": stop}[command]())
