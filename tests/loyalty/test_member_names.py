"""A name reaches e-mail headers downstream: registration keeps it on one line."""

import pytest

from loyalty.schemas import MemberCreate
from tests.loyalty.till import Till


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Anna\r\nBcc: all@example.com", "Anna Bcc: all@example.com"),
        ("  Anna\tMaria\x00 Smith \n", "Anna Maria Smith"),
        ("Zoë O'Brien-Łukasiewicz", "Zoë O'Brien-Łukasiewicz"),
        ("\r\n", None),
        ("Mehr\u200cnaz\u2028Ahmadi", "Mehr\u200cnaz Ahmadi"),
    ],
)
def test_a_name_is_kept_on_one_line(given: str, kept: str | None) -> None:
    member = MemberCreate(email="a@example.com", name=given)
    assert member.name == kept


async def test_a_registered_name_has_no_line_break(till: Till) -> None:
    member = await till.member(name="Anna\r\nSmith")
    found = (await till.http.get(f"/members/{member}")).json()
    assert found["name"] == "Anna Smith"
