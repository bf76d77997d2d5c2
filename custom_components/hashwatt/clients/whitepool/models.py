"""Typed models of what the WhiteBIT mining pool ("WhitePool") API returns.

Amounts and hashrates are :class:`~decimal.Decimal` (the API sends them as strings; a reward's
``hashRate`` can have 18 digits). Timestamps are timezone-aware UTC datetimes.

Hashrate unit — the one decision, made here
------------------------------------------
WhiteBIT documents its mining hashrates inconsistently (H/s in some places, TH/s-looking
examples such as ``"42.1"`` in others). Its public pool endpoint states plainly that
"hash rate is expressed in H units", and reward ``hashRate`` values of 15 to 18 digits only
make sense in H/s. So: **every hashrate this client returns is in H/s, exactly as sent —
the client never rescales a value.** :data:`HASHRATE_UNIT` names that unit and
:func:`hashrate_to_terahash` is the single conversion to the TH/s the Whatsminer models use.
If WhiteBIT turns out to send TH/s somewhere, only this module changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

HASHRATE_UNIT: Final = "H/s"
"""The unit of every hashrate field in this module: hashes per second, as the API sends them."""


def hashrate_to_terahash(hashrate: Decimal) -> Decimal:
    """Convert a hashrate in :data:`HASHRATE_UNIT` (H/s) to TH/s, exactly (no rounding)."""
    return hashrate.scaleb(-12)


class WhitePoolRegion(StrEnum):
    """The hosts serving the API; accounts live on one of them."""

    COM = "https://whitebit.com"
    EU = "https://whitebit.eu"


class HashrateInterval(StrEnum):
    """Granularity of a hashrate series."""

    FIVE_MINUTES = "5m"
    HOUR = "1h"
    DAY = "24h"


class RewardStatus(StrEnum):
    """Where a reward is in its life; UNKNOWN for a status this client does not know."""

    PENDING = "pending"
    SUCCESSFUL = "successful"
    CANCELED = "canceled"
    UNKNOWN = "unknown"


class PayoutDestination(StrEnum):
    """Where an account's rewards are paid."""

    MAIN_BALANCE = "main_balance"
    EXTERNAL_ADDRESS = "external_address"


class WatcherPermission(StrEnum):
    """What a watcher link lets its holder see."""

    DASHBOARD = "dashboard"
    REWARDS = "rewards"
    WORKERS = "workers"


class WatcherLifetime(StrEnum):
    """How long a new watcher link stays valid."""

    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class MiningAccount:
    """One mining account (the stratum user name)."""

    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Reward:
    """One FPPS reward of an account (newest first in a page)."""

    account: str
    date: datetime
    status: RewardStatus
    currency: str
    total_reward: Decimal
    reward: Decimal
    fee: Decimal
    fpps_rate: Decimal | None
    hashrate: Decimal  # H/s, see HASHRATE_UNIT
    payout_destination: str | None
    payout_address: str | None
    payout_transaction_hash: str | None
    payout_time: datetime | None


@dataclass(frozen=True, slots=True)
class RewardsPage:
    """One page of rewards; the last page is shorter than ``limit``."""

    offset: int
    limit: int
    rewards: tuple[Reward, ...]

    @property
    def is_last(self) -> bool:
        """Whether no page follows this one."""
        return len(self.rewards) < self.limit


@dataclass(frozen=True, slots=True)
class HashratePoint:
    """One point of an account's hashrate series."""

    timestamp: datetime
    hashrate: Decimal  # H/s
    reject_rate: Decimal  # fraction: 0.01 is 1 %


@dataclass(frozen=True, slots=True)
class AccountHashrate:
    """An account's hashrate series, oldest point first."""

    account: str
    points: tuple[HashratePoint, ...]

    @property
    def latest(self) -> HashratePoint | None:
        """The newest point, or None for an empty series (unknown account, no miners yet)."""
        return self.points[-1] if self.points else None


@dataclass(frozen=True, slots=True)
class PayoutSettings:
    """Where an account's rewards go."""

    destination: PayoutDestination
    external_address: str | None


@dataclass(frozen=True, slots=True)
class WorkerCounts:
    """How many workers are online, offline, and online with a low hashrate."""

    online: int
    offline: int
    low: int

    @property
    def total(self) -> int:
        """All workers the pool knows of."""
        return self.online + self.offline + self.low


@dataclass(frozen=True, slots=True)
class StratumEndpoint:
    """A stratum URL to point miners at, and how many workers use it."""

    url: str
    workers_count: int


@dataclass(frozen=True, slots=True)
class MinersInfo:
    """Pool fee, worker counts and stratum endpoints of an account."""

    fee_percent: Decimal
    workers: WorkerCounts
    stratum: tuple[StratumEndpoint, ...]


@dataclass(frozen=True, slots=True)
class WorkerNamesPage:
    """One page of the names of an account's online workers."""

    workers: tuple[str, ...]
    offset: int
    limit: int

    @property
    def is_last(self) -> bool:
        """Whether no page follows this one."""
        return len(self.workers) < self.limit


@dataclass(frozen=True, slots=True)
class WorkerHashratePoint:
    """One point of a worker's hashrate series."""

    time: datetime
    hashrate: Decimal  # H/s


@dataclass(frozen=True, slots=True)
class WorkerHashrate:
    """A worker's hashrate series, oldest point first."""

    account: str
    worker: str
    points: tuple[WorkerHashratePoint, ...]

    @property
    def latest(self) -> WorkerHashratePoint | None:
        """The newest point, or None for an empty series."""
        return self.points[-1] if self.points else None


@dataclass(frozen=True, slots=True)
class WatcherLink:
    """A read-only monitoring link; the list endpoint fills the optional fields."""

    id: str
    link: str
    live_until: datetime | None  # None: never expires
    created_at: datetime
    name: str | None = None
    accounts: tuple[str, ...] = ()
    permissions: tuple[WatcherPermission, ...] = ()
