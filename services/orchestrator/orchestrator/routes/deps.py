from typing import Annotated

from fastapi import Depends, Request

from orchestrator.enrollments import Runtime
from orchestrator.settings import OrchestratorSettings


def settings_of(request: Request) -> OrchestratorSettings:
    settings: OrchestratorSettings = request.app.state.settings
    return settings


async def runtime_of(request: Request) -> Runtime:
    settings = settings_of(request)
    temporal = await request.app.state.resources.temporal()
    return Runtime(temporal, settings.task_queue, settings.search_attributes)


SettingsDep = Annotated[OrchestratorSettings, Depends(settings_of)]
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
