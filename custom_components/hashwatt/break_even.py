"""Break-even electricity price: the price per kWh below which mining pays.

A miner of efficiency E (J/TH) running at H TH/s for a day uses
H × E × 86400 s ÷ 3.6e6 J/kWh = H × E × 0.024 kWh, and the pool pays it
H × R BTC for that day, R being the FPPS rate in BTC per TH/s per day. At the BTC
price P the two are equal at the electricity price

    break-even = R × P ÷ (E × 0.024)      (currency per kWh; H cancels out)

R is taken net of the pool's fee (what the pool actually pays out), so below this
price the miner earns more than its electricity costs, above it mining loses money.

This module finds what the break-even sensors (in sensor.py, with the others) go
by: each miner's steady efficiency, its revenue source, the fleet's price.

**The FPPS rate's unit.** WhiteBIT documents ``fppsRate`` of a reward only as "FPPS
rate" (no unit, no example). Next to it each reward states its ``totalReward`` (BTC)
and the ``hashRate`` (H/s) it was paid for, for one day: under FPPS the reward is the
day's rate times the hashrate, so ``fppsRate`` is read as BTC per TH/s per day, the
pool's "hashprice" (the mock pool, ``simulator/whitepool.py``, pays exactly that). As
the unit is not documented, it is checked on every reward used: its rate times its
hashrate (TH/s) times its period (days) must come within 10 % of its total reward. A
rate in any other unit (per H/s, in satoshi, a percentage) misses by orders of
magnitude; only a reward that passes this check is used, and when none does the
break-even price is unavailable (and a warning is logged) rather than wrong.

**Which revenue: the best source a miner has.** A miner earns what its pool pays, so
each miner's price goes by, in this order:

1. the FPPS rate of the WhitePool entry one of whose accounts lists the stratum host
   the miner mines on (its active pool's host; while it is off, the pool it last
   mined on, or its first pool), net of that pool's fee, with that entry's BTC price
   and currency (an option of the entry), once a reward confirms the rate's unit (see
   above); of several such entries, the one added first;
2. else the network's hashprice of the first loaded Bitcoin-network entry (what an
   FPPS pool pays, from the difficulty and the last 144 blocks' rewards, see
   ``clients/mempool/hashprice.py``), less that entry's pool-fee option (2 % by
   default), with its BTC price and currency.

Without either the price is unavailable. The sensor's ``source`` attribute says which
it used (``pool_rate`` or ``network_hashprice``), ``source_entry`` the entry's title.

**The fleet.** A fleet sensor lives on each WhitePool and each Bitcoin-network entry's
own device, in that entry's currency: every loaded miner that answers, has a steady
reading and a source counts with its own revenue (converted at that entry's BTC
price), so the fleet's price is what its day earns over what its day costs
(``clients/mining_economics.py``).

**Which efficiency.** A miner draws power while it warms up but hashes below its
settled rate, so its efficiency right after a start says nothing about what mining
costs. A reading counts once the miner has mined for ``STEADY_AFTER``
(``clients/mining_economics.py``); while it warms up, is switched off or changes its
power, the last steady reading stands (kept across restarts). So an automation that
switches a miner off when electricity is dear still has a break-even price to switch
it on again by.

While another miner answers at a miner's address (its slow poll reads another MAC),
that miner has no price and counts for nothing in the fleet's; the readings taken
since its slow poll last found it are dropped, as they may be the other miner's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)
from homeassistant.helpers.update_coordinator import (
    DataUpdateCoordinator,
)
from homeassistant.util.hass_dict import HassKey

from .clients.mining_economics import (
    PoolRate,
    SteadyReading,
    active_pool_host,
    fleet_break_even_price,
    steady_reading,
    stratum_host,
)
from .clients.whitepool import (
    newest_confirmed_reward,
)
from .const import (
    DOMAIN,
    LOGGER,
)
from .coordinator import (
    BitcoinNetworkCoordinator,
    MinerConfigEntry,
    MinerRuntimeData,
    WhatsminerFastCoordinator,
    WhitePoolCoordinator,
    WhitePoolData,
    is_network_entry,
    is_whitepool_entry,
)

SIGNAL_MINERS_CHANGED: Final = f"{DOMAIN}_break_even_miners_changed"
SIGNAL_SOURCES_CHANGED: Final = f"{DOMAIN}_break_even_sources_changed"
# The fleet's price changes with every miner's poll: with many miners it is
# written at most this often.
FLEET_UPDATE_INTERVAL: Final = timedelta(seconds=30)


# --- The computation ---------------------------------------------------------------------


def pool_rate(data: WhitePoolData) -> PoolRate | None:
    """Return a WhitePool poll's rate and price; None while either is missing.

    The rate is that of the newest confirmed reward of any of the key's accounts
    (the FPPS rate is the pool's, the same for every account on a day).
    """
    if data.btc_price is None:
        return None
    reward = max(
        (
            reward
            for account in data.accounts.values()
            if (reward := newest_confirmed_reward(account.rewards)) is not None
        ),
        key=lambda reward: reward.date,
        default=None,
    )
    if reward is None or reward.fpps_rate is None:
        return None
    return PoolRate(
        fpps_rate=reward.fpps_rate,
        payout_fraction=reward.reward / reward.total_reward,
        date=reward.date,
        btc_price=data.btc_price,
        currency=data.btc_quote,
    )


# --- Following miners and pools ----------------------------------------------------------


class MinerEfficiency:
    """The last steady reading of one miner, followed poll by poll.

    Only the slow poll tells which miner answers (by its MAC), every few minutes:
    the fast polls in between are taken on trust. When the slow poll finds another
    miner at the address, the readings taken since the last slow poll that found
    this one are dropped, as they may be that miner's.
    """

    def __init__(self, miner: MinerRuntimeData) -> None:
        """Follow ``miner``; nothing is known before its first steady poll."""
        self.miner = miner
        self.coordinator: WhatsminerFastCoordinator = miner.fast
        self.last_steady: SteadyReading | None = None
        # The steady reading as of the last slow poll that found this miner.
        self._confirmed: SteadyReading | None = None
        # The host of the pool it last mined on: switched off, or between pools, a
        # miner reports no active pool, yet its pool is what it will earn from.
        self.pool_host: str | None = None

    @callback
    def async_restore(
        self, reading: SteadyReading | None, pool_host: str | None = None
    ) -> None:
        """Start from a reading saved before a restart, if none was taken since."""
        if self.last_steady is None:
            self.last_steady = self._confirmed = reading
        if self.pool_host is None:
            self.pool_host = pool_host

    @callback
    def async_update(self) -> None:
        """Take the last poll's reading if it is steady (and this miner's)."""
        if self.miner.another_miner_answers:
            self.last_steady = self._confirmed
            return
        if self.coordinator.last_update_success and (
            steady := steady_reading(self.coordinator.data)
        ):
            self.last_steady = steady

    @callback
    def async_slow_updated(self) -> None:
        """Confirm the readings taken so far as this miner's, or drop them."""
        self.async_update()
        slow = self.miner.slow
        if slow.last_update_success:
            self._confirmed = self.last_steady
            if not self.miner.another_miner_answers and (
                host := active_pool_host(slow.data.pools)
            ):
                self.pool_host = host

    @callback
    def reading(self) -> SteadyReading | None:
        """Return the steady reading to go by.

        None while the miner does not answer, or another miner answers at its address.
        """
        if not self.coordinator.last_update_success or self.miner.another_miner_answers:
            return None
        # Whoever asks first after a poll sees it, whatever order listeners run in.
        self.async_update()
        return self.last_steady


