"""The actions, sent to simulated miners over real TCP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import tarfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, CONF_HOST, CONF_PASSWORD
from homeassistant.core import Context, HomeAssistant, ServiceResponse
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import format_mac
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from custom_components.hashwatt.const import CONF_ENTRY_TYPE, DOMAIN
from custom_components.hashwatt.coordinator import write_disabled_issue_id
from custom_components.hashwatt.services import ACTIONS, MinerAction
from simulator.whatsminer import Fault, SimulatedMiner

from .conftest import PASSWORD, miner_entry_data, tick
from .control_helpers import device_of, writes

pytestmark = pytest.mark.usefixtures("init_integration")


async def call(
    hass: HomeAssistant,
    service: str,
    data: dict[str, Any],
    **kwargs: Any,
) -> ServiceResponse:
    """Call a Hashwatt action and wait for it."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, **kwargs
    )


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
@pytest.mark.parametrize(
    ("service", "data", "commands", "applied"),
    [
        (
            "set_power_limit",
            {"power_limit": 3000},
            ("adjust_power_limit", "set.miner.power_limit"),
            lambda state: state.power_limit == 3000,
        ),
        (
            # A hydro miner's limit: the action must not cap it at air-cooled sizes.
            "set_power_limit",
            {"power_limit": 12500},
            ("adjust_power_limit", "set.miner.power_limit"),
            lambda state: state.power_limit == 12500,
        ),
        (
            "set_power_percent",
            {"percent": 80},
            ("set_power_pct_v2", "set.miner.power_percent"),
            lambda state: (
                (state.power_percent, state.power_percent_mode) == (80, "normal")
            ),
        ),
        (
            "set_power_percent",
            {"percent": 70, "mode": "fast"},
            ("set_power_pct", "set.miner.power_percent"),
            lambda state: (
                (state.power_percent, state.power_percent_mode) == (70, "fast")
            ),
        ),
        (
            "set_power_mode",
            {"mode": "low"},
            ("set_low_power", "set.miner.power_mode"),
            lambda state: state.power_mode == "Low",
        ),
        (
            "set_target_frequency",
            {"percent": -10},
            ("set_target_freq", "set.miner.target_freq"),
            lambda state: state.target_freq == -10,
        ),
        (
            "set_led",
            {"color": "auto"},
            ("set_led", "set.system.led"),
            lambda state: state.led == "auto",
        ),
        (
            "set_led",
            {"color": "green", "period": 1000, "duration": 200, "start": 100},
            ("set_led", "set.system.led"),
            lambda state: (
                [(p.color, p.period, p.duration, p.start) for p in state.led]
                == [("green", 1000, 200, 100)]
            ),
        ),
        (
            "set_led",
            {"color": "red", "period": 800},
            ("set_led", "set.system.led"),
            lambda state: (
                [(p.color, p.period, p.duration, p.start) for p in state.led]
                == [("red", 800, 400, 0)]
            ),
        ),
        (
            "update_pools",
            {
                "pool_1_url": "stratum+tcp://pool.example.com:3333",
                "pool_1_worker": "acct.rig1",
                "pool_2_url": "stratum+tcp://backup.example.com:443",
                "pool_2_worker": "acct.rig1",
                "pool_2_password": "x",
            },
            ("update_pools", "set.miner.pools"),
            lambda state: (
                [(p.url, p.worker, p.password) for p in state.pools]
                == [
                    ("stratum+tcp://pool.example.com:3333", "acct.rig1", ""),
                    ("stratum+tcp://backup.example.com:443", "acct.rig1", "x"),
                ]
            ),
        ),
        (
            "restart_mining",
            {},
            ("restart_btminer", "set.miner.service"),
            lambda state: state.mining,
        ),
        (
            "set_temperature_offset",
            {"offset": -5},
            ("set_temp_offset", "set.fan.temp_offset"),
            lambda state: state.temp_offset == -5,
        ),
        (
            "set_upfreq_speed",
            {"speed": 3},
            ("adjust_upfreq_speed", "set.miner.upfreq_speed"),
            lambda state: state.upfreq_speed == 3,
        ),
        (
            "set_hostname",
            {"hostname": "rack3-slot12"},
            ("set_hostname", "set.system.hostname"),
            lambda state: state.hostname == "rack3-slot12",
        ),
        (
            "set_web_pools",
            {"enabled": False},
            ("disable_web_pools", "set.system.webpools"),
            lambda state: not state.web_pools,
        ),
        (
            "set_fan_zero_speed",
            {"enabled": True},
            ("set_fan_zero_speed", "set.fan.zero_speed"),
            lambda state: state.fan_zero_speed,
        ),
        (
            "set_poweroff_cool",
            {"enabled": False},
            ("set_poweroff_cool", "set.fan.poweroff_cool"),
            lambda state: not state.poweroff_cool,
        ),
        (
            "set_log_server",
            {"ip": "192.168.1.10", "port": 514, "protocol": "tcp"},
            ("load_log", "set.log.upload"),
            lambda state: (
                (state.log_server.ip, state.log_server.port, state.log_server.proto)
                == ("192.168.1.10", "514", "tcp")
            ),
        ),
        (
            "set_timezone",
            {"timezone": "CET-1CEST,M3.5.0,M10.5.0/3", "zone_name": "Europe/Amsterdam"},
            ("set_zone", "set.system.timezone"),
            lambda state: (
                (state.timezone, state.zonename)
                == ("CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Amsterdam")
            ),
        ),
    ],
)
async def test_action_reaches_the_miner(
    hass: HomeAssistant,
    *,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    service: str,
    data: dict[str, Any],
    commands: tuple[str, str],
    applied: Any,
) -> None:
    """Each action sends its command once, and the miner applies it."""
    device_id = device_of(hass, init_integration)

    assert await call(hass, service, {ATTR_DEVICE_ID: device_id, **data}) is None

    v2_command, v3_command = commands
    assert writes(simulated_miner) == [
        v2_command if simulated_miner.api == "v2" else v3_command
    ]
    assert applied(simulated_miner.state)


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_set_power_keeps_mining(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """API v3 changes the power while mining; the power limit restarts mining."""
    device_id = device_of(hass, init_integration)
    mining_since = simulated_miner.state.mining_since

    await call(hass, "set_power", {ATTR_DEVICE_ID: device_id, "power": 2400})

    assert writes(simulated_miner) == ["set.miner.power"]
    assert simulated_miner.state.power_target == 2400
    assert simulated_miner.state.mining_restarts == 0
    assert simulated_miner.state.mining_since == mining_since
    assert abs(float(hass.states.get("sensor.miner_1_power").state) - 2400) < 100

    await call(
        hass, "set_power_limit", {ATTR_DEVICE_ID: device_id, "power_limit": 3000}
    )
    assert simulated_miner.state.mining_restarts == 1


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_upfreq_speed_10_on_api_v3(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """API v3 takes the vendor's fastest speed, 10."""
    await call(
        hass,
        "set_upfreq_speed",
        {ATTR_DEVICE_ID: device_of(hass, init_integration), "speed": 10},
    )
    assert simulated_miner.state.upfreq_speed == 10


async def test_reboot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A reboot is sent once; the miner goes down and its entities follow."""
    await call(hass, "reboot", {ATTR_DEVICE_ID: device_of(hass, init_integration)})

    assert writes(simulated_miner) == ["reboot"]
    assert simulated_miner.is_down()
    # The poll that confirms the command finds the miner gone, and says so.
    assert hass.states.get("sensor.miner_1_hashrate").state == "unavailable"


async def test_values_sent_as_whole_numbers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """Whole numbers written as floats or text (YAML, templates) are taken as such."""
    device_id = device_of(hass, init_integration)

    await call(
        hass, "set_power_limit", {ATTR_DEVICE_ID: device_id, "power_limit": 2800.0}
    )
    assert simulated_miner.state.power_limit == 2800
    await call(
        hass, "set_power_limit", {ATTR_DEVICE_ID: device_id, "power_limit": " 2700 "}
    )
    assert simulated_miner.state.power_limit == 2700


@pytest.mark.parametrize(
    ("service", "data", "translation_key"),
    [
        ("set_power_limit", {"power_limit": 100000}, "invalid_action_data"),
        ("set_power_limit", {"power_limit": -1}, "invalid_action_data"),
        ("set_power_limit", {"power_limit": 3000.5}, "invalid_action_data"),
        ("set_power_limit", {"power_limit": True}, "invalid_action_data"),
        ("set_power_limit", {"power_limit": "lots"}, "invalid_action_data"),
        ("set_power_limit", {"power_limit": None}, "invalid_action_data"),
        ("set_power_limit", {}, "invalid_action_data"),
        (
            "set_power_limit",
            {"power_limit": 3000, "turbo": True},
            "invalid_action_data",
        ),
        ("set_power_percent", {"percent": 101}, "invalid_action_data"),
        ("set_power_percent", {"percent": 50, "mode": "turbo"}, "invalid_action_data"),
        ("set_power_mode", {"mode": "turbo"}, "invalid_action_data"),
        ("set_target_frequency", {"percent": 101}, "invalid_action_data"),
        ("set_target_frequency", {"percent": -101}, "invalid_action_data"),
        ("set_temperature_offset", {"offset": 1}, "invalid_action_data"),
        ("set_temperature_offset", {"offset": -31}, "invalid_action_data"),
        ("set_upfreq_speed", {"speed": 10}, "invalid_action_data"),
        ("set_upfreq_speed", {"speed": 11}, "invalid_action_data"),
        ("set_power", {"power": 2500}, "power_needs_v3"),
        ("set_power", {"power": -1}, "invalid_action_data"),
        ("set_web_pools", {"enabled": "maybe"}, "invalid_action_data"),
        (
            "set_log_server",
            {"ip": "logs.example.com", "port": 514},
            "invalid_action_data",
        ),
        ("set_log_server", {"ip": "192.168.1.10", "port": 0}, "invalid_action_data"),
        (
            "set_log_server",
            {"ip": "192.168.1.10", "port": 514, "protocol": "sctp"},
            "invalid_action_data",
        ),
        ("set_led", {"color": "blue"}, "invalid_action_data"),
        ("set_led", {"color": "red"}, "led_period_required"),
        ("set_led", {"color": "red", "period": 0}, "invalid_action_data"),
        ("set_led", {"color": "red", "period": 60001}, "invalid_action_data"),
        (
            "set_led",
            {"color": "red", "period": 1000, "duration": 1001},
            "led_pattern_exceeds_period",
        ),
        (
            "set_led",
            {"color": "red", "period": 1000, "start": 1500},
            "led_pattern_exceeds_period",
        ),
        ("update_pools", {"pool_1_worker": "acct.rig1"}, "invalid_action_data"),
        (
            "update_pools",
            {
                "pool_1_url": "stratum+tcp://pool.example.com:3333",
                "pool_1_worker": "acct.rig1",
                "pool_3_url": "stratum+tcp://pool.example.com:3333",
            },
            "pool_incomplete",
        ),
        (
            # The client checks the URL's form before anything goes out.
            "update_pools",
            {"pool_1_url": "http://pool.example.com", "pool_1_worker": "acct.rig1"},
            "invalid_value",
        ),
        ("set_hostname", {"hostname": "rack 3!"}, "invalid_value"),
        ("set_timezone", {"timezone": "CST-8"}, "invalid_action_data"),
        ("change_password", {"new_password": "no spaces"}, "invalid_action_data"),
        ("change_password", {"new_password": "x" * 33}, "invalid_action_data"),
        # API v2 takes 8 characters at most.
        ("change_password", {"new_password": "nine_char"}, "password_too_long_for_v2"),
        ("network_config", {"mode": "bridge"}, "invalid_action_data"),
        (
            "network_config",
            {"mode": "static", "ip": "192.168.1.50"},
            "static_network_incomplete",
        ),
        (
            "network_config",
            {
                "mode": "static",
                "ip": "192.168.1.500",
                "netmask": "255.255.255.0",
                "gateway": "192.168.1.1",
                "dns": ["192.168.1.1"],
                "hostname": "rack3",
            },
            "invalid_value",
        ),
        (
            "network_config",
            {
                "mode": "static",
                "ip": "192.168.1.50",
                "netmask": "255.255.255.0",
                "gateway": "192.168.1.1",
                "dns": ["1.1.1.1", "8.8.8.8", "9.9.9.9"],
                "hostname": "rack3",
            },
            "invalid_action_data",
        ),
        ("factory_reset", {"confirm": False}, "factory_reset_not_confirmed"),
        ("factory_reset", {}, "invalid_action_data"),
    ],
)
async def test_invalid_input_sends_nothing(
    hass: HomeAssistant,
    *,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    service: str,
    data: dict[str, Any],
    translation_key: str,
) -> None:
    """Out-of-range or malformed input is a translated error, and no miner hears of it."""
    requests_before = len(simulated_miner.requests)

    with pytest.raises(ServiceValidationError) as raised:
        await call(
            hass, service, {ATTR_DEVICE_ID: device_of(hass, init_integration), **data}
        )

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == translation_key
    assert len(simulated_miner.requests) == requests_before


async def test_schema_error_names_the_field(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The translated schema error says which field is wrong, and why."""
    with pytest.raises(ServiceValidationError) as raised:
        await call(
            hass,
            "set_power_limit",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "power_limit": 100000},
        )

    assert raised.value.translation_placeholders == {
        "field": "power_limit",
        "error": "must be between 0 and 99999",
    }
    assert str(raised.value) == (
        "Invalid power_limit: must be between 0 and 99999. Nothing was sent"
    )


async def test_single_device_actions_refuse_several(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A hostname or a static address belongs to one miner only."""
    device_id = device_of(hass, init_integration)

    with pytest.raises(ServiceValidationError) as raised:
        await call(
            hass,
            "set_hostname",
            {ATTR_DEVICE_ID: [device_id, device_id], "hostname": "a"},
        )

    assert raised.value.translation_key == "invalid_action_data"
    assert writes(simulated_miner) == []


async def test_unknown_device(
    hass: HomeAssistant, simulated_miner: SimulatedMiner
) -> None:
    """A device ID nobody knows is refused before anything is sent."""
    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "reboot", {ATTR_DEVICE_ID: "not-a-device"})

    assert raised.value.translation_key == "service_device_not_found"
    assert writes(simulated_miner) == []


async def test_device_of_another_integration(
    hass: HomeAssistant, simulated_miner: SimulatedMiner
) -> None:
    """A device that is not Hashwatt's is refused."""
    other = MockConfigEntry(domain="other_integration")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other_integration", "thing")}
    )

    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "reboot", {ATTR_DEVICE_ID: device.id})

    assert raised.value.translation_key == "service_device_wrong_domain"


