"""The arithmetic of mining income and its electricity cost (no Home Assistant imports).

Hashprice, what the network pays a TH/s a day, is worked out in ``mempool.hashprice``.

**Break-even electricity price.** A miner of efficiency E (J/TH) running at H TH/s
uses H × E × 86400 J = H × E × 0.024 kWh a day and earns H × R, R being its revenue
per TH/s per day. Both are equal at the electricity price R ÷ (E × 0.024) (H cancels
out). For several miners, each with its own revenue Rᵢ (they may mine on different
pools) and efficiency Eᵢ, the price at which the fleet's day costs what it earns is
Σ Hᵢ Rᵢ ÷ Σ Hᵢ Eᵢ × 0.024.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Final
from urllib.parse import urlsplit

SECONDS_PER_DAY: Final = 86400
JOULES_PER_KWH: Final = 3_600_000
# kWh a day per watt: a miner of E J/TH uses E × this many kWh a day per TH/s.
KWH_PER_WATT_DAY: Final = SECONDS_PER_DAY / JOULES_PER_KWH


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
