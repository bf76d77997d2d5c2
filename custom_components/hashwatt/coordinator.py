"""Polling, for every kind of entry: the coordinators and what a loaded entry holds.

One coordinator per thing polled; the pool accounts' and the Bitcoin network's
share ``ApiCoordinator``. Client errors become ``UpdateFailed`` (or
``ConfigEntryAuthFailed``) through the tables in errors.py; Home Assistant logs an
outage once, and once more when it ends. The layers: see ``__init__.py``.

Miners
------
Polling a Whatsminer: a fast poll for live figures, a slow one for everything else.

Connections per poll are part of the design. The fast poll is one client call
(API v2: two connections, ``summary+edevs`` and ``status``; API v3: one request on
a kept connection). The slow poll reads identity, firmware, PSU, error codes, pools
and settings, and checks the password with one encrypted read.

The slow poll runs right after a fast poll that reached the miner, once it is due.
So an outage is noticed and logged by the fast poll alone (one line when the miner
goes away, one when it is back), and a miner that comes back is read in full at
once: it may have rebooted into other firmware or with new error codes.

Figures are published only for a miner known to be the entry's (by its MAC): at
setup the slow poll reads the MAC before anything is shown; after an outage the
first fast poll that reaches a miner reads its MAC (one more request) before its
figures are published, since another miner may answer at the address now. So
does a poll whose uptime does not follow the clock: a reboot no poll saw, or
another miner that took the address between two polls.


Pool accounts
-------------
Polling mining-pool accounts: the WhiteBIT mining pool ("WhitePool") and WebMinePool.

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


The Bitcoin network
-------------------
Polling the Bitcoin network's figures from a mempool.space-compatible API.

Every ``BITCOIN_NETWORK_SCAN_INTERVAL`` (3 minutes) one request reads the block tip.
Only when it moved (a block is found every 10 minutes on average) are the hashrate and
difficulty, the difficulty adjustment and the reward stats of the last 144 blocks read
(3 more requests); the BTC price at most every ``BITCOIN_PRICE_INTERVAL`` (mempool
updates it hourly). So a poll while nothing changed costs one small request.

The public instance limits requests per address (HTTP 429, Retry-After). The client
retries a short Retry-After itself; a longer one is honoured here: no request is sent
before it passes, and the figures already read stay (they are per block and carry
their block height) for at most ``MAX_FIGURES_AGE`` after they were last known
current; after that, or on any other failure, the entities are unavailable.

"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Final, TypeGuard, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_SCAN_INTERVAL,
    CONF_URL,
    Platform,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .clients import ClientError
from .clients.mempool import (
    PRICE_CURRENCIES,
    MempoolClient,
    MempoolError,
    MempoolRateLimitError,
    MempoolValidationError,
    NetworkFigures,
)
from .clients.mining_economics import net_of_fee
from .clients.webminepool import (
    DEFAULT_BASE_URL as WEBMINEPOOL_DEFAULT_URL,
    WebMinePoolClient,
    WebMineUser,
)
from .clients.whatsminer import (
    FastData,
    SlowData,
    Whatsminer,
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerError,
    WhatsminerTokenLimitError,
    WhatsminerWriteDisabledError,
)
from .clients.whitepool import (
    HashrateInterval,
    HashratePoint,
    MinersInfo,
    MiningAccount,
    PayoutSettings,
    Reward,
    RewardsPage,
    WhitePoolAuthError,
    WhitePoolClient,
    WhitePoolError,
    WhitePoolRateLimitError,
    WhitePoolRegion,
    WhitePoolValidationError,
    newest_fpps_rate,
    newest_reward,
    pending_total,
    rewards_of_last_day,
)
from .const import (
    BITCOIN_NETWORK_SCAN_INTERVAL,
    BITCOIN_PRICE_INTERVAL,
    CONF_API_SECRET,
    CONF_BTC_QUOTE,
    CONF_CURRENCY,
    CONF_POOL_FEE,
    CONF_READ_ONLY,
    CONF_REGION,
    DEFAULT_POOL_FEE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    REGION_COM,
    REGION_EU,
    SLOW_SCAN_INTERVAL,
    WEBMINEPOOL_RATES_INTERVAL,
    WEBMINEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SLOW_INTERVAL,
    EntryType,
    entry_type,
)
from .errors import poll_error


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


@dataclass
class BitcoinNetworkRuntimeData:
    """What a loaded Bitcoin-network entry holds."""

    client: MempoolClient
    coordinator: BitcoinNetworkCoordinator


# The entry model: every entry's runtime data is one of four kinds, told apart by
# the entry type stored in its data (``is_*_entry``), never by the runtime data.
type RuntimeData = (
    MinerRuntimeData
    | WhitePoolRuntimeData
    | WebMinePoolRuntimeData
    | BitcoinNetworkRuntimeData
)
type HashwattConfigEntry = ConfigEntry[RuntimeData]
type MinerConfigEntry = ConfigEntry[MinerRuntimeData]
type WhitePoolConfigEntry = ConfigEntry[WhitePoolRuntimeData]
type WebMinePoolConfigEntry = ConfigEntry[WebMinePoolRuntimeData]
type PoolAccountConfigEntry = ConfigEntry[WhitePoolRuntimeData | WebMinePoolRuntimeData]
type BitcoinNetworkConfigEntry = ConfigEntry[BitcoinNetworkRuntimeData]


def is_miner_entry[T](entry: ConfigEntry[T]) -> TypeGuard[MinerConfigEntry]:
    """Whether ``entry`` is a Whatsminer's."""
    return entry_type(entry) is EntryType.WHATSMINER


