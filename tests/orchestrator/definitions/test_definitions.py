"""Chain definitions as data: precise errors, deterministic holdout, the customer's clock."""

from datetime import UTC, datetime, time
from typing import Any

import pytest
from pydantic import ValidationError

from orchestrator.definitions.builtin import BUILT_IN
from orchestrator.definitions.checks import problems_of
from orchestrator.definitions.facts import in_holdout
from orchestrator.definitions.localtime import next_local_time
from orchestrator.definitions.model import ChainDefinition


def definition(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "c",
        "name": "c",
        "trigger": {"kind": "event", "event": "member.registered"},
        "steps": [{"kind": "send", "id": "hello", "template": "welcome"}],
        **overrides,
    }


def schema_errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        ChainDefinition.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]


def test_every_built_in_chain_is_valid() -> None:
    assert len(BUILT_IN) == 7
    assert {c.id: problems_of(c) for c in BUILT_IN.values()} == {c: [] for c in BUILT_IN}


def test_schema_errors_name_the_field() -> None:
    bad_wait = {"kind": "wait", "id": "w", "wait": {"type": "duration", "duration": "-P1D"}}
    errors = schema_errors(definition(steps=[bad_wait]))
    assert errors[0][0] == "steps.0.wait.wait.duration.duration"  # union tags name the kind
    assert "positive" in errors[0][1]

    errors = schema_errors(definition(trigger={"kind": "event", "event": "order.shipped"}))
    assert errors[0][0] == "trigger.event.event"

    errors = schema_errors(definition(audience={"reentry": "after_cooldown"}))
    assert errors[0][0] == "audience" and "cooldown" in errors[0][1]

    sms_twice = {"kind": "send", "id": "s", "template": "t", "channels": ["sms", "sms"]}
    assert "repeat" in schema_errors(definition(steps=[sms_twice]))[0][1]

    both = {"own_city": True, "cities": ["Berlin"]}
    grant = {"kind": "grant_bonus", "id": "g", "amount": 5, "lifetime_days": 3}
    [(field, message)] = schema_errors(definition(steps=[{**grant, "restrictions": both}]))
    assert field.endswith("restrictions") and "own_city" in message


def test_checks_find_dangling_jumps_unreachable_steps_and_timerless_loops() -> None:
    chain = ChainDefinition.model_validate(
        definition(
            steps=[
                {"kind": "send", "id": "a", "template": "t", "next": "nowhere"},
                {"kind": "exit", "id": "b"},
            ]
        )
    )
    assert [(p.field, p.type) for p in problems_of(chain)] == [("steps.0.next", "unknown_step")]

    chain = ChainDefinition.model_validate(
        definition(
            steps=[{"kind": "exit", "id": "a"}, {"kind": "send", "id": "b", "template": "t"}]
        )
    )
    assert [(p.field, p.type) for p in problems_of(chain)] == [("steps.1", "unreachable_step")]

    chain = ChainDefinition.model_validate(
        definition(
            steps=[
                {"kind": "send", "id": "a", "template": "t"},
                {"kind": "send", "id": "b", "template": "t", "next": "a"},
            ]
        )
    )
    assert [p.type for p in problems_of(chain)] == ["loop_without_wait"]


def test_message_waits_must_name_a_send_step() -> None:
    wait = {
        "kind": "wait",
        "id": "w",
        "wait": {"type": "event", "event": "message.clicked", "of_step": "w", "timeout": "PT1H"},
    }
    chain = ChainDefinition.model_validate(definition(steps=[wait]))
    assert [(p.field, p.type) for p in problems_of(chain)] == [
        ("steps.0.wait.of_step", "not_a_send_step")
    ]


def test_the_holdout_draw_is_deterministic_and_near_its_share() -> None:
    customers = [f"customer-{i}" for i in range(5000)]
    drawn = [in_holdout("reactivation", c, 0.1) for c in customers]
    assert drawn == [in_holdout("reactivation", c, 0.1) for c in customers]
    assert 400 < sum(drawn) < 600
    assert not any(in_holdout("reactivation", c, 0.0) for c in customers)
    other_chain = [in_holdout("birthday", c, 0.1) for c in customers]
    assert drawn != other_chain  # drawn per chain, not once per customer


def test_next_local_time_follows_the_customers_zone() -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo
    assert next_local_time(now, "Asia/Tokyo", time(10), 0) == datetime(
        2026, 3, 11, 1, 0, tzinfo=UTC
    )
    assert next_local_time(now, "Asia/Tokyo", time(22), 0) == datetime(
        2026, 3, 10, 13, 0, tzinfo=UTC
    )
    assert next_local_time(now, "Mars/Olympus", time(10), 2) == datetime(
        2026, 3, 12, 10, 0, tzinfo=UTC
    )


def test_a_chain_hears_its_trigger_its_exits_and_what_its_steps_look_for() -> None:
    waits_for_a_return = {
        "kind": "wait",
        "id": "w",
        "wait": {"type": "event", "event": "purchase.returned", "timeout": "P1D"},
    }
    cart = ChainDefinition.model_validate(
        definition(
            trigger={"kind": "event", "event": "cart.updated"},
            steps=[waits_for_a_return],
            exits={"on_events": ["cart.cleared"]},
        )
    )
    assert [e for e in ("cart.updated", "cart.cleared", "purchase.returned") if cart.hears(e)] == [
        "cart.updated",
        "cart.cleared",
        "purchase.returned",
    ]
    assert not cart.hears("segment.entered") and not cart.hears("member.tier_changed")

    second = BUILT_IN["second_purchase"]  # its branch looks for a return
    assert second.hears("purchase.returned") and not second.hears("cart.updated")
    reactivation = BUILT_IN["reactivation"]  # started by segment entries
    assert reactivation.hears("segment.entered") and not reactivation.hears("cart.updated")
    assert not BUILT_IN["welcome"].hears("segment.entered")
