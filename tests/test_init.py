"""Tests for setting up the Hashwatt integration."""

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.hashwatt.const import DOMAIN


async def test_async_setup(hass: HomeAssistant) -> None:
    """Home Assistant loads the integration."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert DOMAIN in hass.config.components
