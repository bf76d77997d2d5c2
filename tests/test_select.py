"""The power mode select, against the simulated miner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from simulator.whatsminer import Fault, SimulatedMiner

from .control_helpers import loaded_with, writes

POWER_MODE = "select.miner_1_power_mode"


@pytest.fixture
async def setup_selects(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set up the miner entry with the select platform only."""
    async with loaded_with(hass, mock_config_entry, Platform.SELECT) as entry:
        yield entry


async def select(hass: HomeAssistant, option: str) -> None:
    """Choose a power mode and wait for it."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: POWER_MODE, ATTR_OPTION: option},
        blocking=True,
    )


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_selects(
    hass: HomeAssistant,
    setup_selects: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The power mode, with its options."""
    await snapshot_platform(hass, entity_registry, snapshot, setup_selects.entry_id)


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
@pytest.mark.parametrize(("option", "reported"), [("low", "Low"), ("high", "High")])
async def test_power_mode(
    hass: HomeAssistant,
    setup_selects: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    option: str,
    reported: str,
) -> None:
    """The mode goes to the miner, and the select shows what the miner reports."""
    await select(hass, option)

    assert simulated_miner.state.power_mode == reported
    assert hass.states.get(POWER_MODE).state == option
    assert len(writes(simulated_miner)) == 1


async def test_unknown_option(
    hass: HomeAssistant,
    setup_selects: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """An option the miner has not is refused before anything is sent."""
    with pytest.raises(ServiceValidationError):
        await select(hass, "turbo")

    assert writes(simulated_miner) == []


async def test_refused_mode_keeps_the_miners(
    hass: HomeAssistant,
    setup_selects: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """An unreadable answer is a translated error; the select keeps the miner's mode."""
    simulated_miner.inject(Fault.GARBAGE, count=1, commands={"set_low_power"})

    with pytest.raises(HomeAssistantError) as raised:
        await select(hass, "low")

    assert raised.value.translation_key == "command_invalid_reply"
    assert hass.states.get(POWER_MODE).state == "normal"
