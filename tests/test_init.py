"""Tests for setting up, unloading and housekeeping the Hashwatt integration."""

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import format_mac
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.hashwatt.const import (
    CONF_API,
    CONF_ENTRY_TYPE,
    CONF_READ_ONLY,
    DOMAIN,
    SLOW_SCAN_INTERVAL,
)
from custom_components.hashwatt.coordinator import write_disabled_issue_id
from simulator.whatsminer import Fault, SimulatedMiner

from .conftest import miner_entry_data, tick


async def test_async_setup(hass: HomeAssistant) -> None:
    """Home Assistant loads the integration."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert DOMAIN in hass.config.components


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_setup_and_unload(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
) -> None:
    """An entry loads against the miner, and unloads cleanly."""
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.writable is True
    assert hass.states.get("sensor.miner_1_hashrate").state != STATE_UNAVAILABLE

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not hasattr(entry, "runtime_data")
    assert hass.states.get("sensor.miner_1_hashrate").state == STATE_UNAVAILABLE


async def test_setup_retries_while_the_miner_is_unreachable(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A miner that doesn't answer at startup is retried later."""
    simulated_miner.inject(Fault.REFUSE)
    mock_config_entry.add_to_hass(hass)

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_with_a_wrong_password_asks_for_it(
    hass: HomeAssistant, simulated_miner: SimulatedMiner, socket_enabled: None
) -> None:
    """A password the miner refuses fails setup and starts reauthentication."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=format_mac(simulated_miner.state.mac),
        data=miner_entry_data(simulated_miner, password="wrong_pw"),
    )
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_unknown_entry_type(hass: HomeAssistant) -> None:
    """An entry of a kind this version doesn't know fails with a clear error."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: "toaster"})
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason == "Unknown kind of Hashwatt entry: toaster"


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_write_disabled_repair_clears_itself(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    socket_enabled: None,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A read-only miner works, raises a repair issue, and is writable once enabled."""
    simulated_miner.state.write_enabled = False
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Miner 1",
        unique_id=format_mac(simulated_miner.state.mac),
        data=miner_entry_data(simulated_miner, **{CONF_READ_ONLY: True}),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    issue = issue_registry.async_get_issue(DOMAIN, write_disabled_issue_id(entry))
    assert issue is not None
    assert issue.translation_key == "write_disabled"
    assert issue.translation_placeholders == {"name": "Miner 1", "host": "127.0.0.1"}
    assert hass.states.get("sensor.miner_1_hashrate").state != STATE_UNAVAILABLE
    # The setting's one entity keeps showing what the miner reports.
    assert hass.states.get("switch.miner_1_mining").state == "on"

    simulated_miner.state.write_enabled = True
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert (
        issue_registry.async_get_issue(DOMAIN, write_disabled_issue_id(entry)) is None
    )
    assert hass.states.get("switch.miner_1_mining").state == "on"
    assert entry.data[CONF_READ_ONLY] is False


async def test_unload_removes_the_repair_issue(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An unloaded entry leaves no repair behind; setting it up again raises it again."""
    simulated_miner.state.write_enabled = False
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    issue_id = write_disabled_issue_id(init_integration)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_no_duplicate_device_after_a_power_cycle(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reboot, during which the MAC reads as zeros, leaves one device, the same one."""
    (device,) = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    mac = simulated_miner.state.mac

    await simulated_miner.reboot_now(downtime=120)
    await tick(hass, freezer)
    assert hass.states.get("sensor.miner_1_hashrate").state == STATE_UNAVAILABLE

    # Booting: it answers, but without its MAC yet.
    simulated_miner.state.mac = "00:00:00:00:00:00"
    await tick(hass, freezer, 120)
    assert hass.states.get("sensor.miner_1_hashrate").state != STATE_UNAVAILABLE
    simulated_miner.state.mac = mac
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    ) == [device_registry.async_get(device.id)]
    assert device.identifiers == {(DOMAIN, format_mac(mac))}
    assert len(device_registry.devices) == 1


async def test_device_follows_firmware_and_api(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    socket_enabled: None,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """New firmware shows on the device; an API change is remembered in the entry."""
    # Stored as API v3, but the miner speaks v2 only: the client detects it again.
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=format_mac(simulated_miner.state.mac),
        data=miner_entry_data(simulated_miner, **{CONF_API: "v3"}),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    (device,) = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert device.sw_version == "20230911.12.Rel"

    simulated_miner.state.firmware_version = "20240105.14.Rel"
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    assert device_registry.async_get(device.id).sw_version == "20240105.14.Rel"
    assert entry.data[CONF_API] == "v2"


async def test_stale_devices_are_removed(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Devices of the entry that are not its miner are removed at setup."""
    mock_config_entry.add_to_hass(hass)
    stale = device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id, identifiers={(DOMAIN, "gone")}
    )

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert device_registry.async_get(stale.id) is None
    (device,) = dr.async_entries_for_config_entry(
        device_registry, mock_config_entry.entry_id
    )
    assert device.identifiers == {(DOMAIN, mock_config_entry.unique_id)}
    # The way Home Assistant wants it: no report of deprecated registry calls.
    assert "Detected" not in caplog.text


async def test_remove_config_entry_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The polled miner's device can't be removed by hand; another device of the entry can."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    (miner,) = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    other = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "other")}
    )

    async def remove(device_id: str) -> bool:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": init_integration.entry_id,
                "device_id": device_id,
            }
        )
        response = await client.receive_json()
        return bool(response["success"])

    assert await remove(miner.id) is False
    assert await remove(other.id) is True
    assert device_registry.async_get(other.id) is None
    assert device_registry.async_get(miner.id) is not None
