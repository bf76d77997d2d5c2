"""Tests of the binary sensors: problem, pool connection."""

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
    """An error code and a lost pool show up at the next slow poll."""
    assert hass.states.get("binary_sensor.miner_1_pool_connection").state == STATE_ON
    assert hass.states.get("binary_sensor.miner_1_problem").state == STATE_OFF

    simulated_miner.set_mining(simulated_miner.clock(), mining=False)
    simulated_miner.add_error(530)
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert hass.states.get("binary_sensor.miner_1_pool_connection").state == STATE_OFF
    assert hass.states.get("binary_sensor.miner_1_problem").state == STATE_ON


async def test_each_setting_is_shown_once(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Mining, power limit and power mode are one entity each, the control.

    No two entities of a miner share a name on its device page.
    """
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    entities = er.async_entries_for_config_entry(
        entity_registry, mock_config_entry.entry_id
    )
    for key, entity_id in (
        ("mining", "switch.miner_1_mining"),
        ("power_limit", "number.miner_1_power_limit_restarts_mining"),
        ("power_mode", "select.miner_1_power_mode_restarts_mining"),
    ):
        assert [
            entity.entity_id
            for entity in entities
            if entity.unique_id == f"{mock_config_entry.unique_id}_{key}"
        ] == [entity_id]
    names = [
        hass.states.get(entity.entity_id).attributes["friendly_name"]
        for entity in entities
        if hass.states.get(entity.entity_id) is not None
    ]
    assert len(names) == len(set(names))
