"""What scripts/soak does: a real Home Assistant, a simulated mine, faults, kill -9, restart.

    python scripts/soak_helper.py [--miners 40] [--minutes 20] [--after-minutes 6] ...

Runs in one process: the simulated mine of scripts/develop (``simulator.demo``: N
miners, API v2 and v3, both pool mocks, all on loopback) with the fault schedule
driven from here, and the real ``hass`` from .venv as a child process, prepared the
way scripts/develop prepares it (scripts/develop_helper.py, scripts/develop_hass.py),
with default polling and DEBUG logging for Hashwatt. It then:

1. lets the fleet settle, then injects faults, each on its own miner, one after
   another (refused, hung, slow, garbage, another miner at the address after an
   outage) and pool faults (WhitePool 429, 500 and bad signature; WebMinePool 500),
   timing from Home Assistant's own state changes how long until the affected
   entities were unavailable and until they recovered;
2. measures Home Assistant's RSS every minute and its event-loop lag (the round
   trip of a websocket ping, every second: an upper bound of the lag);
3. kills Home Assistant with SIGKILL, starts it again, and compares each energy
   sensor's first value after the restart with the last one it showed, and the
   recorder's statistics (no meter reset);
4. compares the entity and device registries before and after, and searches every
   file under the configuration folder (the database and logs included) and every
   entry's diagnostics for the passwords and API secrets;
5. writes the results into docs/reliability.md (its soak section) and the raw
   figures into .soak/results.json.

Everything it started is stopped at the end, on failure and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import aiohttp
import develop_helper  # scripts/, next to this file

from custom_components.hashwatt.const import DOMAIN
from simulator import demo as sim_demo
from simulator.webminepool import Fault as WebMinePoolFault
from simulator.whatsminer import Fault, SimulatedMiner
from simulator.whatsminer.hardware import MODELS
from simulator.whitepool import Fault as WhitePoolFault

ROOT: Final = Path(__file__).resolve().parent.parent
# Not under .cache: that folder may be shared between checkouts.
SOAK_DIR: Final = ROOT / ".soak"
RESULTS: Final = SOAK_DIR / "results.json"
# What Home Assistant needs here and .venv lacks (the frontend: without it Home
# Assistant starts in recovery mode), installed beside .venv, never into it.
SITE: Final = SOAK_DIR / "site"
DOCS: Final = ROOT / "docs" / "reliability.md"
SECTION_START: Final = "<!-- soak:start -->"
SECTION_END: Final = "<!-- soak:end -->"
USERNAME: Final = "soak"
LOGIN_PASSWORD: Final = "soak-login-not-a-secret"  # noqa: S105  # loopback only
# How long each fault is held, and how long recovery may take before it counts as none.
HOLD_SECONDS: Final = 75.0
RECOVERY_SECONDS: Final = 150.0
MIN_MINERS: Final = 6
# Short-term statistics are compiled every 5 minutes, about 10 s after the period.
STATISTICS_PERIOD: Final = timedelta(minutes=5)

CONFIGURATION: Final = """\
# Home Assistant configuration for scripts/soak (made on every run).
homeassistant:
  name: Hashwatt soak
  latitude: 52.37
  longitude: 4.9
  elevation: 0
  unit_system: metric
  currency: EUR
  country: NL
  time_zone: UTC
  packages: !include_dir_named packages

recorder:
history:
diagnostics:

logger:
  default: info
  logs:
    custom_components.hashwatt: debug
    haffmpeg: critical
    homeassistant.components.camera.img_util: critical
    aiohttp_fast_zlib: error
