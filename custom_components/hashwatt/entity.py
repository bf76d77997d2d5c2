"""The base of every Whatsminer entity: naming, unique ID, device and availability.

The bases of the mining-pool entities follow, with what adds and removes the
entities of accounts, workers and users as the pools list them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, cast, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import (
    CONNECTION_NETWORK_MAC,
    DeviceEntryType,
    DeviceInfo,
)
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)

from .const import DOMAIN, MANUFACTURER
from .coordinator import (
    BitcoinNetworkConfigEntry,
    BitcoinNetworkCoordinator,
    MinerConfigEntry,
    MinerRuntimeData,
    WebMinePoolConfigEntry,
    WebMinePoolCoordinator,
    WhatsminerFastCoordinator,
    WhatsminerSlowCoordinator,
    WhitePoolAccountData,
    WhitePoolConfigEntry,
    WhitePoolCoordinator,
)

WHITEBIT: Final = "WhiteBIT"
WEBMINEPOOL: Final = "WebMinePool"
MEMPOOL: Final = "mempool.space"


# --- Identifiers: every device's, built here only -------------------------------


def miner_identifier(mac: str) -> tuple[str, str]:
    """Identify a miner's device by its MAC (the entry's unique ID)."""
    return DOMAIN, mac


_ACCOUNT_PREFIX: Final = "whitepool-account-"


def whitepool_service_identifier(entry: WhitePoolConfigEntry) -> tuple[str, str]:
    """Identify the device of the pool itself (one per entry: it has no ID of its own)."""
    return DOMAIN, f"whitepool-{entry.entry_id}"


def whitepool_account_identifier(account: str) -> tuple[str, str]:
    """Identify a mining account's device; account names are unique across WhiteBIT."""
    return DOMAIN, f"{_ACCOUNT_PREFIX}{account}"


def account_of_device(device: dr.AnyDeviceEntry) -> str | None:
    """Return the mining account a device stands for, if it is one."""
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(_ACCOUNT_PREFIX):
            return identifier.removeprefix(_ACCOUNT_PREFIX)
    return None


def webminepool_identifier(entry: WebMinePoolConfigEntry) -> tuple[str, str]:
    """Identify a WebMinePool site's device (the API gives the site no ID)."""
    return DOMAIN, f"webminepool-{entry.entry_id}"


def network_identifier(entry: BitcoinNetworkConfigEntry) -> tuple[str, str]:
    """Identify a Bitcoin-network entry's device (one per entry)."""
    return DOMAIN, f"bitcoin-network-{entry.entry_id}"


