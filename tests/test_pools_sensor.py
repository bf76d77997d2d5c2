"""Entities of the pool accounts: snapshots, and states that follow the pools."""

from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.hashwatt.const import WHITEPOOL_SCAN_INTERVAL
from simulator.whitepool import WhitePoolServer

from .conftest import tick, whitepool_entry

PROBLEM = "binary_sensor.my_miner_01_problem"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_whitepool_entities(
    hass: HomeAssistant,
    whitepool_mock: WhitePoolServer,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """The pool's BTC price; each account's figures; each online worker's hashrate."""
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    with patch(
        "custom_components.hashwatt.pool_accounts.WHITEPOOL_PLATFORMS", [platform]
    ):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_webminepool_entities(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The site's balance, hashes, rates and users; each active user's hashes."""
    await snapshot_platform(hass, entity_registry, snapshot, init_webminepool.entry_id)


async def test_problem_follows_the_workers(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """On while workers are offline or slow, off once they all hash normally."""
    assert hass.states.get(PROBLEM).state == "on"
    workers = whitepool_mock.accounts["my_miner_01"].workers
    for worker in workers:
        worker.status = "online"

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    assert hass.states.get(PROBLEM).state == "off"
    workers[0].status = "low"
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    assert hass.states.get(PROBLEM).state == "on"


async def test_account_without_hashrate_or_rewards(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new account without workers hashes nothing and has no rewards yet."""
    whitepool_mock.add_account("empty_account")

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    states = {
        sensor: hass.states.get(f"sensor.empty_account_{sensor}").state
        for sensor in ("pool_hashrate", "reject_rate", "last_reward", "fpps_rate")
    }
    # No reward yet: no last reward, and no rate it was paid at.
    assert states == {
        "pool_hashrate": "0",
        "reject_rate": "0",
        "last_reward": "unknown",
        "fpps_rate": "unknown",
    }
    assert hass.states.get("sensor.empty_account_pending_rewards").state == "0"
    assert hass.states.get("binary_sensor.empty_account_problem").state == "off"
