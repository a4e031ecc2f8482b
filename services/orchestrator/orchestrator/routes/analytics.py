from typing import Any

from fastapi import APIRouter

from kit.web import SessionDep
from orchestrator import analytics, chains, programme
from orchestrator.routes.deps import LoyaltyDep, SettingsDep

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get(
    "/chains/{chain_id}",
    summary="For the chain and per version: conversion uplift, revenue per customer and "
    "incremental revenue against the holdout with 95 % intervals (plain and CUPED), cost by "
    "channel, SMS segments and redeemed chain points, incremental ROI, attributed revenue, "
    "minimum detectable effects; per step: messages and points",
)
async def chain_report(
    chain_id: str, session: SessionDep, settings: SettingsDep, loyalty: LoyaltyDep
) -> dict[str, Any]:
    await chains.get(session, chain_id)
    rules = await programme.rules(loyalty)
    valuation = analytics.Valuation(rules.minor_units_per_point, settings.margin_bp)
    return await analytics.report(session, chain_id, valuation)