"""


def say(text: str) -> None:
    """Tell the user what is being done (scripts/develop's "==>" style)."""
    sys.stdout.write(f"==> {text}\n")
    sys.stdout.flush()


def _slug(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


# --- Home Assistant as a child process -------------------------------------------------


class HassProcess:
    """``hass`` run through scripts/develop_hass.py (the pools pointed at the mocks)."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        """Start Home Assistant; return its process ID."""
        env = {**os.environ, "PYTHONPATH": str(SITE)}
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603  # our own interpreter and script
                [
                    sys.executable,
                    str(ROOT / "scripts" / "develop_hass.py"),
                    str(self.config),
                    "--skip-pip",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # Ctrl-C in the terminal is ours to handle
            )
        return self.process.pid

    @property
    def pid(self) -> int:
        """The running process's ID."""
        assert self.process is not None  # noqa: S101  # started first
        return self.process.pid

    def running(self) -> bool:
        """Whether the process still runs."""
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing saved (a crash, a power cut)."""
        if self.running():
            assert self.process is not None  # noqa: S101
            self.process.kill()
            self.process.wait()

    def stop(self, timeout: float = 90) -> None:
        """Stop cleanly (SIGTERM), or kill it when it takes too long."""
        if not self.running():
            return
        assert self.process is not None  # noqa: S101
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def rss_mb(self) -> float | None:
        """Resident memory in MB, from /proc."""
        if not self.running():
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8")
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) / 1024 if match else None


# --- Talking to Home Assistant ----------------------------------------------------------


@dataclass(slots=True)
class StateEvent:
    """One state written, as the websocket reported it."""

    at: float  # time.time() when received
    entity_id: str
    state: str


class HassClient:
    """REST and websocket client of the running Home Assistant, logged in as the soak user."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = aiohttp.ClientSession()
        self.tokens: dict[str, Any] = {}
        self.events: list[StateEvent] = []
        self.lags_ms: list[float] = []
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def wait_until_up(self, hass: HassProcess, timeout: float = 600) -> float:
        """Log in once Home Assistant answers and runs; return how long it took."""
        started = time.monotonic()
        self.tokens = {}
        while time.monotonic() - started < timeout:
            if not hass.running():
                msg = f"Home Assistant exited; see {hass.log}"
                raise RuntimeError(msg)
            try:
                if not self.tokens:
                    self.tokens = await asyncio.to_thread(
                        develop_helper._log_in,  # noqa: SLF001  # the demo's own login
                        self.url,
                        USERNAME,
                        LOGIN_PASSWORD,
                    )
                config = await self.get("/api/config")
            except OSError, ValueError, aiohttp.ClientError:
                await asyncio.sleep(1)
                continue
            if config.get("recovery_mode"):
                msg = f"Home Assistant started in recovery mode; see {hass.log}"
                raise RuntimeError(msg)
            if config.get("state") == "RUNNING":
                return time.monotonic() - started
            await asyncio.sleep(1)
        msg = "Home Assistant did not start in time"
        raise RuntimeError(msg)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def get(self, path: str) -> Any:  # noqa: ANN401  # whatever JSON it answers
        """GET a REST path."""
        async with self.session.get(
            f"{self.url}{path}",
            headers=self._headers(),
            timeout=aiohttp.ClientTimeout(30),
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def refresh_token(self) -> None:
        """Get a new access token (they last 30 minutes)."""
        async with self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.tokens["refresh_token"],
                "client_id": f"{self.url}/",
            },
        ) as response:
            response.raise_for_status()
            self.tokens["access_token"] = (await response.json())["access_token"]

    async def connect(self) -> None:
        """Open the websocket, follow every state change, and ping every second."""
        ws_url = self.url.replace("http", "ws", 1) + "/api/websocket"
        self._ws = await self.session.ws_connect(ws_url, heartbeat=None, max_msg_size=0)
        await self._ws.receive_json()  # auth_required
        await self._ws.send_json(
            {"type": "auth", "access_token": self.tokens["access_token"]}
        )
        reply = await self._ws.receive_json()
        if reply.get("type") != "auth_ok":
            msg = f"websocket login refused: {reply}"
            raise RuntimeError(msg)
        self._tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self._ping()),
        ]
        await self.call({"type": "subscribe_events", "event_type": "state_changed"})

    async def disconnect(self) -> None:
        """Close the websocket (Home Assistant may be gone already)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        self._ws = None
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()

    async def close(self) -> None:
        """Close everything."""
        await self.disconnect()
        await self.session.close()

    async def call(self, message: dict[str, Any], timeout: float = 60) -> Any:  # noqa: ANN401
        """Send a websocket command; return its result."""
        assert self._ws is not None  # noqa: S101  # connected first
        message_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._ws.send_json({**message, "id": message_id})
        return await asyncio.wait_for(future, timeout)

    async def _read(self) -> None:
        assert self._ws is not None  # noqa: S101
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            for item in payload if isinstance(payload, list) else [payload]:
                self._dispatch(item)

    def _dispatch(self, item: dict[str, Any]) -> None:
        if item.get("type") == "event":
            data = item["event"]["data"]
            if (new_state := data.get("new_state")) is not None:
                self.events.append(
                    StateEvent(time.time(), data["entity_id"], new_state["state"])
                )
            return
        future = self._pending.pop(item.get("id", -1), None)
        if future is None or future.done():
            return
        if item.get("type") == "pong":
            future.set_result(None)
        elif item.get("success", True):
            future.set_result(item.get("result"))
        else:
            future.set_exception(RuntimeError(str(item.get("error"))))

    async def _ping(self) -> None:
        while True:
            started = time.perf_counter()
            with contextlib.suppress(TimeoutError):
                await self.call({"type": "ping"}, timeout=10)
                self.lags_ms.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(1)


# --- The mine ---------------------------------------------------------------------------


@dataclass(slots=True)
class MinerView:
    """One simulated miner and what Home Assistant made of it."""

    name: str
    miner: SimulatedMiner
    entry_id: str = ""
    entity_ids: list[str] = field(default_factory=list)

    @property
    def hashrate(self) -> str:
        """The hashrate sensor: what every fault's timing is read from."""
        return f"sensor.{_slug(self.name)}_hashrate"

    @property
    def energy(self) -> str:
        """The energy sensor."""
        return f"sensor.{_slug(self.name)}_energy"


def go_away(miner: SimulatedMiner) -> None:
    """The miner's API goes away: new connections refused, kept ones (API v3) reset.

    A kept connection can't outlive the device it leads to: another miner at the
    address only ever answers on a new one.
    """
    miner.inject(Fault.REFUSE)
    miner.inject(Fault.RESET)


