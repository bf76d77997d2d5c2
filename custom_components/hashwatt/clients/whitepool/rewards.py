"""Arithmetic on a mining account's rewards.

Their period, the newest one, what is still pending, the last day's sum, and
whether a reward confirms the unit of its FPPS rate (the integration's
break_even.py says why that is checked).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Final

from .models import Reward, RewardStatus, hashrate_to_terahash

# Rewards are daily FPPS payouts; a shorter gap between reward dates means shorter ones.
DEFAULT_REWARD_PERIOD: Final = timedelta(days=1)
_DAY: Final = timedelta(days=1)

# How far a reward's total may be from its rate × hashrate × period for the rate's
# unit to count as confirmed.
FPPS_TOLERANCE: Final = Decimal("0.1")


def reward_period(rewards: Iterable[Reward]) -> timedelta:
    """The time one reward is for: the smallest gap between reward dates (a day if unknown)."""
    dates = sorted({reward.date for reward in rewards})
    return min(
        (later - earlier for earlier, later in pairwise(dates)),
        default=DEFAULT_REWARD_PERIOD,
    )


def newest_reward(rewards: Iterable[Reward]) -> Reward | None:
    """The newest reward, if any."""
    return max(rewards, key=lambda reward: reward.date, default=None)


def pending_total(rewards: Iterable[Reward]) -> Decimal:
    """Net BTC of the rewards not paid out yet."""
    return sum(
        (reward.reward for reward in rewards if reward.status is RewardStatus.PENDING),
        Decimal(0),
    )


def newest_fpps_rate(rewards: Iterable[Reward]) -> Decimal | None:
    """The FPPS rate of the newest reward that states one (BTC per TH/s per day)."""
    stated = (reward for reward in rewards if reward.fpps_rate is not None)
    newest = max(stated, key=lambda reward: reward.date, default=None)
    return None if newest is None else newest.fpps_rate


def rewards_of_last_day(rewards: tuple[Reward, ...], now: datetime) -> Decimal:
    """Sum the net rewards for mining that ended within the last 24 hours.

    A reward is dated at the start of the period it pays for (a daily FPPS reward at
    00:00 UTC of its day), so it counts once that period has ended: summing rewards
    *dated* within 24 hours would give nothing most of the time.
    """
    period = reward_period(rewards)
    day_ago = now - timedelta(days=1)
    return sum(
        (
            reward.reward
            for reward in rewards
            if reward.status is not RewardStatus.CANCELED
            and day_ago < reward.date + period <= now
        ),
        Decimal(0),
    )


def confirms_fpps_unit(reward: Reward, period: timedelta) -> bool:
    """Tell whether a reward's total is its FPPS rate (BTC/(TH/s)/day) × hashrate × period."""
    rate = reward.fpps_rate
    if (
        reward.status is RewardStatus.CANCELED
        or rate is None
        or rate <= 0
        or reward.total_reward <= 0
        or reward.hashrate <= 0
    ):
        return False
    days = Decimal(period.total_seconds()) / Decimal(_DAY.total_seconds())
    expected = rate * hashrate_to_terahash(reward.hashrate) * days
    return abs(reward.total_reward - expected) <= expected * FPPS_TOLERANCE


def newest_confirmed_reward(rewards: Iterable[Reward]) -> Reward | None:
    """Return the newest reward whose figures confirm its FPPS rate's unit."""
    rewards = tuple(rewards)
    period = reward_period(rewards)
    return max(
        (reward for reward in rewards if confirms_fpps_unit(reward, period)),
        key=lambda reward: reward.date,
        default=None,
    )
