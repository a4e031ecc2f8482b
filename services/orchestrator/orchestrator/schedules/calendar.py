"""When a scheduled chain runs, and whom a run enrolls: pure date logic."""

import calendar
from datetime import date, timedelta

from orchestrator.definitions.model import ScheduleTrigger

DAILY = "0 0 * * *"
QUARTERLY = "0 6 1 1,4,7,10 *"


def cron_of(trigger: ScheduleTrigger) -> str:
    """Birthdays are checked daily against each customer's own date; the rest run on their day."""
    if trigger.schedule == "quarterly":
        return QUARTERLY
    if trigger.schedule == "date":
        return f"0 6 {trigger.day} {trigger.month} *"
    return DAILY


def birthday_due(birthday: date, local_today: date, days_before: int) -> bool:
    """The birthday falls `days_before` days after today (29 February counts on the 28th)."""
    target = local_today + timedelta(days=days_before)
    month, day = birthday.month, birthday.day
    if (month, day) == (2, 29) and not calendar.isleap(target.year):
        day = 28
    return (target.month, target.day) == (month, day)
