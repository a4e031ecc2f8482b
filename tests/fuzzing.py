"""Property-based fuzzing of a served OpenAPI (schemathesis), shared by every API's fuzz test.

The app runs under uvicorn in a thread of this process; each operation gets a bounded number of
examples, and every answer must be no 5xx, a documented status and match its documented schema.
"""

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from kit.stack import free_port, http_ok, wait_until

Check = Callable[[CheckContext, Response, schemathesis.Case], bool | None]
# No 5xx, only documented statuses, and each answer in its documented shape.
CHECKS: list[Check] = [not_a_server_error, status_code_conformance, response_schema_conformance]


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 60, "the API to listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def fuzz(
    url: str, headers: dict[str, str], examples: int, checks: Sequence[Check] = CHECKS
) -> list[str]:
    """Every operation's failures, as text (an empty list when all held)."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"the schema: {result.err()}")
            continue
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=url, headers=headers, checks=list(checks), timeout=30)

        try:
            check()
        except (Exception, FailureGroup) as exc:  # a group of failures is no Exception
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures
