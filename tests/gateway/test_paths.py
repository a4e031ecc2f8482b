"""Every path parameter of the OpenAPI is one plain id: separators and dot segments are 422.

The routes are read from the gateway's OpenAPI when the test runs, so a route added later is
covered without touching this test.
"""

import json
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

from gateway.app import create_app
from tests.gateway.conftest import Gateway, bearer

# As they appear in the raw URL: `?`, `#`, `/` encoded (else they would not be in the path),
# dot segments plain and encoded, `&` plain.
HOSTILE = [
    "%3F",
    "%3Fkind%3Drfm",
    "%23",
    "..",
    "%2E%2E",
    ".",
    "%2F",
    "a%2Fb",
    "%2f..",
    "&",
    "a&b=1",
]


def path_parameters(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, path template, parameter name) for every path parameter of every operation."""
    return [
        (method, template, parameter["name"])
        for template, items in schema["paths"].items()
        for method, operation in items.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    ]


def fill(template: str, name: str, value: str) -> str:
    path = template.replace(f"{{{name}}}", value)
    while "{" in path:
        start = path.index("{")
        path = path[:start] + "x1" + path[path.index("}", start) + 1 :]
    return path


async def raw_request(app: ASGIApp, method: str, raw_path: str, key: str) -> tuple[int, Any]:
    """As a server hands a request on (HTTP clients would normalise the dot segments away)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {key}".encode()), (b"content-length", b"2")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[Message] = []
    body: list[Message] = [{"type": "http.request", "body": b"{}", "more_body": False}]

    async def receive() -> Message:
        return body.pop() if body else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(content)


async def test_every_path_parameter_refuses_separators_and_dot_segments(
    gateway: Gateway,
) -> None:
    key = await gateway.key("pos", "marketer")
    found = path_parameters(create_app(gateway.settings).openapi())
    assert len({template for _, template, _ in found}) > 20
    app = gateway.client._transport.app  # type: ignore[attr-defined]
    for method, template, name in found:
        for value in HOSTILE:
            path = fill(template, name, value)
            status, answer = await raw_request(app, method, path, key)
            assert (status, answer["code"]) == (422, "invalid_path_parameter"), (method, path)


async def test_a_plain_id_passes_the_check(gateway: Gateway) -> None:
    key = await gateway.key("marketer")
    answer = await gateway.client.get("/v1/segments/recency.cooling:v2", headers=bearer(key))
    assert answer.json()["code"] != "invalid_path_parameter"


def test_the_pattern_is_documented_on_every_string_path_parameter(gateway: Gateway) -> None:
    schema = create_app(gateway.settings).openapi()
    for method, template, name in path_parameters(schema):
        operation = schema["paths"][template][method]
        (parameter,) = [p for p in operation["parameters"] if p["name"] == name]
        if parameter["schema"].get("type") == "string":
            assert parameter["schema"]["pattern"].startswith("^"), (template, name)
