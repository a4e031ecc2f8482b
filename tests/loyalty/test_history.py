"""A member's history: purchases with their returns, lots with where each came from."""

import uuid

from tests.loyalty.till import Till, lamp, sofa


async def test_purchases_come_newest_first_with_their_returns(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    await till.grant(member, 300, reference="campaign:spring")
    first = await till.buy(member, lamp(price=10_000, quantity=4), points="max")
    second = await till.buy(member, sofa(price=20_000))
    await till.buy(await till.member(), sofa())  # another member's: never listed
    returned = (await till.return_items(first["txid"], ("LAMP", 1), return_id="r-1")).json()

    page = (await till.http.get(f"/members/{member}/purchases", params={"limit": 1})).json()
    rest = await till.http.get(
        f"/members/{member}/purchases", params={"cursor": page["next_cursor"]}
    )

    (newest,) = page["items"]
    assert newest["txid"] == second["txid"]
    assert (newest["total_amount"], newest["paid_amount"]) == (20_000, 20_000)
    assert newest["returns"] == []
    assert rest.json()["next_cursor"] is None
    (older,) = rest.json()["items"]
    assert older["txid"] == first["txid"]
    assert older["store_id"] == "berlin-01"
    assert older["redeemed_points"] == first["redeemed"] > 0
    assert older["accrued_points"] == first["accrued"]
    assert older["paid_amount"] == 40_000 - first["redeemed"] * 100
    assert older["refunded_amount"] == returned["refunded_amount"]
    (back,) = older["returns"]
    assert back["return_id"] == "r-1"
    assert back["refunded_amount"] == returned["refunded_amount"]
    assert back["restored_points"] == returned["restored_points"] > 0
    assert back["reversed_points"] == returned["reversed_points"]


async def test_each_lot_says_where_it_came_from(any_till: Till) -> None:
    till = any_till
    member = await till.member()
    granted = await till.grant(member, 50, source="campaign", reference="chain:winback:v2:gift")
    bought = await till.buy(member, sofa(price=20_000))

    answer = await till.http.get(f"/members/{member}/lots")

    accrual, grant = answer.json()["items"]
    assert accrual["source"] == "purchase"
    assert accrual["purchase"] == {"txid": bought["txid"], "store_id": "berlin-01"}
    assert accrual["initial"] == bought["accrued"]
    assert grant["id"] == granted["lot_id"]
    assert (grant["source"], grant["reference"]) == ("campaign", "chain:winback:v2:gift")
    assert grant["grant_id"] is not None and grant["purchase"] is None
    assert (grant["remaining"], grant["state"]) == (50, "active")


async def test_unknown_members_and_forged_cursors_are_refused(any_till: Till) -> None:
    member = await any_till.member()
    for path in ("purchases", "lots"):
        unknown = await any_till.http.get(f"/members/{uuid.uuid4()}/{path}")
        forged = await any_till.http.get(f"/members/{member}/{path}", params={"cursor": "Zm9v"})
        assert (unknown.status_code, unknown.json()["code"]) == (404, "member_not_found")
        assert (forged.status_code, forged.json()["code"]) == (400, "invalid_cursor")
