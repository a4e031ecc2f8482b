"""A local SMTP server that keeps every message it receives, readable over HTTP.

`python -m sinks.smtp --smtp-port 1025 --http-port 8025 --dir run/mail`
GET /messages?to=ADDRESS lists kept messages (newest last); DELETE /messages empties the sink.
"""

import argparse
import asyncio
import email
import email.policy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class MailStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    def keep(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> dict[str, Any]:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        record = {
            "id": uuid.uuid4().hex,
            "received_at": datetime.now(UTC).isoformat(),
            "mail_from": mail_from,
            "to": rcpt_tos,
            "subject": str(parsed.get("Subject", "")),
            "headers": {key: str(value) for key, value in parsed.items()},
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        }
        name = f"{record['received_at']}-{record['id']}.json"
        (self.folder / name).write_text(json.dumps(record))
        return record

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        records = [json.loads(p.read_text()) for p in sorted(self.folder.glob("*.json"))]
        return [r for r in records if to is None or to.lower() in (a.lower() for a in r["to"])]

    def clear(self) -> None:
        for path in self.folder.glob("*.json"):
            path.unlink()


class KeepingHandler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.store.keep(str(envelope.mail_from), list(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"


def http_app(store: MailStore) -> Starlette:
    async def list_messages(request: Request) -> JSONResponse:
        return JSONResponse(store.messages(request.query_params.get("to")))

    async def clear_messages(_request: Request) -> JSONResponse:
        store.clear()
        return JSONResponse({"cleared": True})

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/messages", list_messages, methods=["GET"]),
            Route("/messages", clear_messages, methods=["DELETE"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


async def serve(smtp_port: int, http_port: int, folder: Path) -> None:
    store = MailStore(folder)
    handler = KeepingHandler(store)
    loop = asyncio.get_running_loop()
    smtp_server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink", decode_data=False), "127.0.0.1", smtp_port
    )
    config = uvicorn.Config(http_app(store), host="127.0.0.1", port=http_port, log_level="warning")
    try:
        await uvicorn.Server(config).serve()
    finally:
        smtp_server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path("run/mail"))
    args = parser.parse_args()
    asyncio.run(serve(args.smtp_port, args.http_port, args.dir))


if __name__ == "__main__":
    main()
