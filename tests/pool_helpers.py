"""Helpers of the pool tests."""

import asyncio
from collections.abc import Awaitable
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

# Small steps, so a request never sees more than a few of them pass.
TIME_STEP = timedelta(milliseconds=50)


async def while_time_passes[T](
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, awaitable: Awaitable[T]
) -> T:
    """Await ``awaitable`` while the frozen clock moves on, so backoffs elapse.

    The WhitePool client waits between retries; with the clock frozen, that wait
    would never end.
    """
    task = asyncio.ensure_future(awaitable)
    while not task.done():
        await asyncio.sleep(0)
        freezer.tick(TIME_STEP)
        async_fire_time_changed(hass)
    return task.result()
