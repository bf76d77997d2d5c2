"""Tests of the binary sensors: mining, problem, pool connection."""

from collections.abc import AsyncIterator
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hashwatt.const import SLOW_SCAN_INTERVAL
from simulator.whatsminer import SimulatedMiner

from .conftest import tick


@pytest.fixture
async def setup_binary_sensors(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set up the miner entry with the binary sensor platform only."""
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [Platform.BINARY_SENSOR]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        yield mock_config_entry


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_binary_sensors(
    hass: HomeAssistant,
    setup_binary_sensors: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every binary sensor, with its device class and state."""
    await snapshot_platform(
        hass, entity_registry, snapshot, setup_binary_sensors.entry_id
    )


async def test_states_follow_the_miner(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    setup_binary_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Stopping the miner and an error code show up at the next polls."""
    assert hass.states.get("binary_sensor.miner_1_mining").state == STATE_ON
    assert hass.states.get("binary_sensor.miner_1_pool_connection").state == STATE_ON
    assert hass.states.get("binary_sensor.miner_1_problem").state == STATE_OFF

    simulated_miner.set_mining(simulated_miner.clock(), mining=False)
    simulated_miner.add_error(530)
    await tick(hass, freezer)

    assert hass.states.get("binary_sensor.miner_1_mining").state == STATE_OFF

    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert hass.states.get("binary_sensor.miner_1_pool_connection").state == STATE_OFF
    assert hass.states.get("binary_sensor.miner_1_problem").state == STATE_ON
