"""What a marketer reads and writes through the gateway: the public schemas, owned here.

The orchestrator validates every rule again; `tests/gateway/test_marketer_contract.py` compares
these shapes with the OpenAPI the running orchestrator serves, so the two cannot drift.
"""
