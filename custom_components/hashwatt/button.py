"""Buttons of a Whatsminer: reboot, restart mining, and identify."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.button.const import ButtonDeviceClass
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, EntityCategory
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .clients.whatsminer import LedColor, Whatsminer, WhatsminerError
from .const import LOGGER
from .coordinator import MinerConfigEntry, WhatsminerFastCoordinator
from .entity import HashwattMinerEntity
from .helpers import miner_command

PARALLEL_UPDATES = 1

# Long enough to walk down a row of racks and spot the blinking miner.
IDENTIFY_DURATION: Final = timedelta(minutes=1)
IDENTIFY_PERIOD_MS: Final = 500
IDENTIFY_ON_MS: Final = 250


@dataclass(frozen=True, kw_only=True)
class TimedUndo:
    """What undoes a button's press, and when."""

    after: timedelta
    undo_fn: Callable[[Whatsminer], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class HashwattButtonEntityDescription(ButtonEntityDescription):
    """A miner button, and what undoes its press after a while, if anything."""

    press_fn: Callable[[Whatsminer], Awaitable[None]]
    undo: TimedUndo | None = None


BUTTONS: tuple[HashwattButtonEntityDescription, ...] = (
    HashwattButtonEntityDescription(
        key="identify",
        # Its attributes say whether the LED blinks now, and until when.
        translation_key="identify",
        device_class=ButtonDeviceClass.IDENTIFY,
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda client: client.set_led(
            LedColor.RED, IDENTIFY_PERIOD_MS, IDENTIFY_ON_MS, 0
        ),
        # The miner keeps a manual LED pattern until told otherwise: its API
        # has none that ends by itself, so Home Assistant gives it back.
        undo=TimedUndo(
            after=IDENTIFY_DURATION, undo_fn=lambda client: client.set_led_auto()
        ),
    ),
    HashwattButtonEntityDescription(
        key="restart_mining",
        translation_key="restart_mining",
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda client: client.restart_mining(),
    ),
    HashwattButtonEntityDescription(
        key="reboot",
        translation_key="reboot",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda client: client.reboot(),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MinerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a miner's buttons."""
    miner = entry.runtime_data
    async_add_entities(
        HashwattButtonEntity(miner.fast, description) for description in BUTTONS
    )


class HashwattButtonEntity(
    HashwattMinerEntity[WhatsminerFastCoordinator], ButtonEntity
):
    """A button that sends one command to the miner."""

    entity_description: HashwattButtonEntityDescription
    _requires_write_access = True
    _cancel_undo: CALLBACK_TYPE | None = None
    _undo_at: datetime | None = None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """For identify: whether the LED blinks now, and when it stops.

        A button's state is only when it was last pressed; this is what shows that
        the miner is being identified.
        """
        if self.entity_description.undo is None:
            return None
        return {
            "identifying": self._undo_at is not None,
            "identifying_until": self._undo_at,
        }

    @miner_command
    @override
    async def async_press(self) -> None:
        """Send the command; undo it later if the button says so."""
        description = self.entity_description
        await description.press_fn(self.miner.client)
        if (undo := description.undo) is not None:
            self._async_cancel_undo()  # pressed again: start counting afresh
            self._cancel_undo = async_call_later(
                self.hass,
                undo.after,
                HassJob(partial(self._async_undo_due, undo), cancel_on_shutdown=True),
            )
            self._undo_at = dt_util.utcnow() + undo.after
            self.async_write_ha_state()

    async def _async_undo_due(self, undo: TimedUndo, _now: datetime) -> None:
        await self._async_undo(undo)
        self.async_write_ha_state()

    async def _async_undo(self, undo: TimedUndo) -> None:
        self._cancel_undo = None
        self._undo_at = None
        try:
            await undo.undo_fn(self.miner.client)
        except WhatsminerError as error:
            LOGGER.warning(
                "Could not undo %s on %s: %s",
                self.entity_description.key,
                self.miner.fast.config_entry.title,
                error,
            )

    def _async_cancel_undo(self) -> None:
        if self._cancel_undo is not None:
            self._cancel_undo()
            self._cancel_undo = None

    @override
    async def async_added_to_hass(self) -> None:
        """Undo a pending press when Home Assistant stops, too.

        Entities are not removed when Home Assistant stops, and the timer of a
        pending undo is cancelled then: without this a restart mid-blink would leave
        the LED blinking.
        """
        await super().async_added_to_hass()
        if self.entity_description.undo is not None:
            self.async_on_remove(
                self.hass.bus.async_listen(
                    EVENT_HOMEASSISTANT_STOP, self._async_undo_pending
                )
            )

    async def _async_undo_pending(self, _event: Event | None = None) -> None:
        """Undo a pending press now rather than leave the miner that way."""
        if (undo := self.entity_description.undo) is not None and self._cancel_undo:
            self._async_cancel_undo()
            await self._async_undo(undo)

    @override
    async def async_will_remove_from_hass(self) -> None:
        """Undo a pending press now rather than leave the miner that way."""
        await self._async_undo_pending()
        await super().async_will_remove_from_hass()