def is_whitepool_entry[T](entry: ConfigEntry[T]) -> TypeGuard[WhitePoolConfigEntry]:
    """Whether ``entry`` is a WhitePool API key's."""
    return entry_type(entry) is EntryType.WHITEPOOL


def is_webminepool_entry[T](entry: ConfigEntry[T]) -> TypeGuard[WebMinePoolConfigEntry]:
    """Whether ``entry`` is a WebMinePool site's."""
    return entry_type(entry) is EntryType.WEBMINEPOOL


def is_pool_account_entry[T](
    entry: ConfigEntry[T],
) -> TypeGuard[PoolAccountConfigEntry]:
    """Whether ``entry`` is a pool account's (WhitePool or WebMinePool)."""
    return entry_type(entry) in (EntryType.WHITEPOOL, EntryType.WEBMINEPOOL)


def is_network_entry[T](entry: ConfigEntry[T]) -> TypeGuard[BitcoinNetworkConfigEntry]:
    """Whether ``entry`` is the Bitcoin network's."""
    return entry_type(entry) is EntryType.BITCOIN_NETWORK


# How far a miner's uptime may stray from the clock between two polls before the
# MAC is read again (polls take seconds; uptime is counted in whole seconds).
UPTIME_TOLERANCE = timedelta(minutes=1)


@dataclass
class MinerRuntimeData:
    """What a loaded miner entry holds: its client and its two coordinators."""

    client: Whatsminer
    fast: WhatsminerFastCoordinator
    slow: WhatsminerSlowCoordinator

    @property
    def writable(self) -> bool:
        """Whether writes can reach the miner (write API on, password verified)."""
        return self.slow.writable

    @property
    def another_miner_answers(self) -> bool:
        """Whether the last MAC read found another miner at the entry's address.

        The fast poll's figures are then that miner's: nothing may take them as
        this one's (energy, efficiency, hashboards), until this miner is found
        again.
        """
        return self.fast.other_miner_mac is not None

    async def async_refresh_after_write(
        self, *, settings_changed: bool = False
    ) -> None:
        """Let the next polls confirm a write instead of assuming its result.

        ``settings_changed``: the write changed something the slow poll reads
        (pools, hostname, or a setting in ``SlowData.settings``).
        """
        await self.fast.async_request_refresh()
        if settings_changed:
            await self.slow.async_request_refresh()


def write_disabled_issue_id(entry: MinerConfigEntry) -> str:
    """Return the ID of the repair issue raised while an entry's write API is off."""
    return f"write_disabled_{entry.entry_id}"


