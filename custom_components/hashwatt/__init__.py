"""The Hashwatt integration: Whatsminer ASIC miners and mining-pool accounts."""

from __future__ import annotations

import asyncio
from typing import Final

from homeassistant.const import CONF_HOST, CONF_PASSWORD, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.hass_dict import HassKey

from .clients.whatsminer.client import Whatsminer
from .clients.whatsminer.models import ApiVersion
from .clients.whatsminer.v3 import ACCOUNT
from .const import (
    CONF_ACCOUNT,
    CONF_API,
    CONF_ENTRY_TYPE,
    CONF_V2_PORT,
    CONF_V3_PORT,
    DOMAIN,
    ENTRY_TYPE_BITCOIN_NETWORK,
    ENTRY_TYPE_WEBMINEPOOL,
    ENTRY_TYPE_WHATSMINER,
    ENTRY_TYPE_WHITEPOOL,
)
from .coordinator import (
    HashwattConfigEntry,
    MinerRuntimeData,
    WhatsminerFastCoordinator,
    WhatsminerSlowCoordinator,
    write_disabled_issue_id,
)
from .network_coordinator import (
    async_setup_network_entry,
    async_unload_network_entry,
)
from .pools import (
    async_can_remove_pool_device,
    async_setup_pool_entry,
    async_unload_pool_entry,
)
from .services import async_setup_services
from .services_pools import async_setup_pool_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

# Miner entries set up at the same time. When Home Assistant starts, every entry
# starts at once; with hundreds of miners, creating their entities kept the event
# loop so busy that first polls timed out although the miners answered. One
# entry's setup is a few requests and about 15 ms of event-loop work, so 20 at a
# time keep the loop's backlog well under the client's 5 s timeouts and still
# overlap the round trips to slow miners.
MAX_CONCURRENT_MINER_SETUPS: Final = 20
MINER_SETUP_LIMIT: HassKey[asyncio.Semaphore] = HassKey(f"{DOMAIN}_miner_setup_limit")

MINER_PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up Hashwatt; everything is configured through config entries."""
    hass.data[MINER_SETUP_LIMIT] = asyncio.Semaphore(MAX_CONCURRENT_MINER_SETUPS)
    await async_setup_services(hass)
    async_setup_pool_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HashwattConfigEntry) -> bool:
    """Set up one miner (pool accounts will be other entry types)."""
    entry_type = entry.data.get(CONF_ENTRY_TYPE)
    if entry_type == ENTRY_TYPE_WHATSMINER:
        return await _async_setup_miner(hass, entry)
    if entry_type in (ENTRY_TYPE_WHITEPOOL, ENTRY_TYPE_WEBMINEPOOL):
        return await async_setup_pool_entry(hass, entry)
    if entry_type == ENTRY_TYPE_BITCOIN_NETWORK:
        return await async_setup_network_entry(hass, entry)
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="unknown_entry_type",
        translation_placeholders={"entry_type": str(entry_type)},
    )


async def _async_setup_miner(hass: HomeAssistant, entry: HashwattConfigEntry) -> bool:
    # The first polls and the entities both: entities are most of the loop's work.
    async with hass.data[MINER_SETUP_LIMIT]:
        return await _async_setup_miner_now(hass, entry)


async def _async_setup_miner_now(
    hass: HomeAssistant, entry: HashwattConfigEntry
) -> bool:
    data = entry.data
    client = Whatsminer(
        data[CONF_HOST],
        password=data[CONF_PASSWORD],
        api=ApiVersion(data[CONF_API]),
        v2_port=data[CONF_V2_PORT],
        v3_port=data[CONF_V3_PORT],
        account=data.get(CONF_ACCOUNT, ACCOUNT),
    )
    entry.async_on_unload(client.close)
    # The write-disabled repair issue leaves with the entry and comes back with it.
    entry.async_on_unload(
        lambda: ir.async_delete_issue(hass, DOMAIN, write_disabled_issue_id(entry))
    )
    fast = WhatsminerFastCoordinator(hass, entry, client)
    slow = WhatsminerSlowCoordinator(hass, entry, client, fast)
    # The slow poll first: it reads the MAC, so no figure of another miner that
    # answers at the address is ever taken as this one's.
    await slow.async_config_entry_first_refresh()
    await fast.async_config_entry_first_refresh()
    entry.runtime_data = MinerRuntimeData(client=client, fast=fast, slow=slow)
    entry.async_on_unload(fast.async_add_listener(slow.async_fast_updated))

    @callback
    def async_follow_miner() -> None:
        _async_follow_miner(hass, entry)

    entry.async_on_unload(slow.async_add_listener(async_follow_miner))
    _async_remove_stale_devices(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, MINER_PLATFORMS)
    return True


@callback
def _async_follow_miner(hass: HomeAssistant, entry: HashwattConfigEntry) -> None:
    """Keep the device and the stored API in step with what the slow poll read."""
    slow = entry.runtime_data.slow
    if not slow.last_update_success:
        return
    identity = slow.data.identity
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, str(entry.unique_id))},
        model=identity.model,
        serial_number=identity.serial_number,
        sw_version=identity.firmware_version,
    )
    if identity.api != entry.data[CONF_API]:
        # A firmware upgrade moved the miner to another API; the client followed.
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_API: str(identity.api)}
        )


@callback
def _async_remove_stale_devices(
    hass: HomeAssistant, entry: HashwattConfigEntry
) -> None:
    """Remove devices this entry no longer provides: one miner, one device.

    A device belongs to one config entry only (Home Assistant 2026.10): removing it
    takes nothing from another entry.
    """
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if (DOMAIN, entry.unique_id) not in device.identifiers:
            device_registry.async_remove_device(device.id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HashwattConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Allow removing a device, unless it is the miner this entry still polls."""
    if entry.data[CONF_ENTRY_TYPE] != ENTRY_TYPE_WHATSMINER:
        return async_can_remove_pool_device(entry, device_entry)
    return (DOMAIN, entry.unique_id) not in device_entry.identifiers


async def async_unload_entry(hass: HomeAssistant, entry: HashwattConfigEntry) -> bool:
    """Unload an entry."""
    if entry.data[CONF_ENTRY_TYPE] == ENTRY_TYPE_BITCOIN_NETWORK:
        return await async_unload_network_entry(hass, entry)
    if entry.data[CONF_ENTRY_TYPE] != ENTRY_TYPE_WHATSMINER:
        return await async_unload_pool_entry(hass, entry)
    return await hass.config_entries.async_unload_platforms(entry, MINER_PLATFORMS)
