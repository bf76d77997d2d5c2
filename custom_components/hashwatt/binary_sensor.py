"""Binary sensors of a Whatsminer: problem, pool connected.

Whether the miner mines is its Mining switch: Home Assistant shows a state once,
through its control.

And of each WhiteBIT mining account: a problem while workers are offline or slow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .clients.whatsminer import FastData, SlowData
from .coordinator import (
    HashwattConfigEntry,
    WhatsminerFastCoordinator,
    WhatsminerSlowCoordinator,
    WhitePoolAccountData,
    WhitePoolConfigEntry,
    is_miner_entry,
    is_whitepool_entry,
)
from .entity import HashwattMinerEntity, WhitePoolEntity, async_add_pool_account_items

# Read-only platform: the coordinators do the polling.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HashwattBinarySensorEntityDescription[DataT: (FastData, SlowData)](
    BinarySensorEntityDescription
):
    """A binary sensor read from one of the two polls."""

    is_on_fn: Callable[[DataT], bool]


SLOW_BINARY_SENSORS: tuple[HashwattBinarySensorEntityDescription[SlowData], ...] = (
    HashwattBinarySensorEntityDescription[SlowData](
        key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: bool(data.errors),
    ),
    HashwattBinarySensorEntityDescription[SlowData](
        key="pool_connected",
        translation_key="pool_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        is_on_fn=lambda data: any(pool.stratum_active for pool in data.pools),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HashwattConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a miner's binary sensors, or a WhitePool key's."""
    if is_whitepool_entry(entry):
        async_setup_pool_account_binary_sensors(entry, async_add_entities)
        return
    if not is_miner_entry(entry):
        return
    slow = entry.runtime_data.slow
    async_add_entities(
        HashwattBinarySensor(slow, description) for description in SLOW_BINARY_SENSORS
    )


class HashwattBinarySensor[
    CoordinatorT: WhatsminerFastCoordinator | WhatsminerSlowCoordinator
](HashwattMinerEntity[CoordinatorT], BinarySensorEntity):
    """A binary sensor showing one state from the fast or the slow poll."""

    entity_description: HashwattBinarySensorEntityDescription[Any]

    @property
    @override
    def is_on(self) -> bool:
        """Return the state the miner reported in its last poll."""
        return self.entity_description.is_on_fn(self.coordinator.data)


# --- Mining pools ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WhitePoolBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor of one mining account; one entity per account."""

    is_on_fn: Callable[[WhitePoolAccountData], bool]


WHITEPOOL_ACCOUNT_BINARY_SENSORS: tuple[WhitePoolBinarySensorEntityDescription, ...] = (
    WhitePoolBinarySensorEntityDescription(
        # Workers the pool sees offline, or online with a low hashrate.
        key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda account: bool(
            account.miners.workers.offline or account.miners.workers.low
        ),
    ),
)


@callback
def async_setup_pool_account_binary_sensors(
    entry: WhitePoolConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the binary sensors of each mining account as it shows up.

    Only WhitePool entries have binary sensors.
    """
    coordinator = entry.runtime_data.coordinator

    @callback
    def async_add_accounts(accounts: list[str]) -> None:
        async_add_entities(
            WhitePoolBinarySensor(coordinator, description, account)
            for account in accounts
            for description in WHITEPOOL_ACCOUNT_BINARY_SENSORS
        )

    async_add_pool_account_items(
        entry, coordinator, lambda: coordinator.data.accounts, async_add_accounts
    )


class WhitePoolBinarySensor(WhitePoolEntity, BinarySensorEntity):
    """A binary sensor of one mining account."""

    entity_description: WhitePoolBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state from the last poll of the account."""
        account = self.account_data
        return None if account is None else self.entity_description.is_on_fn(account)
