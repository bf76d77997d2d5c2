"""The automation blueprints, loaded into Home Assistant and driven by simulated states.

Each blueprint is copied into the test configuration, instantiated by the automation
integration as a user's would be, and acts on the real entities of a simulated miner
(its mining switch, power limit and power percent); only the other integrations'
sensors (electricity price, grid power) are states set by the test.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.persistent_notification import (
    DOMAIN as PERSISTENT_NOTIFICATION_DOMAIN,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ENTITY_MATCH_ALL,
    SERVICE_TURN_OFF,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.hashwatt.const import (
    BITCOIN_NETWORK_SCAN_INTERVAL as NETWORK_POLL,
    SLOW_SCAN_INTERVAL,
    WHITEPOOL_SCAN_INTERVAL,
)
from simulator.mempool import MempoolServer
from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.state import PoolSetting
from simulator.whitepool import WhitePoolServer

from .conftest import tick, whitepool_entry
from .control_helpers import writes
from .network_helpers import network_entry

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "hashwatt"

MINING = "switch.miner_1_mining"
POWER = "sensor.miner_1_power"
POWER_LIMIT = "number.miner_1_power_limit_restarts_mining"
POWER_PERCENT = "number.miner_1_power_percent"
POWER_TARGET = "number.miner_1_power_target"
PRICE = "sensor.electricity_price"
BREAK_EVEN = "sensor.miner_1_break_even_electricity_price"
GRID = "sensor.grid_export"


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration directory of the test's own, to put the blueprints in."""
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
def blueprints(hass_config_dir: str) -> None:
    """Install the blueprints where Home Assistant looks for them."""
    shutil.copytree(
        BLUEPRINTS, Path(hass_config_dir, "blueprints", "automation", "hashwatt")
    )


@pytest.fixture(autouse=True)
async def stop_automations(hass: HomeAssistant) -> AsyncIterator[None]:
    """Stop every automation after the test: their timers must not outlive it."""
    yield
    if hass.services.has_service(AUTOMATION_DOMAIN, SERVICE_TURN_OFF):
        await hass.services.async_call(
            AUTOMATION_DOMAIN,
            SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: ENTITY_MATCH_ALL, "stop_actions": True},
            blocking=True,
        )