async def test_device_of_an_unloaded_entry(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A miner whose entry is not loaded cannot be reached."""
    device_id = device_of(hass, init_integration)
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED

    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "reboot", {ATTR_DEVICE_ID: device_id})

    assert raised.value.translation_key == "service_config_entry_not_loaded"
    assert writes(simulated_miner) == []


async def test_device_that_is_not_a_miner(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A Hashwatt device that is no miner (a pool account) is refused, and no miner is sent anything."""
    pool = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: "whitepool"})
    pool.add_to_hass(hass)
    pool.mock_state(hass, ConfigEntryState.LOADED)
    account = dr.async_get(hass).async_get_or_create(
        config_entry_id=pool.entry_id,
        identifiers={(DOMAIN, "pool-account")},
        name="Pool",
    )

    with pytest.raises(ServiceValidationError) as raised:
        await call(
            hass,
            "reboot",
            {ATTR_DEVICE_ID: [device_of(hass, init_integration), account.id]},
        )

    assert raised.value.translation_key == "not_a_miner"
    assert raised.value.translation_placeholders == {"device": "Pool"}
    assert writes(simulated_miner) == []


async def test_refused_command(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A command the miner refuses is a translated error with the miner's reason."""
    with pytest.raises(HomeAssistantError) as raised:
        # Air-cooled miners only underclock.
        await call(
            hass,
            "set_target_frequency",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "percent": 10},
        )

    assert raised.value.translation_key == "command_refused"
    assert raised.value.translation_placeholders == {
        "miner": "Miner 1",
        "code": "132",
        "error": "fan-cooled miners only support underclocking",
    }
    assert simulated_miner.state.target_freq == 0


