"""A seeded synthetic population for the recompute benchmark: customers with purchase histories.

The same seed gives the same rows. Shapes follow what a retailer sees: about one customer in six
never bought; recency is spread over every bucket with a long lost tail; purchase counts have a
long tail (most buy once or twice); basket values are log-normal; a few categories dominate.
Rows are produced as tuples in the column order of ``COLUMNS`` for PostgreSQL's COPY.
"""

import json
import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate

from kit.contracts.loyalty import purchase_key
from segments.domain.days import day_of_year, local_day

CITIES = (
    ("Berlin", "Europe/Berlin", 18),
    ("Hamburg", "Europe/Berlin", 9),
    ("Munich", "Europe/Berlin", 8),
    ("Cologne", "Europe/Berlin", 5),
    ("Vienna", "Europe/Vienna", 6),
    ("Zurich", "Europe/Zurich", 4),
    ("London", "Europe/London", 10),
    ("Lisbon", "Europe/Lisbon", 3),
    ("Warsaw", "Europe/Warsaw", 5),
    ("Helsinki", "Europe/Helsinki", 2),
    ("New York", "America/New_York", 8),
    ("Chicago", "America/Chicago", 4),
    ("Los Angeles", "America/Los_Angeles", 5),
    ("Tokyo", "Asia/Tokyo", 6),
    ("Sydney", "Australia/Sydney", 3),
    ("Auckland", "Pacific/Auckland", 1),
    ("Dubai", "Asia/Dubai", 2),
    ("Singapore", "Asia/Singapore", 1),
)
CATEGORIES = (
    ("food", 30),
    ("drinks", 14),
    ("household", 10),
    ("beauty", 8),
    ("clothes", 8),
    ("shoes", 6),
    ("toys", 5),
    ("garden", 4),
    ("electronics", 4),
    ("books", 4),
    ("pets", 4),
    ("sports", 3),
)
TIERS = ((None, 70), ("silver", 20), ("gold", 8), ("platinum", 2))
# share of buyers whose last purchase is this many days back (low, high)
RECENCY_MIX = (((0, 29), 35), ((30, 59), 14), ((60, 89), 9), ((90, 120), 8), ((121, 1000), 34))
STORES = 200
ONLINE_STORES = 40

PROFILE_COLUMNS = (
    "customer_id", "registered_at", "city", "birthday", "time_zone", "subscribed_channels",
    "updated_at", "attributes_as_of", "birthday_doy", "sub_email", "sub_sms", "sub_push",
    "sub_messenger", "tier", "tier_as_of", "first_purchase_at", "last_purchase_at",
    "last_purchase_day", "purchase_count", "lifetime_spend", "last_store_id", "last_channel",
    "last_message_at", "last_engaged_at", "cart_total", "cart_as_of", "last_viewed_at",
)  # fmt: skip
PURCHASE_COLUMNS = (
    "purchase_key", "customer_id", "purchased_at", "store_id", "channel", "city", "total_amount",
    "net_amount",
)  # fmt: skip
CATEGORY_COLUMNS = ("purchase_key", "category", "customer_id", "purchased_at", "counted")

Row = tuple[object, ...]


def customer_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


@dataclass
class Batch:
    profiles: list[Row] = field(default_factory=list)
    purchases: list[Row] = field(default_factory=list)
    categories: list[Row] = field(default_factory=list)


class Population:
    def __init__(self, size: int, now: datetime, seed: int = 20261123) -> None:
        self.size = size
        self.now = now.astimezone(UTC)
        self.rng = random.Random(seed)
        self.time_zones = sorted({zone for _, zone, _ in CITIES})

    def batches(self, batch_size: int = 50_000) -> Iterator[Batch]:
        for start in range(0, self.size, batch_size):
            batch = Batch()
            for index in range(start, min(start + batch_size, self.size)):
                self._customer(index, batch)
            yield batch

    def _pick(self, cumulative: list[float]) -> int:
        return bisect_right(cumulative, self.rng.random() * cumulative[-1])

    def _customer(self, index: int, batch: Batch) -> None:
        rng = self.rng
        cid = customer_id(index)
        city, zone, _ = CITIES[self._pick(_CITY_WEIGHTS)]
        times = self._purchase_times() if rng.random() < 0.84 else []
        registered_at = self.now - timedelta(days=rng.uniform(1, 1100))
        if times and times[0] < registered_at:
            registered_at = times[0] - timedelta(hours=1)
        birthday = _EPOCH + timedelta(days=rng.randrange(365 * 55)) if rng.random() < 0.7 else None
        email, sms, push = rng.random() < 0.6, rng.random() < 0.3, rng.random() < 0.4
        spend, last_store, last_channel = 0, None, None
        for number, at in enumerate(times):
            store = rng.randrange(STORES)
            channel = "online" if store < ONLINE_STORES else "offline"
            amount = max(100, int(rng.lognormvariate(8.0, 0.8)))
            key = purchase_key(f"s{store}", f"{index:x}-{number}")
            batch.purchases.append((key, cid, at, f"s{store}", channel, city, amount, amount))
            for category in self._categories():
                batch.categories.append((key, category, cid, at, True))
            spend += amount
            last_store, last_channel = f"s{store}", channel
        tier = TIERS[self._pick(_TIER_WEIGHTS)][0]
        last = times[-1] if times else None
        cart = int(rng.lognormvariate(8.0, 0.7)) if rng.random() < 0.05 else 0
        engaged = self.now - timedelta(days=rng.uniform(0, 200)) if rng.random() < 0.3 else None
        batch.profiles.append(
            (
                cid, registered_at, city, birthday, zone, _consents(email, sms, push), self.now,
                registered_at, day_of_year(birthday) if birthday else None,
                email, sms, push, False,
                tier, registered_at if tier else None,
                times[0] if times else None, last, local_day(last, zone) if last else None,
                len(times), spend, last_store, last_channel,
                None, engaged, cart, self.now if cart else None, None,
            )
        )  # fmt: skip

    def _purchase_times(self) -> list[datetime]:
        rng = self.rng
        low, high = RECENCY_MIX[self._pick(_RECENCY_WEIGHTS)][0]
        last = self.now - timedelta(days=rng.uniform(low, high + 1))
        count = min(60, 1 + int(rng.expovariate(1 / 2.5)))
        times = [last]
        for _ in range(count - 1):
            times.append(times[-1] - timedelta(days=rng.expovariate(1 / 35)))
        return times[::-1]

    def _categories(self) -> list[str]:
        first = CATEGORIES[self._pick(_CATEGORY_WEIGHTS)][0]
        if self.rng.random() < 0.8:
            return [first]
        second = CATEGORIES[self._pick(_CATEGORY_WEIGHTS)][0]
        return sorted({first, second})


def _cumulative(weights: list[int]) -> list[float]:
    return [float(w) for w in accumulate(weights)]


_EPOCH = date(1950, 1, 1)
_CITY_WEIGHTS = _cumulative([w for _, _, w in CITIES])
_CATEGORY_WEIGHTS = _cumulative([w for _, w in CATEGORIES])
_TIER_WEIGHTS = _cumulative([w for _, w in TIERS])
_RECENCY_WEIGHTS = _cumulative([w for _, w in RECENCY_MIX])


@lru_cache(maxsize=8)
def _consents(email: bool, sms: bool, push: bool) -> str:
    granted = [name for name, on in (("email", email), ("push", push), ("sms", sms)) if on]
    return json.dumps(granted)
