"""Benchmark worker for Hashwatt's own client, run by the project's interpreter.

One ``Whatsminer`` per miner, as the integration keeps one per config entry: the
API is detected once (measured on its own), then every sweep is one fast poll
(``fetch_fast``) of every miner at the same time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from . import client_only, worker


async def run(miners: Sequence[dict[str, Any]], runs: int) -> dict[str, Any]:
    """Measure our client's polls over the fleet."""
    client_only.use_client_library_alone()
    from custom_components.hashwatt.clients.whatsminer.client import (  # noqa: PLC0415
        Whatsminer,
    )

    client_only.assert_no_home_assistant()
    clients = [
        Whatsminer(miner["host"], password=miner.get("password")) for miner in miners
    ]

    async def detect(index: int) -> None:
        await clients[index].detect()

    async def fetch_fast(index: int) -> None:
        data = await clients[index].fetch_fast()
        if data.summary.hashrate_realtime is None:
            raise ValueError("no hashrate in fetch_fast")

    async def fetch_slow(index: int) -> None:
        await clients[index].fetch_slow()

    try:
        result = await worker.measure(
            count=len(clients),
            runs=runs,
            prepare=detect,
            poll=fetch_fast,
            extra={"slow_poll": fetch_slow},
            groups=worker.api_groups(miners),
        )
    finally:
        for client in clients:
            await client.close()
    result["client"] = "hashwatt"
    apis: dict[str, int] = {}
    for client in clients:
        apis[str(client.api)] = apis.get(str(client.api), 0) + 1
    result["detected_apis"] = apis
    return result


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    worker.main(run)
