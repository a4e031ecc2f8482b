"""Scheduled chains: publishing creates the Temporal schedule; a run enrolls whoever is due."""

from datetime import UTC, date, datetime, timedelta

from temporalio.client import ScheduleActionStartWorkflow

from kit.testing import unique, wait_for
from orchestrator.definitions.builtin import BIRTHDAY
from orchestrator.definitions.model import ScheduleTrigger
from orchestrator.schedules.calendar import birthday_due, cron_of
from orchestrator.schedules.messages import LaunchInput
from orchestrator.schedules.service import schedule_id
from orchestrator.schedules.workflow import ChainLauncherWorkflow
from tests.orchestrator.conftest import Orchestrator
from tests.orchestrator.recording import SEGMENT_MEMBERS


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
    services.profiles = {m: {"birthday": in_a_week, "time_zone": "UTC"} for m in due}
    services.segments = ["all_members"]
    enrolled = await orchestrator.temporal.execute_workflow(
        ChainLauncherWorkflow.run,
        LaunchInput(chain_id=chain_id),
        id=f"launch-{chain_id}",
        task_queue=orchestrator.settings.task_queue,
    )
    assert enrolled == 3
    await wait_for(lambda: len(services.templates()) == 3, "three birthday offers")
    assert {m.customer_id for m in services.sent} == set(due)
    assert {m.template for m in services.sent} == {"birthday_offer"}
    assert len(services.grants) == 3
    again = await orchestrator.temporal.execute_workflow(
        ChainLauncherWorkflow.run,
        LaunchInput(chain_id=chain_id),
        id=f"launch-{chain_id}-again",
        task_queue=orchestrator.settings.task_queue,
    )
    assert again == 0  # running enrollments hear the run; nobody enters twice
    assert BIRTHDAY.audience.segment_id == "all_members"
