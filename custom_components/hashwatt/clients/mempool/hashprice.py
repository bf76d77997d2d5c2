"""Hashprice: what the Bitcoin network pays a TH/s for a day.

A hash finds a block with probability 1 / (difficulty × 2³²), so a TH/s, 10¹² hashes
a second for 86 400 seconds, finds

    86400 × 10¹² / (difficulty × 2³²)   blocks a day,

and earns that many times the average reward of a block (subsidy plus fees): what an
FPPS pool pays per TH/s per day before its fee, the "hashprice".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

SECONDS_PER_DAY: Final = 86400
HASHES_PER_TERAHASH: Final = 10**12
# The expected number of hashes per block at difficulty 1.
HASHES_PER_DIFFICULTY: Final = 2**32


def blocks_per_terahash_day(difficulty: Decimal) -> Decimal:
    """Return how many blocks a TH/s finds in a day on average at ``difficulty`` (> 0)."""
    if difficulty <= 0:
        raise ValueError("difficulty must be positive")
    return Decimal(SECONDS_PER_DAY * HASHES_PER_TERAHASH) / (
        difficulty * HASHES_PER_DIFFICULTY
    )


def hashprice(difficulty: Decimal, reward_per_block: Decimal) -> Decimal:
    """Return BTC per TH/s per day: blocks a TH/s finds a day × BTC per block."""
    return blocks_per_terahash_day(difficulty) * reward_per_block