class RevenueSource(StrEnum):
    """Where a miner's revenue per TH/s comes from (see the module docstring)."""

    POOL_RATE = "pool_rate"  # the FPPS rate of the WhitePool account it mines on
    NETWORK_HASHPRICE = "network_hashprice"  # the network's hashprice less a fee


@dataclass(frozen=True, slots=True)
class MinerRevenue:
    """What a TH/s of one miner earns in a day, and where the figure comes from."""

    btc: Decimal  # BTC per TH/s per day, net of the pool's fee
    source: RevenueSource
    source_entry: str  # the title of the entry the figure comes from
    btc_price: Decimal | None
    currency: str

    @property
    def in_currency(self) -> Decimal | None:
        """What a TH/s earns in a day in ``currency`` (None without a BTC price)."""
        return None if self.btc_price is None else self.btc * self.btc_price


def whitepool_hosts(data: WhitePoolData) -> set[str]:
    """The stratum hosts a WhitePool entry's accounts list."""
    return {
        host
        for account in data.accounts.values()
        for endpoint in account.miners.stratum
        if (host := stratum_host(endpoint.url)) is not None
    }


type RevenueCoordinator = WhitePoolCoordinator | BitcoinNetworkCoordinator


@dataclass
class BreakEvenData:
    """What the break-even sensors share: miners, source entries, warnings given.

    ``sources`` is None when it is to be listed again. ``users`` counts what
    follows miners or sources; with the last one gone the shared listener goes too.
    """

    miners: dict[str, MinerEfficiency] = field(default_factory=dict)
    sources: list[RevenueCoordinator] | None = None
    unconfirmed: set[str] = field(default_factory=set)
    users: int = 0
    stop_listening: CALLBACK_TYPE | None = None


DATA_BREAK_EVEN: HassKey[BreakEvenData] = HassKey(f"{DOMAIN}_break_even")


