"""The HTTP helpers the pool and network clients share."""

from __future__ import annotations

from custom_components.hashwatt.clients import http


def test_retry_after_parsing() -> None:
    assert http.retry_after_seconds("2.5") == 2.5
    assert http.retry_after_seconds("-1") is None
    assert http.retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") is None
