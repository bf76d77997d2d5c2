"""The demo behind scripts/develop: a small mixed fleet and both pool mocks in one process.

python -m simulator demo              # serve until Ctrl-C or SIGTERM
python -m simulator demo --describe   # print what it serves, as JSON, and exit

By default: four miners on 127.0.10.1-4 (API v2 and v3 alternating, four models, named
miner-01 to miner-04, factory passwords), the WhitePool mock on 127.0.0.1:8180 with the
account ``hashwatt_demo`` whose workers are these miners, the WebMinePool mock on
127.0.0.1:8181, and the mempool.space mock (the Bitcoin network) on 127.0.0.1:8182. All of it runs on the real clock: the pool's rewards grow day by day, and
whatever happens to a miner (mining switched off from Home Assistant, a reboot) shows in
its pool worker within seconds, as it would on the real pool.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from .mempool import MempoolServer
from .webminepool import WebMinePoolServer
from .whatsminer import MinerFleet, SimulatedMiner
from .whatsminer.miner import FACTORY_PASSWORD, V3_ACCOUNTS
from .whitepool import DAY, SimWorker, WhitePoolServer

DEFAULT_MINERS: Final = 4
DEFAULT_FIRST_IP: Final = "127.0.10.1"
DEFAULT_POOL_HOST: Final = "127.0.0.1"
DEFAULT_WHITEPOOL_PORT: Final = 8180
DEFAULT_WEBMINEPOOL_PORT: Final = 8181
DEFAULT_MEMPOOL_PORT: Final = 8182
# Fixes the fleet's MACs and models, so Home Assistant finds the same miners every run.
FLEET_SEED: Final = 7
WHITEPOOL_ACCOUNT: Final = "hashwatt_demo"
WHITEPOOL_API_KEY: Final = "demo-key"
WHITEPOOL_API_SECRET: Final = "demo-secret"
WEBMINEPOOL_SECRET_KEY: Final = "PK_demo0000000000000000001"
# How often pool workers follow their miners (and the mocks' request logs are dropped).
SYNC_SECONDS: Final = 10.0
# Visitors of the WebMinePool site, and about how many hashes each mines per sync.
WEB_MINERS: Final = {"alice": 2400, "bob": 700}


def miner_name(index: int) -> str:
    """Return the hostname of the demo's miner ``index`` (from 0)."""
    return f"miner-{index + 1:02d}"


def miner_password(miner: SimulatedMiner) -> str:
    """The factory password Home Assistant logs in with: admin (v2) or super (v3)."""
    return FACTORY_PASSWORD if miner.api == "v2" else V3_ACCOUNTS[0]


@dataclass(slots=True)
class Demo:
    """The fleet and the two pool servers, built but not started."""

    fleet: MinerFleet
    whitepool: WhitePoolServer
    webminepool: WebMinePoolServer
    pool_host: str
    whitepool_port: int
    webminepool_port: int
    # The Bitcoin network's figures (hashprice), finding a block every 10 minutes.
    mempool: MempoolServer | None = None
    mempool_port: int = DEFAULT_MEMPOOL_PORT

    @classmethod
    def build(  # noqa: PLR0913
        cls,
        miners: int = DEFAULT_MINERS,
        first_ip: str = DEFAULT_FIRST_IP,
        pool_host: str = DEFAULT_POOL_HOST,
        whitepool_port: int = DEFAULT_WHITEPOOL_PORT,
        webminepool_port: int = DEFAULT_WEBMINEPOOL_PORT,
        *,
        mempool_port: int = DEFAULT_MEMPOOL_PORT,
    ) -> Demo:
        """Name the miners, point them at the pool, and give the pool their workers."""
        fleet = MinerFleet(miners, first_ip, api="mixed", seed=FLEET_SEED)
        # seed=True keeps the mock's own account (my_miner_01) next to the fleet's.
        whitepool = WhitePoolServer(WHITEPOOL_API_KEY, WHITEPOOL_API_SECRET)
        workers: list[SimWorker] = []
        for index, miner in enumerate(fleet):
            name = miner_name(index)
            worker = f"{WHITEPOOL_ACCOUNT}.{name.replace('-', '_')}"
            miner.state.hostname = name
            # The first two pool slots are WhiteBIT's; the third is a backup pool.
            for pool in miner.state.pools[:2]:
                pool.worker = worker
            workers.append(SimWorker(worker))
        whitepool.add_account(
            WHITEPOOL_ACCOUNT, created_at=whitepool.clock() - 14 * DAY, workers=workers
        )
        webminepool = WebMinePoolServer(WEBMINEPOOL_SECRET_KEY)
        demo = cls(
            fleet,
            whitepool,
            webminepool,
            pool_host,
            whitepool_port,
            webminepool_port,
            MempoolServer(),
            mempool_port,
        )
        demo.sync()
        return demo

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Demo:
        """Build the demo the options of :func:`add_fleet_arguments` describe."""
        return cls.build(
            args.miners,
            args.first_ip,
            args.pool_host,
            args.whitepool_port,
            args.webminepool_port,
            mempool_port=args.mempool_port,
        )

    def describe(self) -> dict[str, Any]:
        """Everything Home Assistant needs to reach the demo (passwords included)."""
        return {
            "miners": [
                {
                    "name": miner.state.hostname,
                    "host": address,
                    "v2_port": self.fleet.v2_port,
                    "v3_port": self.fleet.v3_port,
                    "api": miner.api,
                    "mac": miner.state.mac,
                    "model": miner.model,
                    "password": miner_password(miner),
                }
                for miner, address in zip(self.fleet, self.fleet.addresses, strict=True)
            ],
            "whitepool": {
                "url": f"http://{self.pool_host}:{self.whitepool_port}",
                "api_key": self.whitepool.api_key,
                "api_secret": self.whitepool.api_secret,
                "account": WHITEPOOL_ACCOUNT,
                "accounts": [
                    {"name": account.name, "created_at": account.created_at}
                    for account in self.whitepool.accounts.values()
                ],
            },
            "webminepool": {
                "url": f"http://{self.pool_host}:{self.webminepool_port}/api/",
                "secret_key": self.webminepool.secret_key,
            },
            "mempool": {"url": f"http://{self.pool_host}:{self.mempool_port}/api"},
        }

    def sync(self) -> None:
        """Make the pool see what the miners do; let the web miners mine a little."""
        account = self.whitepool.accounts[WHITEPOOL_ACCOUNT]
        for miner, worker in zip(self.fleet, account.workers, strict=True):
            if miner.is_down():
                worker.status = "offline"
                continue
            reading = miner.reading()
            worker.status = "online" if reading.running else "offline"
            worker.hashrate = Decimal(f"{reading.hashrate_avg:.2f}") * 10**12
        for index, (user, hashes) in enumerate(WEB_MINERS.items()):
            # Not flat, not random: a visitor mines more in some minutes than in others.
            swing = 1 + 0.5 * ((int(self.webminepool.clock() / 60) + index) % 3 - 1)
            self.webminepool.mine(user, int(hashes * swing))
        # Tests read these logs; the demo runs for days and never does.
        self.whitepool.requests.clear()
        self.webminepool.calls.clear()
        if self.mempool is not None:
            self.mempool.requests.clear()
        for miner in self.fleet:
            miner.requests.clear()

    async def start(self) -> None:
        """Start the pools, then the fleet; stop whatever started if one fails."""
        await self.whitepool.start(self.pool_host, self.whitepool_port)
        try:
            await self.webminepool.start(self.pool_host, self.webminepool_port)
            try:
                if self.mempool is not None:
                    await self.mempool.start(self.pool_host, self.mempool_port)
                await self.fleet.start()
            except BaseException:
                if self.mempool is not None:
                    await self.mempool.stop()
                await self.webminepool.stop()
                raise
        except BaseException:
            await self.whitepool.stop()
            raise

    async def stop(self) -> None:
        """Stop everything."""
        await self.fleet.stop()
        if self.mempool is not None:
            await self.mempool.stop()
        await self.webminepool.stop()
        await self.whitepool.stop()


