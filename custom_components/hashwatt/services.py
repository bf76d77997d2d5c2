"""Actions (services) of the Hashwatt integration, registered once in ``async_setup``."""

from __future__ import annotations

from homeassistant.core import HomeAssistant


async def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