def distinctive_secrets(demo: sim_demo.Demo, description: dict[str, Any]) -> list[str]:
    """Give every miner and pool a password nothing else contains; return them all.

    The factory passwords (admin, super) are words found everywhere: a search for
    them would find nothing meaningful.
    """
    found: list[str] = []
    for miner, described in zip(demo.fleet, description["miners"], strict=True):
        password = f"soakPw{secrets.token_hex(6)}"
        if miner.api == "v2":
            miner.change_admin_password(password)
        else:
            miner.state.accounts = dict.fromkeys(miner.state.accounts, password)
        described["password"] = password
        found.append(password)
    api_secret = f"soakSecret{secrets.token_hex(8)}"
    secret_key = f"PK_soak{secrets.token_hex(8)}"
    demo.whitepool.api_secret = api_secret
    demo.webminepool.secret_key = secret_key
    description["whitepool"]["api_secret"] = api_secret
    description["webminepool"]["secret_key"] = secret_key
    found += [api_secret, secret_key]
    return found


def install_requirements() -> None:
    """Install what this configuration needs and .venv lacks into .soak/site."""
    if not (missing := develop_helper.missing_requirements()):
        return
    say(f"Installing into {SITE.relative_to(ROOT)}: {' '.join(sorted(missing))}")
    constraints = Path(develop_helper.homeassistant.__file__).parent / (
        "package_constraints.txt"
    )
    subprocess.run(  # noqa: S603  # uv, as scripts/develop_helper.py runs it
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            sys.executable,
            "--target",
            str(SITE),
            "--no-deps",
            "--constraint",
            str(constraints),
            *sorted(missing),
        ],
        check=True,
        env={**os.environ, "UV_LINK_MODE": "copy"},
    )


def prepare(config: Path, port: int, description: dict[str, Any]) -> None:
    """Write a fresh configuration with the Hashwatt entries, as scripts/develop does."""
    if config.exists():
        subprocess.run(["rm", "-rf", "--", str(config)], check=True)  # noqa: S603, S607
    config.mkdir(parents=True)
    (config / "configuration.yaml").write_text(CONFIGURATION, encoding="utf-8")
    develop_helper.write_files(config, description)
    storage = config / ".storage"
    # Default polling (the demo polls every 10 s to look alive).
    wanted = [
        dataclasses.replace(entry, options={})
        for entry in develop_helper.miner_entries(description)
    ] + develop_helper.pool_entries(description)
    develop_helper.update_entries(storage, wanted)
    develop_helper.listen_locally(storage)
    http = json.loads((storage / "http").read_text(encoding="utf-8"))
    http["data"]["stable"]["server_port"] = port
    (storage / "http").write_text(json.dumps(http, indent=2), encoding="utf-8")
    develop_helper.mark_onboarded(storage)
    develop_helper.add_user(config, USERNAME, LOGIN_PASSWORD)


# --- Faults ----------------------------------------------------------------------------


@dataclass(slots=True)
class FaultResult:
    """What one fault did, as Home Assistant's state changes showed it."""

    name: str
    target: str
    injected_at: float
    cleared_at: float = 0.0
    unavailable_after: float | None = None  # seconds after injection
    recovered_after: float | None = None  # seconds after clearing
    foreign_states: int | None = None  # states with another miner's figures
    note: str = ""


class FaultRunner:
    """Injects faults into the simulated mine and reads their effect from the events."""

    def __init__(self, client: HassClient, demo: sim_demo.Demo) -> None:
        self.client = client
        self.demo = demo
        self.results: list[FaultResult] = []

    def _first(
        self, entity_ids: set[str], since: float, match: Callable[[str], bool]
    ) -> float | None:
        for event in self.client.events:
            if (
                event.at >= since
                and event.entity_id in entity_ids
                and match(event.state)
            ):
                return event.at
        return None

    async def _wait_for(
        self,
        entity_ids: set[str],
        since: float,
        match: Callable[[str], bool],
        timeout: float,
    ) -> float | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if (at := self._first(entity_ids, since, match)) is not None:
                return at - since
            await asyncio.sleep(0.5)
        return None

    async def miner_fault(
        self, view: MinerView, name: str, inject: Callable[[], None]
    ) -> None:
        """Hold a fault on one miner, then clear it; time both transitions."""
        watched = {view.hashrate}
        result = FaultResult(name, view.name, time.time())
        inject()
        result.unavailable_after = await self._wait_for(
            watched,
            result.injected_at,
            lambda state: state == "unavailable",
            HOLD_SECONDS,
        )
        remaining = HOLD_SECONDS - (time.time() - result.injected_at)
        await asyncio.sleep(max(0.0, remaining))
        view.miner.clear_faults()
        result.cleared_at = time.time()
        if result.unavailable_after is not None:
            result.recovered_after = await self._wait_for(
                watched,
                result.cleared_at,
                lambda state: state not in {"unavailable", "unknown"},
                RECOVERY_SECONDS,
            )
        self.results.append(result)
        say(f"  {name} on {view.name}: {describe_fault(result)}")

    async def another_miner(self, view: MinerView) -> None:
        """After an outage, another miner (other MAC, other model) answers at the address.

        Every state the entry's entities were written with meanwhile is checked: none
        may be anything but unavailable until this miner is back.
        """
        miner = view.miner
        own = (miner.state.mac, miner.state.model)
        other_model = next(
            model for key, model in MODELS.items() if model != own[1] and key != "M50"
        )
        result = FaultResult("another miner after an outage", view.name, time.time())
        go_away(miner)
        await asyncio.sleep(40)
        miner.state.mac = "C6:07:20:5A:0A:" + f"{secrets.randbelow(256):02X}"
        miner.state.model = other_model
        swapped_at = time.time()
        miner.clear_faults()
        result.unavailable_after = await self._wait_for(
            {view.hashrate},
            result.injected_at,
            lambda state: state == "unavailable",
            HOLD_SECONDS,
        )
        await asyncio.sleep(HOLD_SECONDS)
        # This miner comes back the same way: after an outage.
        go_away(miner)
        await asyncio.sleep(40)
        miner.state.mac, miner.state.model = own
        restored_at = time.time()
        miner.clear_faults()
        result.cleared_at = restored_at
        ours = set(view.entity_ids)
        result.foreign_states = sum(
            1
            for event in self.client.events
            if swapped_at <= event.at <= restored_at
            and event.entity_id in ours
            and event.state != "unavailable"
        )
        result.recovered_after = await self._wait_for(
            {view.hashrate},
            restored_at,
            lambda state: state not in {"unavailable", "unknown"},
            RECOVERY_SECONDS,
        )
        self.results.append(result)
        say(f"  another miner at {view.name}: {describe_fault(result)}")

    async def pool_fault(
        self,
        name: str,
        inject: Callable[[], None],
        consumed: Callable[[], bool],
        entity_ids: set[str],
        timeout: float,
    ) -> None:
        """Answer one pool request with a fault; time the effect on the entry's entities."""
        result = FaultResult(name, "pool", time.time())
        inject()
        deadline = time.time() + timeout
        while time.time() < deadline and not consumed():  # noqa: ASYNC110  # the mock's state
            await asyncio.sleep(1)
        if not consumed():
            result.note = "no poll reached the pool during the run"
            self.results.append(result)
            say(f"  {name}: {result.note}")
            return
        result.cleared_at = time.time()
        result.unavailable_after = await self._wait_for(
            entity_ids, result.injected_at, lambda state: state == "unavailable", 20
        )
        if result.unavailable_after is None:
            result.note = "stayed available (the next poll is the retry)"
        else:
            result.recovered_after = await self._wait_for(
                entity_ids,
                result.cleared_at,
                lambda state: state not in {"unavailable", "unknown"},
                max(0.0, deadline - time.time()),
            )
        self.results.append(result)
        say(f"  {name}: {describe_fault(result)}")


