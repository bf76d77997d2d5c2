"""Polling the pools: requests per poll, rate limiting, auth failures, the BTC price."""

import dataclasses
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.clients.whitepool import (
    MinersInfo,
    PayoutDestination,
    PayoutSettings,
    Reward,
    RewardStatus,
    WorkerCounts,
    reward_period,
    rewards_of_last_day,
)
from custom_components.hashwatt.const import (
    DOMAIN,
    WEBMINEPOOL_RATES_INTERVAL,
    WEBMINEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SLOW_INTERVAL,
)
from custom_components.hashwatt.coordinator import WhitePoolAccountData
from simulator.webminepool import Fault as WebMineFault, WebMinePoolServer
from simulator.whitepool import Fault, WhitePoolServer

from .conftest import tick, whitepool_entry
from .pool_helpers import while_time_passes

ACCOUNTS = "/api/v4/mining/accounts"
MINERS_INFO = "/api/v4/mining/miners/info"
HASHRATE = "/api/v4/mining/hashrate"
WORKER_NAMES = "/api/v4/mining/workers/names"
WORKER_HASHRATE = "/api/v4/mining/workers/hashrate"
REWARDS = "/api/v4/mining/rewards"
PAYOUT = "/api/v4/mining/payout-destination"
TICKER = "/api/v4/public/ticker"

POOL_HASHRATE = "sensor.my_miner_01_pool_hashrate"
BTC_PRICE = "sensor.whitebit_mining_pool_my_miner_01_btc_price"
BALANCE = "sensor.webminepool_balance"

# One account with 4 online workers (one of them low): 1 + 3A + W.
FAST_POLL = {
    ACCOUNTS: 1,
    MINERS_INFO: 1,
    HASHRATE: 1,
    WORKER_NAMES: 1,
    WORKER_HASHRATE: 4,
}
# Every 15 minutes: 2A + 1 more.
SLOW_POLL = {REWARDS: 1, PAYOUT: 1, TICKER: 1}


def requests(server: WhitePoolServer) -> Counter[str]:
    """Count the requests the mock received by path, and forget them."""
    counted = Counter(request.path for request in server.requests)
    server.requests.clear()
    return counted


# --- Requests per poll -------------------------------------------------------------------


async def test_whitepool_requests_per_poll(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Live figures every 5 minutes; rewards, payout and BTC price every 15."""
    assert requests(whitepool_mock) == FAST_POLL | SLOW_POLL

    for _ in range(2):
        await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
        assert requests(whitepool_mock) == FAST_POLL

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    assert WHITEPOOL_SCAN_INTERVAL * 3 >= WHITEPOOL_SLOW_INTERVAL
    assert requests(whitepool_mock) == FAST_POLL | SLOW_POLL


async def test_webminepool_requests_per_poll(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    webminepool_mock: WebMinePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Balance, hashes and users every 10 minutes; the three rates every hour."""
    live = {"balance": 1, "hashes": 1, "users": 1}
    rates = {"wmc_rate": 1, "hash_rate": 1, "hash_rate_cli": 1}

    def calls() -> Counter[str]:
        counted = Counter(call.method for call in webminepool_mock.calls)
        webminepool_mock.calls.clear()
        return counted

    assert calls() == live | rates
    polls_per_rates = int(WEBMINEPOOL_RATES_INTERVAL / WEBMINEPOOL_SCAN_INTERVAL)
    for _ in range(polls_per_rates - 1):
        await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())
        assert calls() == live
    await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())
    assert calls() == live | rates


async def test_action_reads_slow_figures_again(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
) -> None:
    """After an action, payout and rewards are read at once, not up to 15 minutes later."""
    requests(whitepool_mock)
    whitepool_mock.accounts["my_miner_01"].payout_destination = "external_address"

    await init_whitepool.runtime_data.coordinator.async_refresh_after_write()
    await hass.async_block_till_done()

    assert requests(whitepool_mock) == FAST_POLL | SLOW_POLL
    state = hass.states.get("sensor.my_miner_01_payout_destination")
    assert state.state == "external_address"


# --- Rate limiting -----------------------------------------------------------------------


