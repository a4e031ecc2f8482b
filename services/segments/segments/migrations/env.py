from kit.migrations import run_env
from segments.models import Base

run_env(Base.metadata)