def describe_fault(result: FaultResult) -> str:
    """One line of what a fault did."""
    parts = []
    if result.unavailable_after is None:
        parts.append("never unavailable")
    else:
        parts.append(f"unavailable after {result.unavailable_after:.1f} s")
    if result.recovered_after is not None:
        parts.append(f"recovered {result.recovered_after:.1f} s after it cleared")
    elif result.unavailable_after is not None:
        parts.append("no recovery seen in the run")
    if result.foreign_states is not None:
        parts.append(f"states with the other miner's figures: {result.foreign_states}")
    if result.note:
        parts.append(result.note)
    return "; ".join(parts)


# --- Measurements -----------------------------------------------------------------------


async def registry_counts(client: HassClient) -> dict[str, int]:
    """Hashwatt's entities and devices as the registries list them."""
    entries = await client.call({"type": "config_entries/get", "domain": DOMAIN})
    ids = {entry["entry_id"] for entry in entries}
    entities = await client.call({"type": "config/entity_registry/list"})
    devices = await client.call({"type": "config/device_registry/list"})
    return {
        "entries": len(ids),
        "entities": sum(1 for entity in entities if entity["config_entry_id"] in ids),
        "devices": sum(1 for device in devices if set(device["config_entries"]) & ids),
    }


async def map_miners(client: HassClient, views: list[MinerView]) -> None:
    """Find each miner's entry and entities."""
    entries = await client.call({"type": "config_entries/get", "domain": DOMAIN})
    by_title = {entry["title"]: entry["entry_id"] for entry in entries}
    entities = await client.call({"type": "config/entity_registry/list"})
    for view in views:
        view.entry_id = by_title.get(view.name, "")
        view.entity_ids = [
            entity["entity_id"]
            for entity in entities
            if entity["config_entry_id"] == view.entry_id
        ]


async def energies(
    client: HassClient, entity_ids: list[str]
) -> dict[str, float | None]:
    """The energy sensors' states now."""
    states = {
        state["entity_id"]: state["state"] for state in await client.get("/api/states")
    }
    values: dict[str, float | None] = {}
    for entity_id in entity_ids:
        try:
            values[entity_id] = float(states.get(entity_id, ""))
        except ValueError:
            values[entity_id] = None
    return values


def last_shown(events: list[StateEvent], entity_ids: list[str]) -> dict[str, float]:
    """The last number each sensor showed, from every state change seen."""
    shown: dict[str, float] = {}
    for event in events:
        if event.entity_id in entity_ids:
            with contextlib.suppress(ValueError):
                shown[event.entity_id] = float(event.state)
    return shown


async def statistics_resets(
    client: HassClient, entity_ids: list[str], start: datetime
) -> dict[str, Any]:
    """Short-term statistics of the energy sensors: a reset shows as sum ≠ state growth."""
    result = await client.call(
        {
            "type": "recorder/statistics_during_period",
            "start_time": start.isoformat(),
            "statistic_ids": entity_ids,
            "period": "5minute",
            "types": ["state", "sum"],
        }
    )
    resets: list[str] = []
    periods = 0
    for statistic_id, rows in result.items():
        for before, after in itertools.pairwise(rows):
            periods += 1
            grew = after["state"] - before["state"]
            summed = after["sum"] - before["sum"]
            if grew < -1e-9 or abs(summed - grew) > 1e-6:
                resets.append(
                    f"{statistic_id}: state {before['state']:.4f} -> {after['state']:.4f},"
                    f" sum +{summed:.4f}"
                )
    return {"compared_periods": periods, "resets": resets, "sensors": len(result)}


