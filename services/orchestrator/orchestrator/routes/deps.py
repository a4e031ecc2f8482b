from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import Depends, Request

from kit.http import internal_client
from orchestrator.activities import ChainActivities
from orchestrator.enrollments import Runtime, runtime_from
from orchestrator.settings import OrchestratorSettings


def settings_of(request: Request) -> OrchestratorSettings:
    settings: OrchestratorSettings = request.app.state.settings
    return settings


async def runtime_of(request: Request) -> Runtime:
    settings = settings_of(request)
    temporal = await request.app.state.resources.temporal()
    return runtime_from(settings, temporal)


async def segments_of(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """Segments' API, for the few routes that ask it something (copy, publish)."""
    async with internal_client(settings_of(request).segments_url, 10) as client:
        yield client


async def loyalty_of(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """Loyalty's API, for the programme rules the analytics value points with."""
    async with internal_client(settings_of(request).loyalty_url, 10) as client:
        yield client


async def notifier_of(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """The notifier's API, asked at publish time whether the chain's templates exist."""
    async with internal_client(settings_of(request).notifier_url, 10) as client:
        yield client


async def activities_of(request: Request) -> AsyncIterator[ChainActivities]:
    """The chain's own activities, for a dry run's facts (segments) and decisions (notifier)."""
    settings = settings_of(request)
    async with (
        internal_client(settings.notifier_url, 10) as notifier,
        internal_client(settings.loyalty_url, 10) as loyalty,
        internal_client(settings.segments_url, 10) as segments,
    ):
        yield ChainActivities(notifier, loyalty, segments, request.app.state.resources.sessions)


SettingsDep = Annotated[OrchestratorSettings, Depends(settings_of)]
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
SegmentsDep = Annotated[httpx.AsyncClient, Depends(segments_of)]
LoyaltyDep = Annotated[httpx.AsyncClient, Depends(loyalty_of)]
NotifierDep = Annotated[httpx.AsyncClient, Depends(notifier_of)]
ActivitiesDep = Annotated[ChainActivities, Depends(activities_of)]
