"""Home Assistant level: N miner entries in the test harness against a fleet.

Run by ``scripts/bench`` as ``pytest bench/ha_refresh.py`` with ``BENCH_FLEET`` (the
fleet's description, written by ``bench.fleet``) and ``BENCH_OUT`` (where the JSON
result goes). Not part of the test suite: ``testpaths`` is ``tests``.

Measures, for the integration as shipped (every platform, every default entity):
- the event loop's CPU time for one refresh cycle, every miner's fast coordinator
  refreshed at once and every state written (the worst case: real timers spread);
- the longest single event-loop step in such a cycle;
- memory per miner entry: what Python allocates (tracemalloc, over 50 entries: it
  slows Python several times over) and the RSS growth while the remaining entries
  load together (entry 1 pays for imports and is left out of both);
- how long those remaining entries take to set up together, as at a restart.
"""

# ruff: noqa: S101  # a pytest file: a failed assert is how the benchmark reports failure

# Import the repo's package first: Home Assistant's test harness puts its own
# testing config dir (with its own `custom_components`) on sys.path.
import custom_components  # noqa: F401  # isort: skip

import asyncio
import cProfile
import gc
import json
import logging
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Self

import pytest
import pytest_socket
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.device_registry import format_mac
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import (
    CONF_API,
    CONF_ENTRY_TYPE,
    CONF_READ_ONLY,
    CONF_V2_PORT,
    CONF_V3_PORT,
    DOMAIN,
    ENTRY_TYPE_WHATSMINER,
)

CYCLES = 5
# Refresh cycles start this far apart. scripts/bench runs the fleet's clock
# faster (DEFAULT_SCAN_INTERVAL / CYCLE_SPACING), so between two cycles the
# miners' figures move as much as between two real polls: a state that a real
# poll would change is changed here too.
CYCLE_SPACING = float(os.environ.get("BENCH_CYCLE_SPACING", "5"))
RETRY_WAIT = 300.0  # seconds Home Assistant gets to retry entries that failed at first
TRACED_ENTRIES = 50  # entries 2..51 are loaded under tracemalloc


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load this repo's integration."""


@pytest.fixture
def enable_event_loop_debug() -> None:
    """Keep the event loop out of debug mode, as Home Assistant runs it.

    The harness turns debug mode on for tests; it records a traceback for every
    future and callback, which here was half the CPU time of a refresh cycle.
    """


@pytest.fixture(autouse=True)
def production_log_level() -> Iterator[None]:
    """Log warnings and worse, not the INFO line per entity the harness prints."""
    logging.disable(logging.INFO)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture
