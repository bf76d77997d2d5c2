"""Switches of a Whatsminer: mining itself, and the settings it reports back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .clients.whatsminer import Whatsminer
from .coordinator import MinerConfigEntry, MinerRuntimeData
from .entity import (
    HashwattMinerControlEntity,
    MinerControlEntityDescription,
    miner_controls,
)
from .helpers import miner_command

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class HashwattSwitchEntityDescription(
    MinerControlEntityDescription, SwitchEntityDescription
):
    """A miner switch: where its state is read, and how it is set."""

    is_on_fn: Callable[[MinerRuntimeData], bool | None]
    set_fn: Callable[[Whatsminer, bool], Awaitable[None]]


async def _set_mining(client: Whatsminer, on: bool) -> None:  # noqa: FBT001
    await (client.power_on() if on else client.power_off())


SWITCHES: tuple[HashwattSwitchEntityDescription, ...] = (
    HashwattSwitchEntityDescription(
        key="mining",
        translation_key="mining",
        is_on_fn=lambda miner: miner.fast.data.mining,
        set_fn=_set_mining,
    ),
    HashwattSwitchEntityDescription(
        key="fast_boot",
        translation_key="fast_boot",
        entity_category=EntityCategory.CONFIG,
        # A setting made once per miner, not a daily control.
        entity_registry_enabled_default=False,
        exists_fn=lambda miner: miner.fast.data.summary.fast_boot is not None,
        is_on_fn=lambda miner: miner.fast.data.summary.fast_boot,
        set_fn=lambda client, on: client.set_fast_boot(on),
    ),
    HashwattSwitchEntityDescription(
        key="fan_zero_speed",
        translation_key="fan_zero_speed",
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        setting=True,
        exists_fn=lambda miner: miner.slow.data.settings.fan_zero_speed is not None,
        is_on_fn=lambda miner: miner.slow.data.settings.fan_zero_speed,
        set_fn=lambda client, on: client.set_fan_zero_speed(on),
    ),
    HashwattSwitchEntityDescription(
        key="poweroff_cool",
        translation_key="poweroff_cool",
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        setting=True,
        exists_fn=lambda miner: miner.slow.data.settings.poweroff_cool is not None,
        is_on_fn=lambda miner: miner.slow.data.settings.poweroff_cool,
        set_fn=lambda client, on: client.set_poweroff_cool(on),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MinerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the switches a miner can read back."""
    async_add_entities(miner_controls(entry, SWITCHES, HashwattSwitchEntity))


class HashwattSwitchEntity(HashwattMinerControlEntity, SwitchEntity):
    """A switch showing what the miner reports, never what was last asked of it."""

    entity_description: HashwattSwitchEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state the miner reported in its last poll."""
        return self.entity_description.is_on_fn(self.miner)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on; the next poll shows whether the miner did."""
        await self._async_switch(on=True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off; the next poll shows whether the miner did."""
        await self._async_switch(on=False)

    @miner_command
    async def _async_switch(self, *, on: bool) -> None:
        await self.entity_description.set_fn(self.miner.client, on)
