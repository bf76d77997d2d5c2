"""The demo behind scripts/develop: a small mixed fleet and both pool mocks in one process.

python -m simulator demo              # serve until Ctrl-C or SIGTERM
python -m simulator demo --state FILE # keep settings and paid rewards in FILE
python -m simulator demo --describe   # print what it serves, as JSON, and exit

By default: four miners on 127.0.10.1-4 (API v2 and v3 alternating, four models, named
miner-01 to miner-04, factory passwords), the WhitePool mock on 127.0.0.1:8180 with the
account ``hashwatt_demo`` whose workers are these miners, the WebMinePool mock on
127.0.0.1:8181, the mempool.space mock (the Bitcoin network) on 127.0.0.1:8182, and the
demo phone's push service on 127.0.0.1:8183. All of it runs on the real clock: the pool's
rewards grow day by day, and
whatever happens to a miner (mining switched off from Home Assistant, a reboot) shows in
its pool worker within seconds, as it would on the real pool.

With ``--state`` (scripts/develop keeps it in config/) what was changed from Home
Assistant survives a restart of the demo: each miner's settings (power limit, power mode
and percent, mining on or off, ...) and the pool's paid rewards, which are history.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from aiohttp import web

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
DEFAULT_PUSH_PORT: Final = 8183
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
# The settings of a miner that --state keeps (MinerState fields, and their types).
KEPT_SETTINGS: Final[dict[str, type]] = {
    "power_limit": int,
    "power_mode": str,
    "power_percent": int,
    "power_percent_mode": str,
    "target_freq": int,
    "fast_boot": bool,
    "web_pools": bool,
    "temp_offset": int,
    "upfreq_speed": int,
    "poweroff_cool": bool,
    "fan_zero_speed": bool,
    "heat_mode": str,
    "autostart": bool,
}


class PhonePushService:
    """The push service of the demo's phone: prints what Home Assistant sends it.

    scripts/develop registers a phone with Home Assistant's mobile app integration
    whose push URL is this server, so the notification blueprint has a phone to
    notify in the demo; each notification shows in the demo's output.
    """

    def __init__(self) -> None:
        """Receive nothing yet."""
        self.received: list[dict[str, Any]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host``:``port``."""
        app = web.Application()
        app.router.add_post("/push", self._push)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _push(self, request: web.Request) -> web.Response:
        try:
            push = await request.json()
        except ValueError:
            return web.json_response({"message": "not JSON"}, status=400)
        if not isinstance(push, dict) or not isinstance(push.get("message"), str):
            return web.json_response({"message": "no message"}, status=400)
        self.received.append(push)
        title = f"{push['title']}: " if isinstance(push.get("title"), str) else ""
        sys.stdout.write(f"Demo phone notified: {title}{push['message']}\n")
        sys.stdout.flush()
        return web.json_response({}, status=201)


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
    push_port: int = DEFAULT_PUSH_PORT
    phone: PhonePushService = field(default_factory=PhonePushService)
    state_path: Path | None = None
    _saved: str = field(default="", repr=False)

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
        push_port: int = DEFAULT_PUSH_PORT,
    ) -> Demo:
        """Name the miners, point them at the pool, and give the pool their workers."""
        fleet = MinerFleet(miners, first_ip, api="mixed", seed=FLEET_SEED)
        # Only the fleet's account: no sample account of the mock's own.
        whitepool = WhitePoolServer(WHITEPOOL_API_KEY, WHITEPOOL_API_SECRET, seed=False)
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
            push_port,
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
            push_port=args.push_port,
        )

    def kept_state(self) -> dict[str, Any]:
        """What ``--state`` keeps: each miner's settings, and the pool's paid rewards."""
        return {
            "miners": {
                miner.state.mac: {
                    "mining": miner.state.mining,
                    **{key: getattr(miner.state, key) for key in KEPT_SETTINGS},
                }
                for miner in self.fleet
            },
            "whitepool_paid_rewards": {
                name: {str(day): reward for day, reward in account.paid_rewards.items()}
                for name, account in self.whitepool.accounts.items()
            },
        }

    def restore(self, path: Path) -> None:
        """Take back what :meth:`save` kept in ``path``, then keep saving there.

        A missing or unreadable file restores nothing; settings of miners the demo
        no longer has, and values of the wrong type, are left out.
        """
        self.state_path = path
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except OSError, ValueError:
            return
        if not isinstance(kept, dict):
            return
        by_mac = {miner.state.mac: miner for miner in self.fleet}
        for mac, settings in (kept.get("miners") or {}).items():
            if (miner := by_mac.get(mac)) is None or not isinstance(settings, dict):
                continue
            for key, kind in KEPT_SETTINGS.items():
                if type(value := settings.get(key)) is kind:
                    setattr(miner.state, key, value)
            if settings.get("mining") is False:
                miner.set_mining(miner.clock(), mining=False)
        for name, rewards in (kept.get("whitepool_paid_rewards") or {}).items():
            if (account := self.whitepool.accounts.get(name)) is not None:
                account.paid_rewards.update(
                    {int(day): reward for day, reward in rewards.items()}
                )
        self._saved = json.dumps(self.kept_state(), sort_keys=True)

    def save(self) -> None:
        """Write what ``--state`` keeps, if it changed (atomically: no half file)."""
        if self.state_path is None:
            return
        text = json.dumps(self.kept_state(), sort_keys=True)
        if text == self._saved:
            return
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(text + "\n", encoding="utf-8")
        temporary.replace(self.state_path)
        self._saved = text

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
            "phone": {"push_url": f"http://{self.pool_host}:{self.push_port}/push"},
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
        self.whitepool.sample()
        self.save()
        # Tests read these logs; the demo runs for days and never does.
        self.whitepool.requests.clear()
        self.webminepool.calls.clear()
        if self.mempool is not None:
            self.mempool.requests.clear()
        for miner in self.fleet:
            miner.requests.clear()

    async def start(self) -> None:
        """Start the pools, the mempool mock, the phone's push service, then the fleet.

        Whatever started is stopped again if one fails.
        """
        started: list[Callable[[], Awaitable[None]]] = []
        try:
            await self.whitepool.start(self.pool_host, self.whitepool_port)
            started.append(self.whitepool.stop)
            await self.webminepool.start(self.pool_host, self.webminepool_port)
            started.append(self.webminepool.stop)
            if self.mempool is not None:
                await self.mempool.start(self.pool_host, self.mempool_port)
                started.append(self.mempool.stop)
            await self.phone.start(self.pool_host, self.push_port)
            self.push_port = self.phone.port  # port 0: the one it got
            started.append(self.phone.stop)
            await self.fleet.start()
        except BaseException:
            for stop in reversed(started):
                await stop()
            raise

    async def stop(self) -> None:
        """Stop everything (saving what ``--state`` keeps first)."""
        self.save()
        await self.fleet.stop()
        if self.mempool is not None:
            await self.mempool.stop()
        await self.phone.stop()
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
    parser.add_argument(
        "--push-port",
        type=int,
        default=DEFAULT_PUSH_PORT,
        help="the port of the demo phone's push service, on the pool host "
        f"(default {DEFAULT_PUSH_PORT})",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the demo's options."""
    add_fleet_arguments(parser)
    parser.add_argument(
        "--state",
        type=Path,
        help="keep the miners' settings and the paid rewards in this JSON file, "
        "across restarts",
    )
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
    lines.append(f"  Demo phone push   {description['phone']['push_url']}")
    return lines


async def serve(args: argparse.Namespace) -> None:
    """Serve the demo until SIGINT or SIGTERM (or print its description)."""
    demo = Demo.from_args(args)
    description = demo.describe()
    if args.state is not None and not args.describe:
        demo.restore(args.state)
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
