"""Energy after a restart or a crash: never below what was last shown or recorded.

Home Assistant saves restore data every 15 minutes and at a clean stop; the
recorder commits each state within seconds. These tests run with the real
recorder (in memory) and restore data older or newer than what it holds.
"""

import logging
from collections.abc import Iterator
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    RecorderInstanceContextManager,
)

from .conftest import tick

ENERGY = "sensor.miner_1_energy"
RECORDED_IN_WH = {"unit_of_measurement": "Wh", "state_class": "total_increasing"}


@pytest.fixture(autouse=True)
async def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceContextManager,
) -> None:
    """Let the recorder's database be prepared before Home Assistant starts."""


@pytest.fixture(autouse=True)
def sensors_only() -> Iterator[None]:
    """Set up the sensor platform only."""
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [Platform.SENSOR]):
        yield


def restore_energy(hass: HomeAssistant, kwh: float) -> None:
    """Make Home Assistant's restore data hold ``kwh`` for the energy sensor."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(ENERGY, str(kwh)),
                {"native_value": kwh, "native_unit_of_measurement": "kWh"},
            )
        ],
    )


def follow_energy(hass: HomeAssistant) -> list[str]:
    """Every state the energy sensor is written with from now on (filled as it goes)."""
    written: list[str] = []

    @callback
    def async_record(event: Event[EventStateChangedData]) -> None:
        if (new_state := event.data["new_state"]) is not None:
            written.append(new_state.state)

    async_track_state_change_event(hass, ENERGY, async_record)
    return written


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up (or set up again) the miner entry."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_energy_after_a_crash_continues_from_the_recorder(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Restore data older than the recorder's last state (a crash): the total holds.

    The last periodic save held a third of the total shown; the recorder had
    committed every state since. The total starts from the recorder's, is never
    written lower, and keeps growing: statistics see no meter reset.
    """
    caplog.set_level(logging.INFO, logger="custom_components.hashwatt")
    await set_up(hass, mock_config_entry)
    for _ in range(10):
        await tick(hass, freezer)
    shown = float(hass.states.get(ENERGY).state)
    assert shown > 0.2
    await async_wait_recording_done(hass)
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    restore_energy(hass, shown / 3)
    written = follow_energy(hass)

    await set_up(hass, mock_config_entry)
    for _ in range(3):
        await tick(hass, freezer)

    numbers = [float(state) for state in written if state != STATE_UNAVAILABLE]
    assert numbers[0] == pytest.approx(shown)
    assert all(number >= shown for number in numbers)
    assert numbers == sorted(numbers)
    assert numbers[-1] > shown
    assert (
        f"{ENERGY} continues from the recorder's last total, {shown:.6f} kWh"
        in caplog.text
    )


async def test_restore_data_newer_than_the_recorder_wins_quietly(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a clean stop the restore data is the newest: it is taken, nothing said."""
    caplog.set_level(logging.INFO, logger="custom_components.hashwatt")
    hass.states.async_set(ENERGY, "1100.0", RECORDED_IN_WH)
    await async_wait_recording_done(hass)
    hass.states.async_remove(ENERGY)
    restore_energy(hass, 1.25)

    await set_up(hass, mock_config_entry)

    assert hass.states.get(ENERGY).state == "1.25"
    assert "continues from the recorder" not in caplog.text


async def test_recorded_total_past_unavailable_and_in_wh(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The recorder's last number counts, behind an "unavailable", in the unit shown."""
    hass.states.async_set(ENERGY, "1500.0", RECORDED_IN_WH)
    hass.states.async_set(ENERGY, STATE_UNAVAILABLE, RECORDED_IN_WH)
    await async_wait_recording_done(hass)
    hass.states.async_remove(ENERGY)
    restore_energy(hass, 1.25)

    await set_up(hass, mock_config_entry)

    assert float(hass.states.get(ENERGY).state) == pytest.approx(1.5)


async def test_recorded_total_without_restore_data(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Restore data lost entirely (a crash before the first save): the recorder's total."""
    hass.states.async_set(
        ENERGY, "0.75", {**RECORDED_IN_WH, "unit_of_measurement": "kWh"}
    )
    await async_wait_recording_done(hass)
    hass.states.async_remove(ENERGY)

    await set_up(hass, mock_config_entry)

    assert float(hass.states.get(ENERGY).state) == pytest.approx(0.75)
