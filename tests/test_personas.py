"""End to end, per firmware family: the flow adds the miner, sensors read right, an action works.

Each test starts a simulated miner playing one persona (a firmware family whose reply
shapes follow captures from real miners, see simulator/whatsminer/personas.py) on
127.0.0.1, adds it through the config flow as a user does, lets Home Assistant set the
entry up for real, and checks what the first poll shows against the miner's own
figures, then sends one action that firmware allows and reads it back.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    CONF_HOST,
    CONF_PASSWORD,
    SERVICE_TURN_OFF,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import format_mac

from custom_components.hashwatt.clients.whatsminer.capture import (
    capture,
    capture_document,
)
from custom_components.hashwatt.config_flow import CONF_PORTS
from custom_components.hashwatt.const import CONF_V2_PORT, CONF_V3_PORT, DOMAIN
from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.personas import PERSONAS
from simulator.whatsminer.replay import Capture, ReplayMiner

from .conftest import PASSWORD, START, tick, unused_tcp_port
from .control_helpers import writes


@pytest.fixture
async def persona_miner(
    request: pytest.FixtureRequest,
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
) -> AsyncIterator[SimulatedMiner]:
    """A miner playing the persona the test is parametrized with (``persona``)."""
    freezer.move_to(START)
    miner = SimulatedMiner(
        persona=request.param,
        password=PASSWORD,
        seed=21,
        clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
    )
    await miner.start(host="127.0.0.1")
    yield miner
    await miner.stop()


async def add_through_the_flow(hass: HomeAssistant, miner: SimulatedMiner) -> str:
    """Add the miner as a user does (menu, then one miner); return its entry ID."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "whatsminer"}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: miner.host,
            CONF_PASSWORD: PASSWORD,
            CONF_PORTS: {
                CONF_V2_PORT: miner.v2_port,
                CONF_V3_PORT: miner.v3_port or unused_tcp_port(),
            },
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    assert entry.unique_id == format_mac(miner.state.mac)
    assert result["title"].endswith(format_mac(miner.state.mac)[-8:])
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return str(entry.entry_id)


def entity(
    hass: HomeAssistant, miner: SimulatedMiner, platform: str, key: str
) -> tuple[str, State]:
    """Return (entity ID, state) of one of the miner's entities, by its unique ID."""
    entity_id = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{format_mac(miner.state.mac)}_{key}"
    )
    assert entity_id is not None, f"no {platform} {key}"
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return entity_id, state


def number(state: State) -> float:
    assert state.state not in ("unknown", "unavailable"), state
    return float(state.state)


ALL = list(PERSONAS)
# Driven through API v2 (4028 only) or, where 4433 answers, through API v3.
V2_ONLY = [name for name, persona in PERSONAS.items() if persona.api == "v2"]
WITH_V3 = [name for name, persona in PERSONAS.items() if persona.api == "v3"]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("persona_miner", ALL, indirect=True)
async def test_first_poll_shows_right_values_in_right_units(
    hass: HomeAssistant, persona_miner: SimulatedMiner
) -> None:
    """Hashrate in TH/s, power in W, efficiency in J/TH: the miner's, on the first poll."""
    miner = persona_miner
    await add_through_the_flow(hass, miner)
    reading = miner.reading()

    _, hashrate = entity(hass, miner, "sensor", "hashrate")
    assert hashrate.attributes[ATTR_UNIT_OF_MEASUREMENT] == "TH/s"
    assert number(hashrate) == pytest.approx(reading.target_hashrate, rel=0.1)

    _, average = entity(hass, miner, "sensor", "hashrate_average")
    assert average.attributes[ATTR_UNIT_OF_MEASUREMENT] == "TH/s"
    assert number(average) == pytest.approx(reading.hashrate_avg, rel=0.05)

    _, factory = entity(hass, miner, "sensor", "hashrate_factory")
    assert number(factory) == pytest.approx(miner.state.model.hashrate, rel=0.02)

    _, power = entity(hass, miner, "sensor", "power")
    assert power.attributes[ATTR_UNIT_OF_MEASUREMENT] == "W"
    assert number(power) == pytest.approx(reading.power, rel=0.05)

    _, efficiency = entity(hass, miner, "sensor", "efficiency")
    assert efficiency.attributes[ATTR_UNIT_OF_MEASUREMENT] == "J/TH"
    # Plausible for the hardware: 10-40 J/TH for 2022 and later models; the M20S-class
    # unit of the old-firmware captures draws 3417 W for 67.75 TH/s (50.4 J/TH).
    low, high = (45, 55) if miner.persona.name == "v1" else (10, 40)
    assert low <= number(efficiency) <= high
    assert number(efficiency) == pytest.approx(
        reading.power / reading.target_hashrate, rel=0.15
    )

    boards = [
        number(entity(hass, miner, "sensor", f"board_{index + 1}_hashrate")[1])
        for index in range(miner.state.model.boards)
    ]
    assert sum(boards) == pytest.approx(number(hashrate), rel=0.1)
    assert all(board < number(hashrate) for board in boards)

    _, firmware = entity(hass, miner, "sensor", "firmware")
    assert miner.state.firmware_version in firmware.state


