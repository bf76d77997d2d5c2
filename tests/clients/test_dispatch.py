"""The client CLI's JSON conversion of models."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from custom_components.hashwatt.clients.__main__ import to_jsonable
from custom_components.hashwatt.clients.whatsminer.models import PowerMode


@dataclass(frozen=True)
class _Reading:
    mode: PowerMode
    amount: Decimal
    seen: datetime
    day: date
    payload: bytes
    tags: tuple[str, ...]
    extra: dict[int, set[int]]
    raw: dict[str, str] = field(default_factory=dict, repr=False)


def test_models_become_plain_json_values() -> None:
    reading = _Reading(
        mode=PowerMode.HIGH,
        amount=Decimal("0.00012345"),
        seen=datetime(2026, 11, 21, 6, 0, tzinfo=UTC),
        day=date(2026, 11, 21),
        payload=b"\x00\x01\x02",
        tags=("a", "b"),
        extra={1: {2}},
        raw={"secret": "not shown"},
    )
    assert to_jsonable(reading) == {
        "mode": "high",
        "amount": "0.00012345",
        "seen": "2026-11-21T06:00:00+00:00",
        "day": "2026-11-21",
        "payload": "<3 bytes>",
        "tags": ["a", "b"],
        "extra": {"1": [2]},
    }
    assert to_jsonable(42) == 42
