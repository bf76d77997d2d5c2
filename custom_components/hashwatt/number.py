"""Numbers of a Whatsminer: power limit, power percent and the tuning it reports back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .clients.whatsminer.client import (
    POWER_LIMIT_RANGE,
    POWER_PERCENT_RANGE,
    TARGET_FREQUENCY_RANGE,
    TEMPERATURE_OFFSET_RANGE,
    UPFREQ_SPEED_RANGE,
    Whatsminer,
)
from .clients.whatsminer.models import PowerPercentMode
from .coordinator import (
    HashwattConfigEntry,
    MinerRuntimeData,
    WhatsminerFastCoordinator,
    WhatsminerSlowCoordinator,
)
from .entity import HashwattMinerEntity
from .helpers import miner_command

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class HashwattNumberEntityDescription(NumberEntityDescription):
    """A miner number: where its value is read, and how it is set."""

    # A setting the slow poll reads back; otherwise the fast poll's value.
    setting: bool = False
    exists_fn: Callable[[MinerRuntimeData], bool] = lambda _: True
    value_fn: Callable[[MinerRuntimeData], float | None]
    set_fn: Callable[[Whatsminer, int], Awaitable[None]]


NUMBERS: tuple[HashwattNumberEntityDescription, ...] = (
    HashwattNumberEntityDescription(
        key="power_limit",
        translation_key="power_limit",
        device_class=NumberDeviceClass.POWER,
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=UnitOfPower.WATT,
        # The vendor's full range: hydro miners draw well over 10 kW.
        native_min_value=POWER_LIMIT_RANGE[0],
        native_max_value=POWER_LIMIT_RANGE[1],
        native_step=1,
        mode=NumberMode.BOX,
        value_fn=lambda miner: miner.fast.data.summary.power_limit,
        set_fn=lambda client, watts: client.set_power_limit(watts),
    ),
    HashwattNumberEntityDescription(
        key="power_percent",
        translation_key="power_percent",
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=POWER_PERCENT_RANGE[0],
        native_max_value=POWER_PERCENT_RANGE[1],
        native_step=1,
        mode=NumberMode.SLIDER,
        setting=True,
        exists_fn=lambda miner: miner.slow.data.settings.power_percent is not None,
        value_fn=lambda miner: miner.slow.data.settings.power_percent,
        # Normal mode: the vendor's choice for lasting changes (fast mode costs
        # more hashrate and is meant for brief ones; the action offers both).
        set_fn=lambda client, percent: client.set_power_percent(
            percent, PowerPercentMode.NORMAL
        ),
    ),
    HashwattNumberEntityDescription(
        key="target_frequency",
        translation_key="target_frequency",
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=TARGET_FREQUENCY_RANGE[0],
        native_max_value=TARGET_FREQUENCY_RANGE[1],
        native_step=1,
        mode=NumberMode.BOX,
        setting=True,
        exists_fn=lambda miner: miner.slow.data.settings.target_frequency is not None,
        value_fn=lambda miner: miner.slow.data.settings.target_frequency,
        set_fn=lambda client, percent: client.set_target_frequency(percent),
    ),
    HashwattNumberEntityDescription(
        key="temperature_offset",
        translation_key="temperature_offset",
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        # An offset, not a temperature: no device class, or Home Assistant would
        # convert it to °F as if it were one (-10 °C would become 14 °F).
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        native_min_value=TEMPERATURE_OFFSET_RANGE[0],
        native_max_value=TEMPERATURE_OFFSET_RANGE[1],
        native_step=1,
        mode=NumberMode.BOX,
        setting=True,
        exists_fn=lambda miner: miner.slow.data.settings.temperature_offset is not None,
        value_fn=lambda miner: miner.slow.data.settings.temperature_offset,
        set_fn=lambda client, offset: client.set_temperature_offset(offset),
    ),
    HashwattNumberEntityDescription(
        key="upfreq_speed",
        translation_key="upfreq_speed",
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        native_min_value=UPFREQ_SPEED_RANGE[0],
        native_max_value=UPFREQ_SPEED_RANGE[1],
        native_step=1,
        mode=NumberMode.BOX,
        setting=True,
        exists_fn=lambda miner: miner.slow.data.settings.upfreq_speed is not None,
        value_fn=lambda miner: miner.slow.data.settings.upfreq_speed,
        set_fn=lambda client, speed: client.set_upfreq_speed(speed),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HashwattConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the numbers a miner can read back."""
    miner = entry.runtime_data
    async_add_entities(
        HashwattNumberEntity(
            miner.slow if description.setting else miner.fast, description
        )
        for description in NUMBERS
        if description.exists_fn(miner)
    )


class HashwattNumberEntity(
    HashwattMinerEntity[WhatsminerFastCoordinator | WhatsminerSlowCoordinator],
    NumberEntity,
):
    """A number showing what the miner reports, never what was last asked of it."""

    entity_description: HashwattNumberEntityDescription
    # Shown while the miner's write API is off too: this is the one entity of the
    # setting, and the miner refuses a change then (a translated error, and the
    # repair issue says how to turn the write API on).
    _requires_write_access = False

    @property
    @override
    def native_value(self) -> float | None:
        """Return the value the miner reported in its last poll."""
        return self.entity_description.value_fn(self.miner)

    @miner_command
    @override
    async def async_set_native_value(self, value: float) -> None:
        """Send the new value; the next poll shows whether the miner took it."""
        # Every step is 1 and Home Assistant keeps the value within range.
        await self.entity_description.set_fn(self.miner.client, round(value))
