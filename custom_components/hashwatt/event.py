"""Event entity of a Whatsminer: an error code the miner starts reporting."""

from __future__ import annotations

from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import MinerConfigEntry, WhatsminerSlowCoordinator
from .entity import HashwattMinerEntity

# Read-only platform: the coordinators do the polling.
PARALLEL_UPDATES = 0

EVENT_ERROR_REPORTED = "error_reported"

ERROR_EVENT = EventEntityDescription(
    key="error",
    translation_key="error",
    event_types=[EVENT_ERROR_REPORTED],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MinerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a miner's error event entity."""
    async_add_entities([HashwattErrorEvent(entry.runtime_data.slow, ERROR_EVENT)])


class HashwattErrorEvent(HashwattMinerEntity[WhatsminerSlowCoordinator], EventEntity):
    """Fires once for each error code that appears in the miner's list.

    Codes already listed when Home Assistant starts are not news; a code that
    clears and comes back fires again.
    """

    def __init__(
        self,
        coordinator: WhatsminerSlowCoordinator,
        description: EventEntityDescription,
    ) -> None:
        """Take the codes listed now as known."""
        super().__init__(coordinator, description)
        self._known_codes = {error.code for error in coordinator.data.errors}

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        errors = self.coordinator.data.errors
        for error in errors:
            if error.code in self._known_codes:
                continue
            self._trigger_event(
                EVENT_ERROR_REPORTED,
                {
                    "code": error.code,
                    "reported_at": error.reported_at.isoformat()
                    if error.reported_at
                    else None,
                },
            )
            # One state write per event, or automations would see only the last.
            self.async_write_ha_state()
        self._known_codes = {error.code for error in errors}
        self._async_write_if_changed()
