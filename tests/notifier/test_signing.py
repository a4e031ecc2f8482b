import pytest

from notifier.signing import (
    InvalidSignature,
    InvalidToken,
    StaleCallback,
    callback_signature,
    read_token,
    sign_token,
    verify_callback,
)


def test_a_signed_token_reads_back_and_a_forged_one_does_not() -> None:
    token = sign_token("s3cret", {"k": "c", "a": "attempt-1", "u": "https://shop.example/"})
    assert read_token("s3cret", token)["u"] == "https://shop.example/"
    body, mac = token.split(".")
    forged = sign_token("s3cret", {"k": "c", "a": "attempt-1", "u": "https://evil.example/"})
    for bad in (f"{forged.split('.')[0]}.{mac}", f"{body}.AAAA", "garbage", ""):
        with pytest.raises(InvalidToken):
            read_token("s3cret", bad)
    with pytest.raises(InvalidToken):
        read_token("other", token)


def test_callbacks_need_the_right_signature_and_a_fresh_timestamp() -> None:
    body = b'{"id": "a", "status": "delivered"}'
    good = callback_signature("s3cret", 1000, body)
    verify_callback("s3cret", body, good, "1000", now=1100, tolerance=300)
    with pytest.raises(InvalidSignature):
        verify_callback("s3cret", body + b" ", good, "1000", now=1100, tolerance=300)
    with pytest.raises(InvalidSignature):
        verify_callback("s3cret", body, None, "1000", now=1100, tolerance=300)
    with pytest.raises(InvalidSignature):
        verify_callback("s3cret", body, good, "nope", now=1100, tolerance=300)
    with pytest.raises(StaleCallback):
        verify_callback("s3cret", body, good, "1000", now=1000 + 301, tolerance=300)
