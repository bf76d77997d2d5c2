"""The power mode select, against the simulated miner."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hashwatt.const import DOMAIN
from simulator.whatsminer import Fault, SimulatedMiner

from .conftest import PASSWORD, START, miner_entry_data
from .control_helpers import loaded_with, writes

POWER_MODE = "select.miner_1_power_mode_restarts_mining"
HEAT_MODE = "select.hydro_miner_heat_mode"


@pytest.fixture
async def setup_selects(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set up the miner entry with the select platform only."""
    async with loaded_with(hass, mock_config_entry, Platform.SELECT) as entry:
        yield entry


async def select(hass: HomeAssistant, option: str, entity_id: str = POWER_MODE) -> None:
    """Choose an option and wait for it."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: option},
        blocking=True,
    )


@pytest.fixture
async def hydro_miner(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncIterator[SimulatedMiner]:
    """Start a liquid-cooled M63S on API v3, the kind of miner with a heat mode."""
    freezer.move_to(START)
    miner = SimulatedMiner(
        model="M63S",
        api="v3",
        password=PASSWORD,
        seed=3,
        clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
    )
    await miner.start(host="127.0.0.1")
    yield miner
    await miner.stop()


@pytest.fixture
async def setup_hydro(
    hass: HomeAssistant, hydro_miner: SimulatedMiner
) -> AsyncIterator[MockConfigEntry]:
    """Set up the liquid-cooled miner's entry with the select platform only."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Hydro miner",
        unique_id=format_mac(hydro_miner.state.mac),
        data=miner_entry_data(hydro_miner),
    )
    async with loaded_with(hass, entry, Platform.SELECT) as loaded:
        yield loaded


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


async def test_hydro_selects(
    hass: HomeAssistant,
    setup_hydro: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A liquid-cooled miner on API v3 also has its heat mode."""
    await snapshot_platform(hass, entity_registry, snapshot, setup_hydro.entry_id)


@pytest.mark.parametrize(
    ("option", "reported"), [("heating", "heating"), ("anti_freezing", "anti-freezing")]
)
async def test_heat_mode(
    hass: HomeAssistant,
    *,
    setup_hydro: MockConfigEntry,
    hydro_miner: SimulatedMiner,
    option: str,
    reported: str,
) -> None:
    """The heat mode goes to the miner; the slow poll reads it back at once."""
    await select(hass, option, HEAT_MODE)

    assert hydro_miner.state.heat_mode == reported
    assert hass.states.get(HEAT_MODE).state == option
    assert writes(hydro_miner) == ["set.miner.heat_mode"]


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_no_heat_mode_on_air_cooled_miners(
    hass: HomeAssistant, setup_selects: MockConfigEntry
) -> None:
    """An air-cooled miner has no heat to put to use."""
    assert hass.states.get(POWER_MODE) is not None
    assert hass.states.get("select.miner_1_heat_mode") is None