class WhatsminerFastCoordinator(DataUpdateCoordinator[FastData]):
    """Hashrate, power, temperatures, fans and mining state, every scan interval."""

    config_entry: MinerConfigEntry

    def __init__(
        self, hass: HomeAssistant, config_entry: MinerConfigEntry, client: Whatsminer
    ) -> None:
        """Poll ``client`` at the entry's scan interval."""
        interval = config_entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=timedelta(seconds=interval),
        )
        self.client = client
        # Whether the miner answering is known to be the entry's: not after an
        # outage, until its MAC is read again. Set by the slow poll at setup.
        self.identity_confirmed = False
        # The MAC of another miner found answering at the entry's address.
        self.other_miner_mac: str | None = None
        self._last_uptime: tuple[datetime, int] | None = None

    @callback
    def async_set_identity(self, mac: str | None) -> bool:
        """Take a MAC read from the miner at the address; return whether it is ours.

        A missing MAC proves nothing either way: the miner is taken as ours.
        """
        if mac is not None and format_mac(mac) != self.config_entry.unique_id:
            self.identity_confirmed = False
            self.other_miner_mac = format_mac(mac)
            return False
        self.identity_confirmed = True
        self.other_miner_mac = None
        return True

    @override
    async def _async_update_data(self) -> FastData:
        try:
            data = await self.client.fetch_fast()
            if not self._uptime_follows_clock(data):
                self.identity_confirmed = False
            if not self.identity_confirmed and self.other_miner_mac is None:
                # First answer after an outage: whose figures are these? While
                # another miner is known to answer, the slow poll (retried at
                # every fast poll) reads the MAC anyway.
                self.async_set_identity(await self.client.read_mac())
        except WhatsminerError as err:
            self.identity_confirmed = False
            self.other_miner_mac = None
            self._last_uptime = None
            raise poll_error(err, host=self.config_entry.data[CONF_HOST]) from err
        return data

    def _uptime_follows_clock(self, data: FastData) -> bool:
        """Whether the uptime grew as much as the time since the last poll."""
        uptime = data.summary.system_uptime
        now = dt_util.utcnow()
        last = self._last_uptime
        self._last_uptime = None if uptime is None else (now, uptime)
        if uptime is None or last is None:
            return True
        expected = last[1] + (now - last[0]).total_seconds()
        return abs(uptime - expected) <= UPTIME_TOLERANCE.total_seconds()


