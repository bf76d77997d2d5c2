"""The Bitcoin-network entry against the mempool.space mock: polling, sensors, failures.

Expected figures are worked out from what the mock serves (its own ``network`` state
and ``expected_hashprice``), never from the integration's code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.hashwatt.const import (
    BITCOIN_NETWORK_SCAN_INTERVAL,
    BITCOIN_PRICE_INTERVAL,
    CONF_CURRENCY,
    CONF_POOL_FEE,
    DOMAIN,
)
from custom_components.hashwatt.coordinator import MAX_FIGURES_AGE
from simulator.mempool import (
    DIFFICULTY_PATH,
    PRICES_PATH,
    TIP_PATH,
    Fault,
    MempoolServer,
)

from .conftest import tick
from .network_helpers import NETWORK_ENTRY_ID, network_entry
from .pool_helpers import while_time_passes

TIP = TIP_PATH
FIGURE_PATHS = (
    "/api/v1/mining/hashrate/3d",
    DIFFICULTY_PATH,
    "/api/v1/mining/reward-stats/144",
)


def entity_id(hass: HomeAssistant, key: str) -> str:
    """The entity of one of the entry's sensors, by its unique ID."""
    found = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"bitcoin-network-{NETWORK_ENTRY_ID}-{key}"
    )
    assert found is not None, key
    return found


def state_of(hass: HomeAssistant, key: str) -> str:
    """A sensor's state."""
    state = hass.states.get(entity_id(hass, key))
    assert state is not None
    return state.state


async def set_up(
    hass: HomeAssistant, server: MempoolServer, **options: Any
) -> MockConfigEntry:
    """Add a Bitcoin-network entry for the mock and set it up."""
    entry = network_entry(server.url, options=options)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one poll interval pass."""
    await tick(hass, freezer, BITCOIN_NETWORK_SCAN_INTERVAL.total_seconds())


async def test_sensors_show_the_network_figures(
    hass: HomeAssistant, mempool_mock: MempoolServer
) -> None:
    """Hashprice in BTC and in Home Assistant's currency, and what it comes from."""
    hass.config.currency = "CHF"
    entry = await set_up(hass, mempool_mock)
    assert entry.state is ConfigEntryState.LOADED
    network = mempool_mock.network
    hashprice = mempool_mock.expected_hashprice()
    assert float(state_of(hass, "hashprice_btc")) == pytest.approx(
        float(hashprice), rel=1e-6
    )
    state = hass.states.get(entity_id(hass, "hashprice"))
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "CHF/(TH/s)/d"
    assert float(state.state) == pytest.approx(
        float(hashprice) * network.prices["CHF"], rel=1e-6
    )
    btc = hass.states.get(entity_id(hass, "hashprice_btc"))
    assert btc is not None
    assert btc.attributes["unit_of_measurement"] == "BTC/(TH/s)/d"
    assert btc.attributes["block_height"] == mempool_mock.height
    assert btc.attributes["blocks_averaged"] == 144
    assert float(state_of(hass, "network_hashrate")) == pytest.approx(
        float(network.hashrate) / 1e18, rel=1e-4
    )
    assert Decimal(state_of(hass, "difficulty")) == network.difficulty
    assert float(state_of(hass, "difficulty_change")) == network.difficulty_change
    assert Decimal(state_of(hass, "average_fees")) == Decimal(network.fees_sat) / 10**8
    assert Decimal(state_of(hass, "btc_price")) == network.prices["CHF"]
    assert int(state_of(hass, "block_height")) == mempool_mock.height
    # The next retarget, at 10 minutes a block from now.
    remaining = 2016 - mempool_mock.height % 2016
    retarget = dt_from(state_of(hass, "difficulty_retarget"))
    expected = dt_from_timestamp(mempool_mock.clock() + remaining * 600)
    assert abs((retarget - expected).total_seconds()) < 5
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"bitcoin-network-{entry.entry_id}"), entry.entry_id
    )
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.configuration_url == mempool_mock.url.removesuffix("/api")


def dt_from(text: str) -> Any:  # noqa: ANN401
    """A timestamp sensor's state as a datetime."""
    from homeassistant.util import dt as dt_util  # noqa: PLC0415

    parsed = dt_util.parse_datetime(text)
    assert parsed is not None
    return parsed


def dt_from_timestamp(seconds: float) -> Any:  # noqa: ANN401
    """Unix seconds as an aware datetime."""
    from homeassistant.util import dt as dt_util  # noqa: PLC0415

    return dt_util.utc_from_timestamp(seconds)


async def test_currency_and_fee_options(
    hass: HomeAssistant, mempool_mock: MempoolServer
) -> None:
    """The currency option wins over Home Assistant's; USD where mempool has none."""
    hass.config.currency = "SEK"
    await set_up(hass, mempool_mock, **{CONF_CURRENCY: "JPY", CONF_POOL_FEE: 1.5})
    assert Decimal(state_of(hass, "btc_price")) == mempool_mock.network.prices["JPY"]


