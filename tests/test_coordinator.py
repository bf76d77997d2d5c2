"""Tests of the two polls: what they cost, outages, passwords, write access, identity."""

import logging

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.update_coordinator import UpdateFailed
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import DOMAIN, SLOW_SCAN_INTERVAL
from custom_components.hashwatt.coordinator import write_disabled_issue_id
from simulator.whatsminer import Fault, SimulatedMiner
from simulator.whatsminer.hardware import MODELS

from .conftest import tick

FAST_ENTITY = "sensor.miner_1_hashrate"
SLOW_ENTITY = "sensor.miner_1_firmware"
SLOW_SECONDS = SLOW_SCAN_INTERVAL.total_seconds()
OTHER_MAC = "C6:07:20:00:00:42"


def commands(miner: SimulatedMiner) -> list[tuple[str | None, bool]]:
    """The requests the miner received, as (command, authenticated), and forget them."""
    seen = [(request.command, request.authenticated) for request in miner.requests]
    miner.requests.clear()
    return seen


@pytest.mark.parametrize(
    ("miner_api", "fast_requests", "slow_requests"),
    [
        # API v2: one connection per request. Fast: summary+edevs and status;
        # slow: version, miner info, PSU, error codes, pools+devdetails, and the
        # password check (an encrypted read with the cached token).
        ("v2", 2, 6),
        # API v3: requests on one kept connection; the password check is a
        # write that changes nothing.
        ("v3", 2, 5),
    ],
)
async def test_requests_per_poll(  # noqa: PLR0917  # fixtures and parameters
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    fast_requests: int,
    slow_requests: int,
) -> None:
    """Each poll costs a fixed, small number of requests; the slow one every 5 minutes."""
    commands(simulated_miner)

    for _ in range(9):  # 4 min 30 s of fast polls
        await tick(hass, freezer)
        fast = commands(simulated_miner)
        assert len(fast) == fast_requests
        assert not any(authenticated for _, authenticated in fast)

    await tick(hass, freezer)  # 5 minutes: the slow poll is due

    both = commands(simulated_miner)
    assert len(both) == fast_requests + slow_requests
    assert [authenticated for _, authenticated in both].count(True) == 1


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # firmware
@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_outage_is_logged_once_each_way(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Offline: everything unavailable, one line; back: one line, and a full read at once."""
    caplog.set_level(logging.INFO, logger="custom_components.hashwatt")
    caplog.clear()
    await simulated_miner.reboot_now(downtime=390)

    await tick(hass, freezer)

    assert hass.states.get(FAST_ENTITY).state == STATE_UNAVAILABLE
    # Old firmware, PSU or error figures are not shown as current either.
    assert hass.states.get(SLOW_ENTITY).state == STATE_UNAVAILABLE

    for _ in range(11):  # six minutes offline: the slow poll waits for the miner
        await tick(hass, freezer)
    commands(simulated_miner)

    await tick(hass, freezer)  # back after 6 min 30 s

    assert hass.states.get(FAST_ENTITY).state != STATE_UNAVAILABLE
    assert hass.states.get(SLOW_ENTITY).state == simulated_miner.state.firmware_version
    # The slow poll ran right after the miner came back.
    assert [authenticated for _, authenticated in commands(simulated_miner)].count(
        True
    ) == 1
    # Client and integration together said it once each way.
    ours = [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name.startswith("custom_components.hashwatt")
    ]
    assert [level for level, _ in ours] == [logging.ERROR, logging.INFO]
    assert ours[0][1].startswith(
        "Error fetching Miner 1 data: Could not read the miner at 127.0.0.1: "
    )
    assert ours[1][1] == "Fetching Miner 1 data recovered"


async def test_unreadable_reply_fails_the_poll(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reply that can't be read makes the entities unavailable, with a translated reason."""
    simulated_miner.inject(Fault.GARBAGE)

    await tick(hass, freezer)

    fast = init_integration.runtime_data.fast
    assert hass.states.get(FAST_ENTITY).state == STATE_UNAVAILABLE
    assert isinstance(fast.last_exception, UpdateFailed)
    assert fast.last_exception.translation_key == "invalid_reply"


async def test_password_changed_on_the_miner_starts_reauth(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A password changed on the miner is noticed by the slow poll, without any write."""
    simulated_miner.state.password = "changed"

    await tick(hass, freezer, SLOW_SECONDS)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert init_integration.runtime_data.writable is False
    assert hass.states.get(FAST_ENTITY).state == STATE_UNAVAILABLE

    # Unlike a garbled reply, a refused password is not retried at every fast
    # poll: it waits for reauthentication, or for the next slow poll.
    commands(simulated_miner)
    await tick(hass, freezer)
    assert len(commands(simulated_miner)) == 2


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_write_disabled_at_runtime_raises_the_repair(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The write API switched off later: repair issue, buttons unavailable.

    A setting's one entity, its control, keeps showing what the miner reports.
    """
    simulated_miner.state.write_enabled = False

    await tick(hass, freezer, SLOW_SECONDS)

    assert issue_registry.async_get_issue(
        DOMAIN, write_disabled_issue_id(init_integration)
    )
    assert init_integration.runtime_data.writable is False
    assert hass.states.get("button.miner_1_reboot").state == STATE_UNAVAILABLE
    assert (
        hass.states.get("select.miner_1_power_mode_restarts_mining").state == "normal"
    )
    assert hass.states.get(FAST_ENTITY).state != STATE_UNAVAILABLE


async def test_token_shortage_changes_nothing(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No token to spare says nothing about the password or the write API."""
    simulated_miner.inject(Fault.TOKEN_LIMIT)

    await tick(hass, freezer, 3600)  # the cached token has expired: a new one is needed

    assert ("get_token", False) in commands(simulated_miner)
    assert init_integration.runtime_data.writable is True
    assert init_integration.runtime_data.slow.last_update_success is True
    assert not issue_registry.issues


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # firmware
@pytest.mark.parametrize(
    ("miner_api", "command"),
    [
        ("v2", "get_miner_info"),
        ("v3", "get.miner.setting"),
        ("v3", "set.miner.report"),  # the password check
    ],
)
async def test_unreadable_slow_reply_fails_the_slow_poll(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    command: str,
) -> None:
    """A garbled slow-poll reply fails that poll; the write access stays as known."""
    simulated_miner.inject(Fault.GARBAGE, commands={command}, count=1)

    await tick(hass, freezer, SLOW_SECONDS)

    slow = init_integration.runtime_data.slow
    assert slow.last_update_success is False
    assert isinstance(slow.last_exception, UpdateFailed)
    assert slow.last_exception.translation_key == "invalid_reply"
    assert hass.states.get(SLOW_ENTITY).state == STATE_UNAVAILABLE
    assert init_integration.runtime_data.writable is True


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # firmware
async def test_inconclusive_password_check_changes_nothing(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A check that proves nothing keeps the known write access; the reads stand."""
    simulated_miner.inject(Fault.TOKEN_CHECK_ERROR)  # every token rejected (135)
    commands(simulated_miner)

    await tick(hass, freezer, SLOW_SECONDS)

    # The check was tried: the cached token refused, a new one refused too.
    assert ("get_token", False) in commands(simulated_miner)
    assert init_integration.runtime_data.slow.last_update_success is True
    assert init_integration.runtime_data.writable is True
    assert hass.states.get(SLOW_ENTITY).state == simulated_miner.state.firmware_version
    assert not issue_registry.issues


async def test_another_miner_at_the_address(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """When another miner answers at the address, its figures are not shown as this one's."""
    simulated_miner.state.mac = "C6:07:20:00:00:42"

    await tick(hass, freezer, SLOW_SECONDS)

    slow = init_integration.runtime_data.slow
    assert isinstance(slow.last_exception, UpdateFailed)
    assert slow.last_exception.translation_key == "unexpected_miner"
    assert slow.last_exception.translation_placeholders == {
        "host": "127.0.0.1",
        "mac": "c6:07:20:00:00:42",
    }
    assert hass.states.get(FAST_ENTITY).state == STATE_UNAVAILABLE


@pytest.mark.parametrize(
    ("miner_api", "recovery_requests"),
    # What the first poll that reaches the miner costs: finding the API again
    # (1), the fast poll (2), the one MAC read (1), then the slow poll that
    # follows an outage, which checks no password of another miner (v2: 5, v3: 4).
    [("v2", 1 + 2 + 1 + 5), ("v3", 1 + 2 + 1 + 4)],
)
async def test_another_miner_after_an_outage_is_never_shown(  # noqa: PLR0917  # fixtures and parameters
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    recovery_requests: int,
) -> None:
    """Another miner answering after an outage: no state of its figures, ever.

    Every state written is checked, not only the last: a figure shown for a
    moment is recorded, and automations may act on it.
    """
    runtime = init_integration.runtime_data
    ours = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
    }
    written: list[State] = []

    @callback
    def async_record(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            written.append(state)

    hass.bus.async_listen(EVENT_STATE_CHANGED, async_record)
    await simulated_miner.reboot_now(downtime=60)
    await tick(hass, freezer)
    assert hass.states.get(FAST_ENTITY).state == STATE_UNAVAILABLE
    # The address now leads to another miner, with other figures.
    own_mac = simulated_miner.state.mac
    simulated_miner.state.mac = OTHER_MAC
    own_model = simulated_miner.state.model
    simulated_miner.state.model = MODELS["M60"]
    commands(simulated_miner)
    await tick(hass, freezer)  # a minute after the reboot: it answers
    assert runtime.fast.last_update_success
    assert runtime.another_miner_answers
    recovery = [command for command, _ in commands(simulated_miner)]
    for _ in range(4):
        await tick(hass, freezer)

    shown = [
        state
        for state in written
        if state.entity_id in ours and state.state != STATE_UNAVAILABLE
    ]
    assert written
    assert shown == []
    assert len(recovery) == recovery_requests

    # Its own miner is back after another outage: current at once.
    simulated_miner.state.mac, simulated_miner.state.model = own_mac, own_model
    await simulated_miner.reboot_now(downtime=20)
    await tick(hass, freezer)
    await tick(hass, freezer)
    assert not runtime.another_miner_answers
    assert hass.states.get(FAST_ENTITY).state != STATE_UNAVAILABLE


async def test_another_miner_between_two_polls_is_never_shown(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No poll failed, but the uptime does not follow the clock: whose figures now?

    Another miner, booted a minute ago, took the address between two polls: its
    MAC is read before any of its figures is published.
    """
    runtime = init_integration.runtime_data
    written: list[str] = []

    @callback
    def async_record(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            written.append(state.state)

    async_track_state_change_event(hass, FAST_ENTITY, async_record)
    commands(simulated_miner)
    simulated_miner.state.mac = OTHER_MAC
    simulated_miner.state.boot_time = simulated_miner.clock() - 60

    await tick(hass, freezer)

    assert runtime.another_miner_answers
    assert ("get_miner_info", False) in commands(simulated_miner)
    assert written
    assert set(written) == {STATE_UNAVAILABLE}


async def test_uptime_following_the_clock_reads_no_mac(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polls of the same miner, uptime growing with the clock: no MAC read between."""
    commands(simulated_miner)
    for _ in range(5):
        await tick(hass, freezer)
    assert ("get_miner_info", False) not in commands(simulated_miner)


async def test_refresh_after_write(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a write the polls run again: fast always, slow when settings changed."""
    runtime = init_integration.runtime_data
    commands(simulated_miner)

    await runtime.async_refresh_after_write(settings_changed=True)
    seen = [command for command, _ in commands(simulated_miner)]
    assert seen[:2] == ["summary+edevs", "status"]
    assert "pools+devdetails" in seen

    await tick(hass, freezer, 11)  # past the refresh debouncer's cooldown
    commands(simulated_miner)
    await runtime.async_refresh_after_write()
    assert [command for command, _ in commands(simulated_miner)] == [
        "summary+edevs",
        "status",
    ]
