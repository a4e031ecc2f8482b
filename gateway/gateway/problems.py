"""Services' problem answers, made fit for the public API on their way out.

Retryable outcomes are marked so; the idempotency records keep no answer marked retryable.

A problem never carries a customer's id: a caller who names a phone or email that is taken
must not learn whose it is. Internal codes that speak of members are renamed to the public
API's word, customer.
"""

import json

PUBLIC_CODES = {"member_not_found": "customer_not_found"}
# Services' outcomes that the same request may not meet again: marked `retryable: true`, so a
# till retries and the idempotency records never keep them as the final answer.
RETRYABLE_CODES = frozenset({"ledger_busy"})
HIDDEN_FIELDS = frozenset({"member_id", "customer_id", "member_ids", "customer_ids"})


def public_problem(content: bytes) -> bytes:
    """The problem body as the public API shows it; anything unparsable is passed as it came."""
    try:
        body = json.loads(content)
    except ValueError:
        return content
    if not isinstance(body, dict):
        return content
    shown = {name: value for name, value in body.items() if name not in HIDDEN_FIELDS}
    code = shown.get("code")
    if code in RETRYABLE_CODES:
        shown["retryable"] = True
    if isinstance(code, str) and code in PUBLIC_CODES:
        shown["code"] = PUBLIC_CODES[code]
        shown["type"] = f"urn:problem:{shown['code']}"
    if shown == body:
        return content
    return json.dumps(shown).encode()
