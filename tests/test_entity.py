"""What every miner entity shares: state writes after polls, and setting up many miners.

Issue 15: a poll that changes nothing an entity shows writes no state, and
miner entries set up at once take turns, so that none of their first polls
times out.
"""

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.device_registry import format_mac
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt import MAX_CONCURRENT_MINER_SETUPS
from custom_components.hashwatt.const import DOMAIN
from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.faults import Fault

from .conftest import PASSWORD, miner_entry_data, tick

HASHRATE = "sensor.miner_1_hashrate"
POWER = "sensor.miner_1_power"
MOVING = (HASHRATE, POWER)
REBOOT = "button.miner_1_reboot"
ACTIVE_POOL = "sensor.miner_1_active_pool"
ERRORS = "sensor.miner_1_errors"


class StateWrites:
    """The state writes of some entities: changed states, and unchanged ones reported."""

    def __init__(self, hass: HomeAssistant, entity_ids: set[str]) -> None:
        """Listen to both kinds of write."""
        self.changed: list[str] = []
        self.reported: list[str] = []

        @callback
        def on_changed(event: Event[EventStateChangedData]) -> None:
            if event.data["entity_id"] in entity_ids:
                self.changed.append(event.data["entity_id"])

        @callback
        def on_reported(event: Event[EventStateReportedData]) -> None:
            self.reported.append(event.data["entity_id"])

        @callback
        def watched(data: EventStateReportedData) -> bool:
            return data["entity_id"] in entity_ids

        self.stop = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, on_changed),
            hass.bus.async_listen(
                EVENT_STATE_REPORTED, on_reported, event_filter=watched
            ),
        ]

    def clear(self) -> None:
        """Forget the writes seen so far."""
        self.changed.clear()
        self.reported.clear()


@pytest.fixture
def writes(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> AsyncIterator[StateWrites]:
    """Watch a figure that moves every poll, a button, and a slow-poll sensor."""
    watched = StateWrites(hass, {*MOVING, REBOOT, ACTIVE_POOL, ERRORS})
    yield watched
    for unsubscribe in watched.stop:
        unsubscribe()


async def test_a_poll_writes_only_what_changed(
    hass: HomeAssistant, writes: StateWrites, freezer: FrozenDateTimeFactory
) -> None:
    """Moving figures are written when they move; the button and the pool never."""
    reboot_reported = hass.states.get(REBOOT).last_reported
    pool_reported = hass.states.get(ACTIVE_POOL).last_reported
    seen = {entity_id: [hass.states.get(entity_id).state] for entity_id in MOVING}
    for _ in range(4):
        await tick(hass, freezer)
        for entity_id in MOVING:
            seen[entity_id].append(hass.states.get(entity_id).state)
    for entity_id, states in seen.items():
        moves = sum(before != after for before, after in itertools.pairwise(states))
        assert writes.changed.count(entity_id) == moves
    assert writes.changed  # the simulated figures did move
    # Unchanged: no write at all, so no state_reported and last_reported stays.
    assert writes.reported == []
    assert REBOOT not in writes.changed
    assert ACTIVE_POOL not in writes.changed
    assert hass.states.get(REBOOT).last_reported == reboot_reported
    assert hass.states.get(ACTIVE_POOL).last_reported == pool_reported


async def test_availability_changes_are_written(
    hass: HomeAssistant,
    writes: StateWrites,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A miner that stops answering makes every entity unavailable, and back."""
    simulated_miner.inject(Fault.REFUSE)
    await tick(hass, freezer)
    for entity_id in (HASHRATE, REBOOT, ACTIVE_POOL):
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
        assert writes.changed.count(entity_id) == 1
    # Still away: nothing more to write.
    writes.clear()
    await tick(hass, freezer)
    assert writes.changed == []
    assert writes.reported == []
    simulated_miner.clear_faults()
    await tick(hass, freezer)
    for entity_id in (HASHRATE, REBOOT, ACTIVE_POOL):
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE
        assert writes.changed.count(entity_id) == 1


async def test_a_changed_attribute_is_written(
    hass: HomeAssistant,
    writes: StateWrites,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One error code replaced by another: same count, new attributes, one write."""
    simulated_miner.add_error(110)
    await tick(hass, freezer, 300)  # the slow poll reads error codes
    assert hass.states.get(ERRORS).state == "1"
    writes.clear()
    simulated_miner.state.errors.clear()
    simulated_miner.add_error(111)
    await tick(hass, freezer, 300)
    state = hass.states.get(ERRORS)
    assert state.state == "1"
    assert [error["code"] for error in state.attributes["codes"]] == [111]
    assert writes.changed.count(ERRORS) == 1


# --- Many miners at once ------------------------------------------------------------------

MINERS = MAX_CONCURRENT_MINER_SETUPS + 10


@pytest.fixture
async def many_miners(socket_enabled: None) -> AsyncIterator[list[SimulatedMiner]]:
    """More simulated miners on 127.0.0.1 than may set up at the same time."""
    miners = [
        SimulatedMiner(
            model="M50",
            api="v2",
            password=PASSWORD,
            seed=index,
            clock=lambda: time.time(),  # noqa: PLW0108
        )
        for index in range(MINERS)
    ]
    for miner in miners:
        await miner.start(host="127.0.0.1")
    yield miners
    for miner in miners:
        await miner.stop()


async def test_many_miners_load_at_first_attempt_taking_turns(
    hass: HomeAssistant, many_miners: list[SimulatedMiner]
) -> None:
    """Set up together, at most the limit of miners is polled; all load first time."""
    entries = [
        MockConfigEntry(
            domain=DOMAIN,
            title=f"Miner {index + 1}",
            unique_id=format_mac(miner.state.mac),
            data=miner_entry_data(miner),
        )
        for index, miner in enumerate(many_miners)
    ]
    for entry in entries:
        entry.add_to_hass(hass)
    # Every miner takes a second to answer its first request: the entries
    # holding a turn are still setting up while the others wait for one.
    for miner in many_miners:
        miner.inject(Fault.SLOW, count=1, delay=1.0)
    # As when Home Assistant starts: the integration sets every entry up at once.
    setup = hass.async_create_task(async_setup_component(hass, DOMAIN, {}))
    contacted: list[SimulatedMiner] = []
    for _ in range(100):
        await asyncio.sleep(0.02)
        contacted = [miner for miner in many_miners if miner.requests]
        if len(contacted) >= MAX_CONCURRENT_MINER_SETUPS:
            break
    await asyncio.sleep(0.3)  # time for a miner beyond the limit to be asked wrongly
    contacted = [miner for miner in many_miners if miner.requests]
    assert len(contacted) == MAX_CONCURRENT_MINER_SETUPS

    assert await setup
    await hass.async_block_till_done()
    assert all(entry.state is ConfigEntryState.LOADED for entry in entries)
    assert all(miner.requests for miner in many_miners)
    for entry in entries:
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
