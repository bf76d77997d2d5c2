"""What the mempool.space REST API answers, as typed values.

Units are the API's: hashrates in H/s, amounts in satoshi (converted to BTC by the
properties), difficulty as a plain number. Every shape is backed by a sample reply in
``tests/fixtures/mempool/`` (see its PROVENANCE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from .hashprice import hashprice

SATOSHI_PER_BTC: Final = 100_000_000
# The currencies /api/v1/prices quotes BTC in.
PRICE_CURRENCIES: Final = ("USD", "EUR", "GBP", "CAD", "CHF", "AUD", "JPY")


@dataclass(frozen=True, slots=True)
class NetworkHashrate:
    """/api/v1/mining/hashrate/:period: the network's hashrate and difficulty now."""

    current_hashrate: Decimal  # H/s
    current_difficulty: Decimal


@dataclass(frozen=True, slots=True)
class DifficultyAdjustment:
    """/api/v1/difficulty-adjustment: how the current epoch goes."""

    progress_percent: Decimal
    difficulty_change: Decimal  # the estimated change at the next retarget, in %
    estimated_retarget_date: datetime
    remaining_blocks: int
    next_retarget_height: int | None
    previous_retarget: Decimal | None  # %


@dataclass(frozen=True, slots=True)
class RewardStats:
    """/api/v1/mining/reward-stats/:blockCount: rewards of the last blocks (satoshi).

    ``total_reward`` is what the blocks' coinbases paid: subsidy plus fees.
    """

    start_block: int
    end_block: int
    total_reward: int
    total_fee: int
    total_tx: int

    @property
    def block_count(self) -> int:
        """How many blocks the figures are of."""
        return self.end_block - self.start_block + 1

    @property
    def average_reward(self) -> Decimal:
        """BTC per block, subsidy and fees."""
        return Decimal(self.total_reward) / self.block_count / SATOSHI_PER_BTC

    @property
    def average_fees(self) -> Decimal:
        """BTC of fees per block."""
        return Decimal(self.total_fee) / self.block_count / SATOSHI_PER_BTC


@dataclass(frozen=True, slots=True)
class Prices:
    """/api/v1/prices: the BTC price in each currency mempool quotes."""

    time: datetime
    prices: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class NetworkFigures:
    """Everything hashprice needs, read at one block tip."""

    tip_height: int
    hashrate: NetworkHashrate
    adjustment: DifficultyAdjustment
    rewards: RewardStats

    @property
    def hashprice(self) -> Decimal:
        """BTC a TH/s earns in a day as an FPPS pool pays it, before the pool's fee."""
        return hashprice(self.hashrate.current_difficulty, self.rewards.average_reward)