def _miner_count(text: str) -> int:
    count = int(text)
    if count < 1:
        msg = "the demo needs at least one miner"
        raise argparse.ArgumentTypeError(msg)
    return count


def add_fleet_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare where the demo serves (also used by scripts/develop_helper.py)."""
    parser.add_argument(
        "--miners",
        type=_miner_count,
        default=DEFAULT_MINERS,
        help=f"how many miners, API v2 and v3 alternating (default {DEFAULT_MINERS})",
    )
    parser.add_argument(
        "--first-ip",
        default=DEFAULT_FIRST_IP,
        help=f"the first miner's loopback address (default {DEFAULT_FIRST_IP})",
    )
    parser.add_argument(
        "--pool-host",
        default=DEFAULT_POOL_HOST,
        help=f"where the pool mocks listen (default {DEFAULT_POOL_HOST})",
    )
    parser.add_argument(
        "--whitepool-port",
        type=int,
        default=DEFAULT_WHITEPOOL_PORT,
        help=f"the WhitePool mock's port (default {DEFAULT_WHITEPOOL_PORT})",
    )
    parser.add_argument(
        "--webminepool-port",
        type=int,
        default=DEFAULT_WEBMINEPOOL_PORT,
        help=f"the WebMinePool mock's port (default {DEFAULT_WEBMINEPOOL_PORT})",
    )
    parser.add_argument(
        "--mempool-port",
        type=int,
        default=DEFAULT_MEMPOOL_PORT,
        help=f"the mempool.space mock's port (default {DEFAULT_MEMPOOL_PORT})",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the demo's options."""
    add_fleet_arguments(parser)
    parser.add_argument(
        "--describe",
        action="store_true",
        help="print the miners, pool URLs and credentials as JSON, and exit",
    )


def _summary(description: dict[str, Any]) -> Sequence[str]:
    lines = [
        f"  {miner['name']}  {miner['host']}  API {miner['api']}  {miner['model']}"
        f"  MAC {miner['mac']}  password {miner['password']}"
        for miner in description["miners"]
    ]
    whitepool, webminepool = description["whitepool"], description["webminepool"]
    lines.append(
        f"  WhitePool mock    {whitepool['url']}  account {whitepool['account']}"
    )
    lines.append(f"  WebMinePool mock  {webminepool['url']}")
    if "mempool" in description:
        lines.append(f"  mempool.space mock {description['mempool']['url']}")
    return lines


async def serve(args: argparse.Namespace) -> None:
    """Serve the demo until SIGINT or SIGTERM (or print its description)."""
    demo = Demo.from_args(args)
    description = demo.describe()
    if args.describe:
        sys.stdout.write(json.dumps(description, indent=2) + "\n")
        return
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    # scripts/develop runs the demo in the background, where SIGINT is ignored:
    # it stops the demo with SIGTERM, which should shut down as cleanly as Ctrl-C.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await demo.start()
    try:
        sys.stdout.write(
            "Simulated mine ready:\n" + "\n".join(_summary(description)) + "\n"
        )
        sys.stdout.flush()
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), SYNC_SECONDS)
            demo.sync()
    finally:
        await demo.stop()