async def test_usd_without_a_currency_mempool_quotes(
    hass: HomeAssistant, mempool_mock: MempoolServer
) -> None:
    """Home Assistant in SEK: BTC is priced in USD."""
    hass.config.currency = "SEK"
    await set_up(hass, mempool_mock)
    state = hass.states.get(entity_id(hass, "btc_price"))
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "USD/BTC"


async def test_one_request_per_poll_until_a_block_is_found(
    hass: HomeAssistant, mempool_mock: MempoolServer, freezer: FrozenDateTimeFactory
) -> None:
    """The tip is the change marker; the figures are read again only for a new block."""
    await set_up(hass, mempool_mock)
    assert mempool_mock.requests == [TIP, *FIGURE_PATHS, PRICES_PATH]
    mempool_mock.requests.clear()

    await poll(hass, freezer)
    await poll(hass, freezer)
    assert mempool_mock.requests == [TIP, TIP]

    mempool_mock.requests.clear()
    mempool_mock.network.fees_sat *= 2
    mempool_mock.mine_block()
    await poll(hass, freezer)
    assert mempool_mock.requests == [TIP, *FIGURE_PATHS]
    assert int(state_of(hass, "block_height")) == mempool_mock.height
    assert (
        Decimal(state_of(hass, "average_fees"))
        == Decimal(mempool_mock.network.fees_sat) / 10**8
    )

    # The price, at most every half hour.
    mempool_mock.requests.clear()
    polls = int(BITCOIN_PRICE_INTERVAL / BITCOIN_NETWORK_SCAN_INTERVAL)
    for _ in range(polls):
        await poll(hass, freezer)
    assert mempool_mock.requests_to(PRICES_PATH) == 1
    assert mempool_mock.requests_to(TIP) == polls


async def test_rate_limiting_is_honoured(
    hass: HomeAssistant, mempool_mock: MempoolServer, freezer: FrozenDateTimeFactory
) -> None:
    """A long Retry-After: nothing is sent until it passes; recent figures stay."""
    await set_up(hass, mempool_mock)
    before = state_of(hass, "hashprice_btc")
    mempool_mock.retry_after = 600
    mempool_mock.inject(TIP, Fault.RATE_LIMIT, 1)
    mempool_mock.requests.clear()
    await poll(hass, freezer)
    assert mempool_mock.requests == [TIP]  # refused, and not retried at once
    assert state_of(hass, "hashprice_btc") == before
    for _ in range(3):  # 3, 6 and 9 minutes later: within the 10 minutes asked
        await poll(hass, freezer)
        assert mempool_mock.requests == [TIP]
        assert state_of(hass, "hashprice_btc") == before
    await poll(hass, freezer)
    assert mempool_mock.requests == [TIP, TIP]  # Retry-After passed
    assert state_of(hass, "hashprice_btc") == before


async def test_a_retry_after_of_hours_waits_no_longer_than_the_figures_last(
    hass: HomeAssistant, mempool_mock: MempoolServer, freezer: FrozenDateTimeFactory
) -> None:
    """Asked to wait two hours: asked again once the figures would go, after 30 minutes."""
    await set_up(hass, mempool_mock)
    mempool_mock.retry_after = 7200
    mempool_mock.inject(TIP, Fault.RATE_LIMIT, 1)
    mempool_mock.requests.clear()
    await poll(hass, freezer)
    polls = int(MAX_FIGURES_AGE / BITCOIN_NETWORK_SCAN_INTERVAL)
    for _ in range(polls - 1):
        await poll(hass, freezer)
        assert mempool_mock.requests == [TIP]
    await poll(hass, freezer)
    assert mempool_mock.requests_to(TIP) == 2
    assert state_of(hass, "hashprice_btc") != STATE_UNAVAILABLE


async def test_rate_limited_too_long_makes_the_figures_unavailable(
    hass: HomeAssistant, mempool_mock: MempoolServer, freezer: FrozenDateTimeFactory
) -> None:
    """Old figures are not shown as current for longer than MAX_FIGURES_AGE."""
    await set_up(hass, mempool_mock)
    mempool_mock.retry_after = 60
    mempool_mock.inject(None, Fault.RATE_LIMIT, None)
    polls = int(MAX_FIGURES_AGE / BITCOIN_NETWORK_SCAN_INTERVAL)
    for _ in range(polls - 1):
        await poll(hass, freezer)
        assert state_of(hass, "hashprice_btc") != STATE_UNAVAILABLE
    for _ in range(2):
        await poll(hass, freezer)
    assert state_of(hass, "hashprice_btc") == STATE_UNAVAILABLE
    mempool_mock.clear_faults()
    await poll(hass, freezer)
    assert state_of(hass, "hashprice_btc") != STATE_UNAVAILABLE


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.GARBAGE, "unreadable"),
        (Fault.SERVER_ERROR, "failed to answer"),
        (Fault.UNAVAILABLE, "failed to answer"),
    ],
)
async def test_failures_make_the_entry_unavailable(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    *,
    fault: Fault,
    message: str,
) -> None:
    """Garbage or an outage: unavailable, logged once, back when the API is."""
    entry = await set_up(hass, mempool_mock)
    mempool_mock.inject(None, fault, None)
    mempool_mock.mine_block()
    # The client retries 5xx after a backoff: let the frozen clock move meanwhile.
    await while_time_passes(
        hass, freezer, entry.runtime_data.coordinator.async_refresh()
    )
    await hass.async_block_till_done()
    assert state_of(hass, "hashprice_btc") == STATE_UNAVAILABLE
    assert state_of(hass, "hashprice") == STATE_UNAVAILABLE
    assert message in caplog.text
    mempool_mock.clear_faults()
    await poll(hass, freezer)
    assert state_of(hass, "hashprice_btc") != STATE_UNAVAILABLE


