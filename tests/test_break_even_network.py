"""Break-even prices from the best source a miner has: its WhitePool account, else the network.

Against the simulated miner, the WhitePool mock and the mempool.space mock. Expected
prices are worked out from what the mocks serve, never from the sensors' code.
"""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SIGNAL_CONFIG_ENTRY_CHANGED
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.dispatcher import DATA_DISPATCHER
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.hashwatt.break_even import DATA_BREAK_EVEN
from custom_components.hashwatt.const import CONF_POOL_FEE, DOMAIN
from custom_components.hashwatt.coordinator import BitcoinNetworkCoordinator
from simulator.mempool import MempoolServer
from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.state import PoolSetting
from simulator.whitepool import WhitePoolServer

from .conftest import set_up_entry, tick, whitepool_entry
from .network_helpers import NETWORK_ENTRY_ID, network_entry

EFFICIENCY = "sensor.miner_1_efficiency"
OTHER_POOL = "stratum+tcp://btc.viabtc.io:3333"


@pytest.fixture(autouse=True)
def currency(hass: HomeAssistant) -> None:
    """Home Assistant's currency: one both mocks price BTC in."""
    hass.config.currency = "EUR"


def sensor(hass: HomeAssistant, unique_id: str) -> str:
    """The entity ID of one of the integration's sensors."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, unique_id
    )
    assert entity_id is not None, unique_id
    return entity_id


def miner_break_even(hass: HomeAssistant, miner: SimulatedMiner) -> str:
    """The miner's break-even price sensor."""
    return sensor(hass, f"{format_mac(miner.state.mac)}_break_even_price")


def value(hass: HomeAssistant, entity_id: str) -> float:
    """A sensor's value; it must be available."""
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE, entity_id
    return float(state.state)


def efficiency(hass: HomeAssistant, miner: SimulatedMiner) -> float:
    """The miner's efficiency as its sensor shows it, checked against the miner."""
    shown = value(hass, EFFICIENCY)
    reading = miner.reading()
    assert shown == pytest.approx(reading.power / reading.hashrate, rel=0.02)
    return shown


def network_price(server: MempoolServer, fee_percent: float, btc_price: float) -> float:
    """Hashprice after the pool fee, at ``btc_price``: currency per TH/s per day."""
    return float(server.expected_hashprice()) * (1 - fee_percent / 100) * btc_price


def per_kwh(revenue: float, joules_per_terahash: float) -> float:
    """Revenue per TH/s per day over the kWh a TH/s uses in a day."""
    return revenue / (joules_per_terahash * 24 / 1000)


def mine_elsewhere(miner: SimulatedMiner) -> None:
    """Point the miner at a pool no entry knows."""
    miner.state.pools = [PoolSetting(OTHER_POOL, "hashwatt.rig1", "x")]


