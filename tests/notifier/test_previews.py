"""Texts not saved yet, previewed as the editor asks while the marketer types."""

from typing import Any

from tests.notifier.conftest import Notifier

DRAFT = "/templates/preview"


async def draft(notifier: Notifier, **body: Any) -> dict[str, Any]:
    answer = await notifier.api.post(DRAFT, json={"channel": "sms", **body})
    assert answer.status_code == 200, answer.text
    seen: dict[str, Any] = answer.json()
    return seen


async def test_a_draft_sms_has_the_encoding_segments_and_cost_of_the_saved_preview(
    notifier: Notifier,
) -> None:
    customer = await notifier.contact(name="Anna")
    text = "{{ name }}, {{ points }} points are yours: {{ click_url }}"
    saved = await notifier.api.put("/templates/draft_twin/sms", json={"body": text})
    assert saved.status_code == 422  # `points` is not declared: saving refuses it
    body = {"body": text, "variables": ["points"]}
    assert (await notifier.api.put("/templates/draft_twin/sms", json=body)).status_code == 200
    preview = {"customer_id": customer, "variables": {"points": 300}}
    twin = (await notifier.api.post("/templates/draft_twin/sms/preview", json=preview)).json()
    seen = await draft(notifier, **body, customer_id=customer, values={"points": 300})
    same = ("body", "subject", "sampled_variables", "sms", "language", "customer_id")
    assert {k: seen[k] for k in same} == {k: twin[k] for k in same}
    assert seen["body"].startswith("Anna, 300 points are yours: http")
    assert seen["unknown_variables"] == []

    gsm = await draft(notifier, body="a" * 160)
    assert (gsm["sms"]["encoding"], gsm["sms"]["segments"], gsm["customer_id"]) == ("gsm7", 1, None)
    longer = await draft(notifier, body="a" * 161)
    assert (longer["sms"]["segments"], longer["sms"]["cost_per_send"]) == (2, 2 * 5)
    assert "2 SMS segments" in longer["sms"]["warning"]
    cyrillic = await draft(notifier, body="Привет, " + "ы" * 62)
    assert (cyrillic["sms"]["encoding"], cyrillic["sms"]["units"]) == ("ucs2", 70)
    assert cyrillic["sms"]["segments"] == 1
    email = await draft(notifier, channel="email", subject="Hi {{ name }}", body="Hello")
    assert (email["subject"], email["sms"]) == ("Hi there", None)


async def test_unknown_variables_are_named_and_shown_as_written(notifier: Notifier) -> None:
    seen = await draft(
        notifier,
        body="{{ name }}, {{ pionts }} points, {{ tier }} tier, {{ balance }} in all",
        variables=["tier"],
    )
    assert seen["unknown_variables"] == ["pionts"]
    assert seen["sampled_variables"] == ["tier"]
    assert seen["body"] == "there, {{ pionts }} points, {{ tier }} tier, 1250 in all"


async def test_bad_drafts_are_refused_with_a_code(notifier: Notifier) -> None:
    broken = await notifier.api.post(DRAFT, json={"channel": "sms", "body": "{{ name "})
    assert (broken.status_code, broken.json()["code"]) == (422, "template_invalid")
    nobody = await notifier.api.post(
        DRAFT, json={"channel": "sms", "body": "Hi", "customer_id": "no-such-customer"}
    )
    assert (nobody.status_code, nobody.json()["code"]) == (404, "contact_not_found")
    for wrong in ({"channel": "fax", "body": "Hi"}, {"channel": "sms", "body": ""}, {}):
        answer = await notifier.api.post(DRAFT, json=wrong)
        assert answer.status_code == 422, wrong
