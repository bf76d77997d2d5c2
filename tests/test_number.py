"""Numbers, against the simulated miner: the value shown is always the miner's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
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

from custom_components.hashwatt.const import SLOW_SCAN_INTERVAL
from simulator.whatsminer import SimulatedMiner

from .conftest import tick
from .control_helpers import loaded_with, writes

POWER_LIMIT = "number.miner_1_power_limit_restarts_mining"
POWER_PERCENT = "number.miner_1_power_percent"
TARGET_FREQUENCY = "number.miner_1_target_frequency"
TEMPERATURE_OFFSET = "number.miner_1_temperature_offset"
UPFREQ_SPEED = "number.miner_1_up_frequency_speed"


@pytest.fixture
async def setup_numbers(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set up the miner entry with the number platform only."""
    async with loaded_with(hass, mock_config_entry, Platform.NUMBER) as entry:
        yield entry


async def set_value(hass: HomeAssistant, entity_id: str, value: float) -> None:
    """Set a number and wait for it."""
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_numbers(
    hass: HomeAssistant,
    setup_numbers: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The numbers a miner can read back, with their units and ranges."""
    await snapshot_platform(hass, entity_registry, snapshot, setup_numbers.entry_id)


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_tuning_is_disabled_by_default(
    hass: HomeAssistant,
    setup_numbers: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Frequency, temperature offset and up-frequency speed are for experts."""
    disabled = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, setup_numbers.entry_id
        )
        if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert disabled == {TARGET_FREQUENCY, TEMPERATURE_OFFSET, UPFREQ_SPEED}


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
@pytest.mark.parametrize("watts", [2800, 12000])
async def test_power_limit(
    hass: HomeAssistant,
    setup_numbers: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    watts: int,
) -> None:
    """The power limit goes to the miner (hydro-sized too) and is read back."""
    await set_value(hass, POWER_LIMIT, watts)

    assert simulated_miner.state.power_limit == watts
    assert float(hass.states.get(POWER_LIMIT).state) == watts
    assert len(writes(simulated_miner)) == 1


async def test_power_limit_out_of_range(
    hass: HomeAssistant,
    setup_numbers: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A value beyond the vendor's range is refused before anything is sent."""
    with pytest.raises(ServiceValidationError):
        await set_value(hass, POWER_LIMIT, 100000)

    assert writes(simulated_miner) == []


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("miner_api", ["v3"])
@pytest.mark.parametrize(
    ("entity_id", "value", "read_back"),
    [
        (TARGET_FREQUENCY, -10, lambda state: state.target_freq),
        (TEMPERATURE_OFFSET, -5, lambda state: state.temp_offset),
        (UPFREQ_SPEED, 3, lambda state: state.upfreq_speed),
    ],
)
async def test_settings(
    hass: HomeAssistant,
    *,
    setup_numbers: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    entity_id: str,
    value: int,
    read_back: object,
) -> None:
    """A setting goes to the miner; the slow poll reads it back at once."""
    await set_value(hass, entity_id, value)

    assert read_back(simulated_miner.state) == value  # type: ignore[operator]
    assert float(hass.states.get(entity_id).state) == value


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_power_percent_shows_the_ramp(
    hass: HomeAssistant,
    setup_numbers: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Power percent changes the gradual way; the number follows the miner, not the wish."""
    await set_value(hass, POWER_PERCENT, 80)

    assert simulated_miner.state.power_percent_mode == "normal"
    # Minutes to get there: right now the miner still runs at full power.
    assert float(hass.states.get(POWER_PERCENT).state) == 100

    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert float(hass.states.get(POWER_PERCENT).state) == 80


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("miner_api", ["v3"])
async def test_refused_value_keeps_the_miners(
    hass: HomeAssistant,
    setup_numbers: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A value the miner refuses is a translated error; the number keeps the miner's."""
    with pytest.raises(HomeAssistantError) as raised:
        # Air-cooled miners only underclock.
        await set_value(hass, TARGET_FREQUENCY, 10)

    assert raised.value.translation_key == "command_refused"
    assert simulated_miner.state.target_freq == 0
    assert float(hass.states.get(TARGET_FREQUENCY).state) == 0
