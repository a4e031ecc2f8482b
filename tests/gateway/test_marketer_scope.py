"""Every route a `marketer` key opens refuses the keys of the till and the app (403
`missing_scope`), found from the routes themselves, so a new marketer route is covered at once."""

import inspect
import re
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from gateway.routes import ROUTERS
from tests.gateway.conftest import Gateway, bearer

PARAMETER = re.compile(r"\{[^}]+\}")


def scopes_of(dependant: Dependant) -> Iterator[tuple[str, ...]]:
    """The scopes each `scoped(...)` dependency of a route allows."""
    for sub in dependant.dependencies:
        call: Any = sub.call
        if getattr(call, "__qualname__", "") == "scoped.<locals>.dependency":
            yield tuple(inspect.getclosurevars(call).nonlocals["allowed"])
        yield from scopes_of(sub)


def marketer_routes() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in (route for router in ROUTERS for route in router.routes):
        if not isinstance(route, APIRoute) or not route.path.startswith("/v1/"):
            continue
        allowed = [scope for scopes in scopes_of(route.dependant) for scope in scopes]
        if allowed and set(allowed) <= {"marketer", "admin"}:
            found += [(method, route.path) for method in sorted(route.methods or ())]
    return found


async def test_every_marketer_route_refuses_the_till_and_the_app(gateway: Gateway) -> None:
    routes = marketer_routes()
    paths = {path for _, path in routes}
    assert {"/v1/chains/{chain_id}/dry-run", "/v1/customers/{customer_id}/view"} <= paths
    assert len(routes) > 40
    till, app = await gateway.key("pos"), await gateway.key("app", customer_id=str(uuid.uuid4()))
    for scope, key in (("pos", till), ("app", app)):
        for method, path in routes:
            concrete = PARAMETER.sub("x", path)
            body: dict[str, Any] | None = {} if method in {"POST", "PUT", "PATCH"} else None
            answer = await gateway.client.request(method, concrete, json=body, headers=bearer(key))
            where = f"{scope} {method} {path}"
            assert (answer.status_code, answer.json()["code"]) == (403, "missing_scope"), where
