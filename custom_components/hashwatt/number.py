"""Numbers of a Whatsminer: power, power limit, power percent and the tuning it reports back."""

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

from .clients import whatsminer
from .coordinator import MinerConfigEntry, MinerRuntimeData
from .entity import (
    HashwattMinerControlEntity,
    MinerControlEntityDescription,
    miner_controls,
)
from .helpers import miner_command

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class HashwattNumberEntityDescription(
    MinerControlEntityDescription, NumberEntityDescription
):
    """A miner number: where its value is read, and how it is set."""

    value_fn: Callable[[MinerRuntimeData], float | None]
    set_fn: Callable[[whatsminer.Whatsminer, int], Awaitable[None]]
    # A maximum that depends on the miner (its API), instead of native_max_value.
    max_value_fn: Callable[[MinerRuntimeData], float] | None = None


def _is_v3(miner: MinerRuntimeData) -> bool:
    return miner.client.api is whatsminer.ApiVersion.V3


NUMBERS: tuple[HashwattNumberEntityDescription, ...] = (
    HashwattNumberEntityDescription(
        # API v3's set.miner.power: the draw changes while the miner keeps
        # mining, so this is the control to follow a solar surplus with. The
        # miner reports no target back: the value is the power it draws.
        key="power",
        translation_key="power_target",
        device_class=NumberDeviceClass.POWER,
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_min_value=whatsminer.POWER_RANGE[0],
        native_max_value=whatsminer.POWER_RANGE[1],
        native_step=1,
        mode=NumberMode.BOX,
        exists_fn=_is_v3,
        value_fn=lambda miner: miner.fast.data.summary.power,
        set_fn=lambda client, watts: client.set_power(watts),
    ),
    HashwattNumberEntityDescription(
        key="power_limit",
        translation_key="power_limit",
        device_class=NumberDeviceClass.POWER,
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=UnitOfPower.WATT,
        # The vendor's full range: hydro miners draw well over 10 kW.
        native_min_value=whatsminer.POWER_LIMIT_RANGE[0],
        native_max_value=whatsminer.POWER_LIMIT_RANGE[1],
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
        native_min_value=whatsminer.POWER_PERCENT_RANGE[0],
        native_max_value=whatsminer.POWER_PERCENT_RANGE[1],
        native_step=1,
        mode=NumberMode.SLIDER,
        setting=True,
        exists_fn=lambda miner: miner.slow.data.settings.power_percent is not None,
        value_fn=lambda miner: miner.slow.data.settings.power_percent,
        # Normal mode: the vendor's choice for lasting changes (fast mode costs
        # more hashrate and is meant for brief ones; the action offers both).
        set_fn=lambda client, percent: client.set_power_percent(
            percent, whatsminer.PowerPercentMode.NORMAL
        ),
    ),
    HashwattNumberEntityDescription(
        key="target_frequency",
        translation_key="target_frequency",
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=whatsminer.TARGET_FREQUENCY_RANGE[0],
        native_max_value=whatsminer.TARGET_FREQUENCY_RANGE[1],
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
        native_min_value=whatsminer.TEMPERATURE_OFFSET_RANGE[0],
        native_max_value=whatsminer.TEMPERATURE_OFFSET_RANGE[1],
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
        native_min_value=whatsminer.UPFREQ_SPEED_RANGE[0],
        native_max_value=whatsminer.UPFREQ_SPEED_RANGE[1],
        native_step=1,
        mode=NumberMode.BOX,
        setting=True,
        exists_fn=lambda miner: miner.slow.data.settings.upfreq_speed is not None,
        value_fn=lambda miner: miner.slow.data.settings.upfreq_speed,
        set_fn=lambda client, speed: client.set_upfreq_speed(speed),
        # The vendor documents 0..10 for API v3; API v2 stops at 9.
        max_value_fn=lambda miner: (
            whatsminer.UPFREQ_SPEED_RANGE_V3
            if _is_v3(miner)
            else whatsminer.UPFREQ_SPEED_RANGE
        )[1],
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MinerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the numbers a miner can read back."""
    async_add_entities(miner_controls(entry, NUMBERS, HashwattNumberEntity))


class HashwattNumberEntity(HashwattMinerControlEntity, NumberEntity):
    """A number showing what the miner reports, never what was last asked of it."""

    entity_description: HashwattNumberEntityDescription

    @property
    @override
    def native_value(self) -> float | None:
        """Return the value the miner reported in its last poll."""
        return self.entity_description.value_fn(self.miner)

    @property
    @override
    def native_max_value(self) -> float:
        """Return the most this miner takes (some maxima differ by API)."""
        if (max_value_fn := self.entity_description.max_value_fn) is not None:
            return max_value_fn(self.miner)
        return super().native_max_value

    @miner_command
    @override
    async def async_set_native_value(self, value: float) -> None:
        """Send the new value; the next poll shows whether the miner took it."""
        # Every step is 1 and Home Assistant keeps the value within range.
        await self.entity_description.set_fn(self.miner.client, round(value))
