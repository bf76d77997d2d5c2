"""Polling mining-pool accounts: the WhiteBIT mining pool ("WhitePool") and WebMinePool.

Requests per poll are part of the design: WhiteBIT allows 1000 requests per 10 s per
endpoint and IP address and refuses (does not queue) the rest; WebMinePool states no
limit. Both are polled no more often than their figures change.

WhitePool, every ``WHITEPOOL_SCAN_INTERVAL`` (5 minutes, the step of the hashrate
series read):

- 1 request: the mining accounts, so new accounts show up and removed ones go;
- per account: miners/info (worker counts, fee), its hashrate series of the last
  15 minutes, and one page of online worker names per 100 online workers;
- per online worker: its hashrate series of the last 15 minutes.

Every ``WHITEPOOL_SLOW_INTERVAL`` (15 minutes), for a new account at once, and right
after an action changed something: per account its rewards of the last 7 days (one
page of 100) and its payout destination, plus 1 public ticker request for the BTC
price. So a poll makes 1 + 3A + W requests (A accounts, W online workers, up to 100
per account), and every third poll 2A + 1 more, at most ``MAX_CONCURRENT_REQUESTS`` at
a time. The client retries a read twice on HTTP 429 or 5xx, with a backoff of 0.5 to
4 seconds that honours Retry-After.

Rate limiting is not an outage: when a whole poll still fails with HTTP 429, the data
of the previous poll is kept for that one poll (it is then at most two intervals old,
for figures that change every five minutes or slower). A second failed poll in a row
makes the entities unavailable, as any other failure does at once: old values are
never shown as current for longer.

WebMinePool, every ``WEBMINEPOOL_SCAN_INTERVAL`` (10 minutes): balance, unpaid hashes
and active users (3 requests); every hour also the three conversion rates (3 more).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .clients.webminepool import (
    DEFAULT_BASE_URL as WEBMINEPOOL_DEFAULT_URL,
    WebMinePoolAuthError,
    WebMinePoolClient,
    WebMinePoolConnectionError,
    WebMinePoolError,
    WebMinePoolInvalidReplyError,
    WebMineUser,
)
from .clients.whitepool import (
    HashrateInterval,
    HashratePoint,
    MinersInfo,
    MiningAccount,
    PayoutSettings,
    Reward,
    RewardsPage,
    RewardStatus,
    WhitePoolAuthError,
    WhitePoolClient,
    WhitePoolClockError,
    WhitePoolConnectionError,
    WhitePoolError,
    WhitePoolInvalidReplyError,
    WhitePoolRateLimitError,
    WhitePoolRegion,
    WhitePoolValidationError,
)
from .const import (
    CONF_API_SECRET,
    CONF_BTC_QUOTE,
    CONF_REGION,
    DOMAIN,
    LOGGER,
    REGION_COM,
    REGION_EU,
    WEBMINEPOOL_RATES_INTERVAL,
    WEBMINEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SLOW_INTERVAL,
)

# Where the APIs are, read when a client is built: the tests and the demo
# (scripts/develop) point them at the mock servers.
WHITEPOOL_URLS: dict[str, str] = {
    REGION_COM: WhitePoolRegion.COM.value,
    REGION_EU: WhitePoolRegion.EU.value,
}
WEBMINEPOOL_API_URL = WEBMINEPOOL_DEFAULT_URL

MAX_CONCURRENT_REQUESTS: Final = 4
HASHRATE_WINDOW: Final = timedelta(minutes=15)
REWARDS_WINDOW: Final = timedelta(days=7)
REWARDS_PAGE_SIZE: Final = 100
# BTC is priced in Home Assistant's currency when WhiteBIT has that market.
FALLBACK_QUOTE: Final = "USDT"
# Rewards are daily FPPS payouts; a shorter gap between reward dates means shorter ones.
DEFAULT_REWARD_PERIOD: Final = timedelta(days=1)
FINGERPRINT_LENGTH: Final = 16


def key_fingerprint(entry_type: str, key: str) -> str:
    """Return a pool entry's unique ID: a SHA-256 fingerprint, never the key itself."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:FINGERPRINT_LENGTH]
    return f"{entry_type}_{digest}"


def whitepool_client(hass: HomeAssistant, data: Mapping[str, Any]) -> WhitePoolClient:
    """Build the client of a WhitePool entry's data, on Home Assistant's session."""
    return WhitePoolClient(
        async_get_clientsession(hass),
        data[CONF_API_KEY],
        data[CONF_API_SECRET],
        base_url=WHITEPOOL_URLS[data[CONF_REGION]],
        # Nonces follow Home Assistant's clock, as the times the coordinator asks for do.
        clock=lambda: dt_util.utcnow().timestamp(),
    )