async def test_one_429_is_retried(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 is retried after a backoff; the poll goes through."""
    coordinator = init_whitepool.runtime_data.coordinator
    requests(whitepool_mock)
    whitepool_mock.inject(HASHRATE, Fault.RATE_LIMIT)

    await while_time_passes(hass, freezer, coordinator.async_refresh())

    assert coordinator.last_update_success
    assert requests(whitepool_mock)[HASHRATE] == 2
    assert hass.states.get(POOL_HASHRATE).state != STATE_UNAVAILABLE


async def test_rate_limited_poll_keeps_data_once(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A poll still rate limited after the retries keeps the last figures, once."""
    coordinator = init_whitepool.runtime_data.coordinator
    before = hass.states.get(POOL_HASHRATE).state
    whitepool_mock.inject(WORKER_HASHRATE, Fault.RATE_LIMIT, count=None)

    await while_time_passes(hass, freezer, coordinator.async_refresh())

    assert coordinator.last_update_success
    assert hass.states.get(POOL_HASHRATE).state == before
    assert "keeping the previous figures for one more poll" in caplog.text
    assert "Error fetching" not in caplog.text

    await while_time_passes(hass, freezer, coordinator.async_refresh())

    assert not coordinator.last_update_success
    assert hass.states.get(POOL_HASHRATE).state == STATE_UNAVAILABLE
    assert "WhiteBIT is rate limiting requests from this address" in caplog.text

    whitepool_mock.clear_faults()
    await coordinator.async_refresh()
    assert hass.states.get(POOL_HASHRATE).state != STATE_UNAVAILABLE

    # Tolerated once per stretch: a new stretch of rate limiting starts over.
    whitepool_mock.inject(WORKER_HASHRATE, Fault.RATE_LIMIT, count=None)
    await while_time_passes(hass, freezer, coordinator.async_refresh())
    assert coordinator.last_update_success


async def test_rate_limited_first_poll_is_not_tolerated(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer, freezer: FrozenDateTimeFactory
) -> None:
    """With no figures yet there is nothing to keep: setup is retried."""
    whitepool_mock.inject(ACCOUNTS, Fault.RATE_LIMIT, count=None)
    entry = whitepool_entry()
    entry.add_to_hass(hass)

    await while_time_passes(
        hass, freezer, hass.config_entries.async_setup(entry.entry_id)
    )

    assert entry.state.name == "SETUP_RETRY"


# --- Failures at runtime -----------------------------------------------------------------


async def test_whitepool_auth_failure_starts_reauth(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A key disabled while polling makes the entities unavailable and asks for a key."""
    whitepool_mock.inject(None, Fault.AUTH_DISABLED, count=None)

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    assert hass.states.get(POOL_HASHRATE).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == init_whitepool.entry_id


@pytest.mark.parametrize(
    ("endpoint", "fault", "key"),
    [
        (MINERS_INFO, Fault.TIMESTAMP, "whitepool_clock"),
        (MINERS_INFO, Fault.INVALID_JSON, "whitepool_invalid_reply"),
        (MINERS_INFO, Fault.VALIDATION, "whitepool_error"),
        # Refused for another reason than the worker being gone.
        (WORKER_HASHRATE, Fault.VALIDATION, "whitepool_error"),
    ],
)
async def test_whitepool_poll_failures(
    hass: HomeAssistant,
    *,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
    endpoint: str,
    fault: Fault,
    key: str,
) -> None:
    """A failed poll makes every entity unavailable, with a translated reason."""
    coordinator = init_whitepool.runtime_data.coordinator
    whitepool_mock.inject(endpoint, fault, count=None)

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    assert hass.states.get(POOL_HASHRATE).state == STATE_UNAVAILABLE
    assert hass.states.get(BTC_PRICE).state == STATE_UNAVAILABLE
    assert coordinator.last_exception.translation_key == key

    whitepool_mock.clear_faults()
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    assert hass.states.get(POOL_HASHRATE).state != STATE_UNAVAILABLE


async def test_whitepool_unreachable(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """WhiteBIT out of reach: unavailable, with a translated reason."""
    await whitepool_mock.stop()

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    coordinator = init_whitepool.runtime_data.coordinator
    assert coordinator.last_exception.translation_key == "whitepool_cannot_connect"
    assert hass.states.get(POOL_HASHRATE).state == STATE_UNAVAILABLE


async def test_worker_gone_between_requests(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A worker that vanishes between being listed and read is left out, not a failure."""
    account = whitepool_mock.accounts["my_miner_01"]
    list_names = whitepool_mock._worker_names

    def list_then_remove(params, unknown):
        reply = list_names(params, unknown)
        account.workers = [w for w in account.workers if w.name != "my_miner_01.m50_01"]
        return reply

    whitepool_mock._worker_names = list_then_remove

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    assert init_whitepool.runtime_data.coordinator.last_update_success
    assert hass.states.get("sensor.my_miner_01_m50_01_hashrate") is None
    assert hass.states.get("sensor.my_miner_01_m30s_01_hashrate") is not None


# --- The BTC price -----------------------------------------------------------------------


async def test_ticker_failure_only_affects_the_price(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The price is unavailable while the ticker fails; it is tried each poll meanwhile."""
    caplog.set_level(logging.INFO)
    whitepool_mock.inject(TICKER, Fault.INVALID_JSON, count=None)
    await tick(hass, freezer, WHITEPOOL_SLOW_INTERVAL.total_seconds())

    assert hass.states.get(BTC_PRICE).state == STATE_UNAVAILABLE
    assert hass.states.get(POOL_HASHRATE).state != STATE_UNAVAILABLE

    requests(whitepool_mock)
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    assert requests(whitepool_mock)[TICKER] == 1
    assert caplog.text.count("no BTC price from WhiteBIT") == 1

    whitepool_mock.clear_faults()
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    assert hass.states.get(BTC_PRICE).state == "59010.1"
    assert "the BTC price is back" in caplog.text


async def test_btc_price_in_home_assistant_currency(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """BTC is priced in Home Assistant's currency when WhiteBIT trades it."""
    hass.config.currency = "EUR"
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(BTC_PRICE)
    assert state.state == "59010.1"
    assert state.attributes["unit_of_measurement"] == "EUR/BTC"


async def test_btc_price_falls_back_to_usdt(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer, freezer: FrozenDateTimeFactory
) -> None:
    """Without a market in Home Assistant's currency, BTC is priced in USDT from then on."""
    hass.config.currency = "CHF"
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(BTC_PRICE)
    assert state.state == "64123.45"
    assert state.attributes["unit_of_measurement"] == "USDT/BTC"
    assert requests(whitepool_mock)[TICKER] == 2

    await tick(hass, freezer, WHITEPOOL_SLOW_INTERVAL.total_seconds())
    assert requests(whitepool_mock)[TICKER] == 1

    # Should WhiteBIT drop that market too, there is no price.
    del whitepool_mock.prices["BTC_USDT"]
    await tick(hass, freezer, WHITEPOOL_SLOW_INTERVAL.total_seconds())
    assert requests(whitepool_mock)[TICKER] == 1
    assert hass.states.get(BTC_PRICE).state == STATE_UNAVAILABLE


async def test_no_btc_market_at_all(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """Without a market in Home Assistant's currency or in USDT, there is no price."""
    hass.config.currency = "CHF"
    del whitepool_mock.prices["BTC_USDT"]
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(BTC_PRICE).state == STATE_UNAVAILABLE
    assert hass.states.get(POOL_HASHRATE).state != STATE_UNAVAILABLE


# --- WebMinePool failures ----------------------------------------------------------------


async def test_webminepool_failures(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    webminepool_mock: WebMinePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A failed poll makes the site's entities unavailable, with a translated reason."""
    coordinator = init_webminepool.runtime_data.coordinator
    for fault, key in (
        (WebMineFault.INTERNAL_ERROR, "webminepool_error"),
        (WebMineFault.NOT_OBJECT, "webminepool_invalid_reply"),
    ):
        webminepool_mock.inject("hashes", fault)
        await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())
        assert hass.states.get(BALANCE).state == STATE_UNAVAILABLE
        assert coordinator.last_exception.translation_key == key

    await webminepool_mock.stop()
    await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())
    assert coordinator.last_exception.translation_key == "webminepool_cannot_connect"


async def test_webminepool_key_refused_starts_reauth(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    webminepool_mock: WebMinePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A key refreshed on WebMinePool asks for the new one."""
    webminepool_mock.secret_key = "PK_refreshedKey000000000"

    await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())

    assert hass.states.get(BALANCE).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == ["webminepool_reauth"]


# --- Rewards -----------------------------------------------------------------------------

NOW = datetime(2024, 3, 2, 0, 40, tzinfo=UTC)


def reward(
    date: datetime,
    amount: str,
    status: RewardStatus = RewardStatus.SUCCESSFUL,
    fpps_rate: str | None = "0.0000005",
) -> Reward:
    """A reward of ``amount`` BTC for the period starting at ``date``."""
    return Reward(
        account="my_miner_01",
        date=date,
        status=status,
        currency="BTC",
        total_reward=Decimal(amount),
        reward=Decimal(amount),
        fee=Decimal(0),
        fpps_rate=None if fpps_rate is None else Decimal(fpps_rate),
        hashrate=Decimal(10**14),
        payout_destination="main_balance",
        payout_address=None,
        payout_transaction_hash=None,
        payout_time=None,
    )


def test_daily_rewards_of_the_last_day() -> None:
    """A daily reward counts once its day has ended: the last full day's reward."""
    day = timedelta(days=1)
    today = datetime(2024, 3, 2, tzinfo=UTC)
    rewards = (
        reward(today - day, "0.0002", RewardStatus.PENDING),
        reward(today - 2 * day, "0.0003"),
        reward(today - 3 * day, "0.0004"),
    )

    assert reward_period(rewards) == day
    assert rewards_of_last_day(rewards, NOW) == Decimal("0.0002")
    # Before the day ends it is not counted: the day before is.
    assert rewards_of_last_day(rewards, today - timedelta(minutes=1)) == Decimal(
        "0.0003"
    )


def test_hourly_rewards_of_the_last_day() -> None:
    """Hourly rewards: the 24 that ended within the last day."""
    hour = timedelta(hours=1)
    start = datetime(2024, 3, 2, tzinfo=UTC) - 30 * hour
    rewards = tuple(reward(start + index * hour, "0.00001") for index in range(30))

    assert reward_period(rewards) == hour
    assert rewards_of_last_day(rewards, datetime(2024, 3, 2, tzinfo=UTC)) == Decimal(
        "0.00024"
    )


def test_rewards_of_last_day_leave_out_canceled_ones() -> None:
    """A canceled reward is not paid; a single reward is taken as a daily one."""
    yesterday = datetime(2024, 3, 1, tzinfo=UTC)
    assert (
        rewards_of_last_day((reward(yesterday, "0.1", RewardStatus.CANCELED),), NOW)
        == 0
    )
    assert rewards_of_last_day((reward(yesterday, "0.1"),), NOW) == Decimal("0.1")
    assert rewards_of_last_day((), NOW) == 0


def test_account_reward_figures() -> None:
    """Last reward, pending rewards and the newest stated FPPS rate."""
    day = timedelta(days=1)
    today = datetime(2024, 3, 2, tzinfo=UTC)
    newest = reward(today - day, "0.0002", RewardStatus.PENDING, fpps_rate=None)
    rewards = (
        newest,
        reward(today - 2 * day, "0.0003", RewardStatus.PENDING, fpps_rate="0.0000006"),
        reward(today - 3 * day, "0.0004"),
    )
    account = WhitePoolAccountData(
        name="my_miner_01",
        created_at=today - 10 * day,
        miners=MinersInfo(Decimal("2.5"), WorkerCounts(1, 0, 0), ()),
        hashrate=None,
        workers={},
        rewards=rewards,
        payout=PayoutSettings(PayoutDestination.MAIN_BALANCE, None),
        rewards_last_day=Decimal(0),
    )

    assert account.last_reward is newest
    assert account.pending_rewards == Decimal("0.0005")
    assert account.fpps_rate == Decimal("0.0000006")
    empty = dataclasses.replace(account, rewards=())
    assert empty.last_reward is None
    assert empty.fpps_rate is None
