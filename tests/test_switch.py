"""Switches, against the simulated miner: the state shown is always the miner's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hashwatt.const import SLOW_SCAN_INTERVAL
from simulator.whatsminer import Fault, SimulatedMiner

from .conftest import tick
from .control_helpers import loaded_with, writes

MINING = "switch.miner_1_mining"
FAST_BOOT = "switch.miner_1_fast_boot"
FAN_ZERO_SPEED = "switch.miner_1_fans_may_stop"
POWEROFF_COOL = "switch.miner_1_cooling_after_power_off"


@pytest.fixture
async def setup_switches(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set up the miner entry with the switch platform only."""
    async with loaded_with(hass, mock_config_entry, Platform.SWITCH) as entry:
        yield entry


async def switch(hass: HomeAssistant, entity_id: str, service: str) -> None:
    """Turn a switch on or off and wait for it."""
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_switches(
    hass: HomeAssistant,
    setup_switches: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The switches a miner can read back: settings only where its API reports them."""
    await snapshot_platform(hass, entity_registry, snapshot, setup_switches.entry_id)


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_rarely_changed_settings_are_disabled_by_default(
    hass: HomeAssistant,
    setup_switches: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Fan settings are opt-in, and so (issue 15) is fast boot."""
    disabled = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, setup_switches.entry_id
        )
        if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert disabled == {FAN_ZERO_SPEED, POWEROFF_COOL, FAST_BOOT}


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_mining_off_and_on(
    hass: HomeAssistant,
    setup_switches: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Mining stops and starts; the switch follows what the miner then reports."""
    assert hass.states.get(MINING).state == STATE_ON

    await switch(hass, MINING, SERVICE_TURN_OFF)

    assert not simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_OFF

    await tick(hass, freezer, 30)
    await switch(hass, MINING, SERVICE_TURN_ON)
    await tick(hass, freezer, 10)  # the confirming poll waits out the last one

    assert simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_ON
    assert len(writes(simulated_miner)) == 2


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_fast_boot(
    hass: HomeAssistant,
    setup_switches: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """Fast boot is switched on the miner, and read back from it."""
    await switch(hass, FAST_BOOT, SERVICE_TURN_ON)

    assert simulated_miner.state.fast_boot
    assert hass.states.get(FAST_BOOT).state == STATE_ON


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("miner_api", ["v3"])
@pytest.mark.parametrize(
    ("entity_id", "service", "read_back", "expected"),
    [
        (FAN_ZERO_SPEED, SERVICE_TURN_ON, lambda state: state.fan_zero_speed, True),
        (POWEROFF_COOL, SERVICE_TURN_OFF, lambda state: state.poweroff_cool, False),
    ],
)
async def test_settings(
    hass: HomeAssistant,
    *,
    setup_switches: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    entity_id: str,
    service: str,
    read_back: object,
    expected: bool,
) -> None:
    """A setting changes on the miner; the slow poll reads it back at once."""
    await switch(hass, entity_id, service)

    assert read_back(simulated_miner.state) is expected  # type: ignore[operator]
    assert hass.states.get(entity_id).state == (STATE_ON if expected else STATE_OFF)


async def test_refused_switch_keeps_the_miners_state(
    hass: HomeAssistant,
    setup_switches: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A write the miner refuses is an error, and the switch does not pretend otherwise."""
    simulated_miner.inject(Fault.REFUSE)

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, MINING, SERVICE_TURN_OFF)

    assert raised.value.translation_key == "communication_error"
    simulated_miner.clear_faults()
    assert simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_ON


@pytest.mark.parametrize(
    ("miner_api", "command", "reported"),
    [
        # API v2 got half a reply: something went wrong, and the user hears so.
        ("v2", "power_off", True),
        # API v3 lost the connection after the request: stopping may do that.
        ("v3", "set.miner.service", False),
    ],
)
async def test_power_off_sent_once_when_the_reply_is_lost(
    hass: HomeAssistant,
    *,
    setup_switches: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
    command: str,
    reported: bool,
) -> None:
    """A power-off whose reply is cut off is never sent again; the next poll tells."""
    simulated_miner.inject(Fault.RESET, count=1, commands={command})

    if reported:
        with pytest.raises(HomeAssistantError) as raised:
            await switch(hass, MINING, SERVICE_TURN_OFF)
        assert raised.value.translation_key == "communication_error"
    else:
        await switch(hass, MINING, SERVICE_TURN_OFF)
    await tick(hass, freezer, 30)

    assert writes(simulated_miner) == [command]
    assert not simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_OFF


async def test_write_api_switched_off(
    hass: HomeAssistant,
    setup_switches: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With the write API off the switch shows the miner's state; a change is refused."""
    simulated_miner.state.write_enabled = False
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert hass.states.get(MINING).state == STATE_ON
    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, MINING, SERVICE_TURN_OFF)
    assert raised.value.translation_key == "write_disabled"
    assert simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_ON

    simulated_miner.state.write_enabled = True
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert hass.states.get(MINING).state == STATE_ON
