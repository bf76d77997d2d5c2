"""Setting up and unloading mining-pool entries, and the devices they provide.

A WhitePool entry is one WhiteBIT API key: a service device for the pool (BTC price)
and a device per mining account. Accounts come and go with the key's account list:
devices of accounts that disappeared are removed at once. A WebMinePool entry is one
site: a single service device.
"""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr

from .clients.webminepool import WebMinePoolValidationError
from .const import CONF_SECRET_KEY, DOMAIN
from .coordinator import (
    PoolAccountConfigEntry,
    WebMinePoolConfigEntry,
    WebMinePoolCoordinator,
    WebMinePoolRuntimeData,
    WhitePoolConfigEntry,
    WhitePoolCoordinator,
    WhitePoolRuntimeData,
    is_webminepool_entry,
    is_whitepool_entry,
    webminepool_client,
    whitepool_client,
)
from .entity import account_of_device

WHITEPOOL_PLATFORMS: Final = [Platform.BINARY_SENSOR, Platform.SENSOR]
WEBMINEPOOL_PLATFORMS: Final = [Platform.SENSOR]


def _platforms(entry: PoolAccountConfigEntry) -> list[Platform]:
    if is_whitepool_entry(entry):
        return WHITEPOOL_PLATFORMS
    return WEBMINEPOOL_PLATFORMS


async def async_setup_pool_account_entry(
    hass: HomeAssistant, entry: PoolAccountConfigEntry
) -> bool:
    """Set up a WhitePool or WebMinePool entry: first poll, devices, platforms."""
    if is_whitepool_entry(entry):
        await _async_setup_whitepool(hass, entry)
    elif is_webminepool_entry(entry):
        await _async_setup_webminepool(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, _platforms(entry))
    return True


async def _async_setup_whitepool(
    hass: HomeAssistant, entry: WhitePoolConfigEntry
) -> None:
    client = whitepool_client(hass, entry.data)
    coordinator = WhitePoolCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = WhitePoolRuntimeData(client=client, coordinator=coordinator)

    @callback
    def async_remove_stale_accounts() -> None:
        _async_remove_stale_accounts(hass, entry)

    async_remove_stale_accounts()
    entry.async_on_unload(coordinator.async_add_listener(async_remove_stale_accounts))


async def _async_setup_webminepool(
    hass: HomeAssistant, entry: WebMinePoolConfigEntry
) -> None:
    try:
        client = webminepool_client(hass, entry.data[CONF_SECRET_KEY])
    except WebMinePoolValidationError as err:
        # Stored before the key was checked this strictly: ask for it again.
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="webminepool_key_malformed"
        ) from err
    coordinator = WebMinePoolCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = WebMinePoolRuntimeData(client=client, coordinator=coordinator)


@callback
def _async_remove_stale_accounts(
    hass: HomeAssistant, entry: WhitePoolConfigEntry
) -> None:
    """Remove the devices of accounts the API key no longer lists."""
    coordinator = entry.runtime_data.coordinator
    if not coordinator.last_update_success:
        return
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        account = account_of_device(device)
        if account is not None and account not in coordinator.data.accounts:
            device_registry.async_remove_device(device.id)


async def async_unload_pool_account_entry(
    hass: HomeAssistant, entry: PoolAccountConfigEntry
) -> bool:
    """Unload a pool entry's platforms."""
    return await hass.config_entries.async_unload_platforms(entry, _platforms(entry))


def async_can_remove_pool_account_device(
    entry: PoolAccountConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing an account's device once the key no longer lists the account.

    The pool's own device goes with its entry only. While the entry is not loaded
    (setup failed, or waiting for a new key) what the key lists is unknown: an
    account's device may go, and comes back if the key still lists the account.
    """
    if (account := account_of_device(device)) is None:
        return False
    if entry.state is not ConfigEntryState.LOADED:
        return True
    return (
        is_whitepool_entry(entry)
        and account not in entry.runtime_data.coordinator.data.accounts
    )
