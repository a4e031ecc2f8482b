"""Scheduled chains: publishing creates the Temporal schedule; a run enrolls whoever is due."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from functools import partial

import httpx
import pytest
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.service import RPCError, RPCStatusCode

from kit.stack import Infra
from kit.testing import unique, wait_for
from orchestrator.definitions.builtin import BIRTHDAY
from orchestrator.definitions.model import ScheduleTrigger
from orchestrator.schedules.calendar import birthday_due, cron_of
from orchestrator.schedules.messages import LaunchInput
from orchestrator.schedules.service import schedule_id
from orchestrator.schedules.workflow import ChainLauncherWorkflow
from tests.orchestrator.conftest import Orchestrator, serving_segments
from tests.orchestrator.recording import SEGMENT_MEMBERS


@pytest.fixture
async def segments_url(infra: Infra) -> AsyncIterator[str]:
    """Copying the birthday template makes sure its audience exists in the real segments."""
    async with serving_segments(infra) as url:
        yield url


def test_birthdays_are_due_days_before_and_29_february_counts_on_the_28th() -> None:
    assert birthday_due(date(1990, 3, 17), date(2026, 3, 10), 7)
    assert not birthday_due(date(1990, 3, 18), date(2026, 3, 10), 7)
    assert birthday_due(date(2000, 2, 29), date(2027, 2, 21), 7)
    assert birthday_due(date(2000, 2, 29), date(2028, 2, 22), 7)


def test_each_schedule_has_its_cron() -> None:
    assert cron_of(ScheduleTrigger(schedule="quarterly")) == "0 6 1 1,4,7,10 *"
    assert cron_of(ScheduleTrigger(schedule="date", month=11, day=27)) == "0 6 27 11 *"
    assert cron_of(ScheduleTrigger(schedule="birthday", days_before=7)) == "0 0 * * *"


async def test_a_birthday_run_enrolls_only_customers_whose_day_is_due(
    orchestrator: Orchestrator,
) -> None:
    api, services = orchestrator.api, orchestrator.services
    chain_id = unique("birthdays_")
    copied = await api.post("/chains/templates/birthday/copy", json={"id": chain_id})
    assert copied.status_code == 201, copied.text
    audience = copied.json()["draft"]["audience"]["segment_id"]
    assert audience != "all_members"  # the id of segments' rule segment of that name
    assert (await api.post(f"/chains/{chain_id}/publish")).status_code == 200
    schedule = orchestrator.temporal.get_schedule_handle(schedule_id(chain_id))
    described = await schedule.describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "ChainLauncherWorkflow"
    await schedule.delete()

    in_a_week = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    services.profile = {"birthday": "1990-01-01" if in_a_week[5:] != "01-01" else "1990-06-01"}
    due = SEGMENT_MEMBERS[:3]
    notifier = orchestrator.notifier
    await notifier.install("birthday_offer")
    for member in due:
        await notifier.customer(customer_id=member)
    services.profiles = {m: {"birthday": in_a_week, "time_zone": "UTC"} for m in due}
    services.segments = [audience, "all_members"]
    enrolled = await orchestrator.temporal.execute_workflow(
        ChainLauncherWorkflow.run,
        LaunchInput(chain_id=chain_id),
        id=f"launch-{chain_id}",
        task_queue=orchestrator.settings.task_queue,
    )
    assert enrolled == 3
    for member in due:
        offers = await wait_for(partial(notifier.templates, member), f"{member}'s offer")
        assert offers == ["birthday_offer"]
    assert await notifier.deliveries(SEGMENT_MEMBERS[3]) == []
    assert len(services.grants) == 3
    again = await orchestrator.temporal.execute_workflow(
        ChainLauncherWorkflow.run,
        LaunchInput(chain_id=chain_id),
        id=f"launch-{chain_id}-again",
        task_queue=orchestrator.settings.task_queue,
    )
    assert again == 0  # running enrollments hear the run; nobody enters twice
    assert BIRTHDAY.audience.segment_id == "all_members"


async def test_pausing_pauses_the_schedule_and_archiving_deletes_it(
    orchestrator: Orchestrator,
) -> None:
    api, chain_id = orchestrator.api, unique("dated_")
    body = {
        "id": chain_id,
        "name": "New year",
        "trigger": {"kind": "schedule", "schedule": "date", "month": 1, "day": 1},
        "audience": {"segment_id": "recency.active", "reentry": "after_exit"},
        "steps": [{"kind": "send", "id": "greeting", "template": "new_year"}],
    }
    await orchestrator.notifier.install("new_year")
    assert (await api.post("/chains", json=body)).status_code == 201
    assert (await api.post(f"/chains/{chain_id}/publish")).status_code == 200
    schedule = orchestrator.temporal.get_schedule_handle(schedule_id(chain_id))

    async def paused() -> bool:
        return (await schedule.describe()).schedule.state.paused

    assert not await paused()
    assert (await api.post(f"/chains/{chain_id}/pause")).json()["status"] == "paused"
    assert await paused()
    body["name"] = "New year, edited while paused"
    await api.put(f"/chains/{chain_id}", json=body)
    assert (await api.post(f"/chains/{chain_id}/publish")).json()["version"] == 2
    assert await paused()  # publishing a paused chain keeps its schedule paused
    assert (await api.post(f"/chains/{chain_id}/resume")).json()["status"] == "active"
    assert not await paused()

    assert (await api.post(f"/chains/{chain_id}/archive")).json()["status"] == "archived"
    with pytest.raises(RPCError) as gone:
        await schedule.describe()
    assert gone.value.status == RPCStatusCode.NOT_FOUND


async def test_the_birthday_and_quarterly_templates_bring_their_segments_once(
    orchestrator: Orchestrator, segments_url: str
) -> None:
    api = orchestrator.api
    drafts = {}
    for template in ("birthday", "quarterly_bonus", "birthday"):
        chain_id = unique(f"{template}_")
        copied = await api.post(f"/chains/templates/{template}/copy", json={"id": chain_id})
        assert copied.status_code == 201, copied.text
        drafts[chain_id] = copied.json()["draft"]["audience"]["segment_id"]
    async with httpx.AsyncClient(base_url=segments_url) as segments:
        rules = (await segments.get("/segments", params={"kind": "rule"})).json()["items"]
        by_name = {s["name"]: s for s in rules}
        assert sorted(s["name"] for s in rules) == ["all_members", "bought_last_quarter"]
        assert set(drafts.values()) == {s["id"] for s in rules}
        quarter = by_name["bought_last_quarter"]["definition"]
        assert quarter["window"] == {"period": "previous_quarter"}
        members = await segments.get(f"/segments/{by_name['all_members']['id']}/members")
        assert members.status_code == 200  # pageable by the launcher

    # A chain written by hand that names the segment gets the same id when published.
    body = {
        "id": unique("hand_"),
        "name": "Quarter by hand",
        "trigger": {"kind": "schedule", "schedule": "quarterly"},
        "audience": {"segment_id": "bought_last_quarter"},
        "steps": [{"kind": "send", "id": "hello", "template": "hello"}],
    }
    await orchestrator.notifier.install("hello")
    assert (await api.post("/chains", json=body)).status_code == 201
    published = (await api.post(f"/chains/{body['id']}/publish")).json()
    assert published["definition"]["audience"]["segment_id"] == by_name["bought_last_quarter"]["id"]
    await api.post(f"/chains/{body['id']}/archive")