def webminepool_client(hass: HomeAssistant, secret_key: str) -> WebMinePoolClient:
    """Build a WebMinePool client; raises WebMinePoolValidationError for a malformed key."""
    return WebMinePoolClient(
        async_get_clientsession(hass),
        secret_key,
        base_url=WEBMINEPOOL_API_URL,
    )


# --- WhitePool data --------------------------------------------------------------------


def reward_period(rewards: Iterable[Reward]) -> timedelta:
    """The time one reward is for: the smallest gap between reward dates (a day if unknown)."""
    dates = sorted({reward.date for reward in rewards})
    return min(
        (later - earlier for earlier, later in pairwise(dates)),
        default=DEFAULT_REWARD_PERIOD,
    )


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


@dataclass(frozen=True, slots=True)
class WhitePoolAccountData:
    """What one poll knows about one mining account; hashrates are in H/s."""

    name: str
    created_at: datetime
    miners: MinersInfo
    hashrate: HashratePoint | None  # the newest point; None while nothing is mined
    workers: Mapping[str, Decimal | None]  # online workers and their newest hashrate
    rewards: tuple[Reward, ...]  # the last 7 days, newest first
    payout: PayoutSettings
    rewards_last_day: Decimal  # net BTC, see rewards_of_last_day

    @property
    def last_reward(self) -> Reward | None:
        """The newest reward, if any in the last 7 days."""
        return max(self.rewards, key=lambda reward: reward.date, default=None)

    @property
    def pending_rewards(self) -> Decimal:
        """Net BTC of the rewards not paid out yet."""
        return sum(
            (
                reward.reward
                for reward in self.rewards
                if reward.status is RewardStatus.PENDING
            ),
            Decimal(0),
        )

    @property
    def fpps_rate(self) -> Decimal | None:
        """The FPPS rate of the newest reward that states one (BTC per TH/s per day)."""
        for reward in sorted(
            self.rewards, key=lambda reward: reward.date, reverse=True
        ):
            if reward.fpps_rate is not None:
                return reward.fpps_rate
        return None


@dataclass(frozen=True, slots=True)
class WhitePoolData:
    """What one WhitePool poll read: every mining account, and the BTC price."""

    accounts: Mapping[str, WhitePoolAccountData]
    btc_price: Decimal | None  # None while the public ticker fails
    btc_quote: str  # the currency BTC is priced in


@dataclass(frozen=True, slots=True)
class _SlowAccountData:
    rewards: tuple[Reward, ...]
    payout: PayoutSettings


def _most_telling(errors: BaseExceptionGroup[Any]) -> BaseException:
    """Pick the error a failed set of requests is reported by.

    An auth failure wins (it starts reauthentication), then rate limiting (which is
    tolerated once), then whatever came first.
    """
    leaves: list[BaseException] = []
    pending: list[BaseException] = [errors]
    while pending:
        error = pending.pop(0)
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)
        else:
            leaves.append(error)
    for kind in (WhitePoolAuthError, WhitePoolRateLimitError):
        if found := next((error for error in leaves if isinstance(error, kind)), None):
            return found
    return leaves[0]


@asynccontextmanager
async def _requests_together() -> AsyncIterator[asyncio.TaskGroup]:
    """A task group that fails with one of its requests' errors, not a group of them.

    When one request fails the others are cancelled, so a failed poll leaves nothing
    running.
    """
    failure: BaseException | None = None
    try:
        async with asyncio.TaskGroup() as group:
            yield group
    except BaseExceptionGroup as errors:
        failure = _most_telling(errors)
    if failure is not None:
        raise failure


def _whitepool_update_failed(err: WhitePoolError) -> UpdateFailed:
    if isinstance(err, WhitePoolRateLimitError):
        key = "whitepool_rate_limited"
    elif isinstance(err, WhitePoolClockError):
        key = "whitepool_clock"
    elif isinstance(err, WhitePoolConnectionError):
        key = "whitepool_cannot_connect"
    elif isinstance(err, WhitePoolInvalidReplyError):
        key = "whitepool_invalid_reply"
    else:
        key = "whitepool_error"
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
    )


