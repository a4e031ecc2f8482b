"""Operator commands: `python -m gateway.admin create-key --name till-1 --scope pos`."""

import argparse
import asyncio
from typing import cast

from gateway import keys
from gateway.settings import GatewaySettings
from kit.db import create_engine, session_factory, unit_of_work


async def _create(args: argparse.Namespace) -> None:
    async with unit_of_work(args.sessions) as session:
        issued = await keys.create_key(
            session, args.name, cast(list[keys.Scope], args.scope), args.store_id
        )
    print(issued.key)


async def _revoke(args: argparse.Namespace) -> None:
    async with unit_of_work(args.sessions) as session:
        await keys.revoke_key(session, args.prefix)
    print(f"revoked {args.prefix}")


async def _list(args: argparse.Namespace) -> None:
    async with unit_of_work(args.sessions) as session:
        for key in await keys.list_keys(session):
            state = "revoked" if key.revoked_at else "active"
            print(
                f"{key.prefix}\t{key.name}\t{','.join(key.scopes)}\t{key.store_id or '-'}\t{state}"
            )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m gateway.admin")
    commands = root.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-key", help="create a key; it is printed once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", choices=keys.SCOPES, required=True)
    create.add_argument("--store-id", default=None, help="bind a POS key to one store")
    create.set_defaults(run=_create)
    revoke = commands.add_parser("revoke-key", help="revoke a key at once")
    revoke.add_argument("--prefix", required=True)
    revoke.set_defaults(run=_revoke)
    commands.add_parser("list-keys", help="list keys by prefix").set_defaults(run=_list)
    return root


async def _main(args: argparse.Namespace) -> None:
    engine = create_engine(GatewaySettings().database_url)
    args.sessions = session_factory(engine)
    try:
        await args.run(args)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_main(parser().parse_args()))
