"""Tests of the sensors: snapshots, energy integration, boards, errors, last boot."""

import dataclasses
from collections.abc import AsyncIterator
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hashwatt.const import SLOW_SCAN_INTERVAL
from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.state import PoolSetting

from .conftest import tick

ENERGY = "sensor.miner_1_energy"
POWER = "sensor.miner_1_power"
BOARD_3 = "sensor.miner_1_board_3_temperature"
# What another miner at the entry's address reports.
OTHER_MAC = "C6:07:20:00:00:42"


@pytest.fixture
async def setup_sensors(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set up the miner entry with the sensor platform only."""
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [Platform.SENSOR]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        yield mock_config_entry


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_sensors(
    hass: HomeAssistant,
    setup_sensors: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor, with its unit, device class, state class, category and value."""
    await snapshot_platform(hass, entity_registry, snapshot, setup_sensors.entry_id)


async def test_noisy_sensors_are_disabled_by_default(
    hass: HomeAssistant,
    setup_sensors: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Share counters, chip minimum, frequency and PSU electrics are opt-in.

    So are figures a dashboard rarely reads (issue 15): factory hashrate, chip
    average, PSU fan, firmware (the device page has it), last boot, and per
    board the temperature, the hottest chip and the effective chips.
    """
    disabled = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, setup_sensors.entry_id
        )
        if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert disabled == {
        "sensor.miner_1_accepted_shares",
        "sensor.miner_1_rejected_shares",
        "sensor.miner_1_chip_temperature_min",
        "sensor.miner_1_average_chip_frequency",
        "sensor.miner_1_psu_input_voltage",
        "sensor.miner_1_psu_input_current",
        # get_psu carries "pin" (captured: v2/mining-stack__M30S++-class__get_psu__2.raw)
        "sensor.miner_1_psu_input_power",
        "sensor.miner_1_factory_hashrate",
        "sensor.miner_1_chip_temperature_average",
        "sensor.miner_1_psu_fan_speed",
        "sensor.miner_1_firmware",
        "sensor.miner_1_last_boot",
        *(
            f"sensor.miner_1_board_{board}_{key}"
            for board in (1, 2, 3)
            for key in ("temperature", "chip_temperature", "effective_chips")
        ),
    }


def power(hass: HomeAssistant) -> float:
    """The power the last poll read, in watts."""
    return float(hass.states.get(POWER).state)


async def test_energy_integrates_power(
    hass: HomeAssistant, setup_sensors: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Energy grows by the trapezoid of consecutive power readings."""
    assert hass.states.get(ENERGY).state == "0.0"
    expected = 0.0
    for _ in range(4):
        before = power(hass)
        await tick(hass, freezer)
        expected += (before + power(hass)) / 2 * 30 / 3600 / 1000
        assert float(hass.states.get(ENERGY).state) == pytest.approx(expected)
    assert expected > 0.1  # about 3.3 kW for two minutes
    state = hass.states.get(ENERGY)
    assert state.attributes["unit_of_measurement"] == "kWh"
    assert state.attributes["state_class"] == "total_increasing"
    assert state.attributes["device_class"] == "energy"


async def test_energy_skips_outages_and_long_gaps(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    setup_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Nothing is known about the power while the miner is away, so nothing is added."""
    await simulated_miner.reboot_now(downtime=100)
    await tick(hass, freezer)
    assert hass.states.get(ENERGY).state == STATE_UNAVAILABLE
    for _ in range(3):
        await tick(hass, freezer)

    assert hass.states.get(ENERGY).state == "0.0"  # first reading since the outage

    await tick(hass, freezer, 120)  # a poll four intervals late: no trapezoid either

    assert hass.states.get(ENERGY).state == "0.0"

    before = power(hass)
    await tick(hass, freezer)

    assert float(hass.states.get(ENERGY).state) == pytest.approx(
        (before + power(hass)) / 2 * 30 / 3600 / 1000
    )


async def test_energy_is_restored(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The total survives a restart and keeps growing from there."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(ENERGY, "1234.5"),
                {"native_value": 1234.5, "native_unit_of_measurement": "kWh"},
            )
        ],
    )
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [Platform.SENSOR]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

        assert hass.states.get(ENERGY).state == "1234.5"
        await tick(hass, freezer)

    assert float(hass.states.get(ENERGY).state) > 1234.5


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_last_boot_ignores_poll_latency(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    setup_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Now minus uptime moves a little with every poll; only a reboot changes the boot time."""
    last_boot = hass.states.get("sensor.miner_1_last_boot").state
    simulated_miner.state.boot_time += 20  # as if the reply took 20 s longer

    await tick(hass, freezer)

    assert hass.states.get("sensor.miner_1_last_boot").state == last_boot

    await simulated_miner.reboot_now(downtime=60)  # at 12:00:30, back at 12:01:30
    await tick(hass, freezer, 90)

    assert (
        hass.states.get("sensor.miner_1_last_boot").state == "2026-11-20T12:01:30+00:00"
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_boards_appearing_later_get_sensors(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A hashboard that starts reporting later gets its sensors then."""
    model = simulated_miner.state.model
    simulated_miner.state.model = dataclasses.replace(model, boards=2)
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [Platform.SENSOR]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        assert hass.states.get("sensor.miner_1_board_3_temperature") is None

        simulated_miner.state.model = model
        await tick(hass, freezer)

    assert float(hass.states.get("sensor.miner_1_board_3_temperature").state) > 30


async def test_energy_skips_another_miner_at_the_address(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    setup_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Another miner's power is not this one's energy, nor is the time it answered."""
    runtime = setup_sensors.runtime_data
    before = power(hass)
    await tick(hass, freezer)
    energy = (before + power(hass)) / 2 * 30 / 3600 / 1000
    assert float(hass.states.get(ENERGY).state) == pytest.approx(energy)

    own_mac = simulated_miner.state.mac
    simulated_miner.state.mac = OTHER_MAC
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())  # the slow poll
    assert runtime.another_miner_answers
    for _ in range(4):  # its fast polls succeed, one interval apart
        await tick(hass, freezer)
        assert runtime.fast.last_update_success
        assert hass.states.get(ENERGY).state == STATE_UNAVAILABLE

    simulated_miner.state.mac = own_mac
    await tick(hass, freezer)  # this poll is taken for the other miner's still

    assert not runtime.another_miner_answers
    assert float(hass.states.get(ENERGY).state) == pytest.approx(energy)

    await tick(hass, freezer)  # the first sample of this miner again

    assert float(hass.states.get(ENERGY).state) == pytest.approx(energy)

    before = power(hass)
    await tick(hass, freezer)

    assert float(hass.states.get(ENERGY).state) == pytest.approx(
        energy + (before + power(hass)) / 2 * 30 / 3600 / 1000
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_no_board_sensors_for_another_miners_boards(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A board only another miner at the address has gets no sensors here."""
    model = simulated_miner.state.model
    two_boards = dataclasses.replace(model, boards=2)
    simulated_miner.state.model = two_boards
    own_mac = simulated_miner.state.mac
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [Platform.SENSOR]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        runtime = mock_config_entry.runtime_data

        simulated_miner.state.mac = OTHER_MAC
        await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())
        assert runtime.another_miner_answers
        simulated_miner.state.model = model  # the other miner has three boards
        for _ in range(3):
            await tick(hass, freezer)
            assert hass.states.get(BOARD_3) is None

        # This miner is back, with its two boards.
        simulated_miner.state.mac = own_mac
        simulated_miner.state.model = two_boards
        for _ in range(2):
            await tick(hass, freezer)
        assert not runtime.another_miner_answers
        assert float(hass.states.get("sensor.miner_1_board_2_temperature").state) > 30
        assert hass.states.get(BOARD_3) is None

        # A third board of its own gets its sensors.
        simulated_miner.state.model = model
        await tick(hass, freezer)

    assert float(hass.states.get(BOARD_3).state) > 30


async def test_error_codes(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    setup_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The error count lists the codes, and when they appeared on the miner's clock."""
    assert hass.states.get("sensor.miner_1_errors").state == "0"
    simulated_miner.add_error(2010)

    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    state = hass.states.get("sensor.miner_1_errors")
    assert state.state == "1"
    assert state.attributes["codes"] == [
        {"code": 2010, "reported_at": "2026-11-20T20:00:00"}  # Asia/Shanghai
    ]


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_active_pool(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    setup_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The active pool reads host:port; its URL is an attribute, credentials never."""
    state = hass.states.get("sensor.miner_1_active_pool")
    assert state.state == "pool.whitebit.com:3333"
    assert state.attributes["url"] == "stratum+tcp://pool.whitebit.com:3333"

    simulated_miner.state.pools[0] = PoolSetting(
        "stratum+tcp://rig:hunter2@btc.example.org:25/path", "rig", "x"
    )
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    state = hass.states.get("sensor.miner_1_active_pool")
    assert state.state == "btc.example.org:25"
    assert state.attributes["url"] == "stratum+tcp://btc.example.org:25/path"
    assert "hunter2" not in str(state)


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_efficiency_is_unknown_until_the_miner_hashes_steadily(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    setup_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a restart, either API: no J/TH while warming up, then the real figure."""
    efficiency = "sensor.miner_1_efficiency"
    steady = float(hass.states.get(efficiency).state)
    simulated_miner.restart_mining(simulated_miner.clock())

    for _ in range(29):  # the first half hour: warming up, then settling
        await tick(hass, freezer, 60)
        assert hass.states.get(efficiency).state == "unknown"
    await tick(hass, freezer, 90)

    assert float(hass.states.get(efficiency).state) == pytest.approx(steady, rel=0.1)
