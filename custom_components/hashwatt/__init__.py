"""The Hashwatt integration: Whatsminer miners, pool accounts and the Bitcoin network.

Three kinds of entry (``const.EntryType``) share one architecture; each behaviour
is in one file:

- ``clients/``: the protocols (Whatsminer API v2/v3, WhitePool, WebMinePool,
  mempool), each raising its own errors under one ``ClientError``, and the
  arithmetic on their figures (rewards, hashprice, break-even prices in
  ``mining_economics.py``); nothing of Home Assistant.
- ``__init__.py`` (this file): setting up and unloading every entry type; the
  pool accounts' devices are in ``pool_accounts.py``.
- ``coordinator.py``: the coordinators, the runtime data of each entry type, the
  config-entry alias over them (``HashwattConfigEntry``) and the ``is_*_entry``
  guards that narrow it by the entry type stored in the entry's data.
- ``errors.py``: which client error means which translated message, one table per
  client, for polls, config flows and actions alike: code that calls a client
  catches ``ClientError`` and hands it to ``poll_error``, ``flow_error`` or
  ``action_error``.
- ``helpers.py``: the decorators every command to a miner or pool account runs in.
- ``entity.py``: the base entities, every device's identifiers and device info.
- one file per platform (``sensor.py``, ``switch.py``, ...): description tables per
  kind of device; ``break_even.py`` follows the miners and the revenue their
  break-even prices go by.
- ``services.py``, ``config_flow.py``, ``diagnostics.py``: the actions, the flows
  and the diagnostics of every entry type.

"Stratum pool" is a pool a miner mines on (its pool settings); "pool account" is
an entry for an account at a mining pool.
"""

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

from .clients.whatsminer import ACCOUNT, ApiVersion, Whatsminer
from .const import (
    CONF_ACCOUNT,
    CONF_API,
    CONF_ENTRY_TYPE,
    CONF_V2_PORT,
    CONF_V3_PORT,
    DOMAIN,
)
from .coordinator import (
    HashwattConfigEntry,
    MinerConfigEntry,
    MinerRuntimeData,
    WhatsminerFastCoordinator,
    WhatsminerSlowCoordinator,
    async_setup_network_entry,
    async_unload_network_entry,
    is_miner_entry,
    is_network_entry,
    is_pool_account_entry,
    write_disabled_issue_id,
)
from .entity import miner_identifier
from .pool_accounts import (
    async_can_remove_pool_account_device,
    async_setup_pool_account_entry,
    async_unload_pool_account_entry,
)
from .services import async_setup_services

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
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HashwattConfigEntry) -> bool:
    """Set up one entry: a miner, a pool account or the Bitcoin network."""
    if is_miner_entry(entry):
        return await _async_setup_miner(hass, entry)
    if is_pool_account_entry(entry):
        return await async_setup_pool_account_entry(hass, entry)
    if is_network_entry(entry):
        return await async_setup_network_entry(hass, entry)
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="unknown_entry_type",
        translation_placeholders={"entry_type": str(entry.data.get(CONF_ENTRY_TYPE))},
    )


async def _async_setup_miner(hass: HomeAssistant, entry: MinerConfigEntry) -> bool:
    # The first polls and the entities both: entities are most of the loop's work.
    async with hass.data[MINER_SETUP_LIMIT]:
        return await _async_setup_miner_now(hass, entry)


async def _async_setup_miner_now(hass: HomeAssistant, entry: MinerConfigEntry) -> bool:
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
def _async_follow_miner(hass: HomeAssistant, entry: MinerConfigEntry) -> None:
    """Keep the device and the stored API in step with what the slow poll read."""
    slow = entry.runtime_data.slow
    if not slow.last_update_success:
        return
    identity = slow.data.identity
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={miner_identifier(str(entry.unique_id))},
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
def _async_remove_stale_devices(hass: HomeAssistant, entry: MinerConfigEntry) -> None:
    """Remove devices this entry no longer provides: one miner, one device.

    A device belongs to one config entry only (Home Assistant 2026.10): removing it
    takes nothing from another entry.
    """
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if miner_identifier(str(entry.unique_id)) not in device.identifiers:
            device_registry.async_remove_device(device.id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HashwattConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Allow removing a device, unless it is the miner this entry still polls."""
    if is_miner_entry(entry):
        return miner_identifier(str(entry.unique_id)) not in device_entry.identifiers
    if is_pool_account_entry(entry):
        return async_can_remove_pool_account_device(entry, device_entry)
    return False  # the Bitcoin network's one device goes with its entry


async def async_unload_entry(hass: HomeAssistant, entry: HashwattConfigEntry) -> bool:
    """Unload an entry."""
    if is_network_entry(entry):
        return await async_unload_network_entry(hass, entry)
    if is_pool_account_entry(entry):
        return await async_unload_pool_account_entry(hass, entry)
    return await hass.config_entries.async_unload_platforms(entry, MINER_PLATFORMS)