def fleet_reachable(socket_enabled: None) -> None:
    """Allow connections to the whole loopback range, where the fleet's miners listen.

    The harness allows 127.0.0.1 only; this benchmark talks to 127.x.y.z on purpose.
    """
    pytest_socket.socket_allow_hosts(["127.0.0.0/8"], allow_unix_socket=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@pytest.fixture
def fleet_miners() -> list[dict[str, Any]]:
    """The miners of the fleet ``scripts/bench`` started for this run."""
    miners: list[dict[str, Any]] = json.loads(
        Path(os.environ["BENCH_FLEET"]).read_text()
    )["miners"]
    return miners


@pytest.fixture
def bench_result() -> Iterator[dict[str, Any]]:
    """What the test measured, written where ``scripts/bench`` reads it."""
    result: dict[str, Any] = {}
    yield result
    if result:
        Path(os.environ["BENCH_OUT"]).write_text(json.dumps(result))


_last_cycle = 0.0


def _count_writes(hass: HomeAssistant) -> Callable[[], dict[str, int]]:
    """Count state writes (changed and reported unchanged) until the returned call."""
    counts = {"changed": 0, "reported": 0}

    @callback
    def changed(_event: Event[EventStateChangedData]) -> None:
        counts["changed"] += 1

    @callback
    def reported(_event: Event[EventStateReportedData]) -> None:
        counts["reported"] += 1

    @callback
    def every(_data: EventStateReportedData) -> bool:
        return True

    stop = [
        hass.bus.async_listen(EVENT_STATE_CHANGED, changed),
        # Home Assistant wants a filter here; this one lets every event through.
        hass.bus.async_listen(EVENT_STATE_REPORTED, reported, event_filter=every),
    ]

    def done() -> dict[str, int]:
        for unsubscribe in stop:
            unsubscribe()
        return counts

    return done


def _rss_bytes() -> int:
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


class _LoopSteps:
    """Time every callback the event loop runs (asyncio's ``Handle._run``), and GC pauses."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_callback = ""
        self.total = 0.0
        self.gc_longest = 0.0
        self.gc_total = 0.0
        self._gc_start = 0.0
        self._original: Callable[[asyncio.Handle], None] | None = None

    def _on_gc(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        pause = time.perf_counter() - self._gc_start
        self.gc_total += pause
        self.gc_longest = max(self.gc_longest, pause)

    def __enter__(self) -> Self:
        original = asyncio.events.Handle._run  # noqa: SLF001
        self._original = original
        steps = self

        def timed_run(handle: asyncio.Handle) -> None:
            start = time.perf_counter()
            original(handle)
            elapsed = time.perf_counter() - start
            steps.total += elapsed
            if elapsed > steps.longest:
                steps.longest = elapsed
                steps.longest_callback = repr(handle)[:300]

        asyncio.events.Handle._run = timed_run  # type: ignore[method-assign,assignment]  # noqa: SLF001
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._on_gc)
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign,assignment]  # noqa: SLF001


def _entry(index: int, miner: dict[str, Any]) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Miner {index + 1}",
        unique_id=format_mac(miner["mac"]),
        data={
            CONF_ENTRY_TYPE: ENTRY_TYPE_WHATSMINER,
            CONF_HOST: miner["host"],
            CONF_PASSWORD: miner["password"],
            CONF_V2_PORT: 4028,
            CONF_V3_PORT: 4433,
            CONF_API: miner["api"],
            CONF_READ_ONLY: False,
        },
    )


async def _setup(hass: HomeAssistant, entries: list[MockConfigEntry]) -> list[str]:
    """Set ``entries`` up together; return why those that did not load failed."""
    for entry in entries:
        entry.add_to_hass(hass)
    results = await asyncio.gather(
        *(hass.config_entries.async_setup(entry.entry_id) for entry in entries)
    )
    await hass.async_block_till_done()
    return [
        f"{entry.title}: {entry.state.value}, {entry.reason}"
        for entry, loaded in zip(entries, results, strict=True)
        if not loaded
    ]


async def _wait_until_loaded(
    hass: HomeAssistant, entries: list[MockConfigEntry]
) -> float:
    """Let Home Assistant retry entries whose first attempt failed; return the wait.

    An entry that raised ``ConfigEntryNotReady`` is retried on Home Assistant's own
    timer (after about 5 s, then backing off); nothing here forces it.
    """
    start = time.monotonic()
    while True:
        await hass.async_block_till_done()
        waiting = [
            entry for entry in entries if entry.state is not ConfigEntryState.LOADED
        ]
        if not waiting or time.monotonic() - start > RETRY_WAIT:
            break
        await asyncio.sleep(1)
    assert not waiting, f"{len(waiting)} entries did not load: " + ", ".join(
        f"{entry.title} {entry.state} {entry.reason}" for entry in waiting[:5]
    )
    return time.monotonic() - start


async def _next_cycle() -> None:
    """Wait until CYCLE_SPACING after the previous cycle started (not timed)."""
    global _last_cycle  # noqa: PLW0603  # one benchmark per process
    if (wait := _last_cycle + CYCLE_SPACING - time.monotonic()) > 0:
        await asyncio.sleep(wait)
    _last_cycle = time.monotonic()


class _ListenerTime:
    """CPU time the fast coordinators' listeners take: the entities' updates and writes.

    What is left of a cycle is the polls themselves (client, coordinator, asyncio).
    """

    def __init__(self, entries: list[MockConfigEntry]) -> None:
        self.total = 0.0
        for entry in entries:
            coordinator = entry.runtime_data.fast
            coordinator.async_update_listeners = self._timed(
                coordinator.async_update_listeners
            )

    def _timed(self, update: Callable[[], None]) -> Callable[[], None]:
        def timed_update() -> None:
            start = time.thread_time()
            update()
            self.total += time.thread_time() - start

        return timed_update


async def _refresh_all(hass: HomeAssistant, entries: list[MockConfigEntry]) -> None:
    await asyncio.gather(
        *(entry.runtime_data.fast.async_refresh() for entry in entries)
    )
    await hass.async_block_till_done()


async def test_refresh_cycle_and_memory(
    hass: HomeAssistant,
    fleet_reachable: None,
    fleet_miners: list[dict[str, Any]],
    bench_result: dict[str, Any],
) -> None:
    """Load every miner of the fleet, then measure refresh cycles and memory."""
    miners = fleet_miners
    entries = [_entry(index, miner) for index, miner in enumerate(miners)]
    count = len(entries)

    # Entry 1 alone: imports, platforms and services are paid once, not per miner.
    assert not await _setup(hass, entries[:1])
    # Entries 2..K under tracemalloc (it slows Python several times over, so not all N).
    traced = entries[1 : TRACED_ENTRIES + 1]
    gc.collect()
    tracemalloc.start()
    traced_before = tracemalloc.get_traced_memory()[0]
    assert not await _setup(hass, traced)
    gc.collect()
    traced_bytes = tracemalloc.get_traced_memory()[0] - traced_before
    if memory_top := os.environ.get("BENCH_MEMORY_TOP"):
        # Where the memory of those entries went, by the line that allocated it.
        statistics_ = tracemalloc.take_snapshot().statistics("lineno")
        Path(memory_top).write_text(  # noqa: ASYNC240  # once, outside what is timed
            "\n".join(str(stat) for stat in statistics_[:60]) + "\n"
        )
    tracemalloc.stop()
    # The rest together, as Home Assistant sets entries up when it starts.
    rest = entries[TRACED_ENTRIES + 1 :]
    gc.collect()
    rss_before = _rss_bytes()
    start = time.perf_counter()
    setup_profile = os.environ.get("BENCH_SETUP_PROFILE")
    profiler = cProfile.Profile() if setup_profile else None
    if profiler:
        profiler.enable()
    try:
        with _LoopSteps() as setup_steps:
            setup_failures = await _setup(hass, rest)
    finally:
        if profiler and setup_profile:
            profiler.disable()
            profiler.dump_stats(setup_profile)
    setup_rest = time.perf_counter() - start
    retried_s = await _wait_until_loaded(hass, rest)
    gc.collect()
    rss_growth = _rss_bytes() - rss_before

    # Refresh cycles, timed without tracemalloc.
    await _next_cycle()
    await _refresh_all(hass, entries)  # warm-up
    walls, cpus, listener_cpus = [], [], []
    writes_per_cycle = []
    listeners = _ListenerTime(entries)
    for _ in range(CYCLES):
        gc.collect()
        await _next_cycle()
        writes = _count_writes(hass)
        listeners.total = 0.0
        cpu = time.process_time()
        wall = time.perf_counter()
        await _refresh_all(hass, entries)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        listener_cpus.append(listeners.total)
        writes_per_cycle.append(writes())
    await _next_cycle()
    with _LoopSteps() as steps:
        await _refresh_all(hass, entries)
    if pyinst := os.environ.get("BENCH_PYINSTRUMENT"):  # LOCALHACK
        import pyinstrument  # noqa

        pi = pyinstrument.Profiler(interval=0.0002, async_mode="disabled")
        for _ in range(3):
            await _next_cycle()
            gc.collect()
            pi.start()
            await _refresh_all(hass, entries)
            pi.stop()
        Path(pyinst).write_text(pi.output_text(unicode=False, show_all=False, timeline=False))
        Path(pyinst + ".html").write_text(pi.output_html())
        import pickle  # noqa
        Path(pyinst + ".session").write_bytes(pickle.dumps(pi.last_session))
    if profile_path := os.environ.get("BENCH_PROFILE"):
        profiler = cProfile.Profile()
        await _next_cycle()
        profiler.enable()
        await _refresh_all(hass, entries)
        profiler.disable()
        profiler.dump_stats(profile_path)
    failed = sum(not entry.runtime_data.fast.last_update_success for entry in entries)
    states = hass.states.async_all()
    per_domain: dict[str, int] = {}
    for state in states:
        per_domain[state.domain] = per_domain.get(state.domain, 0) + 1

    bench_result |= {
        "miners": count,
        "entities": len(states),
        "entities_per_miner_by_domain": {
            domain: number / count for domain, number in sorted(per_domain.items())
        },
        "entities_of_miner_1": sorted(
            state.entity_id
            for state in states
            if state.entity_id.split(".", 1)[1].startswith("miner_1_")
        ),
        "setup_s": setup_rest,
        "setup_entries": len(rest),
        "setup_loop_busy_s": setup_steps.total,
        "setup_longest_step_ms": setup_steps.longest * 1000,
        "setup_failed": len(setup_failures),
        "setup_failure_samples": setup_failures[:3],
        "setup_retries_s": retried_s,
        "refresh_wall_s": statistics.median(walls),
        "refresh_cpu_s": statistics.median(cpus),
        "refresh_cpu_runs_s": cpus,
        "refresh_listeners_cpu_s": statistics.median(listener_cpus),
        "refresh_listeners_cpu_runs_s": listener_cpus,
        "cycle_spacing_s": CYCLE_SPACING,
        "state_writes_per_cycle": writes_per_cycle,
        "longest_step_ms": steps.longest * 1000,
        "longest_step": steps.longest_callback,
        "loop_busy_s": steps.total,
        "gc_longest_ms": steps.gc_longest * 1000,
        "gc_total_ms": steps.gc_total * 1000,
        "failed_refreshes": failed,
        "traced_entries": len(traced),
        "traced_bytes_per_miner": traced_bytes / max(len(traced), 1),
        "rss_bytes_per_miner": rss_growth / len(rest) if rest else None,
    }

    for entry in entries:
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert failed == 0, f"{failed} of {count} refreshes failed"
