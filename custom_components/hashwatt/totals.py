"""Where a total (energy) starts after a restart or a crash: never below what was shown.

Home Assistant saves restore data every 15 minutes and at a clean stop only; the
recorder commits each state within seconds. After a crash the restore data can be
minutes behind the total last shown, and a ``total_increasing`` sensor that drops by
more than 10 % is read by statistics as a meter reset: the long-term sum then grows
by the whole total again. So a total starts from the larger of its restore data and
the recorder's last recorded states. A total only grows: the larger is the newer.
"""

from __future__ import annotations

from functools import partial
from typing import Final

from homeassistant.components.recorder import history
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfEnergy
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import EnergyConverter

from .const import LOGGER

# The last state changes looked at: a miner that went away and came back a few
# times just before the crash recorded "unavailable" in between.
RECORDED_STATES: Final = 10


def _energy_kwh(state: State) -> float | None:
    """The total a recorded state shows, in kWh; None for unavailable or unknown."""
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    try:
        value = float(state.state)
    except ValueError:
        return None
    if unit not in EnergyConverter.VALID_UNITS:
        return None
    # The user may show the sensor in Wh or MWh: the recorder keeps what was shown.
    return EnergyConverter.convert(value, unit, UnitOfEnergy.KILO_WATT_HOUR)


async def async_last_recorded_energy(
    hass: HomeAssistant, entity_id: str
) -> float | None:
    """Return the largest energy total among the entity's last recorded states, in kWh.

    None without the recorder, or when it holds no number for the entity. Read in
    the recorder's executor: the database is never read in the event loop.
    """
    if "recorder" not in hass.config.components:
        return None
    recorded = await get_instance(hass).async_add_executor_job(
        partial(history.get_last_state_changes, hass, RECORDED_STATES, entity_id)
    )
    values = [
        value
        for state in recorded.get(entity_id.lower(), [])
        if (value := _energy_kwh(state)) is not None
    ]
    return max(values, default=None)


async def async_starting_energy(
    hass: HomeAssistant, entity_id: str, restored: float | None
) -> float | None:
    """Return the total to continue from: the newest of restore data and recorder.

    Says so in the log when the recorder's total is ahead of the restore data (Home
    Assistant stopped without saving it: a crash or a power cut).
    """
    recorded = await async_last_recorded_energy(hass, entity_id)
    if recorded is None:
        return restored
    if restored is None or recorded > restored:
        LOGGER.info(
            "%s continues from the recorder's last total, %.6f kWh: the restore data "
            "(%s kWh) is older, as after a crash",
            entity_id,
            recorded,
            "none" if restored is None else f"{restored:.6f}",
        )
        return recorded
    return restored
