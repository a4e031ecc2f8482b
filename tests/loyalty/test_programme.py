"""The programme's rules as other services read them: what a point is worth, the cap."""

from tests.loyalty.till import Till


async def test_the_programme_says_what_a_point_pays_for(till: Till) -> None:
    answer = await till.http.get("/programme")
    assert answer.status_code == 200
    assert answer.json() == {
        "minor_units_per_point": 100,
        "redemption_cap_bp": till.settings.program_rules().redemption_cap_bp,
        "time_zone": "UTC",
    }
