"""Selects of a Whatsminer: its power mode, and a liquid-cooled miner's heat mode."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .clients.whatsminer import HeatMode, PowerMode, Whatsminer
from .coordinator import MinerConfigEntry, MinerRuntimeData
from .entity import (
    HashwattMinerControlEntity,
    MinerControlEntityDescription,
    miner_controls,
)
from .helpers import miner_command

PARALLEL_UPDATES = 1

# Options are translation keys, which take no hyphen: "anti-freezing" becomes one.
HEAT_MODE_OPTIONS = {mode.value.replace("-", "_"): mode for mode in HeatMode}


@dataclass(frozen=True, kw_only=True)
class HashwattSelectEntityDescription(
    MinerControlEntityDescription, SelectEntityDescription
):
    """A miner select: where its option is read, and how it is set."""

    current_fn: Callable[[MinerRuntimeData], str | None]
    select_fn: Callable[[Whatsminer, str], Awaitable[None]]


SELECTS: tuple[HashwattSelectEntityDescription, ...] = (
    HashwattSelectEntityDescription(
        key="power_mode",
        translation_key="power_mode",
        entity_category=EntityCategory.CONFIG,
        options=[mode.value for mode in PowerMode],
        current_fn=lambda miner: (
            mode.value if (mode := miner.fast.data.summary.power_mode) else None
        ),
        select_fn=lambda client, option: client.set_power_mode(PowerMode(option)),
    ),
    HashwattSelectEntityDescription(
        key="heat_mode",
        translation_key="heat_mode",
        entity_category=EntityCategory.CONFIG,
        options=list(HEAT_MODE_OPTIONS),
        setting=True,
        # Only liquid-cooled miners on API v3 report (and take) a heat mode.
        exists_fn=lambda miner: miner.slow.data.settings.heat_mode is not None,
        current_fn=lambda miner: (
            mode.value.replace("-", "_")
            if (mode := miner.slow.data.settings.heat_mode)
            else None
        ),
        select_fn=lambda client, option: client.set_heat_mode(
            HEAT_MODE_OPTIONS[option]
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MinerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the selects a miner can read back."""
    async_add_entities(miner_controls(entry, SELECTS, HashwattSelectEntity))


class HashwattSelectEntity(HashwattMinerControlEntity, SelectEntity):
    """A select showing what the miner reports, never what was last asked of it."""

    entity_description: HashwattSelectEntityDescription

    @property
    @override
    def current_option(self) -> str | None:
        """Return the option the miner reported in its last poll."""
        return self.entity_description.current_fn(self.miner)

    @miner_command
    @override
    async def async_select_option(self, option: str) -> None:
        """Send the new option; the next poll shows whether the miner took it."""
        await self.entity_description.select_fn(self.miner.client, option)
