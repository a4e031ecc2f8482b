"""The simulator: a population with a known effect, through the orchestrator's projections and
report. The database path is checked to give the figures of the in-memory path on one seed;
the statistical properties are checked over a hundred seeds on the in-memory path."""

import math
import sqlite3
import statistics
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from kit.stack import Platform
from orchestrator.simulate import EFFECTS, Result, Scenario, in_memory, simulate
from orchestrator.simulate_platform import Endpoints, new_chain_id, on_platform

SEEDS = range(1, 101)
# With a true 95 % coverage, P(at most 87 of 100 intervals cover) = 0.4 %: a miss of this test
# means a miscalibrated interval (at 85 % true coverage, 88 or more happen 22 % of the time).
AT_LEAST = 88


def binomial_tail(n: int, p: float, at_most: int) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(at_most + 1))


def test_the_bound_is_what_the_comment_says() -> None:
    assert binomial_tail(100, 0.95, AT_LEAST - 1) < 0.005
    assert binomial_tail(100, 0.85, AT_LEAST - 1) > 0.7


async def test_the_database_path_gives_the_figures_of_the_in_memory_path(
    database_url: str,
) -> None:
    """On SQLite (`make simulate`) and on PostgreSQL (`--database-url`, the bench)."""
    scenario = Scenario(customers=120, seed=5, holdout_share=0.3)
    stored, computed = await simulate(scenario, database_url), in_memory(scenario)
    for key in ("treated", "holdout", "conversions", "uplift", "cost", "attributed_revenue"):
        assert stored.figures[key] == computed.figures[key], key
    for key in ("revenue_per_customer", "revenue_per_customer_cuped"):
        for field in ("difference", "ci95_low", "ci95_high"):
            assert stored.figures[key][field] == pytest.approx(computed.figures[key][field])
    assert stored.figures["incremental_roi"] == pytest.approx(computed.figures["incremental_roi"])
    assert stored.figures["cost"]["points_redeemed"] > 0  # the chain's own lots were matched


# Every table the report reads, and the enrollments the exits close.
PROJECTIONS = (
    "enrollments",
    "chain_messages",
    "chain_grants",
    "conversions",
    "chain_redemptions",
    "customer_purchases",
    "programme_members",
)


async def test_the_set_based_projections_write_the_rows_the_consumers_write(
    tmp_path: Path,
) -> None:
    """The fast path (one INSERT per table and chunk) against the consumers' own functions
    called event by event, on the same customers at the same moment: row for row equal."""
    scenario = Scenario(customers=300, seed=7, holdout_share=0.3)
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    tables = {}
    for per_event in (True, False):
        database = tmp_path / f"per_event_{per_event}.db"
        await simulate(scenario, f"sqlite+aiosqlite:///{database}", per_event=per_event, at=at)
        tables[per_event] = stored_rows(database)
    for table in PROJECTIONS:
        assert tables[False][table] == tables[True][table], table
        assert tables[False][table], table  # the population reaches every table


def stored_rows(database: Path) -> dict[str, list[tuple[object, ...]]]:
    with closing(sqlite3.connect(database)) as connection:
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in PROJECTIONS
        }


def test_the_worked_example_reports_an_roi_of_minus_one() -> None:
    result = in_memory(Scenario(customers=1000, worked_example=True))
    assert result.figures["uplift"]["ci95_low"] < 0 < result.figures["uplift"]["ci95_high"]
    assert result.figures["cost"]["points"] == 200_000
    assert result.figures["incremental_roi"] == pytest.approx(-1, abs=0.1)


@pytest.fixture(scope="module")
def runs() -> list[Result]:
    return [in_memory(Scenario(customers=2000, seed=s, holdout_share=0.3)) for s in SEEDS]


def test_the_intervals_cover_the_true_effect_at_the_nominal_rate(runs: list[Result]) -> None:
    covered = {
        key: sum(r.covers(key, truth(r, key)) for r in runs)
        for key in ("uplift", "revenue_per_customer", "revenue_per_customer_cuped")
    }
    assert all(count >= AT_LEAST for count in covered.values()), covered


def test_the_estimates_are_unbiased_within_their_standard_error(runs: list[Result]) -> None:
    for key in ("uplift", "revenue_per_customer", "revenue_per_customer_cuped"):
        errors = [r.figures[key]["difference"] - truth(r, key) for r in runs]
        standard_error = statistics.stdev(errors) / math.sqrt(len(errors))
        assert abs(statistics.fmean(errors)) < 3 * standard_error, key


