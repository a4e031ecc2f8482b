import pytest

from notifier.domain.sms import measure


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("a" * 306, "gsm7", 2),
        ("a" * 307, "gsm7", 3),
        ("€" * 80, "gsm7", 1),  # extension characters take two septets each
        ("€" * 81, "gsm7", 2),
        ("é" * 160, "gsm7", 1),  # é is in the GSM-7 table; ё is not
        ("ё" * 70, "ucs2", 1),
        ("ё" * 71, "ucs2", 2),
        ("ё" * 134, "ucs2", 2),
        ("ё" * 135, "ucs2", 3),
        ("Hi 🎉", "ucs2", 1),
    ],
)
def test_segments_follow_the_gsm7_and_ucs2_limits(text: str, encoding: str, segments: int) -> None:
    length = measure(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_the_cost_is_per_segment_and_more_than_one_segment_warns() -> None:
    one, three = measure("Your points expire soon"), measure("Ваши баллы сгорают! " * 7)
    assert (one.cost(5), one.warning) == (5, None)
    assert three.segments == 3
    assert three.cost(5) == 15
    assert three.warning is not None and "3 SMS segments" in three.warning