@callback
def _data(hass: HomeAssistant) -> BreakEvenData:
    if (data := hass.data.get(DATA_BREAK_EVEN)) is None:
        data = hass.data[DATA_BREAK_EVEN] = BreakEvenData()
    return data


@callback
def _async_acquire(hass: HomeAssistant) -> CALLBACK_TYPE:
    """Share the break-even data until the returned callback is called.

    The first user connects the one listener that tells source entries apart (rather
    than every miner's sensor); the last one to leave disconnects it and drops the data.
    """
    data = _data(hass)
    if data.stop_listening is None:

        @callback
        def async_entry_changed(_change: ConfigEntryChange, entry: ConfigEntry) -> None:
            if _is_source(entry):
                data.sources = None
                async_dispatcher_send(hass, SIGNAL_SOURCES_CHANGED)

        data.stop_listening = async_dispatcher_connect(
            hass, SIGNAL_CONFIG_ENTRY_CHANGED, async_entry_changed
        )
    data.users += 1
    released = False

    @callback
    def async_release() -> None:
        nonlocal released
        if released:
            return
        released = True
        data.users -= 1
        if data.users == 0 and data.stop_listening is not None:
            data.stop_listening()
            data.stop_listening = None
            if hass.data.get(DATA_BREAK_EVEN) is data:
                del hass.data[DATA_BREAK_EVEN]

    return async_release


@callback
def async_track_miner(hass: HomeAssistant, entry: MinerConfigEntry) -> MinerEfficiency:
    """Follow a loaded miner's efficiency until its entry unloads."""
    entry.async_on_unload(_async_acquire(hass))
    tracker = MinerEfficiency(entry.runtime_data)
    # Set up after a slow poll that found this miner: its reading is confirmed.
    tracker.async_slow_updated()
    miners = _data(hass).miners
    miners[entry.entry_id] = tracker

    @callback
    def async_forget() -> None:
        miners.pop(entry.entry_id, None)
        async_dispatcher_send(hass, SIGNAL_MINERS_CHANGED)

    entry.async_on_unload(tracker.coordinator.async_add_listener(tracker.async_update))
    entry.async_on_unload(
        entry.runtime_data.slow.async_add_listener(tracker.async_slow_updated)
    )
    entry.async_on_unload(async_forget)
    async_dispatcher_send(hass, SIGNAL_MINERS_CHANGED)
    return tracker


def _is_source[T](entry: ConfigEntry[T]) -> bool:
    return is_whitepool_entry(entry) or is_network_entry(entry)


@callback
def _loaded_sources(hass: HomeAssistant) -> list[RevenueCoordinator]:
    """List the loaded WhitePool and Bitcoin-network coordinators, in the order added.

    Kept until such an entry changes state: every miner's poll asks, and the
    domain's entries are mostly miners (a thousand, in a large mine).
    """
    data = _data(hass)
    if data.sources is None:
        data.sources = [
            entry.runtime_data.coordinator
            for entry in hass.config_entries.async_loaded_entries(DOMAIN)
            if is_whitepool_entry(entry) or is_network_entry(entry)
        ]
    return data.sources


@callback
def async_pool_rate(
    hass: HomeAssistant, coordinator: WhitePoolCoordinator
) -> PoolRate | None:
    """Return a WhitePool entry's rate and price, warning once while none is confirmed."""
    if not coordinator.last_update_success:
        return None
    rate = pool_rate(coordinator.data)
    unconfirmed = _data(hass).unconfirmed
    entry_id = coordinator.config_entry.entry_id
    stated = [
        reward
        for account in coordinator.data.accounts.values()
        for reward in account.rewards
        if reward.fpps_rate is not None
    ]
    if rate is None and stated and entry_id not in unconfirmed:
        unconfirmed.add(entry_id)
        newest = max(stated, key=lambda reward: reward.date)
        LOGGER.warning(
            "%s: no reward confirms that fppsRate is in BTC per TH/s per day (the "
            "newest: fppsRate %s, hashRate %s H/s, totalReward %s BTC); the "
            "break-even electricity price stays unavailable",
            coordinator.name,
            newest.fpps_rate,
            newest.hashrate,
            newest.total_reward,
        )
    elif rate is not None:
        unconfirmed.discard(entry_id)
    return rate


@callback
def async_miner_revenue(
    hass: HomeAssistant, tracker: MinerEfficiency
) -> MinerRevenue | None:
    """Return a miner's revenue per TH/s from the best source it has (see above)."""
    host = tracker.pool_host
    network: BitcoinNetworkCoordinator | None = None
    for coordinator in _loaded_sources(hass):
        if isinstance(coordinator, BitcoinNetworkCoordinator):
            if network is None and coordinator.last_update_success:
                network = coordinator
            continue
        if (
            host is not None
            and coordinator.last_update_success
            and host in whitepool_hosts(coordinator.data)
            and (rate := async_pool_rate(hass, coordinator)) is not None
        ):
            return MinerRevenue(
                btc=rate.revenue_btc,
                source=RevenueSource.POOL_RATE,
                source_entry=coordinator.config_entry.title,
                btc_price=rate.btc_price,
                currency=rate.currency,
            )
    if network is None:
        return None
    data = network.data
    return MinerRevenue(
        btc=data.revenue,
        source=RevenueSource.NETWORK_HASHPRICE,
        source_entry=network.config_entry.title,
        btc_price=data.btc_price,
        currency=data.currency,
    )