class WhitePoolCoordinator(DataUpdateCoordinator[WhitePoolData]):
    """Every mining account of one WhiteBIT API key, and the BTC price."""

    config_entry: WhitePoolConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: WhitePoolConfigEntry,
        client: WhitePoolClient,
    ) -> None:
        """Poll ``client`` every ``WHITEPOOL_SCAN_INTERVAL``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=WHITEPOOL_SCAN_INTERVAL,
        )
        self.client = client
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self._slow: dict[str, _SlowAccountData] = {}
        self._slow_polled_at: datetime | None = None
        self._btc_price: Decimal | None = None
        self._btc_quote: str | None = None
        self._btc_price_failing = False
        self._rate_limited = False
        self._listed_none = False

    async def async_refresh_after_write(self) -> None:
        """Poll again, slow figures included, to show what an action changed."""
        self._slow_polled_at = None
        await self.async_request_refresh()

    @override
    async def _async_update_data(self) -> WhitePoolData:
        try:
            data = await self._async_poll()
        except WhitePoolAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="whitepool_auth_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        except WhitePoolRateLimitError as err:
            if self.data is not None and not self._rate_limited:
                self._rate_limited = True
                LOGGER.info(
                    "%s: WhiteBIT is rate limiting this address (%s); keeping the "
                    "previous figures for one more poll",
                    self.name,
                    err,
                )
                return self.data
            raise _whitepool_update_failed(err) from err
        except WhitePoolError as err:
            raise _whitepool_update_failed(err) from err
        self._rate_limited = False
        return data

    async def _call[**P, T](
        self, request: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Send one request, at most ``MAX_CONCURRENT_REQUESTS`` at a time."""
        async with self._slots:
            return await request(*args, **kwargs)

    async def _async_poll(self) -> WhitePoolData:
        now = dt_util.utcnow()
        slow_due = (
            self._slow_polled_at is None
            or now - self._slow_polled_at >= WHITEPOOL_SLOW_INTERVAL
        )
        accounts = await self._call(self.client.accounts)
        had_accounts = self.data is not None and bool(self.data.accounts)
        if not accounts and had_accounts and not self._listed_none:
            # One empty list from a key that had accounts is more likely a glitch
            # than every account gone: show them unavailable, and remove them only
            # if the next poll lists none either.
            self._listed_none = True
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="whitepool_no_accounts"
            )
        self._listed_none = False
        async with _requests_together() as group:
            tasks = [
                group.create_task(
                    self._async_poll_account(
                        account,
                        now,
                        read_slow=slow_due or account.name not in self._slow,
                    )
                )
                for account in accounts
            ]
        polled = {task.result().name: task.result() for task in tasks}
        # Forget what belonged to accounts that are gone.
        self._slow = {name: self._slow[name] for name in polled}
        if slow_due or self._btc_price is None:
            await self._async_read_btc_price()
        if slow_due:
            self._slow_polled_at = now
        return WhitePoolData(
            accounts=polled,
            btc_price=self._btc_price,
            btc_quote=self._btc_quote or self.hass.config.currency,
        )

    async def _async_poll_account(
        self, account: MiningAccount, now: datetime, *, read_slow: bool
    ) -> WhitePoolAccountData:
        name = account.name
        since = now - HASHRATE_WINDOW
        client = self.client
        slow: tuple[asyncio.Task[RewardsPage], asyncio.Task[PayoutSettings]] | None = (
            None
        )
        async with _requests_together() as group:
            miners = group.create_task(self._call(client.miners_info, name))
            series = group.create_task(
                self._call(
                    client.hashrate,
                    name,
                    start=since,
                    interval=HashrateInterval.FIVE_MINUTES,
                )
            )
            worker_names = group.create_task(self._call(client.all_worker_names, name))
            if read_slow:
                slow = (
                    group.create_task(
                        self._call(
                            client.rewards,
                            name,
                            start=now - REWARDS_WINDOW,
                            limit=REWARDS_PAGE_SIZE,
                        )
                    ),
                    group.create_task(self._call(client.payout_destination, name)),
                )
        if slow is not None:
            rewards, payout = slow
            self._slow[name] = _SlowAccountData(
                rewards=rewards.result().rewards, payout=payout.result()
            )
        cached = self._slow[name]
        workers = await self._async_worker_hashrates(name, worker_names.result(), since)
        return WhitePoolAccountData(
            name=name,
            created_at=account.created_at,
            miners=miners.result(),
            hashrate=series.result().latest,
            workers=workers,
            rewards=cached.rewards,
            payout=cached.payout,
            rewards_last_day=rewards_of_last_day(cached.rewards, now),
        )

    async def _async_worker_hashrates(
        self, account: str, workers: tuple[str, ...], since: datetime
    ) -> dict[str, Decimal | None]:
        async def read(worker: str) -> tuple[str, Decimal | None] | None:
            try:
                series = await self._call(
                    self.client.worker_hashrate,
                    account,
                    worker,
                    start=since,
                    interval=HashrateInterval.FIVE_MINUTES,
                )
            except WhitePoolValidationError as err:
                if "worker" not in err.errors:
                    raise
                # Went offline since its name was listed: no longer an online worker.
                return None
            latest = series.latest
            return worker, None if latest is None else latest.hashrate

        async with _requests_together() as group:
            tasks = [group.create_task(read(worker)) for worker in workers]
        return dict(result for task in tasks if (result := task.result()) is not None)

    async def _async_read_btc_price(self) -> None:
        """Read the BTC price in the entry's currency option (default: Home Assistant's).

        In USDT when WhiteBIT has no BTC market in that currency. The ticker is public
        and only feeds the BTC price: its failure leaves that one sensor (and the
        break-even prices) unavailable, not the accounts.
        """
        quote = (
            self.config_entry.options.get(CONF_BTC_QUOTE)
            or self._btc_quote
            or self.hass.config.currency
        )
        try:
            try:
                price = await self._call(self.client.btc_price, quote)
            except WhitePoolValidationError:
                if quote == FALLBACK_QUOTE:
                    raise
                quote = FALLBACK_QUOTE
                price = await self._call(self.client.btc_price, quote)
        except WhitePoolError as err:
            if not self._btc_price_failing:
                LOGGER.warning("%s: no BTC price from WhiteBIT: %s", self.name, err)
                self._btc_price_failing = True
            self._btc_price = None
            return
        if self._btc_price_failing:
            LOGGER.info("%s: the BTC price is back", self.name)
            self._btc_price_failing = False
        self._btc_price = price
        self._btc_quote = quote


