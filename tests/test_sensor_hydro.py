"""Liquid-cooled miners: a coolant temperature sensor, and no fan sensors that read 0 forever."""

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import DOMAIN
from simulator.whatsminer import SimulatedMiner

from .conftest import TITLE, miner_entry_data


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("miner_api", ["v2", "v3"])
@pytest.mark.parametrize("miner_model", ["M63S"])  # hydro: no fans
async def test_hydro_miner_has_coolant_and_no_fans(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    entity_registry: er.EntityRegistry,
) -> None:
    """Both fans stand while it hashes (and on v3 its model says hydro)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=format_mac(simulated_miner.state.mac),
        data=miner_entry_data(simulated_miner),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.runtime_data.fast.data.liquid_cooled
    ids = {
        registry_entry.entity_id
        for registry_entry in er.async_entries_for_config_entry(
            entity_registry, entry.entry_id
        )
    }
    assert "sensor.miner_1_coolant_temperature" in ids
    assert "sensor.miner_1_intake_fan_speed" not in ids
    assert "sensor.miner_1_exhaust_fan_speed" not in ids
    state = hass.states.get("sensor.miner_1_coolant_temperature")
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "°C"
    assert state.attributes["device_class"] == "temperature"


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_air_cooled_miner_keeps_its_fans(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An M50 has fans, and no coolant to measure."""
    assert not init_integration.runtime_data.fast.data.liquid_cooled
    assert hass.states.get("sensor.miner_1_intake_fan_speed") is not None
    assert hass.states.get("sensor.miner_1_coolant_temperature") is None
