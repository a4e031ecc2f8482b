from datetime import timedelta

from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings
from loyalty.domain.rules import DEFAULT_TIERS, ProgramRules, Tier


class TierSetting(BaseModel):
    """One tier, e.g. LOYALTY_TIERS='[{"name": "base", "min_spend": 0, ...}, ...]'."""

    name: str
    min_spend: int
    accrual_bp: int
    lifetime_months: int


class LoyaltySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", extra="ignore", frozen=True)

    service_name: str = "loyalty"
    database_url: str = "sqlite+aiosqlite:///./run/data/loyalty.db"
    # The programme's rules; defaults mirror common retail programmes.
    tiers: list[TierSetting] = [TierSetting(**t.__dict__) for t in DEFAULT_TIERS]
    redemption_cap_percent: int = 20
    accrual_hold_days: int = 0
    program_time_zone: str = "UTC"
    reservation_ttl_seconds: int = 900
    expiring_notice_days: int = 7
    # How often the worker expires lots, sends expiry notices and releases lapsed reservations.
    ledger_sweep_seconds: float = 60.0

    def program_rules(self) -> ProgramRules:
        return ProgramRules(
            tiers=tuple(Tier(**tier.model_dump()) for tier in self.tiers),
            redemption_cap_bp=self.redemption_cap_percent * 100,
            accrual_hold_days=self.accrual_hold_days,
            time_zone=self.program_time_zone,
            reservation_ttl=timedelta(seconds=self.reservation_ttl_seconds),
            expiring_notice_days=self.expiring_notice_days,
        )