def find_secrets(config: Path, wanted: list[str]) -> dict[str, Any]:
    """Search every file under the configuration folder for the secrets.

    The config entries are where Home Assistant keeps credentials, and the demo's
    description is what this script wrote: both are skipped (and said so).
    """
    skipped = {
        config / ".storage" / "core.config_entries",
        config / develop_helper.DEMO_FILE,
    }
    needles = [secret.encode() for secret in wanted]
    found: list[str] = []
    files = 0
    size = 0
    for path in sorted(config.rglob("*")):
        if path.is_symlink() or not path.is_file() or path in skipped:
            continue
        data = path.read_bytes()
        files += 1
        size += len(data)
        found.extend(
            f"{path.relative_to(config)}" for needle in needles if needle in data
        )
    return {
        "files": files,
        "bytes": size,
        "found": found,
        "skipped": sorted(str(path.relative_to(config)) for path in skipped),
    }


async def diagnostics_secrets(client: HassClient, wanted: list[str]) -> dict[str, Any]:
    """Download every Hashwatt entry's diagnostics and search them for the secrets."""
    entries = await client.call({"type": "config_entries/get", "domain": DOMAIN})
    found: list[str] = []
    for entry in entries:
        text = json.dumps(
            await client.get(f"/api/diagnostics/config_entry/{entry['entry_id']}")
        )
        found.extend(entry["title"] for secret in wanted if secret in text)
    return {"entries": len(entries), "found": found}


def count_in_log(log: Path, pattern: str) -> int:
    """How many lines of Home Assistant's log match."""
    if not log.exists():
        return 0
    regex = re.compile(pattern)
    with log.open(encoding="utf-8", errors="replace") as lines:
        return sum(1 for line in lines if regex.search(line))


# --- The run ----------------------------------------------------------------------------


async def soak(args: argparse.Namespace) -> dict[str, Any]:  # noqa: PLR0915  # one story
    """Run the whole soak; return the results."""
    url = f"http://127.0.0.1:{args.port}"
    config: Path = args.config.resolve()
    demo = sim_demo.Demo.build(
        args.miners,
        args.first_ip,
        args.pool_host,
        args.whitepool_port,
        args.webminepool_port,
    )
    description = demo.describe()
    wanted_secrets = distinctive_secrets(demo, description)
    install_requirements()
    say(f"Preparing {config} ({args.miners} miners, both pools)")
    prepare(config, args.port, description)
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "miners": args.miners,
        "apis": sorted({miner["api"] for miner in description["miners"]}),
        "fault_minutes": args.minutes,
    }
    hass = HassProcess(config, config / "hass-output.log")
    client = HassClient(url)
    views = [
        MinerView(miner["name"], sim)
        for miner, sim in zip(description["miners"], demo.fleet, strict=True)
    ]
    rss: list[tuple[float, float]] = []
    started_at = run_start = time.time()

    async def sync_mine() -> None:
        while True:
            await asyncio.sleep(sim_demo.SYNC_SECONDS)
            demo.sync()

    async def sample_rss() -> None:
        while True:
            if (value := hass.rss_mb()) is not None:
                rss.append(((time.time() - started_at) / 60, value))
            await asyncio.sleep(60)

    await demo.start()
    background = [asyncio.create_task(sync_mine())]
    try:
        say("Starting Home Assistant")
        hass.start()
        results["startup_seconds"] = round(await client.wait_until_up(hass), 1)
        rss_task = asyncio.create_task(sample_rss())
        background.append(rss_task)
        await client.connect()
        await map_miners(client, views)
        say(
            f"Home Assistant is up ({results['startup_seconds']} s); letting the fleet settle"
        )
        await asyncio.sleep(args.settle)
        results["registry_before"] = await registry_counts(client)

        say(f"Faults for about {args.minutes} minutes")
        runner = FaultRunner(client, demo)
        await run_faults(runner, views, client, args.minutes)
        results["faults"] = [dataclasses.asdict(result) for result in runner.results]
        # Let every miner answer again before the crash.
        await asyncio.sleep(35)

        energy_ids = [view.energy for view in views]
        results["registry_before_crash"] = await registry_counts(client)
        await client.refresh_token()
        results["lag_ms_before_crash"] = _lag_summary(client.lags_ms)
        await asyncio.sleep(secrets.randbelow(30))  # a crash comes when it comes
        shown = last_shown(client.events, energy_ids)
        crash_at = time.time()
        say("kill -9 Home Assistant")
        hass.kill()
        rss_task.cancel()
        await client.disconnect()
        results["rss_mb_before_crash"] = [(round(m, 1), round(v, 1)) for m, v in rss]
        rss.clear()
        events_before = len(client.events)
        client.events.clear()  # what came before is measured; keep memory flat

        say("Starting Home Assistant again")
        hass.start()
        results["restart_seconds"] = round(await client.wait_until_up(hass), 1)
        started_at = time.time()
        background.append(asyncio.create_task(sample_rss()))
        await client.connect()
        # Two fast polls: every miner has answered and its energy has been written.
        await asyncio.sleep(70)
        after = await energies(client, energy_ids)
        first_after = await first_recorded(client, energy_ids, crash_at)
        results["energy"] = compare_energy(shown, first_after, after)
        results["events_before_crash"] = events_before
        results["registry_after"] = await registry_counts(client)
        # Wait for short-term statistics compiled after the restart.
        now = datetime.now(UTC)
        next_period = (
            now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
            + STATISTICS_PERIOD
        )
        wait = (next_period - now).total_seconds() + 25
        say(f"Waiting {wait:.0f} s for the statistics compiled after the restart")
        await asyncio.sleep(wait)
        stats_start = datetime.fromtimestamp(run_start, UTC)
        results["statistics"] = await statistics_resets(client, energy_ids, stats_start)
        results["new_cycles_logged"] = count_in_log(
            hass.log, r"Detected new cycle for sensor\.miner_"
        )
        results["recorder_continuations_logged"] = count_in_log(
            hass.log, r"continues from the recorder's last total"
        )
        results["rss_mb_after_restart"] = [(round(m, 1), round(v, 1)) for m, v in rss]
        results["lag_ms"] = _lag_summary(client.lags_ms)
        results["secrets_in_diagnostics"] = await diagnostics_secrets(
            client, wanted_secrets
        )
        results["log_errors"] = count_in_log(hass.log, r"^\S+ \S+ ERROR ")
        # The coordinators' one line when a poll fails (HA logs it as an error).
        results["log_poll_failures"] = count_in_log(
            hass.log, r"ERROR .*\[custom_components\.hashwatt\] Error fetching "
        )
        # What no fault should ever cause: an exception escaping into Home Assistant.
        results["log_unexpected"] = count_in_log(
            hass.log,
            r"Unexpected error fetching|Error doing job|Exception in |"
            r"Task exception was never retrieved|Error while setting up hashwatt",
        )
    finally:
        say("Stopping Home Assistant and the simulated mine")
        with contextlib.suppress(Exception):
            await client.close()
        hass.stop()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await demo.stop()
    results["secrets_in_files"] = find_secrets(config, wanted_secrets)
    results["secrets_searched"] = len(wanted_secrets)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


