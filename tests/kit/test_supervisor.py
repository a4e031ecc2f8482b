"""`make run` supervises: a process that exits is started again, with a growing backoff."""

import os
import signal
import sys
from pathlib import Path

from kit.stack import Proc, ProcessGroup, Supervisor
from kit.testing import wait_for

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def supervised(tmp_path: Path, argv: list[str], lines: list[str]) -> Supervisor:
    group = ProcessGroup(tmp_path / "logs")
    group.start(Proc("sleeper", argv))
    return Supervisor(group, log=lines.append, first_delay=0.2, max_delay=1.6)


async def test_a_killed_process_is_restarted_and_the_restart_logged(tmp_path: Path) -> None:
    lines: list[str] = []
    supervisor = supervised(tmp_path, SLEEPER, lines)
    group = supervisor.group
    try:
        first = group.procs["sleeper"].pid
        os.killpg(first, signal.SIGKILL)
        await wait_for(lambda: supervisor.check() == ["sleeper"], "the restart", timeout=60)
        second = group.procs["sleeper"]
        assert second.pid != first and second.poll() is None
        assert lines[0].startswith("sleeper exited with -9; restarting in 0.2s (restart 1)")
        assert lines[1] == f"sleeper restarted (pid {second.pid})"
    finally:
        group.stop_all()


async def test_a_crash_loop_backs_off_and_a_held_process_stays_down(tmp_path: Path) -> None:
    lines: list[str] = []
    supervisor = supervised(tmp_path, [sys.executable, "-c", "raise SystemExit(3)"], lines)
    try:
        for restarts in (1, 2, 3):
            await wait_for(
                lambda: supervisor.check() == ["sleeper"], f"restart {restarts}", timeout=60
            )
        delays = [line.split("restarting in ")[1].split("s ")[0] for line in lines[::2]]
        assert delays == ["0.2", "0.4", "0.8"]
        assert "exited with 3" in lines[0]
        supervisor.hold("sleeper")
        await wait_for(lambda: supervisor.group.procs["sleeper"].poll() is not None, "the exit")
        assert supervisor.check() == [] and supervisor.check() == []
    finally:
        supervisor.group.stop_all()
