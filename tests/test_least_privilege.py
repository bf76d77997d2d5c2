"""An API v3 miner controlled through a limited account (user1), as the README recommends.

The simulated miner enforces the rights super granted user1 (set.user.permission:
a list of commands). What user1 may do works; what it may not is refused with a
translated error naming the missing right, and nothing else changes: no
reauthentication, no read-only mode, no repair issue.
"""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import CONF_ACCOUNT, CONF_READ_ONLY, DOMAIN
from simulator.whatsminer import SimulatedMiner

from .conftest import miner_entry_data, tick
from .control_helpers import device_of, writes

ACCOUNT = "user1"
ACCOUNT_PASSWORD = "ha_only_7"
# What a Home Assistant account needs to follow a solar surplus and switch mining.
GRANTED = frozenset({"set.miner.power", "set.miner.service"})

MINING = "switch.miner_1_mining"
POWER_TARGET = "number.miner_1_power_target"
POWER_LIMIT = "number.miner_1_power_limit_restarts_mining"
HASHRATE = "sensor.miner_1_hashrate"

pytestmark = pytest.mark.parametrize("miner_api", ["v3"])


@pytest.fixture
def mock_config_entry(
    mock_config_entry: MockConfigEntry, simulated_miner: SimulatedMiner
) -> MockConfigEntry:
    """The miner's entry, signing with user1, which super granted GRANTED."""
    simulated_miner.state.accounts[ACCOUNT] = ACCOUNT_PASSWORD
    simulated_miner.state.permissions[ACCOUNT] = GRANTED
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=miner_entry_data(
            simulated_miner, password=ACCOUNT_PASSWORD, **{CONF_ACCOUNT: ACCOUNT}
        ),
    )


def nothing_else_changed(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """No reauthentication, no read-only mode, no repair issue."""
    assert not [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert entry.data[CONF_READ_ONLY] is False
    assert entry.runtime_data.writable
    assert not ir.async_get(hass).issues
    assert hass.states.get(POWER_LIMIT).state not in ("unavailable", "unknown")


async def test_a_limited_account_polls_switches_and_sets_power(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
    freezer: FrozenDateTimeFactory,
) -> None:
    """user1 reads everything, switches mining off and on, and sets the power."""
    assert float(hass.states.get(HASHRATE).state) > 0
    mining_since = simulated_miner.state.mining_since

    await hass.services.async_call(
        "number",
        "set_value",
        {ATTR_ENTITY_ID: POWER_TARGET, "value": 2500},
        blocking=True,
    )
    assert simulated_miner.state.power_target == 2500
    assert abs(float(hass.states.get(POWER_TARGET).state) - 2500) < 100
    assert simulated_miner.state.mining_restarts == 0
    assert simulated_miner.state.mining_since == mining_since

    await tick(hass, freezer, 30)
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: MINING}, blocking=True
    )
    await tick(hass, freezer, 10)  # the confirming poll waits out the last one
    assert not simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_OFF
    await tick(hass, freezer, 30)
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: MINING}, blocking=True
    )
    await tick(hass, freezer, 10)
    assert simulated_miner.state.mining
    assert hass.states.get(MINING).state == STATE_ON

    signed = [r for r in simulated_miner.requests if r.authenticated]
    assert signed
    assert {r.params["account"] for r in signed} == {ACCOUNT}
    nothing_else_changed(hass, init_integration)


async def test_an_action_the_account_may_not_run_is_refused_by_name(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """The power limit was not granted: a clear error, and nothing else changes."""
    limit = simulated_miner.state.power_limit
    sent_before = writes(simulated_miner)

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "set_power_limit",
            {ATTR_DEVICE_ID: device_of(hass, init_integration), "power_limit": 3000},
            blocking=True,
        )

    assert raised.value.translation_key == "permission_denied"
    assert raised.value.translation_placeholders == {
        "miner": init_integration.title,
        "account": ACCOUNT,
        "command": "set.miner.power_limit",
    }
    assert str(raised.value) == (
        "Miner 1 refused set.miner.power_limit: its account user1 is not allowed it. "
        "Ask the miner's administrator (account super) to allow set.miner.power_limit "
        "for user1, or choose an account that has that right. Nothing was changed"
    )
    assert simulated_miner.state.power_limit == limit
    # Asked once, refused by the miner, never retried.
    assert writes(simulated_miner)[len(sent_before) :] == ["set.miner.power_limit"]
    nothing_else_changed(hass, init_integration)

    # The same from the entity: refused the same way, and it stays usable.
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            "number",
            "set_value",
            {ATTR_ENTITY_ID: POWER_LIMIT, "value": 3000},
            blocking=True,
        )
    assert raised.value.translation_key == "permission_denied"
    assert simulated_miner.state.power_limit == limit
    nothing_else_changed(hass, init_integration)
