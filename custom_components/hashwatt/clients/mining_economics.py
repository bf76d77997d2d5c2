"""The arithmetic of mining income and its electricity cost (no Home Assistant imports).

Hashprice, what the network pays a TH/s a day, is worked out in ``mempool.hashprice``.

**Break-even electricity price.** A miner of efficiency E (J/TH) running at H TH/s
uses H × E × 86400 J = H × E × 0.024 kWh a day and earns H × R, R being its revenue
per TH/s per day. Both are equal at the electricity price R ÷ (E × 0.024) (H cancels
out). For several miners, each with its own revenue Rᵢ (they may mine on different
pools) and efficiency Eᵢ, the price at which the fleet's day costs what it earns is
Σ Hᵢ Rᵢ ÷ Σ Hᵢ Eᵢ × 0.024.

**Which efficiency.** A miner draws power while it warms up but hashes below its
settled rate, so only a reading taken after ``STEADY_AFTER`` of mining counts
(``steady_reading``).

**Which pool.** A miner earns what the pool it mines on pays: its stratum-active
pool, or while it is off the first by priority (``active_pool_host``). A pool's
rate (``PoolRate``) is its FPPS rate net of its fee, at a BTC price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Self
from urllib.parse import urlsplit

from .whatsminer import FastData, Pool

SECONDS_PER_DAY: Final = 86400
JOULES_PER_KWH: Final = 3_600_000
# kWh a day per watt: a miner of E J/TH uses E × this many kWh a day per TH/s.
KWH_PER_WATT_DAY: Final = SECONDS_PER_DAY / JOULES_PER_KWH

# Mining this long since its (re)start, a miner's efficiency counts as steady: it
# raises its frequency step by step after a start (10 minutes in the simulator at
# the default up-frequency speed); the rest is margin.
STEADY_AFTER: Final = timedelta(minutes=30)


def net_of_fee(revenue: Decimal, fee_percent: Decimal) -> Decimal:
    """Return what is left of ``revenue`` after a pool fee of ``fee_percent`` (0-100)."""
    if not 0 <= fee_percent <= 100:
        raise ValueError("fee_percent must be between 0 and 100")
    return revenue * (100 - fee_percent) / 100


def break_even_price(revenue: Decimal, efficiency: float) -> float:
    """Return the electricity price at which mining costs what it earns.

    ``revenue``: what a TH/s earns in a day, in a currency; ``efficiency``: J/TH
    (> 0). The result is in the same currency per kWh.
    """
    if efficiency <= 0:
        raise ValueError("efficiency must be positive")
    return float(revenue) / (efficiency * KWH_PER_WATT_DAY)


def fleet_break_even_price(
    miners: Iterable[tuple[float, float, Decimal]],
) -> float | None:
    """Return the break-even price of several miners together (None for none).

    ``miners``: (hashrate TH/s, efficiency J/TH, revenue per TH/s per day) of each.
    """
    earned = 0.0
    used = 0.0
    for hashrate, efficiency, revenue in miners:
        if hashrate <= 0 or efficiency <= 0:
            continue
        earned += hashrate * float(revenue)
        used += hashrate * efficiency * KWH_PER_WATT_DAY
    return None if used <= 0 else earned / used


def stratum_host(url: str) -> str | None:
    """Return the host of a pool URL (``stratum+tcp://user:pw@host:port``), lower case."""
    text = url.strip()
    if not text:
        return None
    if "://" not in text:
        text = f"stratum+tcp://{text}"
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def active_pool_host(pools: Iterable[Pool]) -> str | None:
    """The host of the pool a miner mines on, of its ``pools``: the stratum-active one's.

    A miner that is off has no active pool: then its first pool's (by priority), the
    one it starts on.
    """
    configured = [pool for pool in pools if pool.url.strip()]
    active = next((pool for pool in configured if pool.stratum_active), None)
    if active is None:
        active = min(
            configured,
            key=lambda pool: (
                pool.index if pool.priority is None else pool.priority,
                pool.index,
            ),
            default=None,
        )
    return None if active is None else stratum_host(active.url)


@dataclass(frozen=True, slots=True)
class SteadyReading:
    """A miner's figures once it mines steadily."""

    hashrate: float  # TH/s
    efficiency: float  # J/TH

    def as_dict(self) -> dict[str, float]:
        """Return the figures for storage."""
        return {"hashrate": self.hashrate, "efficiency": self.efficiency}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Self | None:
        """Read stored figures back; None for anything unusable."""
        hashrate, efficiency = stored.get("hashrate"), stored.get("efficiency")
        # bool is an int; a stored True is no hashrate.
        if (
            isinstance(hashrate, int | float)
            and isinstance(efficiency, int | float)
            and not isinstance(hashrate, bool)
            and not isinstance(efficiency, bool)
            and hashrate > 0
            and efficiency > 0
        ):
            return cls(hashrate=float(hashrate), efficiency=float(efficiency))
        return None


def steady_reading(data: FastData) -> SteadyReading | None:
    """Return a fast poll's hashrate and efficiency if the miner mines steadily."""
    summary = data.summary
    elapsed = summary.mining_elapsed
    hashrate = summary.hashrate_realtime
    power = summary.power
    if (
        not data.mining
        or elapsed is None
        or elapsed < STEADY_AFTER.total_seconds()
        or not hashrate
        or hashrate <= 0
        or not power
        or power <= 0
    ):
        return None
    # The miner's own figure where it reports one: what its efficiency sensor shows.
    efficiency = summary.efficiency
    if not efficiency or efficiency <= 0:
        efficiency = power / hashrate
    return SteadyReading(hashrate=hashrate, efficiency=efficiency)


@dataclass(frozen=True, slots=True)
class PoolRate:
    """What the pool pays for a TH/s for a day, and what a bitcoin is worth."""

    fpps_rate: Decimal  # BTC per TH/s per day, before the pool's fee
    payout_fraction: Decimal  # the part of a reward the pool pays out after its fee
    date: datetime  # the date of the reward these figures come from
    btc_price: Decimal
    currency: str

    @property
    def revenue_btc(self) -> Decimal:
        """What a TH/s earns in a day, net of the pool's fee, in BTC."""
        return self.fpps_rate * self.payout_fraction

    @property
    def revenue(self) -> Decimal:
        """What a TH/s earns in a day, net of the pool's fee, in ``currency``."""
        return self.revenue_btc * self.btc_price

    @property
    def unit(self) -> str:
        """The unit of a break-even price: the currency per kWh."""
        return f"{self.currency}/kWh"
