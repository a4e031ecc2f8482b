"""The servers the stack starts count as ready once they serve, not once their port opens."""

import socket
from pathlib import Path

from kit.stack import Infra, postgres_proc


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
