from kit.migrations import run_env
from loyalty.models import Base

run_env(Base.metadata)
