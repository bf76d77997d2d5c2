"""Setting up pool entries; their devices and entities as accounts, workers and users come and go."""

from datetime import timedelta
from decimal import Decimal

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt import async_remove_config_entry_device
from custom_components.hashwatt.const import (
    CONF_SECRET_KEY,
    DOMAIN,
    WEBMINEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SCAN_INTERVAL,
)
from custom_components.hashwatt.entity import (
    webminepool_identifier,
    whitepool_account_identifier,
    whitepool_service_identifier,
)
from simulator.webminepool import Fault as WebMineFault, WebMinePoolServer
from simulator.whitepool import Fault, SimWorker, WhitePoolServer

from .conftest import tick, webminepool_entry, whitepool_entry

WORKER = "sensor.my_miner_01_m30s_01_hashrate"
WORKER_NAME = "my_miner_01.m30s_01"


def near(state: str, terahash: float) -> bool:
    """Whether a hashrate state is the mock's, which wobbles by up to 3 %."""
    return abs(float(state) - terahash) <= terahash * 0.03


def worker_sensors(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """The registered hashrate sensors of workers."""
    return {
        registered.entity_id
        for registered in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if "-worker-" in registered.unique_id
    }


async def test_setup_and_unload(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    init_webminepool: MockConfigEntry,
) -> None:
    """Both pools load with their devices, and unload cleanly."""
    device_registry = dr.async_get(hass)
    assert device_registry.async_get_device_by_identifier(
        whitepool_service_identifier(init_whitepool), init_whitepool.entry_id
    )
    account = device_registry.async_get_device_by_identifier(
        whitepool_account_identifier("my_miner_01"), init_whitepool.entry_id
    )
    assert account is not None
    assert (account.manufacturer, account.model, account.name) == (
        "WhiteBIT",
        "Mining account",
        "my_miner_01",
    )
    site = device_registry.async_get_device_by_identifier(
        webminepool_identifier(init_webminepool), init_webminepool.entry_id
    )
    assert site is not None
    assert site.entry_type is dr.DeviceEntryType.SERVICE

    for entry in (init_whitepool, init_webminepool):
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(WORKER).state == STATE_UNAVAILABLE


@pytest.mark.parametrize("fault", [Fault.AUTH_SIGNATURE, Fault.AUTH_PERMISSION])
async def test_whitepool_auth_failure_at_setup(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer, fault: Fault
) -> None:
    """A refused key fails setup and asks for a new one."""
    whitepool_mock.inject(None, fault)
    entry = whitepool_entry()
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["step_id"] == "whitepool_reauth"


async def test_setup_retries_while_pools_are_unreachable(
    hass: HomeAssistant,
    whitepool_mock: WhitePoolServer,
    webminepool_mock: WebMinePoolServer,
) -> None:
    """Nothing answering is a temporary failure: setup is retried."""
    await whitepool_mock.stop()
    await webminepool_mock.stop()
    entries = [whitepool_entry(), webminepool_entry()]
    for entry in entries:
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert [entry.state for entry in entries] == [ConfigEntryState.SETUP_RETRY] * 2


@pytest.mark.parametrize(
    ("key", "fault"),
    [
        ("PK_wrongKey0000000000000", None),
        ("PK_malformed/key", None),
        (None, WebMineFault.INVALID_KEY),
    ],
)
async def test_webminepool_auth_failure_at_setup(
    hass: HomeAssistant,
    webminepool_mock: WebMinePoolServer,
    key: str | None,
    fault: WebMineFault | None,
) -> None:
    """A wrong, malformed or refreshed key fails setup and asks for a new one."""
    if fault is not None:
        webminepool_mock.inject(None, fault)
    entry = webminepool_entry(**({CONF_SECRET_KEY: key} if key else {}))
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == ["webminepool_reauth"]


# --- Accounts come and go ----------------------------------------------------------------


async def test_new_account_appears(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An account created elsewhere gets its device and entities at the next poll."""
    whitepool_mock.add_account("second_site", workers=2)

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    assert dr.async_get(hass).async_get_device_by_identifier(
        whitepool_account_identifier("second_site"), init_whitepool.entry_id
    )
    assert hass.states.get("sensor.second_site_pool_hashrate") is not None
    assert hass.states.get("binary_sensor.second_site_problem").state == "off"
    assert near(hass.states.get("sensor.second_site_worker_000_hashrate").state, 100)
    # A new account's rewards and payout are read at once, not a slow poll later.
    assert hass.states.get("sensor.second_site_payout_destination").state == (
        "main_balance"
    )


async def test_removed_account_is_cleaned_up(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An account the key no longer lists loses its device and entities."""
    device_registry = dr.async_get(hass)
    account = device_registry.async_get_device_by_identifier(
        whitepool_account_identifier("my_miner_01"), init_whitepool.entry_id
    )
    assert account is not None
    assert not await async_remove_config_entry_device(hass, init_whitepool, account)
    del whitepool_mock.accounts["my_miner_01"]

    # The first empty list could be a glitch: the account shows unavailable.
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    assert device_registry.async_get(account.id) is not None
    assert hass.states.get("sensor.my_miner_01_pool_hashrate").state == "unavailable"

    # Still none at the next poll: the account is gone.
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    assert device_registry.async_get(account.id) is None
    assert er.async_entries_for_device(er.async_get(hass), account.id) == []
    assert hass.states.get("sensor.my_miner_01_pool_hashrate") is None
    assert hass.states.get(WORKER) is None
    # The pool's device stays, with the BTC price.
    assert hass.states.get("sensor.whitebit_mining_pool_my_miner_01_btc_price")


async def test_removed_account_is_cleaned_up_at_setup(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """An account that went while Home Assistant was stopped goes at the next start."""
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    device_registry = dr.async_get(hass)
    gone = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={whitepool_account_identifier("closed_account")},
    )

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert device_registry.async_get(gone.id) is None


async def test_device_removal_rules(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    init_webminepool: MockConfigEntry,
) -> None:
    """Only the device of an account the key no longer lists may be removed by hand."""
    device_registry = dr.async_get(hass)
    service = device_registry.async_get_device_by_identifier(
        whitepool_service_identifier(init_whitepool), init_whitepool.entry_id
    )
    site = device_registry.async_get_device_by_identifier(
        webminepool_identifier(init_webminepool), init_webminepool.entry_id
    )
    stale = device_registry.async_get_or_create(
        config_entry_id=init_whitepool.entry_id,
        identifiers={whitepool_account_identifier("closed_account")},
    )
    assert service is not None
    assert site is not None

    assert await async_remove_config_entry_device(hass, init_whitepool, stale)
    assert not await async_remove_config_entry_device(hass, init_whitepool, service)
    assert not await async_remove_config_entry_device(hass, init_webminepool, site)


async def test_account_devices_can_go_while_the_entry_is_not_loaded(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """With no list of accounts to check against, an account's device may be removed."""
    await whitepool_mock.stop()
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    device_registry = dr.async_get(hass)
    account = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={whitepool_account_identifier("my_miner_01")},
    )
    service = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={whitepool_service_identifier(entry)},
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY

    assert await async_remove_config_entry_device(hass, entry, account)
    assert not await async_remove_config_entry_device(hass, entry, service)


# --- Workers and users come and go -------------------------------------------------------


async def test_worker_offline_and_back(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """An offline worker's sensor goes; it returns under the same ID, settings kept."""
    entity_registry.async_update_entity(WORKER, name="Rack 3 left")
    worker = next(
        worker
        for worker in whitepool_mock.accounts["my_miner_01"].workers
        if worker.name == WORKER_NAME
    )
    worker.status = "offline"

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    assert entity_registry.async_get(WORKER) is None
    assert hass.states.get(WORKER) is None
    assert hass.states.get("sensor.my_miner_01_workers_offline").state == "2"

    worker.status = "online"
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    registered = entity_registry.async_get(WORKER)
    assert registered is not None
    assert registered.name == "Rack 3 left"
    assert near(hass.states.get(WORKER).state, 100)


async def test_new_worker_appears(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A worker that comes online gets its hashrate sensor."""
    whitepool_mock.accounts["my_miner_01"].workers.append(
        SimWorker("my_miner_01.s21_01", hashrate=Decimal(200) * 10**12)
    )

    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())

    assert near(hass.states.get("sensor.my_miner_01_s21_01_hashrate").state, 200)


async def test_offline_worker_removed_at_setup(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """A worker that went offline while Home Assistant was stopped loses its sensor."""
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    entity_registry = er.async_get(hass)
    stale = entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        "whitepool-my_miner_01-worker-my_miner_01.retired",
        config_entry=entry,
    )

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entity_registry.async_get(stale.entity_id) is None
    assert len(worker_sensors(hass, entry)) == 4


async def test_users_come_and_go(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    webminepool_mock: WebMinePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A user who starts mining gets a sensor; one deleted or idle 3 days loses it."""
    webminepool_mock.mine("carol", 7_000)
    del webminepool_mock.users["alice"]

    await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())

    assert hass.states.get("sensor.webminepool_carol_hashes").state == "7000"
    assert hass.states.get("sensor.webminepool_alice_hashes") is None
    assert hass.states.get("sensor.webminepool_active_users").state == "2"

    # Bob stops mining: after 3 days the API no longer lists him.
    freezer.tick(timedelta(days=3))
    webminepool_mock.mine("carol", 1)
    await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())

    assert hass.states.get("sensor.webminepool_bob_hashes") is None
    assert hass.states.get("sensor.webminepool_active_users").state == "1"