# --- WebMinePool -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebMinePoolRates:
    """What WebMinePool pays, in satoshi."""

    wmc: Decimal  # per WMC
    web: Decimal  # per million hashes mined in a browser
    desktop: Decimal  # per million hashes mined with the desktop miner


@dataclass(frozen=True, slots=True)
class WebMinePoolData:
    """What one WebMinePool poll read."""

    balance: Decimal  # WMC
    hashes: int  # unpaid hashes of the whole site
    users: Mapping[str, WebMineUser]  # users who mined in the last 3 days, by name
    rates: WebMinePoolRates


def _webminepool_update_failed(err: WebMinePoolError) -> UpdateFailed:
    if isinstance(err, WebMinePoolConnectionError):
        key = "webminepool_cannot_connect"
    elif isinstance(err, WebMinePoolInvalidReplyError):
        key = "webminepool_invalid_reply"
    else:
        key = "webminepool_error"
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
    )


class WebMinePoolCoordinator(DataUpdateCoordinator[WebMinePoolData]):
    """The balance, hashes, users and rates of one WebMinePool site."""

    config_entry: WebMinePoolConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: WebMinePoolConfigEntry,
        client: WebMinePoolClient,
    ) -> None:
        """Poll ``client`` every ``WEBMINEPOOL_SCAN_INTERVAL``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=WEBMINEPOOL_SCAN_INTERVAL,
        )
        self.client = client
        self._rates: tuple[datetime, WebMinePoolRates] | None = None

    @override
    async def _async_update_data(self) -> WebMinePoolData:
        try:
            return await self._async_poll()
        except WebMinePoolAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="webminepool_auth_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        except WebMinePoolError as err:
            raise _webminepool_update_failed(err) from err

    async def _async_poll(self) -> WebMinePoolData:
        now = dt_util.utcnow()
        client = self.client
        rates = self._rates
        if rates is not None and now - rates[0] >= WEBMINEPOOL_RATES_INTERVAL:
            rates = None
        rate_tasks: tuple[asyncio.Task[Decimal], ...] = ()
        async with _requests_together() as group:
            balance = group.create_task(client.balance())
            hashes = group.create_task(client.hashes())
            users = group.create_task(client.users())
            if rates is None:
                rate_tasks = (
                    group.create_task(client.wmc_rate()),
                    group.create_task(client.hash_rate()),
                    group.create_task(client.hash_rate_cli()),
                )
        if rates is None:
            wmc, web, desktop = (task.result() for task in rate_tasks)
            rates = (now, WebMinePoolRates(wmc=wmc, web=web, desktop=desktop))
            self._rates = rates
        return WebMinePoolData(
            balance=balance.result(),
            hashes=hashes.result(),
            users={user.name: user for user in users.result()},
            rates=rates[1],
        )


# --- Runtime data ----------------------------------------------------------------------


@dataclass
class WhitePoolRuntimeData:
    """What a loaded WhitePool entry holds."""

    client: WhitePoolClient
    coordinator: WhitePoolCoordinator


@dataclass
class WebMinePoolRuntimeData:
    """What a loaded WebMinePool entry holds."""

    client: WebMinePoolClient
    coordinator: WebMinePoolCoordinator


type WhitePoolConfigEntry = ConfigEntry[WhitePoolRuntimeData]
type WebMinePoolConfigEntry = ConfigEntry[WebMinePoolRuntimeData]
type PoolConfigEntry = ConfigEntry[WhitePoolRuntimeData | WebMinePoolRuntimeData]
