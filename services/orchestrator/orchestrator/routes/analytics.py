from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kit.clock import utcnow
from kit.contracts.analytics import CampaignReport, ChainReport
from kit.web import SessionDep
from orchestrator import analytics, chains, control, programme
from orchestrator.analytics import Valuation
from orchestrator.campaigns import service as campaigns
from orchestrator.routes.deps import LoyaltyDep, SettingsDep
from orchestrator.settings import OrchestratorSettings

router = APIRouter(prefix="/analytics", tags=["analytics"])
control_router = APIRouter(prefix="/control-group", tags=["analytics"])


class ControlGroupIn(BaseModel):
    share: float = Field(ge=0.0, le=control.MAX_SHARE_BP / control.SCALE)


class ControlGroupOut(BaseModel):
    share: float  # in force now
    changes: list[dict[str, Any]]  # every change, oldest first: effective_from, share


@router.get(
    "/chains/{chain_id}",
    summary="For the chain and per version: conversion uplift, revenue per customer and "
    "incremental revenue against the holdout with 95 % intervals (plain and CUPED), cost by "
    "channel, SMS segments and redeemed chain points, incremental ROI, attributed revenue, "
    "minimum detectable effects; per step: messages and points",
)
async def chain_report(
    chain_id: str, session: SessionDep, settings: SettingsDep, loyalty: LoyaltyDep
) -> ChainReport:
    await chains.get(session, chain_id)
    valuation = await _valuation(loyalty, settings)
    return ChainReport.model_validate(await analytics.report(session, chain_id, valuation))


@router.get(
    "/campaigns/{campaign_id}",
    summary="The chain's figures for a campaign against its holdout, over each member's "
    "attribution window from the moment the campaign reached him",
)
async def campaign_report(
    campaign_id: str, session: SessionDep, settings: SettingsDep, loyalty: LoyaltyDep
) -> CampaignReport:
    campaign = await campaigns.get(session, campaign_id)
    valuation = await _valuation(loyalty, settings)
    return CampaignReport.model_validate(
        await analytics.campaign_report(session, campaign, valuation)
    )


async def _valuation(loyalty: httpx.AsyncClient, settings: OrchestratorSettings) -> Valuation:
    rules = await programme.rules(loyalty)
    return analytics.Valuation(rules.minor_units_per_point, settings.margin_bp)


@router.get(
    "/programme",
    summary="Per calendar month: revenue per member of the marketed programme against the "
    "global control group, with Welch's interval, and the programme's incremental revenue",
)
async def programme_report(
    session: SessionDep, months: Annotated[int, Query(ge=1, le=36)] = 12
) -> dict[str, Any]:
    return await control.programme_report(session, utcnow(), months)


@control_router.get("", summary="The global control group's share now and its changes")
async def control_group(session: SessionDep) -> ControlGroupOut:
    return _described(await control.history(session))


@control_router.put(
    "",
    summary="Change the global control group's share from now on (never back-dated)",
)
async def change_control_group(body: ControlGroupIn, session: SessionDep) -> ControlGroupOut:
    share_bp = round(body.share * control.SCALE)
    return _described(await control.change_share(session, share_bp, utcnow()))


def _described(shares: control.ShareHistory) -> ControlGroupOut:
    changes = [
        {"effective_from": at.isoformat(), "share": bp / control.SCALE} for at, bp in shares.changes
    ]
    return ControlGroupOut(share=shares.at(utcnow()) / control.SCALE, changes=changes)