async def test_miner_unreachable(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A miner that is gone is a translated error; nothing reaches it later."""
    device_id = device_of(hass, init_integration)
    simulated_miner.inject(Fault.REFUSE)

    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass, "set_power_limit", {ATTR_DEVICE_ID: device_id, "power_limit": 3000}
        )

    assert raised.value.translation_key == "communication_error"
    simulated_miner.clear_faults()
    await hass.async_block_till_done()
    assert writes(simulated_miner) == []
    assert simulated_miner.state.power_limit != 3000


async def test_reply_lost_is_not_resent(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A command whose reply is cut off is reported, never sent a second time."""
    simulated_miner.inject(Fault.RESET, count=1, commands={"adjust_power_limit"})

    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            "set_power_limit",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "power_limit": 3000},
        )

    assert raised.value.translation_key == "communication_error"
    # The miner did act on it: the next poll shows so, not a second request.
    assert writes(simulated_miner) == ["adjust_power_limit"]
    assert simulated_miner.state.power_limit == 3000


async def test_unreadable_reply(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A reply that cannot be read is a translated error."""
    simulated_miner.inject(Fault.GARBAGE, count=1, commands={"adjust_upfreq_speed"})

    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            "set_upfreq_speed",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "speed": 2},
        )

    assert raised.value.translation_key == "command_invalid_reply"
    assert writes(simulated_miner) == ["adjust_upfreq_speed"]


async def test_write_api_disabled(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A miner with its write API off says so, and the repair issue appears at once."""
    simulated_miner.state.write_enabled = False

    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            "set_power_limit",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "power_limit": 3000},
        )

    assert raised.value.translation_key == "write_disabled"
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, write_disabled_issue_id(init_integration)
    )
    assert simulated_miner.state.power_limit != 3000


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A password changed behind Home Assistant's back asks the user for the new one."""
    simulated_miner.change_admin_password("newpass1")

    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            "set_power_limit",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "power_limit": 3000},
        )

    assert raised.value.translation_key == "auth_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert simulated_miner.state.power_limit != 3000


