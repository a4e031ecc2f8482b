"""Every public route lists the problem codes it can return, and each is one the code raises."""

import importlib
import re
from pathlib import Path
from typing import Any

from gateway.app import create_app
from gateway.problems import PUBLIC_CODES
from gateway.settings import GatewaySettings
from kit.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
SERVICE_MODULES = ["loyalty.app", "segments.app", "notifier.app", "orchestrator.app"]
# `problem(404, "not_found", ...)`, `send_problem(send, 413, "payload_too_large", ...)`
LITERAL = re.compile(r'problem\(\s*(?:send,\s*)?[\w.]+,\s*"([a-z_]+)"')
SOURCES = [*(ROOT / "gateway" / "gateway").rglob("*.py"), ROOT / "libs/kit/kit/errors.py"]


def subclasses(cls: type[DomainError]) -> set[type[DomainError]]:
    found: set[type[DomainError]] = set(cls.__subclasses__())
    return found.union(*(subclasses(sub) for sub in found)) if found else found


def raisable_codes() -> set[str]:
    """The codes of every domain error the platform defines, and the gateway's literal ones."""
    for module in SERVICE_MODULES:
        importlib.import_module(module)
    codes = {cls.code for cls in subclasses(DomainError)}
    codes |= {code for path in SOURCES for code in LITERAL.findall(path.read_text())}
    codes |= {"not_found", "method_not_allowed"}  # kit.errors maps HTTP errors by status
    return {PUBLIC_CODES.get(code, code) for code in codes}


def problem_answers() -> list[tuple[str, str, str, dict[str, Any]]]:
    schema = create_app(GatewaySettings()).openapi()
    return [
        (method, path, status, response)
        for path, items in schema["paths"].items()
        if path.startswith("/v1/")
        for method, operation in items.items()
        for status, response in operation["responses"].items()
        if status[0] in "45"
    ]


def test_every_problem_answer_lists_its_codes() -> None:
    answers = problem_answers()
    assert answers
    for method, path, status, response in answers:
        codes = response.get("x-problem-codes")
        assert codes, (method, path, status)
        assert all(f"`{code}`" in response["description"] for code in codes), (path, status)


def test_each_documented_code_is_one_the_platform_can_raise() -> None:
    known = raisable_codes()
    for method, path, status, response in problem_answers():
        unknown = set(response["x-problem-codes"]) - known
        assert not unknown, (method, path, status, unknown)


def test_routes_name_the_services_codes_as_the_public_api_does() -> None:
    by_route = {(m, p, s): r["x-problem-codes"] for m, p, s, r in problem_answers()}
    assert "quote_changed" in by_route[("post", "/v1/purchases", "409")]
    assert "customer_not_found" in by_route[("post", "/v1/purchases/calculate", "404")]
    assert "member_exists" in by_route[("post", "/v1/customers", "409")]
    assert not any("member_not_found" in codes for codes in by_route.values())


def test_every_step_of_a_purchase_documents_its_store_scope() -> None:
    by_route = {(m, p, s): r["x-problem-codes"] for m, p, s, r in problem_answers()}
    for step in ("confirm", "cancel", "returns"):
        path = f"/v1/purchases/{{txid}}/{step}"
        assert "txid_ambiguous" in by_route[("post", path, "409")], step
        assert "purchase_not_found" in by_route[("post", path, "404")], step
