"""Tests of the error event entity."""

from collections.abc import AsyncIterator
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hashwatt.const import SLOW_SCAN_INTERVAL
from simulator.whatsminer import SimulatedMiner

from .conftest import START, tick

ERROR_EVENT = "event.miner_1_error"


@pytest.fixture
async def setup_events(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set up the miner entry with the event platform only."""
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [Platform.EVENT]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        yield mock_config_entry


async def test_event_entity(
    hass: HomeAssistant,
    setup_events: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The error event entity, before any error."""
    await snapshot_platform(hass, entity_registry, snapshot, setup_events.entry_id)


async def test_each_new_error_code_fires_once(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Codes present at startup are not news; each new code fires, a code back fires again."""
    simulated_miner.add_error(111)
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [Platform.EVENT]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    changes = async_capture_events(hass, "state_changed")
    assert hass.states.get(ERROR_EVENT).state == STATE_UNKNOWN

    simulated_miner.add_error(2010)
    simulated_miner.add_error(530)
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    fired = event_attributes(changes)
    assert fired == [
        {
            "event_type": "error_reported",
            "code": 2010,
            "reported_at": "2026-11-20T20:00:00",
        },
        {
            "event_type": "error_reported",
            "code": 530,
            "reported_at": "2026-11-20T20:00:00",
        },
    ]
    assert hass.states.get(ERROR_EVENT).state.startswith(
        (START + SLOW_SCAN_INTERVAL).isoformat(timespec="seconds")[:19]
    )

    changes.clear()
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())
    assert event_attributes(changes) == []

    simulated_miner.state.errors = [
        error for error in simulated_miner.state.errors if error.code != 2010
    ]
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())
    simulated_miner.add_error(2010)
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert [fired["code"] for fired in event_attributes(changes)] == [2010]


def event_attributes(changes: list[Event]) -> list[dict[str, object]]:
    """The attributes of each error event fired, from the entity's state changes."""
    return [
        {
            key: change.data["new_state"].attributes[key]
            for key in ("event_type", "code", "reported_at")
        }
        for change in changes
        if change.data["entity_id"] == ERROR_EVENT
        and change.data["new_state"].attributes.get("code") is not None
        and change.data["old_state"].state != change.data["new_state"].state
    ]
