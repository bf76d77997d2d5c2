"""Load: many miners polling while writes arrive at once; none lost, no token spent twice.

Twelve simulated miners (half API v2, half v3) are set up as entries. In each
round their polls start and, while those are in flight, one action sets every
miner's power limit, another its target frequency, and each miner's power-mode
select is changed. Every write must reach its miner exactly once and be what the
miner shows afterwards; API v2 miners must not hand out a token per write; and
all of it must finish within bounded (frozen) time, or it is a deadlock.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import format_mac
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hashwatt.const import DEFAULT_SCAN_INTERVAL, DOMAIN
from simulator.whatsminer import SimulatedMiner
from tests.conftest import PASSWORD, START, miner_entry_data

from .clock import advance, drive
from .report import LOAD, CaseRecord

MINERS = 12
ROUNDS = 3
MODES = ("low", "normal", "high")
# Command names per API, for counting what reached each miner.
POWER_LIMIT = {"v2": {"adjust_power_limit"}, "v3": {"set.miner.power_limit"}}
TARGET_FREQUENCY = {"v2": {"set_target_freq"}, "v3": {"set.miner.target_freq"}}
POWER_MODE = {
    "v2": {"set_low_power", "set_normal_power", "set_high_power"},
    "v3": {"set.miner.power_mode"},
}
# Frozen time a round may need; a deadlock would need forever.
ROUND_LIMIT = timedelta(minutes=2)


@pytest.fixture
async def fleet(
    hass: HomeAssistant, socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncIterator[list[tuple[SimulatedMiner, MockConfigEntry]]]:
    """Start the miners on 127.0.0.1 and set up an entry for each; stop them after."""
    freezer.move_to(START)
    miners = [
        SimulatedMiner(
            model="M50" if number % 3 else "M60",
            api="v2" if number % 2 else "v3",
            password=PASSWORD,
            seed=100 + number,
            clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
        )
        for number in range(1, MINERS + 1)
    ]
    try:
        for miner in miners:
            await miner.start(host="127.0.0.1")
        entries = []
        for number, miner in enumerate(miners, start=1):
            entry = MockConfigEntry(
                domain=DOMAIN,
                title=f"Miner {number}",
                unique_id=format_mac(miner.state.mac),
                data=miner_entry_data(miner),
            )
            entry.add_to_hass(hass)
            entries.append(entry)
        # Setting the integration up sets up every entry, concurrently.
        assert await drive(hass, freezer, async_setup_component(hass, DOMAIN, {}))
        await drive(hass, freezer, hass.async_block_till_done())
        assert all(entry.state is ConfigEntryState.LOADED for entry in entries)
        yield list(zip(miners, entries, strict=True))
    finally:
        for miner in miners:
            await miner.stop()


def _sent(miner: SimulatedMiner, names: set[str]) -> int:
    """Count the writes of one kind the miner accepted."""
    return sum(
        request.command in names and request.authenticated for request in miner.requests
    )


async def test_writes_while_many_miners_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fleet: list[tuple[SimulatedMiner, MockConfigEntry]],
    record_case: Callable[[CaseRecord], None],
) -> None:
    """Every write reaches its miner once, amid polls; one token per v2 miner; no deadlock."""
    registry = dr.async_get(hass)
    devices = [
        registry.async_get_device_by_identifier(
            (DOMAIN, str(entry.unique_id)), entry.entry_id
        )
        for _, entry in fleet
    ]
    device_ids = [device.id for device in devices if device is not None]
    assert len(device_ids) == MINERS
    tokens_before = {miner.state.mac: miner.tokens_issued for miner, _ in fleet}
    writes = 0
    frozen_seconds = 0.0
    loop = asyncio.get_running_loop()

    for round_number in range(ROUNDS):
        limit = 3000 + 10 * round_number
        frequency = -1 - round_number
        mode = MODES[round_number]
        # The polls start...
        freezer.tick(timedelta(seconds=DEFAULT_SCAN_INTERVAL))
        async_fire_time_changed(hass)
        started = loop.time()
        # ...and the writes arrive while they are in flight.
        calls = [
            hass.services.async_call(
                DOMAIN,
                "set_power_limit",
                {ATTR_DEVICE_ID: device_ids, "power_limit": limit},
                blocking=True,
            ),
            hass.services.async_call(
                DOMAIN,
                "set_target_frequency",
                {ATTR_DEVICE_ID: device_ids, "percent": frequency},
                blocking=True,
            ),
            *(
                hass.services.async_call(
                    "select",
                    "select_option",
                    {
                        ATTR_ENTITY_ID: f"select.miner_{number}_power_mode_restarts_mining",
                        "option": mode,
                    },
                    blocking=True,
                )
                for number in range(1, MINERS + 1)
            ),
        ]
        writes += 2 * MINERS + MINERS
        await drive(hass, freezer, asyncio.gather(*calls), limit=ROUND_LIMIT)
        await drive(
            hass,
            freezer,
            hass.async_block_till_done(wait_background_tasks=True),
            limit=ROUND_LIMIT,
        )
        frozen_seconds = max(frozen_seconds, loop.time() - started)

        for miner, _ in fleet:
            state = miner.state
            assert state.power_limit == limit
            assert state.target_freq == frequency
            assert state.power_mode.lower() == mode

    await advance(hass, freezer, DEFAULT_SCAN_INTERVAL)
    delivered = Counter[str]()
    for number, (miner, _) in enumerate(fleet, start=1):
        api = miner.api
        sent = {
            "power limit": _sent(miner, POWER_LIMIT[api]),
            "target frequency": _sent(miner, TARGET_FREQUENCY[api]),
            "power mode": _sent(miner, POWER_MODE[api]),
        }
        assert sent == dict.fromkeys(sent, ROUNDS), (number, sent)
        delivered.update(sent)
        # What the miner reports now is what Home Assistant shows.
        shown = hass.states.get(
            f"number.miner_{number}_power_limit_restarts_mining"
        ).state
        assert float(shown) == miner.state.power_limit
        assert (
            hass.states.get(f"select.miner_{number}_power_mode_restarts_mining").state
            == MODES[-1]
        )
        if api == "v2":
            # One cached token served every write of the test.
            assert miner.tokens_issued == tokens_before[miner.state.mac]

    v2_tokens = sorted(
        miner.tokens_issued - tokens_before[miner.state.mac]
        for miner, _ in fleet
        if miner.api == "v2"
    )
    record_case(
        CaseRecord(
            section=LOAD,
            case="writes_while_polling",
            fault=(
                f"{MINERS} miners (API v2 and v3) polling, {ROUNDS} rounds of "
                f"{writes // ROUNDS} writes issued while the polls are in flight"
            ),
            user_sees=[
                f"{sum(delivered.values())} of {writes} writes delivered, each exactly once",
                f"new tokens per API v2 miner: {max(v2_tokens)}",
                (
                    f"slowest round waited {frozen_seconds:g} s of simulated time"
                    if frozen_seconds
                    else "no round waited on a timer"
                )
                + ", no deadlock",
                "every miner shows the last value written",
            ],
            facts={
                "miners": MINERS,
                "writes": writes,
                "delivered": sum(delivered.values()),
                "new_tokens": v2_tokens,
            },
        )
    )
