"""What the notifier would decide for a chain's dry run: the real policy (quiet hours, the daily
cap and pause, the chain's override), consent, address and template per channel, evaluated
at a time the dry run names, without sending, recording or counting anything."""

from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from kit.contracts.delivery import DryRunDecision, DryRunDelivery, SkippedChannel
from notifier import repository, service
from notifier.deliveries import Counting, counted, reachable, seed_of, sms_rule, transactional
from notifier.domain import policy
from notifier.domain.quiet_hours import local_day
from notifier.models import Contact
from notifier.policy_store import PolicyStore, Seed
from notifier.settings import NotifierSettings

# Names the dry run's decision in Redis; a dry run never writes it, so it is never found.
DRY_DECISION_KEY = "dry-run"


async def decide(
    session: AsyncSession, store: PolicyStore, settings: NotifierSettings, ask: DryRunDelivery
) -> DryRunDecision:
    contact = await repository.get_contact(session, ask.customer_id)
    if contact is None:
        return DryRunDecision(action="skip", reason="contact_unknown")
    decision = await _policy(session, store, settings, contact, ask)
    if decision.action != "send":
        return DryRunDecision(action=decision.action, reason=decision.reason, until=decision.until)
    return await _channel(session, contact, ask, decision.reason)


async def _policy(
    session: AsyncSession,
    store: PolicyStore,
    settings: NotifierSettings,
    contact: Contact,
    ask: DryRunDelivery,
) -> policy.Decision:
    """The same order as a delivery's first decision: quiet hours, then the cap and pause."""
    limits = await service.limits_for(session, ask.source)
    bypass = ask.critical or await transactional(session, ask.template, ask.channels[0])
    if not bypass and (quiet := policy.quiet_hours(ask.at, contact.time_zone, limits)):
        return quiet
    seed = partial(seed_of, session, ask.customer_id, contact.time_zone, ask.at, limits)
    planned = _planned(ask.planned, ask.at, contact.time_zone)
    counting = Counting(ask.customer_id, DRY_DECISION_KEY, bypass, seed, planned)
    return await counted(store, settings, counting, contact, limits, ask.at)


def _planned(sends: list[datetime], at: datetime, time_zone: str) -> Seed:
    """The dry run's own sends before `at`: those of the same local day, and the last one."""
    earlier = [sent for sent in sends if sent <= at]
    day = local_day(at, time_zone)
    same_day = [sent for sent in earlier if local_day(sent, time_zone) == day]
    return Seed(count=len(same_day), last=int(max(earlier).timestamp()) if earlier else -1)


async def _channel(
    session: AsyncSession, contact: Contact, ask: DryRunDelivery, reason: str
) -> DryRunDecision:
    """The first channel of the cascade the customer can be reached on, with a template."""
    skipped: list[SkippedChannel] = []
    for channel in ask.channels:
        why = reachable(contact, channel) or sms_rule(
            ask.sms_only_if_no_other_channel, contact, channel
        )
        if why is None and not await service.find_template(
            session, ask.template, channel, contact.language
        ):
            why = "no_template"
        if why is None:
            return DryRunDecision(action="send", reason=reason, channel=channel, skipped=skipped)
        skipped.append(SkippedChannel(channel=channel, reason=why))
    return DryRunDecision(action="skip", reason="no_channel", skipped=skipped)
