"""Buttons, against the simulated miner: reboot, restart mining, identify."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_HOMEASSISTANT_STOP,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hashwatt.button import IDENTIFY_DURATION
from simulator.whatsminer import Fault, SimulatedMiner

from .conftest import tick
from .control_helpers import loaded_with, writes

IDENTIFY = "button.miner_1_identify"
REBOOT = "button.miner_1_reboot"
RESTART_MINING = "button.miner_1_restart_mining"


@pytest.fixture
async def setup_buttons(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set up the miner entry with the button platform only."""
    async with loaded_with(hass, mock_config_entry, Platform.BUTTON) as entry:
        yield entry


async def press(hass: HomeAssistant, entity_id: str) -> None:
    """Press a button and wait for it."""
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


def led(miner: SimulatedMiner) -> object:
    """Return the miner's LED: "auto", or its manual pattern."""
    state = miner.state.led
    if state == "auto":
        return state
    return [(p.color, p.period, p.duration, p.start) for p in state]  # type: ignore[union-attr]


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_buttons(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Reboot, restart mining and identify."""
    await snapshot_platform(hass, entity_registry, snapshot, setup_buttons.entry_id)


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_reboot(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The miner reboots once; its buttons are unavailable until it is back."""
    await press(hass, REBOOT)

    assert len(writes(simulated_miner)) == 1
    assert simulated_miner.is_down()
    assert hass.states.get(REBOOT).state == STATE_UNAVAILABLE

    await tick(hass, freezer, simulated_miner.reboot_downtime + 1)

    assert hass.states.get(REBOOT).state != STATE_UNAVAILABLE
    assert len(writes(simulated_miner)) == 1


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_restart_mining(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """Only the mining service restarts: the control board stays up."""
    await press(hass, RESTART_MINING)

    assert writes(simulated_miner) in (["restart_btminer"], ["set.miner.service"])
    assert not simulated_miner.is_down()


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_identify_blinks_then_gives_the_led_back(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The LED blinks red for a while, then returns to automatic control.

    The button says so while it blinks: its state is only when it was pressed.
    """
    assert hass.states.get(IDENTIFY).attributes["identifying"] is False
    await press(hass, IDENTIFY)
    assert led(simulated_miner) == [("red", 500, 250, 0)]
    attributes = hass.states.get(IDENTIFY).attributes
    assert attributes["identifying"] is True
    assert attributes["identifying_until"] == dt_util.utcnow() + IDENTIFY_DURATION

    await tick(hass, freezer, IDENTIFY_DURATION.total_seconds() - 1)
    assert led(simulated_miner) != "auto"
    assert hass.states.get(IDENTIFY).attributes["identifying"] is True

    await tick(hass, freezer, 2)
    assert led(simulated_miner) == "auto"
    assert len(writes(simulated_miner)) == 2
    attributes = hass.states.get(IDENTIFY).attributes
    assert attributes["identifying"] is False
    assert attributes["identifying_until"] is None


async def test_identify_again_blinks_longer(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pressing again while it blinks starts the time over."""
    await press(hass, IDENTIFY)
    await tick(hass, freezer, 40)
    await press(hass, IDENTIFY)

    await tick(hass, freezer, IDENTIFY_DURATION.total_seconds() - 1)
    assert led(simulated_miner) != "auto"

    await tick(hass, freezer, 2)
    assert led(simulated_miner) == "auto"
    assert len(writes(simulated_miner)) == 3


async def test_unload_gives_the_led_back(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """Unloading while the LED blinks gives it back at once rather than never."""
    await press(hass, IDENTIFY)

    assert await hass.config_entries.async_unload(setup_buttons.entry_id)

    assert setup_buttons.state is ConfigEntryState.NOT_LOADED
    assert led(simulated_miner) == "auto"


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_stopping_home_assistant_gives_the_led_back(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """Home Assistant stopping while the LED blinks gives it back, as unloading does."""
    await press(hass, IDENTIFY)
    assert led(simulated_miner) != "auto"

    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()

    assert led(simulated_miner) == "auto"


async def test_stopping_without_identify_sends_nothing(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """With no blinking to undo, Home Assistant stopping leaves the miner alone."""
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()

    assert writes(simulated_miner) == []


async def test_unload_without_identify_sends_nothing(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """With no blinking to undo, unloading leaves the miner alone."""
    assert await hass.config_entries.async_unload(setup_buttons.entry_id)

    assert writes(simulated_miner) == []


async def test_led_not_given_back_is_logged(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A miner gone when its LED is due back is noted in the log."""
    await press(hass, IDENTIFY)
    simulated_miner.inject(Fault.REFUSE)

    await tick(hass, freezer, IDENTIFY_DURATION.total_seconds() + 1)

    assert "Could not undo identify on Miner 1" in caplog.text
    simulated_miner.clear_faults()


async def test_press_fails(
    hass: HomeAssistant,
    setup_buttons: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A press the miner does not get is a translated error, and schedules nothing."""
    simulated_miner.inject(Fault.REFUSE)

    with pytest.raises(HomeAssistantError) as raised:
        await press(hass, IDENTIFY)

    assert raised.value.translation_key == "communication_error"
    simulated_miner.clear_faults()
    assert await hass.config_entries.async_unload(setup_buttons.entry_id)
    assert writes(simulated_miner) == []
