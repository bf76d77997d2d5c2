"""Benchmark worker for pyasic, run by the interpreter of pyasic's throwaway environment.

It polls as the popular pyasic-based Home Assistant integration (hass-miner) does on
every update: ``pyasic.get_miner(ip)`` (a fresh probe), then ``miner.get_data(include=…)``
with the same eleven data options. A second figure reuses the miner objects (no
re-probe) to show pyasic's best case. Where ``get_miner`` misses a v3 miner (a
pyasic bug, see ``pyasic_probe.identify``) pyasic's own model and version lookups
stand in, and their cost is counted.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import pyasic  # type: ignore[import-not-found]  # only in pyasic's own environment

from . import worker
from .pyasic_probe import identify

# What hass-miner's coordinator asks for on every update.
INCLUDE = [
    pyasic.DataOptions.HOSTNAME,
    pyasic.DataOptions.MAC,
    pyasic.DataOptions.IS_MINING,
    pyasic.DataOptions.FW_VERSION,
    pyasic.DataOptions.HASHRATE,
    pyasic.DataOptions.EXPECTED_HASHRATE,
    pyasic.DataOptions.HASHBOARDS,
    pyasic.DataOptions.WATTAGE,
    pyasic.DataOptions.WATTAGE_LIMIT,
    pyasic.DataOptions.FANS,
    pyasic.DataOptions.CONFIG,
]


async def run(miners: Sequence[dict[str, Any]], runs: int) -> dict[str, Any]:
    """Measure pyasic's polls over the fleet."""
    hosts = [miner["host"] for miner in miners]
    found: list[Any] = [None] * len(hosts)

    async def discover_and_read(index: int) -> None:
        miner, _ = await identify(hosts[index])
        if miner is None:
            raise LookupError("get_miner found no miner")
        found[index] = miner
        data = await miner.get_data(include=INCLUDE)
        if data.hashrate is None:
            raise ValueError("no hashrate in get_data")

    async def read_only(index: int) -> None:
        miner = found[index]
        if miner is None:
            raise LookupError("get_miner found no miner")
        data = await miner.get_data(include=INCLUDE)
        if data.hashrate is None:
            raise ValueError("no hashrate in get_data")

    result = await worker.measure(
        count=len(hosts),
        runs=runs,
        prepare=None,
        poll=discover_and_read,
        extra={"reused_miner_object": read_only},
        groups=worker.api_groups(miners),
    )
    result["client"] = "pyasic"
    result["client_version"] = (
        pyasic.__version__ if hasattr(pyasic, "__version__") else None
    )
    kinds: dict[str, int] = {}
    for miner in found:
        name = (
            type(miner).__name__ if miner is None else type(miner).__mro__[1].__name__
        )
        kinds[name] = kinds.get(name, 0) + 1
    result["miner_classes"] = kinds
    return result


if __name__ == "__main__":
    # pyasic warns and logs on every partially known model; that is noise here.
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    worker.main(run)
