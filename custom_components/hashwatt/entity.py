"""The base of every Whatsminer entity: naming, unique ID, device and availability."""

from __future__ import annotations

from typing import cast, override

from homeassistant.const import CONF_HOST
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import (
    MinerRuntimeData,
    WhatsminerFastCoordinator,
    WhatsminerSlowCoordinator,
)


def miner_device_info(
    runtime: MinerRuntimeData, mac: str, host: str, name: str
) -> DeviceInfo:
    """Describe the miner as a device, from what the slow poll read."""
    identity = runtime.slow.data.identity
    return DeviceInfo(
        identifiers={(DOMAIN, mac)},
        connections={(CONNECTION_NETWORK_MAC, mac)},
        manufacturer=MANUFACTURER,
        model=identity.model,
        name=name,
        serial_number=identity.serial_number,
        sw_version=identity.firmware_version,
        configuration_url=f"http://{host}",
    )


class HashwattMinerEntity[
    CoordinatorT: WhatsminerFastCoordinator | WhatsminerSlowCoordinator
](CoordinatorEntity[CoordinatorT]):
    """An entity of one Whatsminer, fed by its fast or its slow coordinator.

    Available only while both polls succeed: the fast poll says whether the miner
    answers, the slow poll whether it is still the same miner and the password
    still works. Entities that write set ``_requires_write_access``, which also
    needs the write API on and the password verified.
    """

    _attr_has_entity_name = True
    _requires_write_access = False

    def __init__(
        self, coordinator: CoordinatorT, description: EntityDescription
    ) -> None:
        """Describe the entity; the entry's unique ID is the miner's MAC."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        # The config flow never creates a miner entry without a MAC.
        mac = cast(str, entry.unique_id)
        self.entity_description = description
        self.miner: MinerRuntimeData = entry.runtime_data
        self._attr_unique_id = f"{mac}_{description.key}"
        self._attr_device_info = miner_device_info(
            self.miner, mac, entry.data[CONF_HOST], entry.title
        )

    @property
    @override
    def available(self) -> bool:
        """Whether the entity's state can be trusted now."""
        if not (
            self.miner.fast.last_update_success and self.miner.slow.last_update_success
        ):
            return False
        return self.miner.writable or not self._requires_write_access

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the other coordinator too: availability depends on both."""
        await super().async_added_to_hass()
        other = (
            self.miner.slow if self.coordinator is self.miner.fast else self.miner.fast
        )
        self.async_on_remove(other.async_add_listener(self.async_write_ha_state))
