"""Arithmetic on a WhiteBIT mining account's rewards (clients/whitepool/rewards.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from custom_components.hashwatt.clients.whitepool import (
    Reward,
    RewardStatus,
    confirms_fpps_unit,
    newest_confirmed_reward,
    newest_fpps_rate,
    newest_reward,
    pending_total,
)

DAY = timedelta(days=1)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def reward(
    *,
    date: datetime = NOW - DAY,
    fpps: str | None = "0.00000050",
    terahash: str = "100",
    total: str | None = None,
    fee_percent: str = "2.5",
    status: RewardStatus = RewardStatus.SUCCESSFUL,
    days: int = 1,
) -> Reward:
    """A reward paid as FPPS pays, unless ``total`` says otherwise."""
    hashrate = Decimal(terahash) * 10**12
    if total is None:
        total = str(Decimal(fpps or 0) * Decimal(terahash) * days)
    fee = Decimal(total) * Decimal(fee_percent) / 100
    return Reward(
        account="my_miner_01",
        date=date,
        status=status,
        currency="BTC",
        total_reward=Decimal(total),
        reward=Decimal(total) - fee,
        fee=fee,
        fpps_rate=None if fpps is None else Decimal(fpps),
        hashrate=hashrate,
        payout_destination="main_balance",
        payout_address=None,
        payout_transaction_hash=None,
        payout_time=None,
    )


@pytest.mark.parametrize(
    ("changes", "confirmed"),
    [
        ({}, True),
        # Within 10 %: the day's rate moves, the hashrate is an average.
        ({"total": "0.0000535"}, True),
        ({"total": "0.0000455"}, True),
        # A rate per H/s, in satoshi, or a percentage misses by far.
        ({"fpps": "0.00000000000000000050", "total": "0.00005"}, False),
        ({"fpps": "50", "total": "0.00005"}, False),
        ({"fpps": "104", "total": "0.00005"}, False),
        ({"total": "0.0000560"}, False),
        # Nothing to check against.
        ({"fpps": None}, False),
        ({"fpps": "0"}, False),
        ({"total": "0"}, False),
        ({"terahash": "0", "total": "0.00005"}, False),
        ({"status": RewardStatus.CANCELED}, False),
    ],
)
def test_a_reward_confirms_its_rate_unit(
    changes: dict[str, Any], confirmed: bool
) -> None:
    """Its total must be its rate × hashrate (TH/s) × days, within 10 %."""
    assert confirms_fpps_unit(reward(**changes), DAY) is confirmed


def test_hourly_rewards_are_an_hour_of_the_daily_rate() -> None:
    """The period is the gap between reward dates: a day's rate pays 1/24 an hour."""
    hourly = [
        reward(date=NOW - timedelta(hours=hours), total="0.00000208333")
        for hours in (1, 2, 3)
    ]
    assert newest_confirmed_reward(hourly) == hourly[0]
    assert newest_confirmed_reward(hourly[:1]) is None  # alone, taken as daily


def test_newest_confirmed_reward_skips_the_unconfirmed() -> None:
    """The newest reward that passes the check; None when none does."""
    confirmed = reward(date=NOW - 2 * DAY)
    rewards = [
        reward(date=NOW - DAY, terahash="0", total="0"),  # nothing mined that day
        confirmed,
        reward(date=NOW - 3 * DAY),
    ]
    assert newest_confirmed_reward(rewards) == confirmed
    assert newest_confirmed_reward(rewards[:1]) is None
    assert newest_confirmed_reward([]) is None


def test_newest_reward_pending_total_and_rate() -> None:
    """The newest reward, the net BTC still pending, the newest stated FPPS rate."""
    older = reward(date=NOW - 3 * DAY, fpps="0.00000040", status=RewardStatus.PENDING)
    middle = reward(date=NOW - 2 * DAY, fpps="0.00000045", status=RewardStatus.PENDING)
    newest = reward(date=NOW - DAY, fpps=None, total="0.00005")
    rewards = [middle, newest, older]
    assert newest_reward(rewards) == newest
    assert pending_total(rewards) == older.reward + middle.reward
    assert newest_fpps_rate(rewards) == Decimal("0.00000045")
    assert newest_reward([]) is None
    assert pending_total([newest]) == 0
    assert newest_fpps_rate([newest]) is None
