"""The arithmetic of mining income: break-even prices, steady readings, pools' rates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, strategies as st

from custom_components.hashwatt.clients.mining_economics import (
    STEADY_AFTER,
    PoolRate,
    SteadyReading,
    active_pool_host,
    break_even_price,
    steady_reading,
)
from custom_components.hashwatt.clients.whatsminer.models import FastData, Pool, Summary

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@given(
    fpps=st.decimals(Decimal("1e-9"), Decimal("1e-4"), places=12),
    price=st.decimals(Decimal(1000), Decimal(500000), places=2),
    efficiency=st.floats(5, 200),
    hashrate=st.floats(0.1, 1000),
)
def test_at_the_break_even_price_a_day_costs_what_it_earns(
    fpps: Decimal, price: Decimal, efficiency: float, hashrate: float
) -> None:
    """Whatever the miner's size: a day's reward equals a day's electricity bill."""
    electricity = break_even_price(fpps * price, efficiency)

    earned = hashrate * float(fpps * price)  # TH/s × currency per TH/s per day
    watts = hashrate * efficiency  # TH/s × J/TH = J/s
    kwh = watts * 24 / 1000
    assert kwh * electricity == pytest.approx(earned, rel=1e-9)


def test_efficiency_must_be_positive() -> None:
    """A miner that uses no energy has no break-even price."""
    with pytest.raises(ValueError, match="positive"):
        break_even_price(Decimal(1), 0)


def rate(date: datetime, currency: str = "USDT") -> PoolRate:
    return PoolRate(
        fpps_rate=Decimal("5E-7"),
        payout_fraction=Decimal("0.975"),
        date=date,
        btc_price=Decimal(60000),
        currency=currency,
    )


def test_pool_rate_revenue_and_unit() -> None:
    """A TH/s earns the rate net of the fee, at the BTC price, per day."""
    pool = rate(NOW)
    assert pool.revenue == Decimal("5E-7") * Decimal("0.975") * 60000
    assert pool.unit == "USDT/kWh"


def fast_data(**summary: Any) -> FastData:
    figures: dict[str, Any] = dict.fromkeys(Summary.__dataclass_fields__)
    figures.pop("raw")
    figures |= {
        "hashrate_realtime": 120.0,
        "power": 3300.0,
        "efficiency": 27.4,
        "mining_elapsed": int(STEADY_AFTER.total_seconds()),
    }
    mining = summary.pop("mining", True)
    return FastData(summary=Summary(**(figures | summary)), boards=(), mining=mining)


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ({}, SteadyReading(hashrate=120.0, efficiency=27.4)),
        # Without the miner's own figure: power over hashrate.
        ({"efficiency": None}, SteadyReading(hashrate=120.0, efficiency=27.5)),
        ({"efficiency": 0.0}, SteadyReading(hashrate=120.0, efficiency=27.5)),
        # Warming up, stopped, or figures missing: not steady.
        ({"mining_elapsed": int(STEADY_AFTER.total_seconds()) - 1}, None),
        ({"mining_elapsed": None}, None),
        ({"mining": False}, None),
        ({"hashrate_realtime": 0.0}, None),
        ({"hashrate_realtime": None}, None),
        ({"power": None}, None),
        ({"power": 0.0}, None),
    ],
)
def test_steady_reading(
    summary: dict[str, Any], expected: SteadyReading | None
) -> None:
    """A reading counts once the miner has mined for STEADY_AFTER."""
    assert steady_reading(fast_data(**summary)) == expected


@pytest.mark.parametrize(
    "stored",
    [
        {"hashrate": 120.0, "efficiency": 27.5},
        {"hashrate": 120, "efficiency": 27},
    ],
)
def test_steady_reading_round_trip(stored: dict[str, Any]) -> None:
    reading = SteadyReading.from_dict(stored)
    assert reading is not None
    assert reading.as_dict() == {
        "hashrate": float(stored["hashrate"]),
        "efficiency": float(stored["efficiency"]),
    }


@pytest.mark.parametrize(
    "stored",
    [
        {},
        {"hashrate": 120.0},
        {"hashrate": "120", "efficiency": 27.5},
        {"hashrate": 120.0, "efficiency": 0},
        {"hashrate": -1, "efficiency": 27.5},
        {"hashrate": True, "efficiency": 27.5},
    ],
)
def test_unusable_stored_readings(stored: dict[str, Any]) -> None:
    assert SteadyReading.from_dict(stored) is None


def pool(
    index: int, url: str, *, priority: int | None = None, active: bool = False
) -> Pool:
    return Pool(
        index=index,
        url=url,
        worker="worker",
        status="Alive",
        priority=priority,
        stratum_active=active,
        accepted=None,
        rejected=None,
        rejected_percent=None,
        last_share_time=None,
    )


@pytest.mark.parametrize(
    ("pools", "host"),
    [
        # The stratum-active pool, whatever its priority.
        (
            [
                pool(1, "stratum+tcp://a.example:3333", priority=0),
                pool(
                    2, "stratum+tcp://user:pw@B.Example:3333", priority=1, active=True
                ),
            ],
            "b.example",
        ),
        # Off (none active): the first by priority, then by index.
        (
            [
                pool(1, "stratum+tcp://a.example:3333", priority=2),
                pool(2, "c.example:3333", priority=1),
            ],
            "c.example",
        ),
        ([pool(2, "b.example:1"), pool(1, "a.example:1")], "a.example"),
        # An empty slot is no pool.
        ([pool(1, "  ", active=True), pool(2, "b.example:1")], "b.example"),
        ([], None),
    ],
)
def test_active_pool_host(pools: list[Pool], host: str | None) -> None:
    """A miner earns from the pool it mines on, or the one it starts on when off."""
    assert active_pool_host(pools) == host