def test_cuped_narrows_the_interval(runs: list[Result]) -> None:
    def width(r: Result, key: str) -> float:
        return float(r.figures[key]["ci95_high"] - r.figures[key]["ci95_low"])

    plain = statistics.fmean(width(r, "revenue_per_customer") for r in runs)
    cuped = statistics.fmean(width(r, "revenue_per_customer_cuped") for r in runs)
    assert cuped < 0.97 * plain


@asynccontextmanager
async def others_paused(platform: Platform) -> AsyncIterator[None]:
    """The chains other tests left active on the shared platform take no new enrollments
    meanwhile (the welcome chain, which grants nothing, stays). Else the members' pre-period
    purchases make some of them winback audiences, whose grants of other chains then pay part
    of a buyer's redemption: rightly charged to those chains, not to the simulated one."""
    async with httpx.AsyncClient(base_url=platform.service("orchestrator"), timeout=60) as api:
        paused: list[str] = []
        cursor: str | None = None
        while True:
            page = (await api.get("/chains", params={"limit": 100, **cursor_of(cursor)})).json()
            for chain in page["items"]:
                if chain["status"] == "active" and chain["id"] != "welcome":
                    assert (await api.post(f"/chains/{chain['id']}/pause")).status_code == 200
                    paused.append(chain["id"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        try:
            yield
        finally:
            for chain_id in paused:
                assert (await api.post(f"/chains/{chain_id}/resume")).status_code == 200


def cursor_of(cursor: str | None) -> dict[str, str]:
    return {"cursor": cursor} if cursor else {}


def truth(result: Result, key: str) -> float:
    return result.truth_conversion if key == "uplift" else result.truth_revenue_per_customer


# Two-sided normal quantile of a 99.9 % interval.
Z_999 = 3.2905


@pytest.mark.e2e
@pytest.mark.timeout(1200)  # the platform's start counts when this test is the first to ask
async def test_the_real_machinery_finds_the_truth(platform: Platform) -> None:
    """120 members of loyalty, half held out, the large effect, through real workflows that
    send through the notifier and grant through loyalty, purchase events on NATS and every
    treated buyer's purchase at loyalty's till redeeming the gift. The platform's report must
    equal the arithmetic on the same known outcomes (exactly: no chance in it), its points cost
    must be the points the buyers redeemed at loyalty's point value, and its estimates must lie
    within a 99.9 % normal interval of the truth (estimate +/- 3.29 standard errors). The
    members, and so the holdout draw, are new on every run: each figure misses its interval
    with probability 0.1 %, the test fails by chance at most 0.2 % of runs."""
    dp, db = EFFECTS["large"]
    chain_id = new_chain_id("large", 3)
    scenario = Scenario(
        customers=120,
        seed=3,
        holdout_share=0.5,
        conversion_effect=dp,
        basket_effect=db,
        # Every treated buyer redeems: with about ten of them, some redemption is all but sure
        # (none: 0.84^60 < 0.01 %).
        redeem_share=1.0,
    )
    async with others_paused(platform):
        run = await on_platform(scenario, Endpoints.of(platform), chain_id)
    real = run.result
    computed = in_memory(real.scenario, chain_id)
    f = real.figures
    for key in ("treated", "holdout", "conversions", "uplift", "attributed_revenue", "cost"):
        assert f[key] == computed.figures[key], key
    for key in ("revenue_per_customer", "revenue_per_customer_cuped"):
        for field in ("difference", "ci95_low", "ci95_high"):
            assert f[key][field] == pytest.approx(computed.figures[key][field]), (key, field)
    assert f["cost"]["messages"] == f["treated"] > 0  # one e-mail per treated customer
    assert f["points_granted"] == 20 * f["treated"]  # one real lot per treated customer
    assert real.scenario.point_value == 100  # from loyalty's programme
    assert f["cost"]["points_redeemed"] == run.points_redeemed > 0
    assert f["cost"]["points"] == run.points_redeemed * 100  # valued as loyalty values them
    assert run.points_cost_check().endswith("equal")
    assert f["incremental_roi"] == pytest.approx(computed.figures["incremental_roi"])

    uplift, revenue = f["uplift"], f["revenue_per_customer"]
    rates = (uplift["treated_rate"], f["treated"]), (uplift["holdout_rate"], f["holdout"])
    uplift_se = math.sqrt(sum(p * (1 - p) / n for p, n in rates))
    assert abs(uplift["difference"] - real.truth_conversion) <= Z_999 * uplift_se
    revenue_error = revenue["difference"] - real.truth_revenue_per_customer
    assert abs(revenue_error) <= Z_999 * revenue["standard_error"]
