"""Writes the gateway's public OpenAPI to console/openapi.json, or checks that it is current.

The console's typed API client is generated from that file, so a change to the gateway's
contract shows up as a diff here and as a type error in the console, not as a broken page.
The app is only built, never started: no server, database or network is needed.

    uv run python scripts/console_openapi.py           write console/openapi.json
    uv run python scripts/console_openapi.py --check   exit 1 if it is stale
"""

import json
import sys
from pathlib import Path

from gateway.app import create_app
from gateway.settings import GatewaySettings

TARGET = Path(__file__).resolve().parents[1] / "console" / "openapi.json"


def current() -> str:
    app = create_app(GatewaySettings(database_url="sqlite+aiosqlite:///:memory:"))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = current()
    if "--check" in argv:
        if not TARGET.is_file() or TARGET.read_text() != text:
            print(f"{TARGET} is stale: run `make console-api` and commit it", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