class WhatsminerSlowCoordinator(DataUpdateCoordinator[SlowData]):
    """Identity, firmware, PSU, error codes, pools and settings, and write access.

    Has no timer of its own: ``async_fast_updated`` starts it after a fast poll
    reached the miner, every ``SLOW_SCAN_INTERVAL``, and at once after an outage
    or a failed slow poll.
    """

    config_entry: MinerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: MinerConfigEntry,
        client: Whatsminer,
        fast: WhatsminerFastCoordinator,
    ) -> None:
        """Read ``client`` when the fast coordinator says it is due."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=f"{config_entry.title} (identity, firmware, errors, pools)",
            update_interval=None,
        )
        self.client = client
        self.writable = False
        self._fast = fast
        self._last_attempt: datetime | None = None
        self._missed_while_offline = False

    @callback
    def async_fast_updated(self) -> None:
        """Start the slow poll if it is due, now that a fast poll has finished."""
        if not self._fast.last_update_success:
            self._missed_while_offline = True
            return
        due = (
            self._missed_while_offline
            # A failed slow poll leaves every entity unavailable: retry it now
            # rather than up to five minutes after the miner answers again. A
            # refused password is no glitch: it waits for reauthentication.
            or not (
                self.last_update_success
                or isinstance(self.last_exception, ConfigEntryAuthFailed)
            )
            or self._last_attempt is None
            or dt_util.utcnow() - self._last_attempt >= SLOW_SCAN_INTERVAL
        )
        if due:
            self._missed_while_offline = False
            self.config_entry.async_create_task(
                self.hass, self.async_request_refresh(), "slow poll"
            )

    @override
    async def _async_update_data(self) -> SlowData:
        self._last_attempt = dt_util.utcnow()
        host = self.config_entry.data[CONF_HOST]
        try:
            data = await self.client.fetch_slow()
        except WhatsminerError as err:
            raise poll_error(err, host=host) from err
        if not self._fast.async_set_identity(data.identity.mac):
            # After an address change another miner may answer here: its figures
            # must not be shown as this miner's.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="unexpected_miner",
                translation_placeholders={
                    "host": host,
                    "mac": str(self.other_miner_mac),
                },
            )
        await self._async_check_write_access(host)
        return data

    @property
    def other_miner_mac(self) -> str | None:
        """The MAC of another miner answering at the entry's address, if one does.

        Commands carry no MAC: one sent now would reach that miner.
        """
        return self._fast.other_miner_mac

    async def _async_check_write_access(self, host: str) -> None:
        """Verify the password, which needs the write API; track the outcome."""
        try:
            await self.client.verify_password()
        except WhatsminerAuthError as err:
            self.writable = False
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"host": host},
            ) from err
        except WhatsminerWriteDisabledError:
            self._async_set_writable(writable=False)
        except (WhatsminerTokenLimitError, WhatsminerCommandError) as err:
            # A clear answer about tokens (none left: 136; refused: 135) says
            # nothing about the password or the write API: keep what we knew,
            # and the data the reads brought.
            LOGGER.debug("%s: could not verify the password: %s", host, err)
        except WhatsminerError as err:
            raise poll_error(err, host=host) from err
        else:
            self._async_set_writable(writable=True)

    @callback
    def _async_set_writable(self, *, writable: bool) -> None:
        self.writable = writable
        entry = self.config_entry
        issue_id = write_disabled_issue_id(entry)
        if writable:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            if entry.data.get(CONF_READ_ONLY):
                self.hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_READ_ONLY: False}
                )
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="write_disabled",
            translation_placeholders={
                "name": entry.title,
                "host": entry.data[CONF_HOST],
            },
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
        return newest_reward(self.rewards)

    @property
    def pending_rewards(self) -> Decimal:
        """Net BTC of the rewards not paid out yet."""
        return pending_total(self.rewards)

    @property
    def fpps_rate(self) -> Decimal | None:
        """The FPPS rate of the newest reward that states one (BTC per TH/s per day)."""
        return newest_fpps_rate(self.rewards)


@dataclass(frozen=True, slots=True)
class WhitePoolData:
    """What one WhitePool poll read: every mining account, and the BTC price."""

    accounts: Mapping[str, WhitePoolAccountData]
    btc_price: Decimal | None  # None while the public ticker fails
    btc_quote: str  # the currency BTC is priced in

    @property
    def currency(self) -> str:
        """The currency BTC is priced in (as a Bitcoin-network entry's data says)."""
        return self.btc_quote


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


class ApiCoordinator[DataT, ClientT, RuntimeT](DataUpdateCoordinator[DataT]):
    """A coordinator of one web API client: a pool account or the Bitcoin network.

    Polls every ``UPDATE_INTERVAL`` with ``_async_poll``. A client error fails the
    poll with the translated message of its client's table in errors.py
    (``poll_error``), unless ``_poll_failed`` makes more of it; Home Assistant logs
    an outage once, and once more when it ends.
    """

    config_entry: ConfigEntry[RuntimeT]
    UPDATE_INTERVAL: ClassVar[timedelta]

    def __init__(
        self, hass: HomeAssistant, config_entry: ConfigEntry[RuntimeT], client: ClientT
    ) -> None:
        """Poll ``client`` every ``UPDATE_INTERVAL``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=self.UPDATE_INTERVAL,
        )
        self.client = client

    @override
    async def _async_update_data(self) -> DataT:
        try:
            return await self._async_poll()
        except ClientError as err:
            return self._poll_failed(err)

    async def _async_poll(self) -> DataT:
        """Read everything the entities show."""
        raise NotImplementedError

    def _poll_failed(self, error: ClientError) -> DataT:
        """Fail the poll for ``error``: the entities become unavailable."""
        raise poll_error(error) from error


class WhitePoolCoordinator(
    ApiCoordinator[WhitePoolData, WhitePoolClient, WhitePoolRuntimeData]
):
    """Every mining account of one WhiteBIT API key, and the BTC price."""

    UPDATE_INTERVAL = WHITEPOOL_SCAN_INTERVAL

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: ConfigEntry[WhitePoolRuntimeData],
        client: WhitePoolClient,
    ) -> None:
        """Poll ``client`` every ``WHITEPOOL_SCAN_INTERVAL``."""
        super().__init__(hass, config_entry, client)
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
    def _poll_failed(self, error: ClientError) -> WhitePoolData:
        # Rate limiting is not an outage: the previous figures stay for one poll.
        rate_limited = isinstance(error, WhitePoolRateLimitError)
        if rate_limited and self.data is not None and not self._rate_limited:
            self._rate_limited = True
            LOGGER.info(
                "%s: WhiteBIT is rate limiting this address (%s); keeping the "
                "previous figures for one more poll",
                self.name,
                error,
            )
            return self.data
        return super()._poll_failed(error)

    async def _call[**P, T](
        self, request: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Send one request, at most ``MAX_CONCURRENT_REQUESTS`` at a time."""
        async with self._slots:
            return await request(*args, **kwargs)

    @override
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
        self._rate_limited = False
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


class WebMinePoolCoordinator(
    ApiCoordinator[WebMinePoolData, WebMinePoolClient, WebMinePoolRuntimeData]
):
    """The balance, hashes, users and rates of one WebMinePool site."""

    UPDATE_INTERVAL = WEBMINEPOOL_SCAN_INTERVAL

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: ConfigEntry[WebMinePoolRuntimeData],
        client: WebMinePoolClient,
    ) -> None:
        """Poll ``client`` every ``WEBMINEPOOL_SCAN_INTERVAL``."""
        super().__init__(hass, config_entry, client)
        self._rates: tuple[datetime, WebMinePoolRates] | None = None

    @override
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