async def use_blueprint(hass: HomeAssistant, name: str, **inputs: Any) -> None:
    """Set up one automation made from a blueprint, as the UI stores it."""
    # A core integration, always loaded in Home Assistant (not by the test harness).
    assert await async_setup_component(hass, PERSISTENT_NOTIFICATION_DOMAIN, {})
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: {
                "id": name,
                "alias": name,
                "use_blueprint": {"path": f"hashwatt/{name}.yaml", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    # A blueprint that fails to load leaves an unavailable automation behind.
    assert hass.states.get(f"automation.{name}").state == STATE_ON


async def to_next_minute(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Move to the start of the next minute, when the blueprints check again."""
    now = dt_util.utcnow()
    await tick(hass, freezer, 60 - now.second - now.microsecond / 1e6)


async def let_time_pass(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float
) -> None:
    """Let minutes pass poll by poll, as they do: sensors stay as fresh as polls make them."""
    end = dt_util.utcnow() + timedelta(minutes=minutes)
    while (left := (end - dt_util.utcnow()).total_seconds()) > 0:
        await tick(hass, freezer, min(30, left))


def set_price(hass: HomeAssistant, entity_id: str, value: float | str) -> None:
    """Set an electricity price sensor (another integration's) in EUR/kWh."""
    hass.states.async_set(entity_id, str(value), {"unit_of_measurement": "EUR/kWh"})


# --- Mine while electricity is cheap -----------------------------------------------------


async def test_mine_when_cheap_follows_a_fixed_price(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Off while electricity costs more than the fixed price, on once it costs less."""
    set_price(hass, PRICE, 0.30)
    await use_blueprint(
        hass,
        "mine_when_cheap",
        electricity_price=PRICE,
        mining_switches=[MINING],
        fixed_price=0.20,
    )
    assert simulated_miner.state.mining

    # A price already there is not a change: the check every minute sees it.
    await to_next_minute(hass, freezer)
    await tick(hass, freezer, 10)  # the poll confirming the command

    assert not simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_OFF

    set_price(hass, PRICE, 0.15)
    await hass.async_block_till_done()

    assert simulated_miner.state.mining


async def test_mine_when_cheap_margin_and_unknown_prices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Between threshold - margin and threshold nothing changes; nor without a price."""
    set_price(hass, PRICE, 0.30)
    await use_blueprint(
        hass,
        "mine_when_cheap",
        electricity_price=PRICE,
        mining_switches=[MINING],
        fixed_price=0.20,
        margin=0.05,
    )
    await to_next_minute(hass, freezer)
    assert not simulated_miner.state.mining

    for price in (0.19, 0.15, STATE_UNAVAILABLE, "unknown"):
        set_price(hass, PRICE, price)
        await to_next_minute(hass, freezer)
        assert not simulated_miner.state.mining, price

    set_price(hass, PRICE, 0.149)
    await hass.async_block_till_done()
    assert simulated_miner.state.mining

    # Above the threshold by a hair stops at once: no margin that way.
    await tick(hass, freezer, 10)
    set_price(hass, PRICE, 0.2001)
    await hass.async_block_till_done()
    assert not simulated_miner.state.mining


async def test_mine_when_cheap_follows_the_break_even_price(
    hass: HomeAssistant,
    whitepool_mock: WhitePoolServer,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The miner's own break-even price (mock pool, simulated miner) is the threshold."""
    pool = whitepool_entry()
    pool.add_to_hass(hass)
    assert await hass.config_entries.async_setup(pool.entry_id)
    await hass.async_block_till_done()
    break_even = float(hass.states.get(BREAK_EVEN).state)

    set_price(hass, PRICE, break_even * 1.5)
    await use_blueprint(
        hass,
        "mine_when_cheap",
        electricity_price=PRICE,
        break_even=BREAK_EVEN,
        mining_switches=[MINING],
        # Ignored while there is a break-even sensor.
        fixed_price=10,
    )
    await to_next_minute(hass, freezer)
    await tick(hass, freezer, 10)
    assert not simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_OFF
    # Off, the miner's break-even price stands: it can be started again.
    assert float(hass.states.get(BREAK_EVEN).state) == break_even

    set_price(hass, PRICE, break_even * 0.5)
    await hass.async_block_till_done()
    await tick(hass, freezer, 10)
    assert simulated_miner.state.mining

    # Without the pool there is no threshold: dear or not, nothing changes.
    assert await hass.config_entries.async_unload(pool.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(BREAK_EVEN).state == STATE_UNAVAILABLE
    set_price(hass, PRICE, break_even * 10)
    await to_next_minute(hass, freezer)
    assert simulated_miner.state.mining


async def test_mine_when_cheap_on_any_pool_by_the_network_hashprice(
    hass: HomeAssistant,
    mempool_mock: MempoolServer,
    mock_config_entry: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A miner on a pool without an entry: the network's hashprice sets the threshold."""
    simulated_miner.state.pools = [
        PoolSetting("stratum+tcp://btc.viabtc.io:3333", "hashwatt.rig1", "x")
    ]
    for entry in (network_entry(mempool_mock.url), mock_config_entry):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    state = hass.states.get(BREAK_EVEN)
    assert state.attributes["source"] == "network_hashprice"
    break_even = float(state.state)

    set_price(hass, PRICE, break_even * 1.5)
    await use_blueprint(
        hass,
        "mine_when_cheap",
        electricity_price=PRICE,
        break_even=BREAK_EVEN,
        mining_switches=[MINING],
    )
    await to_next_minute(hass, freezer)
    await tick(hass, freezer, 10)
    assert not simulated_miner.state.mining
    assert float(hass.states.get(BREAK_EVEN).state) == break_even

    set_price(hass, PRICE, break_even * 0.5)
    await hass.async_block_till_done()
    await tick(hass, freezer, 10)
    assert simulated_miner.state.mining

    # The network API goes away: no threshold, nothing changes however dear.
    await mempool_mock.stop()
    await tick(hass, freezer, NETWORK_POLL.total_seconds())
    assert hass.states.get(BREAK_EVEN).state == STATE_UNAVAILABLE
    set_price(hass, PRICE, break_even * 10)
    await to_next_minute(hass, freezer)
    assert simulated_miner.state.mining


@pytest.mark.usefixtures("whitepool_mock")
async def test_mine_when_cheap_needs_prices_in_one_unit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """ct/kWh against EUR/kWh switches nothing and says why; €/kWh is EUR/kWh."""
    pool = whitepool_entry()
    pool.add_to_hass(hass)
    assert await hass.config_entries.async_setup(pool.entry_id)
    await hass.async_block_till_done()
    break_even = hass.states.get(BREAK_EVEN)
    assert break_even.attributes["unit_of_measurement"] == "EUR/kWh"
    await use_blueprint(
        hass,
        "mine_when_cheap",
        electricity_price=PRICE,
        break_even=BREAK_EVEN,
        mining_switches=[MINING],
    )
    client = await hass_ws_client(hass)

    async def notifications() -> list[str]:
        await client.send_json_auto_id({"type": "persistent_notification/get"})
        reply = await client.receive_json()
        return [notification["message"] for notification in reply["result"]]

    # 30 ct is dearer than the break-even price, but not in its unit.
    hass.states.async_set(PRICE, "30", {"unit_of_measurement": "ct/kWh"})
    await hass.async_block_till_done()
    await to_next_minute(hass, freezer)
    assert simulated_miner.state.mining
    [message] = await notifications()
    assert "ct/kWh" in message
    assert "EUR/kWh" in message

    hass.states.async_set(
        PRICE,
        str(float(break_even.state) * 2),
        {"unit_of_measurement": "€/kWh"},
    )
    await hass.async_block_till_done()
    await tick(hass, freezer, 10)
    assert not simulated_miner.state.mining
    assert await notifications() == []


async def test_mine_when_cheap_minimum_times(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A running miner runs its minimum time, a stopped one rests its minimum time.

    Both count from the mining switch's last change in Home Assistant.
    """
    switched_on = hass.states.get(MINING).last_changed
    set_price(hass, PRICE, 0.30)
    await use_blueprint(
        hass,
        "mine_when_cheap",
        electricity_price=PRICE,
        mining_switches=[MINING],
        fixed_price=0.20,
        min_on_minutes=15,
        min_off_minutes=10,
    )
    while dt_util.utcnow() - switched_on < timedelta(minutes=15):
        assert simulated_miner.state.mining
        await to_next_minute(hass, freezer)
    await tick(hass, freezer, 10)  # the poll confirming the command

    assert not simulated_miner.state.mining
    switched_off = hass.states.get(MINING).last_changed
    assert hass.states.get(MINING).state == STATE_OFF

    set_price(hass, PRICE, 0.10)
    await hass.async_block_till_done()
    while dt_util.utcnow() - switched_off < timedelta(minutes=10):
        assert not simulated_miner.state.mining
        await to_next_minute(hass, freezer)

    assert simulated_miner.state.mining


# --- Mine on solar surplus ---------------------------------------------------------------


def set_grid(hass: HomeAssistant, watts: float | str) -> None:
    """Set the grid export sensor (another integration's), in W."""
    hass.states.async_set(
        GRID, str(watts), {"unit_of_measurement": "W", "device_class": "power"}
    )


def drawn(hass: HomeAssistant) -> float:
    """Return what the miner's power sensor shows."""
    return float(hass.states.get(POWER).state)


def power_limit_writes(miner: SimulatedMiner) -> int:
    """Count the power limit commands the miner took."""
    return writes(miner).count("adjust_power_limit")


async def test_solar_surplus_sets_the_power_limit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The limit follows what the miner draws plus the surplus, within the limits."""
    set_grid(hass, 1000)
    await use_blueprint(
        hass,
        "follow_solar_surplus",
        surplus=GRID,
        miner_power=POWER,
        control=POWER_LIMIT,
        min_power=1000,
        max_power=3200,
        step=100,
        reserve=100,
        interval=15,
    )
    # Drawing about 3.3 kW and exporting 1 kW: held to the maximum.
    await to_next_minute(hass, freezer)
    assert simulated_miner.state.power_limit == 3200

    # Exporting just the reserve is the balance: nothing changes once warmed up.
    set_grid(hass, 100)
    await let_time_pass(hass, freezer, 15)
    await to_next_minute(hass, freezer)
    assert power_limit_writes(simulated_miner) == 1

    # Importing: down by what comes from the grid and the reserve, to a whole step.
    expected = math.floor((drawn(hass) - 1234 - 100) / 100) * 100
    set_grid(hass, -1234)
    await hass.async_block_till_done()
    assert simulated_miner.state.power_limit == expected

    # Far below the minimum: held at the minimum (no mining switch to turn off).
    set_grid(hass, 100)
    await let_time_pass(hass, freezer, 15)
    set_grid(hass, -9000)
    await hass.async_block_till_done()
    assert simulated_miner.state.power_limit == 1000
    assert power_limit_writes(simulated_miner) == 3


async def test_solar_surplus_waits_and_ignores_small_or_unknown_changes(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A change settles for the interval; less than a step, or no figure, is no change."""
    set_grid(hass, 1000)
    await use_blueprint(
        hass,
        "follow_solar_surplus",
        surplus=GRID,
        miner_power=POWER,
        control=POWER_LIMIT,
        min_power=1000,
        max_power=2500,
        step=100,
        interval=15,
    )
    await to_next_minute(hass, freezer)
    assert simulated_miner.state.power_limit == 2500
    changed_at = dt_util.utcnow()

    # Within the interval nothing changes, however the surplus moves.
    set_grid(hass, -1000)
    while dt_util.utcnow() - changed_at < timedelta(minutes=15):
        assert power_limit_writes(simulated_miner) == 1
        await to_next_minute(hass, freezer)

    # Then the next check catches up.
    assert power_limit_writes(simulated_miner) == 2
    assert simulated_miner.state.power_limit < 2500

    # Less than a step from the setting, or an unknown surplus: no command.
    set_grid(hass, 0)
    await let_time_pass(hass, freezer, 15)
    for grid in (50, -50, STATE_UNAVAILABLE, "unknown"):
        set_grid(hass, grid)
        await to_next_minute(hass, freezer)
    assert power_limit_writes(simulated_miner) == 2


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_solar_surplus_follows_the_power_target_without_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """On API v3 the power follows the surplus all day and mining never restarts."""
    state = simulated_miner.state
    mining_since, power_limit = state.mining_since, state.power_limit
    set_grid(hass, 100)  # exporting just the reserve: balanced
    await use_blueprint(
        hass,
        "follow_solar_surplus",
        surplus=GRID,
        miner_power=POWER,
        control=POWER_TARGET,
        min_power=1000,
        max_power=3000,
        step=100,
        reserve=100,
        interval=2,
    )
    # Drawing about 3.3 kW: held to the maximum.
    await to_next_minute(hass, freezer)
    assert state.power_target == 3000
    assert abs(drawn(hass) - 3000) < 100  # it draws that at once

    async def grid_shows(watts: float) -> int:
        """After the interval, the grid shows ``watts``; return the setting expected.

        Until then the miner has taken up what the grid showed: balanced again.
        """
        set_grid(hass, 100)
        await let_time_pass(hass, freezer, 2)
        expected = math.floor((drawn(hass) + watts - 100) / 100) * 100
        set_grid(hass, watts)
        await hass.async_block_till_done()
        return min(max(expected, 1000), 3000)

    # Balanced: nothing changes, check after check.
    await let_time_pass(hass, freezer, 6)
    assert writes(simulated_miner).count("set.miner.power") == 1
    # A cloud: importing 1.2 kW. Down by that and the reserve, to a whole step.
    expected = await grid_shows(-1200)
    assert state.power_target == expected
    assert abs(drawn(hass) - expected) < 100
    # Sun again: exporting 700 W on top of what it draws now.
    expected = await grid_shows(700)
    assert state.power_target == expected
    # Far below the minimum: held at the minimum, still mining.
    await grid_shows(-9000)
    assert state.power_target == 1000
    assert state.mining

    assert writes(simulated_miner).count("set.miner.power") == 4
    # Not a single mining restart, and the power limit untouched.
    assert state.mining_restarts == 0
    assert state.mining_since == mining_since
    assert state.power_limit == power_limit
    assert "set.miner.power_limit" not in writes(simulated_miner)


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_solar_surplus_power_percent_and_mining_switch(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Below the minimum the miner stops; once the surplus carries it, it starts again.

    The power percent is the target's share of the power at 100 %.
    """
    set_grid(hass, -3000)  # this sensor counts the other way: exporting 3 kW
    await use_blueprint(
        hass,
        "follow_solar_surplus",
        surplus=GRID,
        export_negative=True,
        miner_power=POWER,
        control=POWER_PERCENT,
        mining_switch=MINING,
        min_power=1500,
        max_power=3000,
        step=100,
        rated_power=4000,
        # Longer than the 5 minutes the power percent takes to read back.
        interval=6,
    )
    await to_next_minute(hass, freezer)
    # It draws about 3.3 kW and could draw 3 kW more: held to the maximum.
    assert simulated_miner.state.power_percent == 75  # 3000 W of 4000 W
    assert simulated_miner.state.mining

    await let_time_pass(hass, freezer, 6)
    set_grid(hass, drawn(hass) - 1000)  # importing: the sun gives 1 kW of it
    await hass.async_block_till_done()
    await tick(hass, freezer, 10)

    assert not simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_OFF

    await let_time_pass(hass, freezer, 6)
    set_grid(hass, -1960)  # exporting 1.96 kW with the miner off
    await hass.async_block_till_done()

    assert simulated_miner.state.mining
    assert simulated_miner.state.power_percent == 47  # 1900 W of 4000 W
    assert writes(simulated_miner).count("set.miner.power_percent") == 2


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_solar_surplus_reads_kilowatts_and_stays_within_the_setting(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A grid sensor in kW counts in kW; the power percent goes no higher than 100."""
    simulated_miner.state.power_percent = 80
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())
    assert hass.states.get(POWER_PERCENT).state == "80"
    hass.states.async_set(
        GRID, "0.4", {"unit_of_measurement": "kW", "device_class": "power"}
    )
    await use_blueprint(
        hass,
        "follow_solar_surplus",
        surplus=GRID,
        miner_power=POWER,
        control=POWER_PERCENT,
        min_power=1000,
        max_power=5000,
        step=100,
        # What it could draw is well over 100 % of this.
        rated_power=2500,
        interval=6,
    )
    await to_next_minute(hass, freezer)
    assert simulated_miner.state.power_percent == 100
    assert writes(simulated_miner).count("set.miner.power_percent") == 1

    # Importing 5 kW (read as 5 W it would change nothing): down to the minimum.
    hass.states.async_set(
        GRID, "-5", {"unit_of_measurement": "kW", "device_class": "power"}
    )
    await let_time_pass(hass, freezer, 6)
    await to_next_minute(hass, freezer)
    assert simulated_miner.state.power_percent == 40  # 1000 W of 2500 W


# --- Notify about mining problems --------------------------------------------------------

HASHRATE_SENSOR = "sensor.miner_1_hashrate"
ERROR_EVENT = "event.miner_1_error"
WORKERS_PROBLEM = "binary_sensor.my_miner_01_problem"
PHONE_WEBHOOK = "hashwatt_phone_webhook"


@dataclass
class Phone:
    """A phone with the Home Assistant app; its push service runs on 127.0.0.1."""

    device_id: str
    pushed: list[dict[str, Any]]

    def notifications(self) -> list[dict[str, str]]:
        """Return (and forget) the notifications pushed to the phone so far."""
        received = [
            {"title": push.get("title", ""), "message": push["message"]}
            for push in self.pushed
        ]
        self.pushed.clear()
        return received


@pytest.fixture
async def phone(hass: HomeAssistant, socket_enabled: None) -> AsyncIterator[Phone]:
    """Register a phone with the mobile app integration, and run its push service.

    Notifications to the phone are posted to the push service, as Home Assistant
    posts them to the real one.
    """
    pushed: list[dict[str, Any]] = []

    async def push(request: web.Request) -> web.Response:
        pushed.append(await request.json())
        return web.json_response({}, status=201)

    app = web.Application()
    app.router.add_post("/push", push)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    entry = MockConfigEntry(
        domain="mobile_app",
        source="registration",
        title="Phone",
        data={
            "app_data": {
                "push_token": "phone-push-token",
                "push_url": f"http://{host}:{port}/push",
            },
            "app_id": "io.homeassistant.companion.android",
            "app_name": "Home Assistant",
            "app_version": "2026.10.0",
            "device_id": "hashwatt-test-phone",
            "device_name": "Phone",
            "manufacturer": "Google",
            "model": "Pixel",
            "os_name": "Android",
            "os_version": "16",
            "secret": "phone-secret",
            "supports_encryption": False,
            "user_id": "phone-user",
            "webhook_id": PHONE_WEBHOOK,
        },
    )
    entry.add_to_hass(hass)
    assert await async_setup_component(hass, "mobile_app", {})
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device_by_identifier(
        ("mobile_app", "hashwatt-test-phone"), entry.entry_id
    )
    assert device is not None
    yield Phone(device.id, pushed)
    await runner.cleanup()


async def test_notify_when_a_miner_stops_answering(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    phone: Phone,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After the chosen minutes without an answer; not for what comes back with it."""
    await use_blueprint(
        hass,
        "notify_problems",
        notify_device=phone.device_id,
        miners=[HASHRATE_SENSOR],
        offline_minutes=5,
        error_events=[ERROR_EVENT],
    )
    simulated_miner.add_error(2010)
    await let_time_pass(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds() / 60)
    assert phone.notifications() == [
        {"message": "Miner 1 reports error 2010.", "title": "Hashwatt"}
    ]

    await simulated_miner.reboot_now(downtime=15 * 60)
    await tick(hass, freezer, 30)
    assert hass.states.get(HASHRATE_SENSOR).state == STATE_UNAVAILABLE

    await let_time_pass(hass, freezer, 4.5)
    assert phone.notifications() == []
    await let_time_pass(hass, freezer, 0.5)
    assert phone.notifications() == [
        {"message": "Miner 1 has not answered for 5 minutes.", "title": "Hashwatt"}
    ]

    # Back after the reboot: its error event entity is available again, with the
    # last error as its state, which is no new error.
    await let_time_pass(hass, freezer, 15)
    assert hass.states.get(HASHRATE_SENSOR).state != STATE_UNAVAILABLE
    assert hass.states.get(ERROR_EVENT).attributes["code"] == 2010
    assert phone.notifications() == []


async def test_notify_about_each_new_error_code(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    phone: Phone,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One notification for each code the miner starts reporting."""
    await use_blueprint(
        hass,
        "notify_problems",
        notify_device=phone.device_id,
        error_events=[ERROR_EVENT],
    )
    simulated_miner.add_error(2010)
    simulated_miner.add_error(530)

    await let_time_pass(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds() / 60)

    assert phone.notifications() == [
        {"message": "Miner 1 reports error 2010.", "title": "Hashwatt"},
        {"message": "Miner 1 reports error 530.", "title": "Hashwatt"},
    ]


async def test_notify_when_pool_workers_go_offline(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    phone: Phone,
    freezer: FrozenDateTimeFactory,
) -> None:
    """When the account's problem turns on, not while it stays on or turns off."""
    workers = whitepool_mock.accounts["my_miner_01"].workers
    assert hass.states.get(WORKERS_PROBLEM).state == STATE_ON
    await use_blueprint(
        hass,
        "notify_problems",
        notify_device=phone.device_id,
        workers_problem=[WORKERS_PROBLEM],
    )
    for worker in workers:
        worker.status = "online"
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    assert hass.states.get(WORKERS_PROBLEM).state == STATE_OFF

    workers[1].status = "offline"
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    assert hass.states.get(WORKERS_PROBLEM).state == STATE_ON
    assert phone.notifications() == [
        {
            "message": "The pool sees workers of my_miner_01 offline or hashing slowly.",
            "title": "Hashwatt",
        }
    ]
