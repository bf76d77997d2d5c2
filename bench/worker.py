"""The measuring half of a benchmark worker process, shared by both clients.

A worker is one fresh process per client and fleet size, so its peak RSS belongs
to that measurement alone. It reads the fleet (JSON) on stdin, polls it, and prints
one JSON result on stdout. Kept compatible with Python 3.11 so pyasic's throwaway
environment can run it too.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from . import netcount

Poll = Callable[[int], Awaitable[object]]

SETTLE_SECONDS = 0.5  # between sweeps: let closed connections finish on both sides


def raise_open_file_limit() -> None:
    """Allow one socket per miner at once, and more (1000 miners, several connections each)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def peak_rss_kib() -> int:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def current_rss_kib() -> int:
    """Resident set size of this process now."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


async def sweep(
    poll: Poll, count: int, indices: Sequence[int] | None = None
) -> dict[str, Any]:
    """Poll every miner once (or those at ``indices``), all at the same time.

    Measures wall time, the process's CPU time, and what went over the network.
    """
    counters = netcount.COUNTERS
    counters.reset()
    failures: list[str] = []
    chosen = range(count) if indices is None else indices

    async def one(index: int) -> bool:
        try:
            await poll(index)
        except Exception as err:  # noqa: BLE001  # a failed poll is a result, not a crash
            if len(failures) < 5:
                failures.append(f"{type(err).__name__}: {err}")
            return False
        return True

    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    results = await asyncio.gather(*(one(index) for index in chosen))
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    return {
        "miners": len(results),
        "wall_s": wall,
        "cpu_s": cpu,
        "ok": sum(results),
        "failed": len(results) - sum(results),
        "failure_samples": failures,
        "connect_attempts": counters.connect_attempts,
        "connections": counters.connections,
        "bytes_sent": counters.bytes_sent,
        "bytes_received": counters.bytes_received,
    }


async def measure(
    *,
    count: int,
    runs: int,
    prepare: Callable[[int], Awaitable[object]] | None,
    poll: Poll,
    extra: dict[str, Poll] | None = None,
    groups: Mapping[str, Sequence[int]] | None = None,
) -> dict[str, Any]:
    """Prepare every miner once (measured), warm up, then time ``runs`` sweeps.

    ``extra`` polls run once each afterwards; ``groups`` repeat the poll over a
    subset of the miners (e.g. the v2 ones) to see what each API costs alone.
    """
    result: dict[str, Any] = {"rss_after_import_kib": current_rss_kib()}
    if prepare is not None:
        result["prepare"] = await sweep(prepare, count)
        await asyncio.sleep(SETTLE_SECONDS)
    result["warmup"] = await sweep(poll, count)
    sweeps = []
    for _ in range(runs):
        await asyncio.sleep(SETTLE_SECONDS)
        gc.collect()  # every sweep starts from the same heap state
        sweeps.append(await sweep(poll, count))
    result["sweeps"] = sweeps
    for name, extra_poll in (extra or {}).items():
        await asyncio.sleep(SETTLE_SECONDS)
        result[name] = await sweep(extra_poll, count)
    for name, indices in (groups or {}).items():
        await asyncio.sleep(SETTLE_SECONDS)
        result[f"only_{name}"] = await sweep(poll, count, indices)
    result["rss_end_kib"] = current_rss_kib()
    result["rss_peak_kib"] = peak_rss_kib()
    return result


def api_groups(miners: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """Indices of the miners per API ("v2", "v3")."""
    groups: dict[str, list[int]] = {}
    for index, miner in enumerate(miners):
        groups.setdefault(miner["api"], []).append(index)
    return groups


def main(
    run: Callable[[Sequence[dict[str, Any]], int], Awaitable[dict[str, Any]]],
) -> None:
    """Read the fleet, run the measurement and print it as JSON."""
    raise_open_file_limit()
    netcount.install()
    request = json.load(sys.stdin)
    result = asyncio.run(run(request["miners"], int(request["runs"])))
    result["python"] = sys.version.split()[0]
    json.dump(result, sys.stdout)