async def test_an_api_that_went_away(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listens any more: unavailable, not frozen at the last figures."""
    await set_up(hass, mempool_mock)
    await mempool_mock.stop()
    await poll(hass, freezer)
    assert state_of(hass, "hashprice_btc") == STATE_UNAVAILABLE
    assert "Could not reach the mempool API" in caplog.text


async def test_no_price_leaves_only_the_prices_unavailable(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed price read: hashprice in BTC and the network figures stay."""
    mempool_mock.inject(PRICES_PATH, Fault.GARBAGE, 1)
    await set_up(hass, mempool_mock)
    assert state_of(hass, "hashprice") == STATE_UNAVAILABLE
    assert state_of(hass, "btc_price") == STATE_UNAVAILABLE
    assert state_of(hass, "hashprice_btc") != STATE_UNAVAILABLE
    assert "no BTC price" in caplog.text


async def test_setup_retries_when_the_api_is_down(
    hass: HomeAssistant, mempool_mock: MempoolServer
) -> None:
    """Unreachable at setup: the entry is set up again later."""
    mempool_mock.inject(None, Fault.GARBAGE, None)
    entry = await set_up(hass, mempool_mock)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_a_stored_url_that_is_not_usable(hass: HomeAssistant) -> None:
    """An entry whose URL the client refuses fails for good, saying why."""
    entry = network_entry("ftp://example.invalid/api")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_unload_and_device_removal(
    hass: HomeAssistant, mempool_mock: MempoolServer
) -> None:
    """The entry unloads; its own device cannot be removed while it exists."""
    entry = await set_up(hass, mempool_mock)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"bitcoin-network-{entry.entry_id}"), entry.entry_id
    )
    assert device is not None
    from custom_components.hashwatt import (  # noqa: PLC0415
        async_remove_config_entry_device,
    )

    assert not await async_remove_config_entry_device(hass, entry, device)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mempool_mock: MempoolServer,
) -> None:
    """The figures and options; a self-hosted API's address is redacted."""
    entry = await set_up(hass, mempool_mock, **{CONF_POOL_FEE: 2.5})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"]["url"] == "**REDACTED**"
    assert diagnostics["entry"]["title"] == "**REDACTED**"
    assert "127.0.0.1" not in str(diagnostics)
    assert diagnostics["entry"]["options"] == {CONF_POOL_FEE: 2.5}
    data = diagnostics["data"]
    assert data["figures"]["tip_height"] == mempool_mock.height
    assert data["pool_fee"] == "2.5"
    assert float(data["revenue"]) == pytest.approx(
        float(mempool_mock.expected_hashprice()) * 0.975, rel=1e-6
    )


async def test_the_price_comes_back(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A price read that failed is tried again at the next poll, and logged when back."""
    mempool_mock.inject(PRICES_PATH, Fault.GARBAGE, 1)
    await set_up(hass, mempool_mock)
    assert state_of(hass, "btc_price") == STATE_UNAVAILABLE
    await poll(hass, freezer)
    assert Decimal(state_of(hass, "btc_price")) == mempool_mock.network.prices["EUR"]
    assert "the BTC price is back" in caplog.text


async def test_a_rate_limited_price_read_waits_too(
    hass: HomeAssistant, mempool_mock: MempoolServer, freezer: FrozenDateTimeFactory
) -> None:
    """429 on the price: like any request, nothing more until Retry-After passes."""
    await set_up(hass, mempool_mock)
    mempool_mock.retry_after = 300
    mempool_mock.inject(PRICES_PATH, Fault.RATE_LIMIT, 1)
    polls = int(BITCOIN_PRICE_INTERVAL / BITCOIN_NETWORK_SCAN_INTERVAL)
    for _ in range(polls):
        await poll(hass, freezer)
    mempool_mock.requests.clear()
    await poll(hass, freezer)  # 3 minutes after the 429: still waiting
    assert mempool_mock.requests == []
    assert state_of(hass, "hashprice_btc") != STATE_UNAVAILABLE
    await poll(hass, freezer)
    assert mempool_mock.requests == [TIP, PRICES_PATH]


async def test_another_api_error(
    hass: HomeAssistant, mempool_mock: MempoolServer, caplog: pytest.LogCaptureFixture
) -> None:
    """An API that answers 404 for the mining figures (no block index)."""
    entry = network_entry(mempool_mock.url.removesuffix("/api") + "/nothing")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "does not serve the mining figures" in caplog.text
