"""Operator commands: `python -m gateway.admin create-key --name till-1 --scope pos`.

A new key is printed once and never stored in clear; lists show only its prefix.
"""

import argparse
import asyncio
import sys
from datetime import timedelta
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway import keys
from gateway.models import ApiKey
from gateway.settings import GatewaySettings
from kit.db import create_engine, session_factory, unit_of_work
from kit.errors import DomainError


async def _create(args: argparse.Namespace) -> None:
    async with unit_of_work(args.sessions) as session:
        issued = await keys.create_key(
            session,
            args.name,
            cast(list[keys.Scope], args.scope),
            args.store_id,
            args.customer_id,
        )
    await _tell_gateways(args)  # ends any gateway's memory of the new prefix as unknown
    print(issued.key)


async def _revoke(args: argparse.Namespace) -> None:
    async with unit_of_work(args.sessions) as session:
        await keys.revoke_key(session, args.prefix)
    await _tell_gateways(args)
    print(f"revoked {args.prefix}")


async def _rotate(args: argparse.Namespace) -> None:
    async with unit_of_work(args.sessions) as session:
        issued = await keys.rotate_key(
            session, args.prefix, timedelta(seconds=args.overlap_seconds)
        )
    await _tell_gateways(args)
    print(issued.key)


async def _tell_gateways(args: argparse.Namespace) -> None:
    """Makes every gateway's copy of the keys stale (gateway.keys); the change is committed."""
    settings: GatewaySettings = args.settings
    redis = Redis.from_url(settings.redis_url)
    directory = keys.KeyDirectory(redis, args.sessions, settings.event_namespace)
    try:
        await directory.keys_changed()
    except (RedisError, OSError) as exc:
        seconds = keys.COPY_SECONDS
        print(
            f"warning: saved, but Redis could not be told ({type(exc).__name__}); "
            f"gateways may accept the old key for up to {seconds} s",
            file=sys.stderr,
        )
    finally:
        await redis.aclose()


def _describe(key: ApiKey) -> str:
    if key.revoked_at:
        state = f"revoked {key.revoked_at.isoformat()}"
    elif key.expires_at:
        state = f"expires {key.expires_at.isoformat()}"
    else:
        state = "active"
    binding = key.store_id or key.customer_id or "-"
    return f"{key.prefix}\t{key.name}\t{','.join(key.scopes)}\t{binding}\t{state}"


async def _list(args: argparse.Namespace) -> None:
    async with unit_of_work(args.sessions) as session:
        for key in await keys.list_keys(session):
            print(_describe(key))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m gateway.admin")
    commands = root.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-key", help="create a key; it is printed once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", choices=keys.SCOPES, required=True)
    create.add_argument("--store-id", default=None, help="bind a POS key to one store")
    create.add_argument("--customer-id", default=None, help="the customer an app key acts for")
    create.set_defaults(run=_create)
    revoke = commands.add_parser("revoke-key", help="revoke a key at once")
    revoke.add_argument("--prefix", required=True)
    revoke.set_defaults(run=_revoke)
    rotate = commands.add_parser(
        "rotate-key", help="print a replacement key; the old one ends after the overlap"
    )
    rotate.add_argument("--prefix", required=True)
    rotate.add_argument(
        "--overlap-seconds",
        type=int,
        default=0,
        help="keep the old key valid this long (0: end it now)",
    )
    rotate.set_defaults(run=_rotate)
    commands.add_parser("list-keys", help="list keys by prefix").set_defaults(run=_list)
    return root


async def run(argv: list[str], settings: GatewaySettings | None = None) -> int:
    args = parser().parse_args(argv)
    args.settings = settings or GatewaySettings()
    engine = create_engine(args.settings.database_url)
    args.sessions = session_factory(engine)
    try:
        await args.run(args)
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run(sys.argv[1:])))
