"""The built-in chains, as data: templates a marketer copies, edits and publishes.

Drawn from what retailers report works. The welcome chain is also published at install time,
so a fresh platform greets every new member.
"""

from typing import Any

from orchestrator.definitions.model import ChainDefinition


def _chain(data: dict[str, Any]) -> ChainDefinition:
    return ChainDefinition.model_validate(data)


def _send(step_id: str, template: str, *channels: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "send",
        "id": step_id,
        "template": template,
        "channels": list(channels or ["email"]),
        **extra,
    }


def _wait(step_id: str, duration: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "wait",
        "id": step_id,
        "wait": {"type": "duration", "duration": duration},
        **extra,
    }


def _grant(step_id: str, amount: int, lifetime_days: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "grant_bonus",
        "id": step_id,
        "amount": amount,
        "lifetime_days": lifetime_days,
        **extra,
    }


WELCOME = _chain(
    {
        "id": "welcome",
        "name": "Welcome",
        "description": "Registration: a welcome message, three days for a first purchase, "
        "one reminder with the offer; a purchase ends it.",
        "trigger": {"kind": "event", "event": "member.registered"},
        "steps": [
            _send("welcome", "welcome"),
            _wait("wait_first_purchase", "P3D"),
            _send("reminder", "welcome_reminder"),
            _wait("wait_after_reminder", "P4D"),
        ],
    }
)

SECOND_PURCHASE = _chain(
    {
        "id": "second_purchase",
        "name": "Second purchase",
        "description": "After a first purchase: thanks, usage content, a bonus reminder and "
        "recommendations; a customer who returned the purchase gets a care message instead.",
        "trigger": {
            "kind": "event",
            "event": "purchase.confirmed",
            "filters": [{"field": "facts.purchase_count", "op": "eq", "value": 1}],
        },
        "steps": [
            _send("thanks", "second_purchase_thanks"),
            _wait("wait_usage", "P3D"),
            {
                "kind": "branch",
                "id": "returned",
                "cases": [
                    {
                        "when": {"type": "event_seen", "event": "purchase.returned"},
                        "goto": "return_care",
                    }
                ],
            },
            _send("usage", "second_purchase_usage"),
            _wait("wait_bonus_reminder", "P7D"),
            _send("bonus_reminder", "second_purchase_bonus_reminder"),
            _wait("wait_recommendations", "P7D"),
            _send("recommendations", "second_purchase_recommendations"),
            _wait("wait_goal", "P14D"),
            {"kind": "exit", "id": "done", "reason": "completed"},
            _send("return_care", "purchase_return_care"),
            {"kind": "exit", "id": "returned_exit", "reason": "returned"},
        ],
    }
)

REACTIVATION = _chain(
    {
        "id": "reactivation",
        "name": "Reactivation by churn bucket",
        "description": "Cooling (30-59 days), sleeping (60-89), at risk (90-120): a bonus that "
        "grows with the bucket and burns in a week, an SMS or email offer, a push reminder "
        "(another channel if the push is undeliverable), a final message; a purchase ends it.",
        "trigger": {
            "kind": "segment_entered",
            "segments": ["recency.cooling", "recency.sleeping", "recency.at_risk"],
        },
        "audience": {"reentry": "after_cooldown", "cooldown": "P30D"},
        "steps": [
            {
                "kind": "branch",
                "id": "bucket",
                "cases": [
                    {
                        "when": {
                            "type": "attribute",
                            "field": "trigger.segment_id",
                            "value": "recency.at_risk",
                        },
                        "goto": "grant_at_risk",
                    },
                    {
                        "when": {
                            "type": "attribute",
                            "field": "trigger.segment_id",
                            "value": "recency.sleeping",
                        },
                        "goto": "grant_sleeping",
                    },
                ],
            },
            _grant("grant_cooling", 300, 7, next="offer"),
            _grant("grant_sleeping", 500, 7, next="offer"),
            _grant("grant_at_risk", 1000, 7),
            _send("offer", "reactivation_offer", "sms", "email"),
            _wait("wait_reminder", "P3D"),
            _send("push_reminder", "reactivation_reminder", "push", "sms", "email"),
            _wait("wait_final", "P3D"),
            _send("final", "reactivation_final", "email"),
            _wait("wait_goal", "P7D"),
        ],
        "exits": {"on_purchase": True, "on_bonus_redeemed": True, "max_touches": 4},
        "goal": {"attribution_window": "P14D"},
        "holdout_share": 0.1,
    }
)