BITCOIN_NETWORK_PLATFORMS: Final = [Platform.SENSOR]
# Without a Home Assistant currency mempool quotes, BTC is priced in this.
FALLBACK_CURRENCY: Final = "USD"
# Figures read at a block are shown this long while the API refuses requests.
MAX_FIGURES_AGE: Final = timedelta(minutes=30)


def network_client(hass: HomeAssistant, data: Mapping[str, Any]) -> MempoolClient:
    """Build the client of a Bitcoin-network entry, on Home Assistant's session.

    Raises MempoolValidationError for a URL that is not an http(s) API root.
    """
    return MempoolClient(async_get_clientsession(hass), data[CONF_URL])


def default_currency(hass: HomeAssistant) -> str:
    """Home Assistant's currency where mempool quotes BTC in it, else USD."""
    currency = hass.config.currency
    return currency if currency in PRICE_CURRENCIES else FALLBACK_CURRENCY


@dataclass(frozen=True, slots=True)
class BitcoinNetworkData:
    """What one poll knows: the figures at the tip, and the BTC price."""

    figures: NetworkFigures
    # When the figures were last known current: read, or the tip found unchanged.
    confirmed_at: datetime
    btc_price: Decimal | None  # None while mempool has no price in ``currency``
    currency: str
    pool_fee: Decimal  # percent, taken off the hashprice for the break-even price

    @property
    def hashprice(self) -> Decimal:
        """BTC per TH/s per day, as an FPPS pool pays before its fee."""
        return self.figures.hashprice

    @property
    def hashprice_in_currency(self) -> Decimal | None:
        """The hashprice in ``currency`` per TH/s per day."""
        return None if self.btc_price is None else self.hashprice * self.btc_price

    @property
    def revenue(self) -> Decimal:
        """BTC a TH/s earns in a day after the pool fee (what break-even goes by)."""
        return net_of_fee(self.hashprice, self.pool_fee)