async def test_a_miner_on_any_pool_goes_by_the_network(
    hass: HomeAssistant,
    whitepool_mock: WhitePoolServer,
    mempool_mock: MempoolServer,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Mining on ViaBTC: the network's hashprice less 2 %, not WhiteBIT's rate."""
    mine_elsewhere(simulated_miner)
    pool = await set_up_entry(hass, whitepool_entry())
    network = await set_up_entry(hass, network_entry(mempool_mock.url))
    await set_up_entry(hass, mock_config_entry)

    entity_id = miner_break_even(hass, simulated_miner)
    revenue = network_price(mempool_mock, 2, mempool_mock.network.prices["EUR"])
    assert value(hass, entity_id) == pytest.approx(
        per_kwh(revenue, efficiency(hass, simulated_miner)), rel=1e-6
    )
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "EUR/kWh"
    assert state.attributes["source"] == "network_hashprice"
    assert state.attributes["source_entry"] == network.title

    # The fleet (this one miner), on the network's device at its BTC price...
    fleet = sensor(hass, f"bitcoin-network-{NETWORK_ENTRY_ID}-fleet_break_even_price")
    assert value(hass, fleet) == pytest.approx(value(hass, entity_id), rel=1e-9)
    fleet_state = hass.states.get(fleet)
    assert fleet_state is not None
    assert fleet_state.attributes["source"] == "network_hashprice"
    assert fleet_state.attributes["miners"] == 1
    # ...and on WhiteBIT's, at WhiteBIT's BTC price: the miner's revenue is the same.
    whitebit_fleet = sensor(hass, f"whitepool-{pool.entry_id}-fleet_break_even_price")
    whitebit_price = float(whitepool_mock.prices["BTC_EUR"])
    assert value(hass, whitebit_fleet) == pytest.approx(
        per_kwh(
            network_price(mempool_mock, 2, whitebit_price),
            efficiency(hass, simulated_miner),
        ),
        rel=1e-6,
    )


@pytest.mark.usefixtures("whitepool_mock")
async def test_the_whitebit_account_it_mines_on_wins(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """On pool.whitebit.com: the account's FPPS rate; moved to ViaBTC: the network's."""
    network = await set_up_entry(hass, network_entry(mempool_mock.url))
    await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)
    entity_id = miner_break_even(hass, simulated_miner)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["source"] == "pool_rate"
    assert state.attributes["source_entry"] == "WhiteBIT mining pool (my_miner_01)"

    mine_elsewhere(simulated_miner)
    await tick(hass, freezer, 300)  # the slow poll reads the pools,
    await tick(hass, freezer, 30)  # the next fast poll updates the price
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["source"] == "network_hashprice"
    assert state.attributes["source_entry"] == network.title


async def test_the_pool_fee_option(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """No WhitePool entry at all; a pool that keeps 4 %."""
    mine_elsewhere(simulated_miner)
    await set_up_entry(
        hass, network_entry(mempool_mock.url, options={CONF_POOL_FEE: 4.0})
    )
    await set_up_entry(hass, mock_config_entry)
    revenue = network_price(mempool_mock, 4, mempool_mock.network.prices["EUR"])
    assert value(hass, miner_break_even(hass, simulated_miner)) == pytest.approx(
        per_kwh(revenue, efficiency(hass, simulated_miner)), rel=1e-6
    )


async def test_without_a_source_or_a_price_nothing_is_shown(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """No entry to price it by, then one without a BTC price: unavailable, not 0."""
    await set_up_entry(hass, mock_config_entry)
    entity_id = miner_break_even(hass, simulated_miner)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    mempool_mock.network.prices["EUR"] = -1  # mempool's "no price yet"
    network = await set_up_entry(hass, network_entry(mempool_mock.url))
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    coordinator: BitcoinNetworkCoordinator = network.runtime_data.coordinator
    assert coordinator.last_update_success


async def test_the_shared_listener_goes_with_the_last_entry(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Every entry unloaded: nothing of the break-even sensors stays behind."""
    signal = SIGNAL_CONFIG_ENTRY_CHANGED
    dispatcher = hass.data.get(DATA_DISPATCHER, {})
    listeners_before = len(dispatcher.get(signal, {}))
    network = await set_up_entry(hass, network_entry(mempool_mock.url))
    await set_up_entry(hass, mock_config_entry)
    assert DATA_BREAK_EVEN in hass.data
    assert len(hass.data[DATA_DISPATCHER][signal]) == listeners_before + 1

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert DATA_BREAK_EVEN in hass.data  # the network's fleet sensor still follows
    assert await hass.config_entries.async_unload(network.entry_id)
    await hass.async_block_till_done()
    assert DATA_BREAK_EVEN not in hass.data
    assert len(hass.data[DATA_DISPATCHER].get(signal, {})) == listeners_before

    # And it comes back with the entries.
    assert await hass.config_entries.async_setup(network.entry_id)
    await hass.async_block_till_done()
    assert len(hass.data[DATA_DISPATCHER][signal]) == listeners_before + 1


@pytest.mark.usefixtures("whitepool_mock")
async def test_the_pool_mined_on_survives_a_restart(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Found off, its pools not readable: it goes by the pool saved before the restart."""
    simulated_miner.set_mining(simulated_miner.clock(), mining=False)
    simulated_miner.state.pools = []
    mock_config_entry.add_to_hass(hass)
    entity_id = (
        er.async_get(hass)
        .async_get_or_create(
            Platform.SENSOR,
            DOMAIN,
            f"{format_mac(simulated_miner.state.mac)}_break_even_price",
            suggested_object_id="miner_1_break_even",
            config_entry=mock_config_entry,
        )
        .entity_id
    )
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_id, "0.0712"),
                {
                    "hashrate": 118.2,
                    "efficiency": 30.5,
                    "pool_host": "pool.whitebit.com",
                },
            )
        ],
    )
    await set_up_entry(hass, network_entry(mempool_mock.url))
    await set_up_entry(hass, whitepool_entry())
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["source"] == "pool_rate"
