"""The chains API: drafts, precise errors, immutable versions, lifecycle, version pinning."""

from functools import partial
from typing import Any

from kit.testing import unique, wait_for
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
    await orchestrator.notifier.install("first", "second")
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
    notifier = orchestrator.notifier
    await notifier.install("v1_hello", "v2_hello")
    await api.post("/chains", json=chain_body("pinned", template="v1_hello"))
    await api.post("/chains/pinned/publish")
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

    listed = (await api.get("/chains/pinned/enrollments")).json()
    assert listed["counts"]["by_status"] == {"active": 2}
    assert listed["counts"]["by_version"] == {"1": 1, "2": 1}
    assert [i["customer_id"] for i in listed["items"]] == [late, early]  # newest first
    # Asked of each running workflow: the send (its delivery may still be open) or the wait.
    assert {i["step"] for i in listed["items"]} <= {"hello", "pause"}


async def test_a_paused_chain_enrolls_nobody(orchestrator: Orchestrator) -> None:
    api = orchestrator.api
    await orchestrator.notifier.install("first")
    await api.post("/chains", json=chain_body("quiet"))
    await api.post("/chains/quiet/publish")
    await api.post("/chains/quiet/pause")
    refused = await api.post("/chains/quiet/enrollments", json={"customer_id": "c1"})
    assert (refused.status_code, refused.json()["code"]) == (409, "chain_not_active")


async def test_publishing_refuses_a_send_step_whose_template_is_missing_on_a_channel(
    orchestrator: Orchestrator,
) -> None:
    api, notifier = orchestrator.api, orchestrator.notifier
    template = unique("spring_")  # the notifier outlives this test: a name no other test uses
    body = chain_body("spring", template=template)
    body["steps"][0]["channels"] = ["push", "messenger"]
    assert (await api.post("/chains", json=body)).status_code == 201
    refused = await api.post("/chains/spring/publish")
    assert (refused.status_code, refused.json()["code"]) == (422, "template_missing")
    assert refused.json()["missing"] == [
        {"step": "hello", "template": template, "channel": "push"},
        {"step": "hello", "template": template, "channel": "messenger"},
    ]
    assert f"step hello: {template} on push" in refused.json()["detail"]
    await notifier.install(template)  # email, SMS and push: messenger is still missing
    refused = await api.post("/chains/spring/publish")
    assert [m["channel"] for m in refused.json()["missing"]] == ["messenger"]
    assert (await api.get("/chains/spring")).json()["active_version"] is None
    saved = {"body": "{{ name }}, spring is here"}
    answer = await notifier.api.put(f"/templates/{template}/messenger", json=saved)
    assert answer.status_code == 200
    assert (await api.post("/chains/spring/publish")).json()["version"] == 1


async def test_every_built_in_chain_publishes_on_the_default_templates(
    orchestrator: Orchestrator,
) -> None:
    api = orchestrator.api
    for template in ("second_purchase", "reactivation", "abandoned_cart", "burning_points"):
        chain_id = f"copy_{template}"
        copied = await api.post(f"/chains/templates/{template}/copy", json={"id": chain_id})
        assert copied.status_code == 201, copied.text
        published = await api.post(f"/chains/{chain_id}/publish")
        assert published.status_code == 200, published.text


async def test_enrollments_are_paged_with_a_cursor_and_counted(orchestrator: Orchestrator) -> None:
    api, notifier = orchestrator.api, orchestrator.notifier
    await notifier.install("first")
    await api.post("/chains", json=chain_body("paged"))
    await api.post("/chains/paged/publish")
    customers = [await notifier.customer() for _ in range(3)]
    for customer in customers:
        enrolled = await api.post("/chains/paged/enrollments", json={"customer_id": customer})
        assert enrolled.status_code == 201, enrolled.text
    cancelled = await api.post(f"/chains/paged/enrollments/{customers[0]}/cancel")
    assert cancelled.status_code == 202

    async def exited() -> dict[str, Any] | None:
        found = (await api.get("/chains/paged/enrollments?status=exited")).json()
        return found if found["items"] else None

    await wait_for(exited, "the cancelled enrollment recorded as exited")
    first = (await api.get("/chains/paged/enrollments?limit=2")).json()
    assert first["counts"]["total"] == 3
    assert first["counts"]["by_status"] == {"active": 2, "exited": 1}
    assert first["counts"]["by_exit_reason"] == {"cancelled": 1}
    assert [i["customer_id"] for i in first["items"]] == customers[:0:-1]
    rest = await api.get(f"/chains/paged/enrollments?limit=2&cursor={first['next_cursor']}")
    assert [i["customer_id"] for i in rest.json()["items"]] == [customers[0]]
    assert rest.json()["next_cursor"] is None

    async def waiting_at_pause() -> list[str] | None:
        found = (await api.get("/chains/paged/enrollments?status=active&step=pause")).json()
        return [i["customer_id"] for i in found["items"]] if len(found["items"]) == 2 else None

    assert await wait_for(waiting_at_pause, "both sent and waiting") == customers[:0:-1]
    counted = (await api.get("/chains/paged/enrollments")).json()["counts"]["by_step"]
    assert counted["pause"] >= 2 and sum(counted.values()) == 3, counted
    nowhere = (await api.get("/chains/paged/enrollments?step=nowhere")).json()
    assert nowhere["items"] == []
    for bad in ("limit=0", "limit=201", "status=gone", "step=Not-A-Step"):
        refused = await api.get(f"/chains/paged/enrollments?{bad}")
        assert refused.status_code == 422, bad
    for forged in ("nonsense", "bm9uc2Vuc2U"):
        refused = await api.get(f"/chains/paged/enrollments?cursor={forged}")
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_cursor")


async def test_a_draft_step_is_test_sent_with_what_the_chain_would_pass(
    orchestrator: Orchestrator,
) -> None:
    api, notifier = orchestrator.api, orchestrator.notifier
    chain_id = unique("trial_")
    copied = await api.post("/chains/templates/reactivation/copy", json={"id": chain_id})
    assert copied.status_code == 201, copied.text
    tester = await notifier.customer()
    path = f"/chains/{chain_id}/steps/offer/test-send"
    refused = await api.post(path, json={"customer_id": tester, "channel": "email"})
    assert (refused.status_code, refused.json()["code"]) == (409, "not_a_test_recipient")
    flag = {"test_recipient": True}
    assert (await notifier.api.put(f"/contacts/{tester}/test-recipient", json=flag)).is_success

    sent = await api.post(path, json={"customer_id": tester, "channel": "email"})
    assert sent.status_code == 200, sent.text
    # The first grant of the draft (300 points, a week) is what the offer would name.
    assert sent.json()["subject"] == "300 points for you"
    assert sent.json()["sampled_variables"] == []
    assert (sent.json()["step_id"], sent.json()["channel"]) == ("offer", "email")
    wrong = await api.post(path, json={"customer_id": tester, "channel": "push"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "channel_not_in_step")
    missing = await api.post(
        f"/chains/{chain_id}/steps/nowhere/test-send", json={"customer_id": tester}
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "step_not_found")


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
