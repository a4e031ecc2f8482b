"""The chains API: drafts, precise errors, immutable versions, lifecycle, version pinning."""

from functools import partial
from typing import Any

from kit.testing import wait_for
from orchestrator.definitions.builtin import WELCOME
from tests.orchestrator.conftest import Orchestrator


def chain_body(chain_id: str, template: str = "first") -> dict[str, Any]:
    return {
        "id": chain_id,
        "name": "Test chain",
        "trigger": {"kind": "event", "event": "member.registered"},
        "steps": [
            {"kind": "send", "id": "hello", "template": template},
            {"kind": "wait", "id": "pause", "wait": {"type": "duration", "duration": "P1D"}},
        ],
    }


async def test_the_welcome_chain_is_published_at_install(orchestrator: Orchestrator) -> None:
    answer = await orchestrator.api.get("/chains/welcome")
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["active_version"]) == ("active", 1)
    version = (await orchestrator.api.get("/chains/welcome/versions/1")).json()
    assert version["definition"]["steps"] == WELCOME.model_dump(mode="json")["steps"]


async def test_templates_list_the_seven_built_ins_and_copy_as_drafts(
    orchestrator: Orchestrator,
) -> None:
    templates = (await orchestrator.api.get("/chains/templates")).json()
    assert len(templates) == 7
    copied = await orchestrator.api.post(
        "/chains/templates/reactivation/copy", json={"id": "winback"}
    )
    assert copied.status_code == 201, copied.text
    assert (copied.json()["status"], copied.json()["draft"]["holdout_share"]) == ("draft", 0.1)
    missing = await orchestrator.api.post("/chains/templates/nope/copy", json={"id": "x"})
    assert missing.json()["code"] == "template_not_found"


async def test_invalid_definitions_are_422_naming_each_field(orchestrator: Orchestrator) -> None:
    body = chain_body("broken")
    body["steps"][0]["next"] = "nowhere"
    answer = await orchestrator.api.post("/chains", json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "chain_invalid"
    assert answer.json()["errors"][0]["field"] == "body.steps.0.next"

    body = chain_body("broken")
    body["steps"][1]["wait"]["duration"] = "soon"
    answer = await orchestrator.api.post("/chains/validate", json=body)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"].startswith("body.steps.1.wait")
    valid = await orchestrator.api.post("/chains/validate", json=chain_body("fine"))
    assert valid.json() == {"valid": True}


async def test_publishing_makes_immutable_versions_and_the_lifecycle_holds(
    orchestrator: Orchestrator,
) -> None:
    api = orchestrator.api
    assert (await api.post("/chains", json=chain_body("promo"))).status_code == 201
    assert (await api.post("/chains", json=chain_body("promo"))).json()["code"] == "chain_exists"
    assert (await api.post("/chains/promo/pause")).json()["code"] == "invalid_transition"
    first = (await api.post("/chains/promo/publish")).json()
    again = (await api.post("/chains/promo/publish")).json()
    assert first["version"] == again["version"] == 1  # nothing changed, nothing new
    await api.put("/chains/promo", json=chain_body("promo", template="second"))
    second = (await api.post("/chains/promo/publish")).json()
    assert second["version"] == 2
    kept = (await api.get("/chains/promo/versions/1")).json()
    assert kept["definition"]["steps"][0]["template"] == "first"
    assert (await api.post("/chains/promo/pause")).json()["status"] == "paused"
    assert (await api.post("/chains/promo/resume")).json()["status"] == "active"
    assert (await api.post("/chains/promo/archive")).json()["status"] == "archived"
    edit = await api.put("/chains/promo", json=chain_body("promo"))
    assert (edit.status_code, edit.json()["code"]) == (409, "chain_archived")
    mismatch = await api.put("/chains/other", json=chain_body("promo"))
    assert mismatch.json()["code"] == "id_mismatch"


async def test_a_running_enrollment_stays_on_its_version(orchestrator: Orchestrator) -> None:
    api = orchestrator.api
    await api.post("/chains", json=chain_body("pinned", template="v1_hello"))
    await api.post("/chains/pinned/publish")
    notifier = orchestrator.notifier
    await notifier.install("v1_hello", "v2_hello")
    early, late = await notifier.customer(), await notifier.customer()
    assert (
        await api.post("/chains/pinned/enrollments", json={"customer_id": early})
    ).status_code == 201
    await api.put("/chains/pinned", json=chain_body("pinned", template="v2_hello"))
    assert (await api.post("/chains/pinned/publish")).json()["version"] == 2
    assert (
        await api.post("/chains/pinned/enrollments", json={"customer_id": late})
    ).status_code == 201

    for customer, template in ((early, "v1_hello"), (late, "v2_hello")):
        sent = await wait_for(partial(notifier.templates, customer), f"{template} sent")
        assert sent == [template]
    running = (await api.get(f"/chains/pinned/enrollments/{early}")).json()
    assert (running["status"], running["version"]) == ("running", 1)
    assert (await api.get(f"/chains/pinned/enrollments/{late}")).json()["version"] == 2

    async def listed() -> dict[str, Any] | None:
        found = (await api.get("/chains/pinned/enrollments")).json()
        return found if found["running"] == 2 else None

    counted = await wait_for(listed, "both enrollments in Temporal's visibility")
    assert set(counted["running_workflow_ids"]) == {f"chain/pinned/{early}", f"chain/pinned/{late}"}


async def test_a_paused_chain_enrolls_nobody(orchestrator: Orchestrator) -> None:
    api = orchestrator.api
    await api.post("/chains", json=chain_body("quiet"))
    await api.post("/chains/quiet/publish")
    await api.post("/chains/quiet/pause")
    refused = await api.post("/chains/quiet/enrollments", json={"customer_id": "c1"})
    assert (refused.status_code, refused.json()["code"]) == (409, "chain_not_active")


async def test_a_version_number_beyond_32_bits_is_invalid_input(orchestrator: Orchestrator) -> None:
    for number in (2**31, 2**63, 2**64 + 1):
        answer = await orchestrator.api.get(f"/chains/welcome/versions/{number}")
        assert (answer.status_code, answer.json()["code"]) == (422, "validation_error")


async def test_the_openapi_documents_the_problems_and_local_times(
    orchestrator: Orchestrator,
) -> None:
    document = (await orchestrator.api.get("/openapi.json")).json()
    publish = document["paths"]["/chains/{chain_id}/publish"]["post"]["responses"]
    for status in ("404", "409", "422", "503"):
        assert "application/problem+json" in publish[status]["content"], status
    at = document["components"]["schemas"]["WaitUntilLocalTime"]["properties"]["at"]
    assert at.get("format") != "time"  # JSON Schema's `time` demands an offset; `at` has none


async def test_durations_are_written_as_days_and_seconds(orchestrator: Orchestrator) -> None:
    body = chain_body("long")
    body["exits"] = {"max_duration": "P406D"}
    body["steps"][1]["wait"]["duration"] = "PT1H5S"
    created = (await orchestrator.api.post("/chains", json=body)).json()
    assert created["draft"]["exits"]["max_duration"] == "P406D"  # not P1Y41D
    assert created["draft"]["steps"][1]["wait"]["duration"] == "PT3605S"  # not PT1H5S