class BitcoinNetworkCoordinator(
    ApiCoordinator[BitcoinNetworkData, MempoolClient, BitcoinNetworkRuntimeData]
):
    """Hashprice, hashrate, difficulty and the BTC price of one mempool API."""

    UPDATE_INTERVAL = BITCOIN_NETWORK_SCAN_INTERVAL

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: ConfigEntry[BitcoinNetworkRuntimeData],
        client: MempoolClient,
    ) -> None:
        """Poll ``client`` every ``BITCOIN_NETWORK_SCAN_INTERVAL``."""
        super().__init__(hass, config_entry, client)
        self._retry_at: datetime | None = None
        self._price: tuple[datetime, Decimal | None] | None = None
        self._price_failing = False

    @property
    def currency(self) -> str:
        """The currency of the BTC price: the option, else Home Assistant's (or USD)."""
        return str(
            self.config_entry.options.get(CONF_CURRENCY) or default_currency(self.hass)
        )

    @property
    def pool_fee(self) -> Decimal:
        """The pool fee option, in percent."""
        return Decimal(
            str(self.config_entry.options.get(CONF_POOL_FEE, DEFAULT_POOL_FEE))
        )

    @override
    def _poll_failed(self, error: ClientError) -> BitcoinNetworkData:
        if not isinstance(error, MempoolRateLimitError):
            return super()._poll_failed(error)
        # Honour Retry-After: no request before it passes.
        now = dt_util.utcnow()
        # Asked after MAX_FIGURES_AGE at the latest: by then the figures are gone anyway.
        wait = min(
            error.retry_after or BITCOIN_NETWORK_SCAN_INTERVAL.total_seconds(),
            MAX_FIGURES_AGE.total_seconds(),
        )
        self._retry_at = now + timedelta(seconds=wait)
        LOGGER.info(
            "%s: the API asks to wait %d s before the next request", self.name, wait
        )
        return self._keep_while_rate_limited(now, error)

    def _keep_while_rate_limited(
        self, now: datetime, err: MempoolRateLimitError | None
    ) -> BitcoinNetworkData:
        """The figures read last, while they are recent enough; else fail."""
        if self.data is not None and now - self.data.confirmed_at <= MAX_FIGURES_AGE:
            return self.data
        raise poll_error(
            err or MempoolRateLimitError("waiting for Retry-After to pass")
        )

    @override
    async def _async_poll(self) -> BitcoinNetworkData:
        now = dt_util.utcnow()
        if self._retry_at is not None and now < self._retry_at:
            return self._keep_while_rate_limited(now, None)
        tip = await self.client.tip_height()
        previous = self.data
        if previous is not None and previous.figures.tip_height == tip:
            figures = previous.figures
        else:
            figures = await self.client.network_figures(tip_height=tip)
        currency = self.currency
        price = await self._async_price(now, currency)
        self._retry_at = None
        return BitcoinNetworkData(
            figures=figures,
            confirmed_at=now,
            btc_price=price,
            currency=currency,
            pool_fee=self.pool_fee,
        )

    async def _async_price(self, now: datetime, currency: str) -> Decimal | None:
        """The BTC price in ``currency``, read at most every ``BITCOIN_PRICE_INTERVAL``.

        A failed price read leaves the price (and what needs it) unavailable, not
        the network's figures.
        """
        if self._price is not None and now - self._price[0] < BITCOIN_PRICE_INTERVAL:
            return self._price[1]
        try:
            prices = await self.client.prices()
        except MempoolRateLimitError:
            raise
        except MempoolError as err:
            if not self._price_failing:
                LOGGER.warning("%s: no BTC price: %s", self.name, err)
                self._price_failing = True
            self._price = None
            return None
        if self._price_failing:
            LOGGER.info("%s: the BTC price is back", self.name)
            self._price_failing = False
        price = prices.prices.get(currency)
        self._price = (now, price)
        return price


async def async_setup_network_entry(
    hass: HomeAssistant, entry: BitcoinNetworkConfigEntry
) -> bool:
    """Set up a Bitcoin-network entry: first poll, then its sensors."""
    try:
        client = network_client(hass, entry.data)
    except MempoolValidationError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="bitcoin_network_bad_url",
            translation_placeholders={"error": str(err)},
        ) from err
    coordinator = BitcoinNetworkCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = BitcoinNetworkRuntimeData(
        client=client, coordinator=coordinator
    )
    await hass.config_entries.async_forward_entry_setups(
        entry, BITCOIN_NETWORK_PLATFORMS
    )
    return True


async def async_unload_network_entry(
    hass: HomeAssistant, entry: BitcoinNetworkConfigEntry
) -> bool:
    """Unload a Bitcoin-network entry's sensors."""
    return await hass.config_entries.async_unload_platforms(
        entry, BITCOIN_NETWORK_PLATFORMS
    )