@pytest.mark.parametrize("persona_miner", V2_ONLY, indirect=True)
async def test_power_mode_through_api_v2(
    hass: HomeAssistant, persona_miner: SimulatedMiner
) -> None:
    """Firmware of API v2 (and v1.x) takes the power mode through encrypted writes."""
    miner = persona_miner
    await add_through_the_flow(hass, miner)
    entity_id, state = entity(hass, miner, "select", "power_mode")
    assert state.state == "normal"

    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: "low"},
        blocking=True,
    )

    assert miner.state.power_mode == "Low"
    assert hass.states.get(entity_id).state == "low"
    assert writes(miner) == ["set_low_power"]


@pytest.mark.parametrize("persona_miner", WITH_V3, indirect=True)
async def test_power_limit_through_api_v3(
    hass: HomeAssistant, persona_miner: SimulatedMiner
) -> None:
    """New firmware is driven through API v3 (power control via 4028 is broken there)."""
    miner = persona_miner
    await add_through_the_flow(hass, miner)
    entity_id, state = entity(hass, miner, "number", "power_limit")
    assert number(state) == miner.state.power_limit
    watts = miner.state.power_limit - 300

    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: watts},
        blocking=True,
    )

    assert miner.state.power_limit == watts
    assert number(hass.states.get(entity_id)) == watts
    assert writes(miner) == ["set.miner.power_limit"]


@pytest.mark.parametrize("persona_miner", ALL, indirect=True)
async def test_mining_off_is_shown_as_off(
    hass: HomeAssistant,
    persona_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Mining stops, and the next polls show it stopped (old firmware's flag aside)."""
    miner = persona_miner
    await add_through_the_flow(hass, miner)
    entity_id, state = entity(hass, miner, "switch", "mining")
    assert state.state == STATE_ON

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    await tick(hass, freezer, 60)

    assert not miner.state.mining
    assert hass.states.get(entity_id).state == STATE_OFF
    _, hashrate = entity(hass, miner, "sensor", "hashrate")
    assert number(hashrate) == 0


@pytest.mark.parametrize("persona_miner", ALL, indirect=True)
async def test_a_capture_of_the_persona_replays_as_the_same_miner(
    hass: HomeAssistant, persona_miner: SimulatedMiner
) -> None:
    """The client's capture of a persona, replayed, is added read-only and reads the same."""
    miner = persona_miner
    exchanges = await capture(
        miner.host,
        v2_port=miner.v2_port,
        v3_port=miner.v3_port or unused_tcp_port(),
        connect_timeout=2.0,
        reply_timeout=2.0,
    )
    document = json.loads(
        json.dumps(
            capture_document(
                miner.host,
                exchanges,
                v2_port=miner.v2_port,
                v3_port=miner.v3_port or 4433,
                redacted=False,
            )
        )
    )
    replay = ReplayMiner(Capture.from_json(document), clock=time.time)
    await replay.start("127.0.0.1", 0, 0)
    try:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "whatsminer"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_HOST: replay.host,
                CONF_PASSWORD: PASSWORD,
                CONF_PORTS: {
                    CONF_V2_PORT: replay.v2_port,
                    CONF_V3_PORT: replay.v3_port or unused_tcp_port(),
                },
            },
        )
        # A replay takes no write: it is offered read-only, as a miner whose write
        # API is off.
        assert result["type"] is FlowResultType.FORM, result
        assert result["step_id"] == "write_disabled"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        assert result["result"].unique_id == format_mac(miner.state.mac)
        await hass.async_block_till_done()

        reading = miner.reading()
        _, hashrate = entity(hass, miner, "sensor", "hashrate")
        assert number(hashrate) == pytest.approx(reading.target_hashrate, rel=0.1)
        _, power = entity(hass, miner, "sensor", "power")
        assert number(power) == pytest.approx(reading.power, rel=0.05)
    finally:
        await replay.stop()