ABANDONED_CART = _chain(
    {
        "id": "abandoned_cart",
        "name": "Abandoned cart",
        "description": "A cart update starts it (a later update refreshes the cart, a cleared "
        "cart cancels it): an email after 90 minutes, a push, a personal offer, a last SMS "
        "after 24 hours; a purchase ends it.",
        "trigger": {"kind": "event", "event": "cart.updated"},
        "audience": {"reentry": "after_exit"},
        "steps": [
            _wait("wait_first_touch", "PT90M"),
            _send("cart_email", "cart_reminder", "email"),
            _wait("wait_push", "PT4H"),
            _send("cart_push", "cart_push", "push"),
            _wait("wait_offer", "PT6H"),
            _send("cart_offer", "cart_personal_offer", "email"),
            _wait("wait_last_call", "PT12H"),
            _send("cart_sms", "cart_last_call", "sms"),
            _wait("wait_goal", "P2D"),
        ],
        "exits": {"on_purchase": True, "on_events": ["cart.cleared"], "max_duration": "P4D"},
        "goal": {"attribution_window": "P3D"},
    }
)

BIRTHDAY = _chain(
    {
        "id": "birthday",
        "name": "Birthday",
        "description": "Seven days before the birthday in the customer's time zone: an offer "
        "with a bonus, a reminder, and a greeting on the day at 10:00 local time.",
        "trigger": {"kind": "schedule", "schedule": "birthday", "days_before": 7},
        "audience": {"segment_id": "all_members", "reentry": "after_cooldown", "cooldown": "P300D"},
        "steps": [
            _grant("birthday_bonus", 500, 14),
            _send("offer", "birthday_offer", "push", "email"),
            _wait("wait_reminder", "P3D"),
            _send("reminder", "birthday_reminder", "push", "email"),
            {
                "kind": "wait",
                "id": "wait_birthday",
                "wait": {"type": "until_local_time", "at": "10:00", "after_days": 4},
            },
            _send("greeting", "birthday_greeting", "push", "email"),
            _wait("wait_goal", "P7D"),
        ],
    }
)

QUARTERLY_BONUS = _chain(
    {
        "id": "quarterly_bonus",
        "name": "Quarterly bonus",
        "description": "Customers who bought last quarter get 1 000 points for three weeks: "
        "push first, email if no click within an hour, SMS only without another channel; "
        "two weeks later a reminder to those who have not bought that the points will burn.",
        "trigger": {"kind": "schedule", "schedule": "quarterly"},
        "audience": {"segment_id": "bought_last_quarter", "reentry": "after_exit"},
        "steps": [
            _grant("quarterly_points", 1000, 21),
            _send(
                "announce",
                "quarterly_bonus",
                "push",
                "email",
                "sms",
                fallback="notifier_cascade",
                reaction_window="PT1H",
                sms_only_if_no_other_channel=True,
            ),
            _wait("wait_reminder", "P14D"),
            _send("burn_reminder", "quarterly_bonus_burning", "push", "email"),
            _wait("wait_goal", "P7D"),
        ],
    }
)

BURNING_POINTS = _chain(
    {
        "id": "burning_points",
        "name": "Burning points",
        "description": "When points are about to expire: a reminder with the amount and date.",
        "trigger": {"kind": "event", "event": "bonus.expiring"},
        "audience": {"reentry": "after_exit"},
        "steps": [_send("reminder", "points_expiring", "push", "email")],
        "exits": {"on_purchase": False},
        "goal": {"attribution_window": "P7D"},
    }
)

BUILT_IN: dict[str, ChainDefinition] = {
    chain.id: chain
    for chain in (
        WELCOME,
        SECOND_PURCHASE,
        REACTIVATION,
        ABANDONED_CART,
        BIRTHDAY,
        QUARTERLY_BONUS,
        BURNING_POINTS,
    )
}
# Published at install time; the others wait for a marketer to copy them.
PUBLISHED_AT_INSTALL = ("welcome",)