async def test_token_limit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A miner out of tokens is a translated error."""
    # The cached token is rejected once, and the miner has no new one to give.
    simulated_miner.inject(Fault.TOKEN_CHECK_ERROR, count=1)
    simulated_miner.inject(Fault.TOKEN_LIMIT)

    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            "set_power_limit",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "power_limit": 3000},
        )

    assert raised.value.translation_key == "token_limit"
    assert simulated_miner.state.power_limit != 3000


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_pre_power_on_reports_progress(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pre power on answers how far preheating has come."""
    device_id = device_of(hass, init_integration)
    simulated_miner.set_mining(time.time(), mining=False)

    first = await call(
        hass, "pre_power_on", {ATTR_DEVICE_ID: device_id}, return_response=True
    )
    second = await call(
        hass, "pre_power_on", {ATTR_DEVICE_ID: device_id}, return_response=True
    )
    freezer.tick(3600)
    done = await call(
        hass, "pre_power_on", {ATTR_DEVICE_ID: device_id}, return_response=True
    )
    assert await call(hass, "pre_power_on", {ATTR_DEVICE_ID: device_id}) is None

    assert first == {"miners": [{"device_id": device_id, "state": "waiting"}]}
    assert second == {"miners": [{"device_id": device_id, "state": "continuing"}]}
    assert done == {"miners": [{"device_id": device_id, "state": "complete"}]}


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Give Home Assistant a configuration folder of its own."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