@callback
def _async_follow(
    signal_fn: Callable[[CALLBACK_TYPE], CALLBACK_TYPE],
    coordinators_fn: Callable[[], Iterable[DataUpdateCoordinator[Any]]],
    action: CALLBACK_TYPE,
    changed_action: CALLBACK_TYPE | None = None,
) -> CALLBACK_TYPE:
    """Call ``action`` when any of a changing set of coordinators updates.

    ``signal_fn`` connects a callback to whatever says the set changed;
    ``coordinators_fn`` returns the set now. When it changes, ``changed_action``
    is called (by default ``action``).
    """
    listeners: dict[DataUpdateCoordinator[Any], CALLBACK_TYPE] = {}

    @callback
    def async_subscribe() -> None:
        current = list(coordinators_fn())
        for gone in listeners.keys() - set(current):
            listeners.pop(gone)()
        for coordinator in current:
            if coordinator not in listeners:
                listeners[coordinator] = coordinator.async_add_listener(action)

    @callback
    def async_changed() -> None:
        async_subscribe()
        (changed_action or action)()

    async_subscribe()
    disconnect = signal_fn(async_changed)

    @callback
    def async_stop() -> None:
        disconnect()
        for remove in listeners.values():
            remove()
        listeners.clear()

    return async_stop


@callback
def async_follow_sources(hass: HomeAssistant, action: CALLBACK_TYPE) -> CALLBACK_TYPE:
    """Call ``action`` when a loaded WhitePool or Bitcoin-network entry polls or comes or goes."""
    release = _async_acquire(hass)
    stop = _async_follow(
        lambda on_change: async_dispatcher_connect(
            hass, SIGNAL_SOURCES_CHANGED, on_change
        ),
        lambda: _loaded_sources(hass),
        action,
    )

    @callback
    def async_stop() -> None:
        stop()
        release()

    return async_stop


@callback
def async_follow_miners(
    hass: HomeAssistant, polled: CALLBACK_TYPE, changed: CALLBACK_TYPE
) -> CALLBACK_TYPE:
    """Call ``polled`` when a followed miner polls, ``changed`` when one comes or goes."""
    release = _async_acquire(hass)
    stop = _async_follow(
        lambda on_change: async_dispatcher_connect(
            hass, SIGNAL_MINERS_CHANGED, on_change
        ),
        lambda: [tracker.coordinator for tracker in _data(hass).miners.values()],
        polled,
        changed,
    )

    @callback
    def async_stop() -> None:
        stop()
        release()

    return async_stop


# --- What the sensors show --------------------------------------------------------------

ATTR_SOURCE: Final = "source"
ATTR_SOURCE_ENTRY: Final = "source_entry"
ATTR_MINERS: Final = "miners"
ATTR_POOL_HOST: Final = "pool_host"
SOURCE_MIXED: Final = "mixed"


@dataclass(frozen=True, slots=True)
class FleetPrice:
    """The fleet's break-even price, and how many miners went by which source."""

    value: float
    sources: Counter[RevenueSource]

    @property
    def attributes(self) -> dict[str, Any]:
        """The ``source`` attribute (one source, or ``mixed``) and the miners counted."""
        kinds = list(self.sources)
        return {
            ATTR_SOURCE: kinds[0].value if len(kinds) == 1 else SOURCE_MIXED,
            ATTR_MINERS: sum(self.sources.values()),
        }


@callback
def async_fleet_price(hass: HomeAssistant, btc_price: Decimal) -> FleetPrice | None:
    """Return the fleet's break-even price at ``btc_price`` (None without any miner).

    Each miner that answers, has a steady reading and a source counts with its own
    revenue in BTC, converted at ``btc_price``.
    """
    miners: list[tuple[float, float, Decimal]] = []
    sources: Counter[RevenueSource] = Counter()
    for tracker in _data(hass).miners.values():
        if (reading := tracker.reading()) is None or (
            revenue := async_miner_revenue(hass, tracker)
        ) is None:
            continue
        miners.append((reading.hashrate, reading.efficiency, revenue.btc * btc_price))
        sources[revenue.source] += 1
    value = fleet_break_even_price(miners)
    return None if value is None else FleetPrice(value=value, sources=sources)