async def first_recorded(
    client: HassClient, entity_ids: list[str], since: float
) -> dict[str, float]:
    """The first number each sensor showed after ``since``, as the recorder has it.

    The first state after a restart is written before Home Assistant runs, so
    before the websocket can listen again: the recorder keeps it.
    """
    history = await client.call(
        {
            "type": "history/history_during_period",
            "start_time": datetime.fromtimestamp(since, UTC).isoformat(),
            "entity_ids": entity_ids,
            "include_start_time_state": False,
            "significant_changes_only": False,
            "minimal_response": True,
            "no_attributes": True,
        }
    )
    first: dict[str, float] = {}
    for entity_id, states in history.items():
        for state in states:
            with contextlib.suppress(ValueError):
                first[entity_id] = float(state["s"])
                break
    return first


def compare_energy(
    shown: dict[str, float],
    first_after: dict[str, float],
    after: dict[str, float | None],
) -> dict[str, Any]:
    """Each energy sensor: last shown before the crash, first and current after it."""
    rows = []
    for entity_id, before in sorted(shown.items()):
        first = first_after.get(entity_id)
        rows.append(
            {
                "entity_id": entity_id,
                "last_shown": before,
                "first_after": first,
                "now": after.get(entity_id),
                "held": first is not None and first >= before - 1e-9,
            }
        )
    return {
        "sensors": len(rows),
        "held": sum(1 for row in rows if row["held"]),
        "largest_shortfall_kwh": max(
            (
                row["last_shown"] - row["first_after"]
                for row in rows
                if row["first_after"] is not None
            ),
            default=0.0,
        ),
        "fleet_last_shown": round(sum(shown.values()), 4),
        "fleet_first_after": round(sum(row["first_after"] or 0.0 for row in rows), 4),
        "rows": rows,
    }


def _lag_summary(lags: list[float]) -> dict[str, float]:
    if not lags:
        return {}
    ordered = sorted(lags)
    return {
        "samples": len(ordered),
        "median": round(statistics.median(ordered), 2),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max": round(ordered[-1], 2),
    }


