from kit.migrations import run_env
from orchestrator.models import Base

run_env(Base.metadata)