def miner_device_info(
    runtime: MinerRuntimeData, mac: str, host: str, name: str
) -> DeviceInfo:
    """Describe the miner as a device, from what the slow poll read."""
    identity = runtime.slow.data.identity
    return DeviceInfo(
        identifiers={miner_identifier(mac)},
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

    A poll that changes nothing the entity shows writes no state: with hundreds
    of miners, rewriting unchanged states was most of Home Assistant's work per
    poll. So ``last_reported`` moves when the state or an attribute changes, as
    for a push device, not at every poll; availability still says whether the
    miner answers, and other writes (a button press, an event) always go through.
    """

    _attr_has_entity_name = True
    _requires_write_access = False
    # What the last state write showed, and what a poll found it shows now.
    _written: tuple[object, ...] | None = None
    _shown_now: tuple[object, ...] | None = None

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

    @property
    @override
    def device_info(self) -> DeviceInfo:
        """Describe the miner's device.

        Built when Home Assistant asks, as it adds the entity, rather than kept
        by each entity: about 25 KiB per miner.
        """
        entry = self.coordinator.config_entry
        return miner_device_info(
            self.miner, cast(str, entry.unique_id), entry.data[CONF_HOST], entry.title
        )

    @property
    @override
    def available(self) -> bool:
        """Whether the entity's state can be trusted now."""
        if not (
            self.miner.fast.last_update_success
            and self.miner.slow.last_update_success
            # Found by the fast poll's MAC read, before the slow poll fails too.
            and not self.miner.another_miner_answers
        ):
            return False
        return self.miner.writable or not self._requires_write_access

    def _shown(self) -> tuple[object, ...]:
        """Everything a state write takes from the entity that a poll can change."""
        return (
            self.available,
            self.state,
            self.unit_of_measurement,
            self.capability_attributes,
            self.state_attributes,
            self.extra_state_attributes,
        )

    @callback
    def _async_write_if_changed(self) -> None:
        """Write the state after a poll, unless it shows what the last write did."""
        shown = self._shown()
        if shown != self._written:
            self._shown_now = shown
            self.async_write_ha_state()

    @callback
    @override
    def _async_write_ha_state(self) -> None:
        # Every write counts, not only the polls': a press or an event writes too.
        shown = self._shown_now
        self._shown_now = None
        self._written = self._shown() if shown is None else shown
        super()._async_write_ha_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._async_write_if_changed()

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the other coordinator too: availability depends on both."""
        await super().async_added_to_hass()
        other = (
            self.miner.slow if self.coordinator is self.miner.fast else self.miner.fast
        )
        self.async_on_remove(
            other.async_add_listener(self._async_write_if_availability_changed)
        )

    @callback
    def _async_write_if_availability_changed(self) -> None:
        """After the other coordinator's poll: only availability can have changed.

        What an entity shows comes from its own coordinator; the other one's
        poll can only make it (un)available, or change write access.
        """
        if self._written is None or self.available != self._written[0]:
            self.async_write_ha_state()


type MinerCoordinator = WhatsminerFastCoordinator | WhatsminerSlowCoordinator


@dataclass(frozen=True, kw_only=True)
class MinerControlEntityDescription(EntityDescription):
    """A control of a miner (number, select, switch): which poll reads it back."""

    # A setting the slow poll reads back; otherwise the fast poll's state.
    setting: bool = False
    exists_fn: Callable[[MinerRuntimeData], bool] = lambda _: True


class HashwattMinerControlEntity(HashwattMinerEntity[MinerCoordinator]):
    """A control showing what the miner reports, never what was last asked of it."""

    # Shown while the miner's write API is off too: this is the one entity of the
    # setting, and the miner refuses a change then (a translated error, and the
    # repair issue says how to turn the write API on).
    _requires_write_access = False


def miner_controls[DescT: MinerControlEntityDescription, EntityT](
    entry: MinerConfigEntry,
    descriptions: Iterable[DescT],
    entity_fn: Callable[[MinerCoordinator, DescT], EntityT],
) -> list[EntityT]:
    """Build the controls this miner has, each on the poll that reads it back."""
    miner = entry.runtime_data
    return [
        entity_fn(miner.slow if description.setting else miner.fast, description)
        for description in descriptions
        if description.exists_fn(miner)
    ]


# --- Mining pools ------------------------------------------------------------------------

_WORKER_KEY_PREFIX: Final = "worker-"


def whitepool_unique_id(account: str, key: str) -> str:
    """Return the unique ID of a mining account's entity (names never hold a '-')."""
    return f"whitepool-{account}-{key}"


def whitepool_worker_key(worker: str) -> str:
    """Return the key of a worker's hashrate sensor on its account's device."""
    return f"{_WORKER_KEY_PREFIX}{worker}"


def is_whitepool_worker_unique_id(unique_id: str) -> bool:
    """Whether a unique ID (as ``whitepool_unique_id`` builds it) is a worker's."""
    scope, _, account_and_key = unique_id.partition("-")
    key = account_and_key.partition("-")[2]
    return scope == "whitepool" and key.startswith(_WORKER_KEY_PREFIX)


def webminepool_unique_id(entry: WebMinePoolConfigEntry, key: str) -> str:
    """Return the unique ID of a WebMinePool site's entity."""
    return f"webminepool-{entry.entry_id}-{key}"


class WhitePoolEntity(CoordinatorEntity[WhitePoolCoordinator]):
    """An entity of a WhiteBIT API key: of the pool itself, or of one mining account.

    An account's entities are available while the key lists the account (its device
    is removed once it does not).
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: WhitePoolCoordinator,
        description: EntityDescription,
        account: str | None = None,
    ) -> None:
        """Describe the entity; without an account it belongs to the pool's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self.account = account
        if account is None:
            self._attr_unique_id = f"whitepool-{entry.entry_id}-{description.key}"
            self._attr_device_info = DeviceInfo(
                identifiers={whitepool_service_identifier(entry)},
                entry_type=DeviceEntryType.SERVICE,
                manufacturer=WHITEBIT,
                model="Mining pool",
                name=entry.title,
            )
        else:
            self._attr_unique_id = whitepool_unique_id(account, description.key)
            self._attr_device_info = DeviceInfo(
                identifiers={whitepool_account_identifier(account)},
                entry_type=DeviceEntryType.SERVICE,
                manufacturer=WHITEBIT,
                model="Mining account",
                name=account,
            )

    @property
    def account_data(self) -> WhitePoolAccountData | None:
        """The last poll's data of the entity's account (none for the pool's own)."""
        accounts = self.coordinator.data.accounts
        return None if self.account is None else accounts.get(self.account)

    @property
    @override
    def available(self) -> bool:
        """Whether the last poll succeeded and still lists the entity's account."""
        return super().available and (
            self.account is None or self.account_data is not None
        )


class WebMinePoolEntity(CoordinatorEntity[WebMinePoolCoordinator]):
    """An entity of a WebMinePool site."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: WebMinePoolCoordinator, description: EntityDescription
    ) -> None:
        """Describe the entity, on the site's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = webminepool_unique_id(entry, description.key)
        self._attr_device_info = DeviceInfo(
            identifiers={webminepool_identifier(entry)},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer=WEBMINEPOOL,
            model="Site",
            name=entry.title,
            configuration_url="https://webminepool.com/",
        )


@callback
def async_add_pool_account_items[KeyT: (str, tuple[str, str]), T](
    entry: ConfigEntry[T],
    coordinator: DataUpdateCoordinator[Any],
    keys_fn: Callable[[], Iterable[KeyT]],
    add_fn: Callable[[list[KeyT]], None],
) -> None:
    """Call ``add_fn`` with the keys (accounts, workers, users) each poll brings anew.

    A key that vanishes and comes back is new again: its entities were removed.
    """
    known: set[KeyT] = set()

    @callback
    def async_add_new() -> None:
        if not coordinator.last_update_success:
            return
        current = set(keys_fn())
        new = current - known
        known.intersection_update(current)
        known.update(new)
        if new:
            add_fn(sorted(new))

    async_add_new()
    entry.async_on_unload(coordinator.async_add_listener(async_add_new))


@callback
def async_remove_gone_entities[T](
    hass: HomeAssistant,
    entry: ConfigEntry[T],
    coordinator: DataUpdateCoordinator[Any],
    *,
    platform: Platform,
    is_item_fn: Callable[[str], bool],
    current_fn: Callable[[], set[str]],
) -> None:
    """Remove the entities of items (workers, users) that a poll no longer lists.

    ``is_item_fn`` tells these entities' unique IDs from the others', ``current_fn``
    returns the unique IDs of the items listed now. Entities registered before a
    restart are removed too. Home Assistant keeps a removed entity's settings, and
    gives them back when the item returns.
    """
    registry = er.async_get(hass)

    @callback
    def async_remove_gone() -> None:
        if not coordinator.last_update_success:
            return
        current = current_fn()
        for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
            if (
                registered.domain == platform
                and is_item_fn(registered.unique_id)
                and registered.unique_id not in current
            ):
                registry.async_remove(registered.entity_id)

    async_remove_gone()
    entry.async_on_unload(coordinator.async_add_listener(async_remove_gone))


class BitcoinNetworkEntity(CoordinatorEntity[BitcoinNetworkCoordinator]):
    """An entity of a Bitcoin-network entry, on the entry's own service device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: BitcoinNetworkCoordinator, description: EntityDescription
    ) -> None:
        """Describe the entity; its unique ID is the entry's and the description's key."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = f"bitcoin-network-{entry.entry_id}-{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={network_identifier(entry)},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer=MEMPOOL,
            model="Bitcoin network",
            name=entry.title,
            configuration_url=coordinator.client.base_url.removesuffix("/api"),
        )
