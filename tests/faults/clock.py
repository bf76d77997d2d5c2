"""Let frozen time pass while real sockets work.

The harness freezes the clock the event loop reads, so a reply timeout (or a
miner that answers after a delay) never elapses by itself. These helpers move
the frozen clock on in small steps, but only while the loop is idle: every
request in flight gets its real answer first, and only waits on timers (a
hung miner, a backoff) are shortened. Nothing here sleeps in real time beyond
a few milliseconds per step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

# One step of frozen time: small against the client's 5 s connect and 10 s
# reply timeouts, so a step never decides between an answer and a timeout.
STEP: Final = timedelta(milliseconds=500)
# The loop counts as idle after this many turns with nothing else to run...
_IDLE_TURNS: Final = 20
# ...spread over at least this much real time (executor threads, the kernel).
_IDLE_SECONDS: Final = 0.002
# A wait that needs more frozen time than this is a deadlock, not a fault.
DEFAULT_LIMIT: Final = timedelta(minutes=2)
# Real time allowed for one wait; far beyond what any case needs.
_REAL_LIMIT_SECONDS: Final = 60.0


def _real_now() -> float:
    # freezegun stops time.monotonic and time.perf_counter; it leaves this clock alone.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


async def _until_idle_or_done(done: asyncio.Future[Any]) -> None:
    """Run the loop until ``done`` or until it only waits on timers."""
    # The callbacks ready to run: private, but the one way to tell that only
    # timers are left.
    loop: Any = asyncio.get_running_loop()
    quiet_turns = 0
    quiet_since = _real_now()
    while not done.done():
        await asyncio.sleep(0)
        # Callbacks queued besides this task mean I/O arrived or work is pending.
        if loop._ready:
            quiet_turns = 0
            quiet_since = _real_now()
            continue
        quiet_turns += 1
        if quiet_turns >= _IDLE_TURNS and _real_now() - quiet_since >= _IDLE_SECONDS:
            return


async def drive[T](
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    awaitable: Awaitable[T],
    *,
    limit: timedelta = DEFAULT_LIMIT,
) -> T:
    """Await ``awaitable``, moving frozen time on whenever the loop only waits.

    Raises ``AssertionError`` when it needs more than ``limit`` of frozen time:
    the tests use that to tell a deadlock from a slow miner.
    """
    task = asyncio.ensure_future(awaitable)
    moved = timedelta()
    started = _real_now()
    try:
        while not task.done():
            await _until_idle_or_done(task)
            if task.done():
                break
            if moved >= limit:
                msg = f"still waiting after {moved} of frozen time: deadlock?"
                raise AssertionError(msg)
            if _real_now() - started > _REAL_LIMIT_SECONDS:
                msg = f"still waiting after {_REAL_LIMIT_SECONDS} s of real time"
                raise AssertionError(msg)
            freezer.tick(STEP)
            moved += STEP
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return task.result()


async def settle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    limit: timedelta = DEFAULT_LIMIT,
) -> None:
    """Let everything Home Assistant started finish, however long it waits."""
    await drive(
        hass,
        freezer,
        hass.async_block_till_done(wait_background_tasks=True),
        limit=limit,
    )


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    *,
    limit: timedelta = DEFAULT_LIMIT,
) -> None:
    """Let ``seconds`` pass: the polls due run, and whatever they start finishes.

    Whatever is still under way finishes first: a jump of ``seconds`` would
    time out requests in flight.
    """
    await settle(hass, freezer, limit=limit)
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await settle(hass, freezer, limit=limit)
