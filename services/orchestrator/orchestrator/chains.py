"""Chain definitions: drafts, checks, immutable published versions, and their lifecycle."""

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from orchestrator import repository
from orchestrator.definitions.builtin import BUILT_IN
from orchestrator.definitions.checks import problems_of
from orchestrator.definitions.model import ChainDefinition
from orchestrator.errors import (
    ChainArchived,
    ChainExists,
    ChainInvalid,
    ChainNotFound,
    IdMismatch,
    InvalidTransition,
    NotPublished,
    TemplateNotFound,
    VersionNotFound,
)
from orchestrator.models import Chain, ChainVersion

TRANSITIONS = {
    "pause": ({"active"}, "paused"),
    "resume": ({"paused"}, "active"),
    "archive": ({"draft", "active", "paused"}, "archived"),
}


def as_data(definition: ChainDefinition) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(definition.model_dump_json())
    return data


def trigger_key(definition: ChainDefinition) -> str:
    trigger = definition.trigger
    return trigger.event if trigger.kind == "event" else trigger.kind


def check(definition: ChainDefinition, prefix: str = "body") -> None:
    problems = problems_of(definition)
    if problems:
        errors = [
            {"field": f"{prefix}.{p.field}", "message": p.message, "type": p.type} for p in problems
        ]
        raise ChainInvalid(f"{len(problems)} problem(s) in the chain", errors=errors)


async def get(session: AsyncSession, chain_id: str) -> Chain:
    found = await repository.chain(session, chain_id)
    if found is None:
        raise ChainNotFound(f"no chain {chain_id!r}")
    return found


async def create(session: AsyncSession, definition: ChainDefinition) -> Chain:
    check(definition)
    if await repository.chain(session, definition.id):
        raise ChainExists(f"chain {definition.id!r} exists")
    now = utcnow()
    chain = Chain(
        id=definition.id,
        name=definition.name,
        status="draft",
        draft=as_data(definition),
        created_at=now,
        updated_at=now,
    )
    session.add(chain)
    await session.flush()
    return chain


def template_copy(template_id: str, new_id: str) -> ChainDefinition:
    template = BUILT_IN.get(template_id)
    if template is None:
        raise TemplateNotFound(f"no built-in chain {template_id!r}")
    return template.model_copy(update={"id": new_id})


async def edit(session: AsyncSession, chain_id: str, definition: ChainDefinition) -> Chain:
    if definition.id != chain_id:
        raise IdMismatch(f"path says {chain_id!r}, the definition {definition.id!r}")
    check(definition)
    chain = await get(session, chain_id)
    if chain.status == "archived":
        raise ChainArchived()
    chain.draft, chain.name, chain.updated_at = as_data(definition), definition.name, utcnow()
    return chain


async def publish(session: AsyncSession, chain_id: str) -> ChainVersion:
    """The draft becomes the next immutable version; publishing an unchanged draft is a no-op."""
    chain = await get(session, chain_id)
    if chain.status == "archived":
        raise ChainArchived()
    definition = ChainDefinition.model_validate(chain.draft)
    check(definition, prefix="draft")
    latest = chain.active_version and await repository.version(
        session, chain_id, chain.active_version
    )
    if latest and latest.definition == chain.draft:
        return latest
    number = (chain.active_version or 0) + 1
    published = ChainVersion(
        chain_id=chain_id, version=number, definition=chain.draft, published_at=utcnow()
    )
    session.add(published)
    chain.active_version, chain.trigger_key = number, trigger_key(definition)
    chain.status = "paused" if chain.status == "paused" else "active"
    chain.updated_at = utcnow()
    await session.flush()
    return published


async def transition(session: AsyncSession, chain_id: str, action: str) -> Chain:
    chain = await get(session, chain_id)
    allowed, target = TRANSITIONS[action]
    if chain.status not in allowed:
        raise InvalidTransition(f"cannot {action} a chain that is {chain.status}")
    if target == "active" and chain.active_version is None:
        raise NotPublished()
    chain.status, chain.updated_at = target, utcnow()
    return chain


async def version(session: AsyncSession, chain_id: str, number: int) -> ChainVersion:
    await get(session, chain_id)
    found = await repository.version(session, chain_id, number)
    if found is None:
        raise VersionNotFound(f"chain {chain_id!r} has no version {number}")
    return found


def definition_of(published: ChainVersion) -> ChainDefinition:
    return ChainDefinition.model_validate(published.definition)


async def to_try(
    session: AsyncSession, chain_id: str, number: int | None, given: ChainDefinition | None
) -> tuple[ChainDefinition, int | None]:
    """What a dry run walks: a definition it was given, a published version, else the draft."""
    chain = await get(session, chain_id)
    if given is not None:
        if given.id != chain_id:
            raise IdMismatch(f"path says {chain_id!r}, the definition {given.id!r}")
        check(given, "body.definition")
        return given, None
    if number is not None:
        return definition_of(await version(session, chain_id, number)), number
    return ChainDefinition.model_validate(chain.draft), None


# Published versions never change, so their parsed definitions can be kept in the process:
# a purchase or an enrollment then reads a version's exits and goal without parsing it again.
_PARSED: dict[tuple[str, int], ChainDefinition] = {}
_PARSED_LIMIT = 1024


async def published_definition(
    session: AsyncSession, chain_id: str, number: int
) -> ChainDefinition | None:
    found = _PARSED.get((chain_id, number))
    if found is None:
        published = await repository.version(session, chain_id, number)
        if published is None:
            return None
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        found = _PARSED[(chain_id, number)] = definition_of(published)
    return found