async def download_logs(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, device_id: str
) -> ServiceResponse:
    """Call download_logs for one miner, letting the time of its transfer pass."""
    # Time stands still in these tests, and the miner sends the file 10 ms after
    # its header (as real ones do): let those milliseconds pass.
    download = hass.async_create_task(
        call(hass, "download_logs", {ATTR_DEVICE_ID: device_id}, return_response=True)
    )
    while not download.done():
        await asyncio.sleep(0)
        freezer.tick(0.005)
        async_fire_time_changed(hass)
    return download.result()


LOG_DOWNLOADS = frozenset({"download_logs", "get.log.download"})


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_download_logs(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    config_dir: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The log archive lands under hashwatt/logs, and the action says where."""
    device_id = device_of(hass, init_integration)
    asked = dt_util.now().replace(microsecond=0)

    response = await download_logs(hass, freezer, device_id)

    assert response is not None
    [result] = response["miners"]
    path = Path(result["path"])
    assert result["device_id"] == device_id
    assert path.parent == config_dir / "hashwatt" / "logs"
    mac = format_mac(simulated_miner.state.mac).replace(":", "")
    # Named by the local time of the download; the transfer lets (frozen) time pass.
    prefix, suffix = f"miner_1_{mac}_", ".tar.gz"
    assert path.name.startswith(prefix)
    assert path.name.endswith(suffix)
    stamp = datetime.strptime(
        path.name.removeprefix(prefix).removesuffix(suffix), "%Y%m%d-%H%M%S"
    ).replace(tzinfo=asked.tzinfo)
    assert asked <= stamp <= dt_util.now()
    archive_bytes = await hass.async_add_executor_job(path.read_bytes)
    with tarfile.open(fileobj=io.BytesIO(archive_bytes)) as archive:
        log = archive.extractfile("btminer.log")
        assert log is not None
        assert simulated_miner.state.mac.encode() in log.read()


async def test_download_logs_folder_that_cannot_be_made(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    config_dir: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A file where the log folder belongs fails the action before any miner is asked."""
    (config_dir / "hashwatt").mkdir()
    (config_dir / "hashwatt" / "logs").write_text("not a folder\n")

    with pytest.raises(HomeAssistantError) as raised:
        await download_logs(hass, freezer, device_of(hass, init_integration))

    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "logs_folder_failed"
    assert raised.value.translation_placeholders == {
        "path": str(config_dir / "hashwatt" / "logs"),
        "error": "File exists",
    }
    assert not [r for r in simulated_miner.requests if r.command in LOG_DOWNLOADS]


async def test_download_logs_file_that_cannot_be_written(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    config_dir: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An archive that can't be saved is a translated error naming the miner."""
    mac = format_mac(simulated_miner.state.mac).replace(":", "")
    # A folder where the archive would go: writing fails, for root too.
    target = config_dir / "hashwatt" / "logs" / f"miner_1_{mac}_20261120-040000.tar.gz"
    target.mkdir(parents=True)

    with pytest.raises(HomeAssistantError) as raised:
        await download_logs(hass, freezer, device_of(hass, init_integration))

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "logs_write_failed"
    assert raised.value.translation_placeholders == {
        "miner": "Miner 1",
        "path": str(target),
        "error": "Is a directory",
    }
    assert str(raised.value).startswith(
        f"Could not save the logs of Miner 1 to {target}: Is a directory"
    )


async def test_update_firmware_from_the_firmware_folder(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    config_dir: Path,
) -> None:
    """An image in hashwatt/firmware is uploaded by its name."""
    folder = config_dir / "hashwatt" / "firmware"
    folder.mkdir(parents=True)
    (folder / "M50_20250101.bin").write_bytes(b"\x7fIMG" * 1000)

    await call(
        hass,
        "update_firmware",
        {ATTR_DEVICE_ID: device_of(hass, init_integration), "path": "M50_20250101.bin"},
    )

    assert simulated_miner.state.firmware_uploads == [4000]


async def test_update_firmware_from_an_allowed_folder(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    config_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """An image in a folder of allowlist_external_dirs is uploaded by its full path."""
    allowed = tmp_path_factory.mktemp("allowed")
    image = allowed / "fw.bin"
    image.write_bytes(b"\x01" * 512)
    hass.config.allowlist_external_dirs = {str(allowed)}

    await call(
        hass,
        "update_firmware",
        {ATTR_DEVICE_ID: device_of(hass, init_integration), "path": str(image)},
    )

    assert simulated_miner.state.firmware_uploads == [512]


@pytest.mark.parametrize(
    ("path", "translation_key"),
    [
        ("../secrets.yaml", "firmware_path_not_allowed"),
        ("/etc/hostname", "firmware_path_not_allowed"),
        ("escape.bin", "firmware_path_not_allowed"),  # a symlink leading out
        ("missing.bin", "firmware_not_found"),
        ("subfolder", "firmware_not_found"),
        ("empty.bin", "firmware_size"),
    ],
)
async def test_update_firmware_refuses(
    hass: HomeAssistant,
    *,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    config_dir: Path,
    path: str,
    translation_key: str,
) -> None:
    """Only existing images inside the allowed folders are read; nothing is sent otherwise."""
    folder = config_dir / "hashwatt" / "firmware"
    (folder / "subfolder").mkdir(parents=True)
    (folder / "empty.bin").write_bytes(b"")
    (config_dir / "secrets.yaml").write_text("password: hunter2\n")
    (folder / "escape.bin").symlink_to(config_dir / "secrets.yaml")
    requests_before = len(simulated_miner.requests)

    with pytest.raises(ServiceValidationError) as raised:
        await call(
            hass,
            "update_firmware",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "path": path},
        )

    assert raised.value.translation_key == translation_key
    assert len(simulated_miner.requests) == requests_before


# A regular file that nobody may read, root included: a bus's uevent in sysfs.
WRITE_ONLY_FILE = next(
    path for path in sorted(Path("/sys/bus").glob("*/uevent")) if path.is_file()
)


async def test_update_firmware_unreadable(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A firmware file that can't be read is a translated error; nothing is sent.

    (A file of mode 000 would not do: root reads it.)
    """
    image = WRITE_ONLY_FILE
    hass.config.allowlist_external_dirs = {str(image.parent)}
    requests_before = len(simulated_miner.requests)

    with pytest.raises(ServiceValidationError) as raised:
        await call(
            hass,
            "update_firmware",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "path": str(image)},
        )

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "firmware_unreadable"
    assert raised.value.translation_placeholders == {
        "path": str(image),
        "error": "Permission denied",
    }
    assert len(simulated_miner.requests) == requests_before
    assert writes(simulated_miner) == []
    assert simulated_miner.state.firmware_uploads == []


async def test_factory_reset(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A confirmed factory reset is sent."""
    await call(
        hass,
        "factory_reset",
        {ATTR_DEVICE_ID: device_of(hass, init_integration), "confirm": True},
    )

    assert writes(simulated_miner) == ["factory_reset"]
    assert simulated_miner.state.pools == []


@pytest.mark.parametrize(
    ("miner_api", "new_password"),
    [("v2", "new_pw1"), ("v3", "a_longer_password_for_v3")],
)
async def test_change_password(
    hass: HomeAssistant,
    *,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    new_password: str,
) -> None:
    """The new password goes to the miner and into the entry; writes keep working."""
    device_id = device_of(hass, init_integration)

    await call(
        hass,
        "change_password",
        {ATTR_DEVICE_ID: device_id, "new_password": new_password},
    )

    if simulated_miner.api == "v2":
        assert simulated_miner.state.password == new_password
    else:
        assert simulated_miner.state.accounts["super"] == new_password
    assert init_integration.data[CONF_PASSWORD] == new_password
    await call(
        hass, "set_power_limit", {ATTR_DEVICE_ID: device_id, "power_limit": 3100}
    )
    assert simulated_miner.state.power_limit == 3100


async def test_network_config_dhcp(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """DHCP is sent as such; the entry keeps its address until discovery moves it."""
    await call(
        hass,
        "network_config",
        {ATTR_DEVICE_ID: device_of(hass, init_integration), "mode": "dhcp"},
    )

    assert writes(simulated_miner) == ["net_config"]
    assert simulated_miner.state.network.proto == "dhcp"
    assert init_integration.data[CONF_HOST] == "127.0.0.1"


async def test_network_config_static(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A static address is sent, and the entry follows the miner there."""
    await call(
        hass,
        "network_config",
        {
            ATTR_DEVICE_ID: device_of(hass, init_integration),
            "mode": "static",
            "ip": "127.0.0.1",
            "netmask": "255.0.0.0",
            "gateway": "127.0.0.254",
            "dns": "127.0.0.53",
            "hostname": "rack3-slot12",
        },
    )

    network = simulated_miner.state.network
    assert (
        network.proto,
        network.ip,
        network.netmask,
        network.gateway,
        network.dns,
    ) == (
        "static",
        "127.0.0.1",
        "255.0.0.0",
        "127.0.0.254",
        "127.0.0.53",
    )
    assert simulated_miner.state.hostname == "rack3-slot12"
    assert init_integration.data[CONF_HOST] == "127.0.0.1"
    # The entry reloads, and is set up again once the miner is back from its restart.
    await tick(hass, freezer, simulated_miner.reboot_downtime + 1)
    await tick(hass, freezer, 60)
    assert init_integration.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("change_password", {"new_password": "new_pw1"}),
        ("network_config", {"mode": "dhcp"}),
        ("download_logs", {}),
        ("update_firmware", {"path": "fw.bin"}),
        ("factory_reset", {"confirm": True}),
    ],
)
async def test_dangerous_actions_are_for_admins(
    hass: HomeAssistant,
    *,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    hass_read_only_user: MockUser,
    service: str,
    data: dict[str, Any],
) -> None:
    """A user who is no administrator cannot run the dangerous actions."""
    requests_before = len(simulated_miner.requests)

    with pytest.raises(Unauthorized):
        await call(
            hass,
            service,
            {ATTR_DEVICE_ID: device_of(hass, init_integration), **data},
            context=Context(user_id=hass_read_only_user.id),
        )

    assert len(simulated_miner.requests) == requests_before


@pytest.fixture
async def second_miner(socket_enabled: None) -> Any:
    """Start another simulated miner on 127.0.0.1."""
    miner = SimulatedMiner(
        model="M60",
        api="v2",
        password=PASSWORD,
        seed=2,
        clock=lambda: time.time(),  # noqa: PLW0108
    )
    await miner.start(host="127.0.0.1")
    yield miner
    await miner.stop()


@pytest.fixture
async def second_entry(
    hass: HomeAssistant, second_miner: SimulatedMiner
) -> MockConfigEntry:
    """Set up an entry for the second miner."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Miner 2",
        unique_id=format_mac(second_miner.state.mac),
        data=miner_entry_data(second_miner),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_several_miners(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    second_entry: MockConfigEntry,
    second_miner: SimulatedMiner,
) -> None:
    """One action reaches every miner it names."""
    await call(
        hass,
        "set_power_limit",
        {
            ATTR_DEVICE_ID: [
                device_of(hass, init_integration),
                device_of(hass, second_entry),
            ],
            "power_limit": 3000,
        },
    )

    assert simulated_miner.state.power_limit == 3000
    assert second_miner.state.power_limit == 3000


async def test_several_miners_one_fails(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    second_entry: MockConfigEntry,
    second_miner: SimulatedMiner,
) -> None:
    """The miners that answer get the command; the error names those that did not."""
    simulated_miner.inject(Fault.REFUSE)

    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            "set_power_limit",
            {
                ATTR_DEVICE_ID: [
                    device_of(hass, init_integration),
                    device_of(hass, second_entry),
                ],
                "power_limit": 3000,
            },
        )

    assert raised.value.translation_key == "communication_error"
    assert raised.value.translation_placeholders["miner"] == "Miner 1"
    assert second_miner.state.power_limit == 3000
    simulated_miner.clear_faults()


async def test_several_miners_several_fail(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    second_entry: MockConfigEntry,
    second_miner: SimulatedMiner,
) -> None:
    """Failures on several miners are summed up in one error naming them all."""
    simulated_miner.inject(Fault.REFUSE)
    second_miner.inject(Fault.REFUSE)

    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            "reboot",
            {
                ATTR_DEVICE_ID: [
                    device_of(hass, init_integration),
                    device_of(hass, second_entry),
                ]
            },
        )

    assert raised.value.translation_key == "failed_on_miners"
    placeholders = raised.value.translation_placeholders
    assert (placeholders["failed"], placeholders["total"], placeholders["miners"]) == (
        "2",
        "2",
        "Miner 1, Miner 2",
    )
    simulated_miner.clear_faults()
    second_miner.clear_faults()


async def test_several_miners_same_bad_input(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    second_entry: MockConfigEntry,
    second_miner: SimulatedMiner,
) -> None:
    """Input the client refuses for every miner stays a validation error."""
    with pytest.raises(ServiceValidationError) as raised:
        await call(
            hass,
            "update_pools",
            {
                ATTR_DEVICE_ID: [
                    device_of(hass, init_integration),
                    device_of(hass, second_entry),
                ],
                "pool_1_url": "pool.example.com",
                "pool_1_worker": "acct.rig1",
            },
        )

    assert raised.value.translation_key == "invalid_value"
    assert writes(simulated_miner) == writes(second_miner) == []


def load_json(name: str) -> dict[str, Any]:
    """Read one of the integration's JSON files."""
    folder = Path(__file__).parent.parent / "custom_components" / DOMAIN
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
def test_action_is_described(action: MinerAction) -> None:
    """Every action, field and section has a name, a description and an icon."""
    services_yaml = yaml.safe_load(
        (
            Path(__file__).parent.parent
            / "custom_components"
            / DOMAIN
            / "services.yaml"
        ).read_text(encoding="utf-8")
    )
    strings = load_json("translations/en.json")["services"][action.name]
    icons = load_json("icons.json")["services"]

    fields: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for key, value in services_yaml[action.name]["fields"].items():
        if "fields" in value:
            sections[key] = value
            fields.update(value["fields"])
        else:
            fields[key] = value
    assert strings["name"]
    assert strings["description"].endswith(".")
    assert set(strings["fields"]) == set(fields)
    assert all(
        text["name"] and text["description"] for text in strings["fields"].values()
    )
    assert set(strings.get("sections", {})) == set(sections)
    assert icons[action.name]["service"].startswith("mdi:")
    # The schema takes every field the UI offers, and nothing it does not.
    schema_keys = {str(key) for key in action.schema.schema}
    assert schema_keys == set(fields)


@pytest.mark.parametrize(
    ("miner_api", "new_password", "translation_key"),
    [
        ("v2", "hw_New42", None),
        ("v3", "hw_NewPassword_4242", None),
        ("v2", "hw_NewPassword_4242", "password_too_long_for_v2"),
        ("v2", "hw New42!", "invalid_action_data"),
    ],
)
async def test_passwords_stay_out_of_logs_and_errors(
    hass: HomeAssistant,
    *,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    new_password: str,
    translation_key: str | None,
) -> None:
    """Neither the old nor the new password shows in a log line or an error."""
    caplog.set_level(logging.DEBUG)
    data = {
        ATTR_DEVICE_ID: device_of(hass, init_integration),
        "new_password": new_password,
    }

    if translation_key is None:
        await call(hass, "change_password", data)
        # Debug logging is on: the polls confirming the change are in the log.
        assert "Finished fetching Miner 1" in caplog.text
    else:
        with pytest.raises(ServiceValidationError) as raised:
            await call(hass, "change_password", data)
        assert raised.value.translation_key == translation_key
        assert new_password not in str(raised.value)
        assert new_password not in repr(raised.value.translation_placeholders)

    assert new_password not in caplog.text
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_pre_power_on_on_a_mining_miner_says_what_to_do(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A mining miner refuses to preheat; the error says to switch mining off first."""
    device_id = device_of(hass, init_integration)
    assert simulated_miner.state.mining

    with pytest.raises(HomeAssistantError) as raised:
        await call(hass, "pre_power_on", {ATTR_DEVICE_ID: device_id})

    assert raised.value.translation_key == "pre_power_on_refused"
    message = str(raised.value)
    assert message.startswith("Miner 1 refused to preheat (")
    assert "turn its Mining switch off" in message
    assert simulated_miner.state.mining
