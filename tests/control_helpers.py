"""Shared by the control tests: what the simulated miner was asked to change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import DOMAIN
from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.v2 import WRITES as V2_WRITES

# API v3's password check: a write that changes nothing.
V3_PASSWORD_PROBE = "set.miner.report"


def writes(miner: SimulatedMiner) -> list[str]:
    """Return the write commands the miner accepted, in order (v2 or v3 names)."""
    return [
        request.command
        for request in miner.requests
        if request.authenticated
        and request.command is not None
        and request.command != V3_PASSWORD_PROBE
        and (request.command in V2_WRITES or request.command.startswith("set."))
    ]


def device_of(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the device ID of a miner entry."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, str(entry.unique_id)), entry.entry_id
    )
    assert device is not None
    return device.id


@asynccontextmanager
async def loaded_with(
    hass: HomeAssistant, entry: MockConfigEntry, platform: Platform
) -> AsyncIterator[MockConfigEntry]:
    """Set up a miner entry with one platform only, for as long as the context lasts."""
    with patch("custom_components.hashwatt.MINER_PLATFORMS", [platform]):
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        yield entry
