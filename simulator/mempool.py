"""A mock of a mempool.space REST API (the Bitcoin network's figures), for tests and the demo.

It serves the five endpoints Hashwatt reads, in the shapes of the samples in
``tests/fixtures/mempool/`` (see their PROVENANCE): the block tip as text/plain, the
hashrate and difficulty, the difficulty adjustment (times in ms, as the current server
sends them), the reward stats of the last blocks (totals as strings, in satoshi) and
the BTC prices. A block is found every ``block_interval`` seconds of an injectable
clock, so tests are deterministic; :meth:`MempoolServer.mine_block` finds one at once.

Failures can be injected programmatically (:meth:`MempoolServer.inject`) or with
``--fault``: HTTP 429 with Retry-After, 500, 503, a garbage (non-JSON) 200, a hang.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from aiohttp import web

from .faultspec import parse_fault_spec
from .httpmock import MockHttpServer

API_PREFIX: Final = "/api"
TIP_PATH: Final = "/api/blocks/tip/height"
HASHRATE_PATH: Final = "/api/v1/mining/hashrate/{period}"
DIFFICULTY_PATH: Final = "/api/v1/difficulty-adjustment"
REWARD_STATS_PATH: Final = "/api/v1/mining/reward-stats/{blocks}"
PRICES_PATH: Final = "/api/v1/prices"
EPOCH_BLOCKS: Final = 2016
TARGET_BLOCK_SECONDS: Final = 600
SATOSHI_PER_BTC: Final = 100_000_000
HASHES_PER_DIFFICULTY: Final = 2**32
# The figures of late 2026, roughly: 3.125 BTC subsidy since the 2024 halving.
DEFAULT_HEIGHT: Final = 925_000
DEFAULT_DIFFICULTY: Final = Decimal(148_000_000_000_000)
DEFAULT_SUBSIDY_SAT: Final = 312_500_000
DEFAULT_FEES_SAT: Final = 2_500_000  # per block
DEFAULT_PRICES: Final = {
    "USD": 92000,
    "EUR": 79000,
    "GBP": 69000,
    "CAD": 127000,
    "CHF": 74000,
    "AUD": 140000,
    "JPY": 14300000,
}


class Fault(StrEnum):
    """Failures the server can be told to answer instead of the real reply."""

    RATE_LIMIT = "rate_limit"  # HTTP 429 with Retry-After
    SERVER_ERROR = "server_error"  # HTTP 500
    UNAVAILABLE = "unavailable"  # HTTP 503 with an HTML page
    GARBAGE = "garbage"  # HTTP 200, not JSON (nor a number)
    TIMEOUT = "timeout"  # never answers (until the server stops)


@dataclass
class NetworkState:
    """What the simulated network looks like; change it freely in a test."""

    height: int = DEFAULT_HEIGHT
    difficulty: Decimal = DEFAULT_DIFFICULTY
    subsidy_sat: int = DEFAULT_SUBSIDY_SAT
    fees_sat: int = DEFAULT_FEES_SAT  # per block
    prices: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    difficulty_change: float = 1.25  # % at the next retarget

    @property
    def hashrate(self) -> Decimal:
        """The network hashrate (H/s) that finds a block every 10 minutes."""
        return self.difficulty * HASHES_PER_DIFFICULTY / TARGET_BLOCK_SECONDS


class MempoolServer(MockHttpServer[Fault]):
    """The mock API on a real TCP port; its root is :attr:`url` (``…/api``)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        block_interval: float | None = TARGET_BLOCK_SECONDS,
        retry_after: int = 60,
    ) -> None:
        """Find a block every ``block_interval`` seconds of ``clock`` (None: only by hand)."""
        super().__init__(Fault)
        self.clock = clock
        self.block_interval = block_interval
        self.retry_after = retry_after
        self.network = NetworkState()
        self.requests: list[str] = []
        self._started_at = clock()
        self._found_by_hand = 0

    # --- programmatic API ------------------------------------------------------------------

    @property
    def height(self) -> int:
        """The tip's height now."""
        found = 0
        if self.block_interval:
            found = int((self.clock() - self._started_at) // self.block_interval)
        return self.network.height + max(found, 0) + self._found_by_hand

    def mine_block(self) -> None:
        """Find a block now."""
        self._found_by_hand += 1

    def requests_to(self, path: str) -> int:
        """How many requests one path received."""
        return self.requests.count(path)

    @property
    def url(self) -> str:
        """The API root to give the client."""
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(TIP_PATH, self._tip)
        app.router.add_get(HASHRATE_PATH, self._hashrate)
        app.router.add_get(DIFFICULTY_PATH, self._difficulty)
        app.router.add_get(REWARD_STATS_PATH, self._reward_stats)
        app.router.add_get(PRICES_PATH, self._prices)
        app.middlewares.append(self._record_and_fault)
        return app

    # --- request pipeline ------------------------------------------------------------------

    @web.middleware
    async def _record_and_fault(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Any],
    ) -> web.StreamResponse:
        self.requests.append(request.path)
        if (fault := self._take_fault(request.path)) is not None:
            return await self._fault(fault)
        response: web.StreamResponse = await handler(request)
        return response

    async def _fault(self, fault: Fault) -> web.StreamResponse:
        match fault:
            case Fault.RATE_LIMIT:
                return web.Response(
                    status=429,
                    text="Too Many Requests",
                    headers={"Retry-After": str(self.retry_after)},
                )
            case Fault.SERVER_ERROR:
                return web.Response(status=500, text="Internal Server Error")
            case Fault.UNAVAILABLE:
                return web.Response(
                    status=503,
                    text="<html><body>503 Service Unavailable</body></html>",
                    content_type="text/html",
                )
            case Fault.GARBAGE:
                return web.Response(
                    status=200,
                    text="<html>maintenance</html>",
                    content_type="text/html",
                )
            case Fault.TIMEOUT:
                await self._hang()
                return web.Response(status=503, text="Server stopping")

    # --- endpoints -------------------------------------------------------------------------

    async def _tip(self, _request: web.Request) -> web.Response:
        return web.Response(text=str(self.height), content_type="text/plain")

    async def _hashrate(self, _request: web.Request) -> web.Response:
        network = self.network
        now = int(self.clock())
        day = 86400
        hashrates = [
            {
                "timestamp": now - now % day - back * day,
                "avgHashrate": float(network.hashrate),
            }
            for back in (2, 1, 0)
        ]
        return web.json_response(
            {
                "hashrates": hashrates,
                "difficulty": [
                    {
                        "timestamp": now - 7 * day,
                        "difficulty": float(network.difficulty),
                        "height": self._epoch_start(),
                    }
                ],
                "currentHashrate": float(network.hashrate),
                "currentDifficulty": float(network.difficulty),
            }
        )

    def _epoch_start(self) -> int:
        return self.height - self.height % EPOCH_BLOCKS

    async def _difficulty(self, _request: web.Request) -> web.Response:
        height = self.height
        in_epoch = height - self._epoch_start()
        remaining = EPOCH_BLOCKS - in_epoch
        remaining_ms = remaining * TARGET_BLOCK_SECONDS * 1000
        now_ms = int(self.clock() * 1000)
        return web.json_response(
            {
                "progressPercent": in_epoch / EPOCH_BLOCKS * 100,
                "difficultyChange": self.network.difficulty_change,
                "estimatedRetargetDate": now_ms + remaining_ms,
                "remainingBlocks": remaining,
                "remainingTime": remaining_ms,
                "previousRetarget": -0.5,
                "previousTime": int(self.clock()) - in_epoch * TARGET_BLOCK_SECONDS,
                "nextRetargetHeight": self._epoch_start() + EPOCH_BLOCKS,
                "timeAvg": TARGET_BLOCK_SECONDS * 1000,
                "adjustedTimeAvg": TARGET_BLOCK_SECONDS * 1000,
                "timeOffset": 0,
                "expectedBlocks": in_epoch,
            }
        )

    async def _reward_stats(self, request: web.Request) -> web.Response:
        text = request.match_info["blocks"]
        if not text.isdigit() or int(text) < 1:
            return web.json_response({"error": "Invalid block count"}, status=400)
        blocks = int(text)
        network = self.network
        end = self.height
        # Totals are strings in satoshi: mempool's MySQL sums.
        return web.json_response(
            {
                "startBlock": end - blocks + 1,
                "endBlock": end,
                "totalReward": str(blocks * (network.subsidy_sat + network.fees_sat)),
                "totalFee": str(blocks * network.fees_sat),
                "totalTx": str(blocks * 3500),
            }
        )

    async def _prices(self, _request: web.Request) -> web.Response:
        now = int(self.clock())
        return web.json_response({"time": now - now % 600, **self.network.prices})

    # --- expected figures (for tests) ------------------------------------------------------

    def expected_hashprice(self) -> Decimal:
        """BTC per TH/s per day the served figures mean (worked out independently)."""
        network = self.network
        reward = Decimal(network.subsidy_sat + network.fees_sat) / SATOSHI_PER_BTC
        hashes_per_day = Decimal(86400 * 10**12)
        return hashes_per_day / (network.difficulty * HASHES_PER_DIFFICULTY) * reward


# --- command line ------------------------------------------------------------------------------


def parse_fault(text: str) -> tuple[str | None, Fault, int | None]:
    """``FAULT[:COUNT][@/api/…]`` → (endpoint, fault, count); no count: forever."""
    return parse_fault_spec(text, Fault)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the server's options."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8182)
    parser.add_argument(
        "--fault",
        action="append",
        type=parse_fault,
        default=[],
        help="inject a failure: FAULT[:COUNT][@PATH], e.g. rate_limit:3@/api/v1/prices; "
        f"faults: {', '.join(item.value for item in Fault)}",
    )


async def serve(args: argparse.Namespace) -> None:
    """Run the mock until cancelled."""
    server = MempoolServer()
    for endpoint, fault, count in args.fault:
        server.inject(endpoint, fault, count)
    await server.start(args.host, args.port)
    print(  # noqa: T201  # the dispatcher's contract: one line when listening
        f"mempool.space mock listening on {server.url}", flush=True
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