async def run_faults(
    runner: FaultRunner, views: list[MinerView], client: HassClient, minutes: float
) -> None:
    """Rounds of faults, each on the next miner, until the time is up.

    The first miner is never touched: a healthy one to compare with.
    """
    whitepool, webminepool = runner.demo.whitepool, runner.demo.webminepool
    entities = await client.call({"type": "config/entity_registry/list"})
    entries = await client.call({"type": "config_entries/get", "domain": DOMAIN})
    pool_entities: dict[str, set[str]] = {}
    for entry in entries:
        if entry["title"].startswith(("WhiteBIT", "WebMinePool")):
            key = (
                "whitepool" if entry["title"].startswith("WhiteBIT") else "webminepool"
            )
            pool_entities[key] = {
                entity["entity_id"]
                for entity in entities
                if entity["config_entry_id"] == entry["entry_id"]
            }
    miner_faults: list[tuple[str, Callable[[SimulatedMiner], None]]] = [
        ("connection refused", go_away),
        ("hang (no reply)", lambda miner: miner.inject(Fault.HANG)),
        ("slow replies (4 s)", lambda miner: miner.inject(Fault.SLOW, delay=4)),
        ("slow replies (15 s)", lambda miner: miner.inject(Fault.SLOW, delay=15)),
        ("garbage replies", lambda miner: miner.inject(Fault.GARBAGE)),
    ]
    pool_faults = [
        ("WhitePool 429", lambda: whitepool.inject(None, WhitePoolFault.RATE_LIMIT)),
        ("WhitePool 500", lambda: whitepool.inject(None, WhitePoolFault.SERVER_ERROR)),
        (
            "WhitePool bad signature",
            lambda: whitepool.inject(None, WhitePoolFault.AUTH_SIGNATURE),
        ),
    ]
    deadline = time.time() + minutes * 60
    targets = views[1:] or views
    turn = 0

    async def pools() -> None:
        index = 0
        while time.time() < deadline:
            name, inject = pool_faults[index % len(pool_faults)]
            await runner.pool_fault(
                name,
                inject,
                lambda: not whitepool._faults,  # noqa: SLF001  # the mock's own list
                pool_entities.get("whitepool", set()),
                max(1.0, deadline - time.time()),
            )
            index += 1
        whitepool.clear_faults()

    async def webminepool_faults() -> None:
        await runner.pool_fault(
            "WebMinePool 500",
            lambda: webminepool.inject(None, WebMinePoolFault.HTTP_500),
            lambda: not webminepool._faults,  # noqa: SLF001  # the mock's own list
            pool_entities.get("webminepool", set()),
            max(1.0, deadline - time.time()),
        )
        webminepool.clear_faults()

    pool_tasks = [
        asyncio.create_task(pools()),
        asyncio.create_task(webminepool_faults()),
    ]
    # Miner faults run three at a time, on different miners.
    while time.time() < deadline:
        batch = []
        for _ in range(3):
            kinds = len(miner_faults) + 1
            view = targets[turn % len(targets)]
            # The order of faults moves on by one each round: every fault meets
            # API v2 and v3 miners in turn (they alternate).
            step = (turn + turn // kinds) % kinds
            if step == len(miner_faults):
                batch.append(runner.another_miner(view))
            else:
                name, inject = miner_faults[step]
                batch.append(
                    runner.miner_fault(view, name, lambda m=view.miner, f=inject: f(m))
                )
            turn += 1
        await asyncio.gather(*batch)
    await asyncio.gather(*pool_tasks)


# --- The report ------------------------------------------------------------------------


def render(results: dict[str, Any]) -> str:
    """The soak section of docs/reliability.md."""
    energy = results.get("energy", {})
    stats = results.get("statistics", {})
    before = results.get("registry_before_crash", {})
    after = results.get("registry_after", {})
    lag = results.get("lag_ms", {})
    lag_before = results.get("lag_ms_before_crash", {})
    rss_before = results.get("rss_mb_before_crash", [])
    rss_after = results.get("rss_mb_after_restart", [])
    files = results.get("secrets_in_files", {})
    diagnostics = results.get("secrets_in_diagnostics", {})
    faults = results.get("faults", [])
    foreign = sum(fault.get("foreign_states") or 0 for fault in faults)
    lines = [
        SECTION_START,
        "## Soak: a real Home Assistant, faults, kill -9",
        "",
        "<!-- Written by scripts/soak; scripts/reliability keeps this section. -->",
        "",
        (
            f"Run of {results['started']} to {results['finished']}: `scripts/soak "
            f"--miners {results['miners']} --minutes {results['fault_minutes']:g}`. A real "
            "Home Assistant (2026.10.4, from .venv) with "
            f"{results['miners']} simulated miners (API {' and '.join(results['apis'])}) "
            "and both pool mocks on loopback, default polling, DEBUG logging for Hashwatt; "
            "faults injected through the simulator; then `kill -9` and a restart. Every "
            "figure below was measured in that run."
        ),
        "",
        "| What | Result |",
        "|---|---|",
        (
            f"| Energy after kill -9 | {energy.get('held', 0)} of {energy.get('sensors', 0)} "
            "sensors at or above the last value they showed; fleet "
            f"{energy.get('fleet_last_shown', 0):.4f} kWh before, "
            f"{energy.get('fleet_first_after', 0):.4f} kWh at restart; largest shortfall "
            f"{max(0.0, energy.get('largest_shortfall_kwh', 0.0)):.4f} kWh |"
        ),
        (
            f"| Meter resets in statistics | {len(stats.get('resets', []))} "
            f"(consecutive five-minute statistics compared: "
            f"{stats.get('compared_periods', 0)} pairs over {stats.get('sensors', 0)} "
            "sensors, the crash included; Home Assistant logged "
            f"{results.get('new_cycles_logged', 0)} new cycles) |"
        ),
        (
            f"| Energy taken from the recorder at restart | "
            f"{results.get('recorder_continuations_logged', 0)} sensors (restore data "
            "older than the recorder) |"
        ),
        f"| States with another miner's figures | {foreign} |",
        (
            f"| Registries (entries / entities / devices) | before "
            f"{before.get('entries')} / {before.get('entities')} / {before.get('devices')}, "
            f"after {after.get('entries')} / {after.get('entities')} / "
            f"{after.get('devices')} |"
        ),
        (
            f"| Secrets found | {len(files.get('found', []))} in {files.get('files', 0)} "
            f"files ({files.get('bytes', 0) / 1e6:.1f} MB: logs, database, storage), "
            f"{len(diagnostics.get('found', []))} in the diagnostics of "
            f"{diagnostics.get('entries', 0)} entries; {results.get('secrets_searched')} "
            "secrets searched (the config entries, where Home Assistant keeps them, "
            "skipped) |"
        ),
        (
            f"| RSS per minute (MB) | before the crash: "
            f"{', '.join(f'{value:.0f}' for _, value in rss_before)}; after the restart: "
            f"{', '.join(f'{value:.0f}' for _, value in rss_after)} |"
        ),
        (
            f"| Event-loop lag (websocket ping round trip) | median "
            f"{lag_before.get('median')} ms, p99 {lag_before.get('p99')} ms, max "
            f"{lag_before.get('max')} ms before the crash ({lag_before.get('samples')} "
            f"pings); median {lag.get('median')} ms over the whole run |"
        ),
        (
            f"| Start / restart after kill -9 | {results.get('startup_seconds')} s / "
            f"{results.get('restart_seconds')} s until RUNNING |"
        ),
        (
            f"| Home Assistant's log | {results.get('log_errors')} error lines, "
            f"{results.get('log_poll_failures')} of them a Hashwatt poll failing (one "
            "line per outage); exceptions escaping into Home Assistant: "
            f"{results.get('log_unexpected')} |"
        ),
        "",
        "| Fault | Where | Unavailable after | Recovered after it cleared | Notes |",
        "|---|---|---|---|---|",
    ]
    for fault in faults:
        unavailable = fault["unavailable_after"]
        recovered = fault["recovered_after"]
        notes = fault["note"]
        if fault["foreign_states"] is not None:
            notes = f"states with its figures: {fault['foreign_states']}"
        elif fault["target"] == "pool" and unavailable is not None:
            notes = (
                "timed from the injection: one request fails, at the pool's next poll"
            )
            if "signature" in fault["name"] and recovered is None:
                notes += (
                    "; the pool calls the key invalid: reauthentication starts and "
                    "the entry waits for the user"
                )
        lines.append(
            f"| {fault['name']} | {fault['target']} | "
            f"{'never' if unavailable is None else f'{unavailable:.1f} s'} | "
            f"{'-' if recovered is None else f'{recovered:.1f} s'} | {notes} |"
        )
    lines += [
        "",
        (
            "Energy: the last value each sensor showed is the last state Home Assistant "
            "wrote before the kill (seen on the websocket). The recorder commits every few "
            "seconds: a state written in the last seconds before a crash is lost with "
            "it, so a sensor can restart up to one poll's energy below it (far below the "
            "10 % statistics read as a meter reset)."
        ),
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Put the soak section into docs/reliability.md, replacing the last one."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Reliability\n"
    pattern = re.compile(
        re.escape(SECTION_START) + r".*?" + re.escape(SECTION_END) + r"\n?", re.DOTALL
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> int:
    """Run the soak, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--miners", type=int, default=40, help="simulated miners (40)")
    parser.add_argument(
        "--minutes",
        type=float,
        default=20,
        help="minutes of faults before the crash (20)",
    )
    parser.add_argument(
        "--settle", type=float, default=90, help="seconds before the first fault (90)"
    )
    parser.add_argument("--port", type=int, default=8124, help="Home Assistant's port")
    parser.add_argument(
        "--first-ip", default="127.0.30.1", help="the first miner's address"
    )
    parser.add_argument("--pool-host", default="127.0.0.1")
    parser.add_argument("--whitepool-port", type=int, default=8280)
    parser.add_argument("--webminepool-port", type=int, default=8281)
    parser.add_argument(
        "--config",
        type=Path,
        default=SOAK_DIR / "config",
        help="Home Assistant's configuration folder (made anew)",
    )
    parser.add_argument(
        "--no-docs", action="store_true", help="do not write docs/reliability.md"
    )
    args = parser.parse_args()
    if args.miners < MIN_MINERS:
        parser.error(
            f"--miners: at least {MIN_MINERS} (one untouched, faults on three at a time)"
        )
    loop = asyncio.new_event_loop()
    main_task = loop.create_task(soak(args))
    # Ctrl-C or SIGTERM: cancel the run; its finally stops what it started.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main_task.cancel)
    try:
        results = loop.run_until_complete(main_task)
    except asyncio.CancelledError:
        say("Interrupted: everything started was stopped")
        return 130
    finally:
        loop.close()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    say(f"Raw results: {RESULTS.relative_to(ROOT)}")
    if not args.no_docs:
        write_section(DOCS, render(results))
        say(f"Wrote the soak section of {DOCS.relative_to(ROOT)}")
    energy, stats = results["energy"], results["statistics"]
    ok = (
        energy["held"] == energy["sensors"]
        and not stats["resets"]
        and results["new_cycles_logged"] == 0
        and not results["secrets_in_files"]["found"]
        and not results["secrets_in_diagnostics"]["found"]
        and all(not fault.get("foreign_states") for fault in results["faults"])
    )
    say("Soak passed" if ok else "Soak found problems: see the results")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
