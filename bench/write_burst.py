"""Write burst: 50 power-limit writes to one miner through one fresh client.

``python -m bench.write_burst HOST PASSWORD BASE_WATTS sequential|concurrent``, run
by the project's interpreter against a fleet process; prints JSON. The fleet counts
what the burst cost: ``get_token`` calls (v2) or salt reads (v3). The client is
fresh each time, so "concurrent" shows whether 50 writers that start together
share one token request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

from . import client_only

WRITES = 50


async def burst(host: str, password: str, base: int, mode: str) -> dict[str, Any]:
    """Detect the API, then time ``WRITES`` writes one after another or all at once."""
    client_only.use_client_library_alone()
    from custom_components.hashwatt.clients.whatsminer.client import (  # noqa: PLC0415
        Whatsminer,
    )

    # Alternate two values so every write changes something.
    limits = [base - 100 * (index % 2) for index in range(WRITES)]
    client = Whatsminer(host, password=password)
    try:
        await client.detect()
        start = time.perf_counter()
        if mode == "concurrent":
            await asyncio.gather(*(client.set_power_limit(watts) for watts in limits))
        else:
            for watts in limits:
                await client.set_power_limit(watts)
        elapsed = time.perf_counter() - start
    finally:
        await client.close()
    return {"api": str(client.api), "mode": mode, "writes": WRITES, "seconds": elapsed}


def main() -> None:
    """Run one burst and print its timing."""
    logging.disable(logging.WARNING)
    host, password, base, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    sys.stdout.write(json.dumps(asyncio.run(burst(host, password, base, mode))) + "\n")


if __name__ == "__main__":
    main()
