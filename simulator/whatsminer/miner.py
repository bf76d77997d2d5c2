"""One simulated Whatsminer: its listeners, its state, and the faults it shows.

Only the listening servers run; everything else (warm-up, cooling, reboots coming
back) is computed from the injectable clock when a request arrives, so tests that
freeze or move time move the miner too, and nothing is left running after stop().
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import physics
from .common import Outcome, RecordedRequest, make_salt
from .faults import Fault, FaultBook, make_rule
from .hardware import DEFAULT_MODEL, MODELS
from .personas import DEFAULT_PERSONAS, PERSONAS, Persona
from .state import ErrorEntry, MinerState, PoolSetting
from .v2 import V2Handler, build_log_archive
from .v3 import V3Handler

V2_IDLE_TIMEOUT = 10.0  # the miner closes a connection that sends nothing for 10 s
V3_IDLE_TIMEOUT = 300.0  # v3 connections close after 300 s of inactivity
MAX_REQUEST_BYTES = 1024 * 1024
DEFAULT_REBOOT_DOWNTIME = 60.0
FACTORY_PASSWORD = "admin"
V3_ACCOUNTS = ("super", "user1", "user2", "user3")
APIS = ("v2", "v3")

type Clock = Callable[[], float]


def wall_clock() -> float:
    """Return ``time.time()``, looked up at each call so time-freezing tools move it."""
    return time.time()


def _mac_for(seed: int) -> str:
    rng = random.Random(f"mac:{seed}")
    # Locally administered, unicast: like the C6:07:20:… and CE:02:01:… seen on real units.
    first = (rng.randrange(256) & 0xFC) | 0x02
    rest = [rng.randrange(256) for _ in range(5)]
    return ":".join(f"{octet:02X}" for octet in (first, *rest))


class _Listener:
    """One listening socket (v2 on 4028 or v3 on 4433) that can stop and resume."""

    def __init__(self, api: str, handler: Callable[..., Any]) -> None:
        self.api = api
        self.handler = handler
        self.host = ""
        self.port = 0
        self.server: asyncio.Server | None = None
        self._attach: asyncio.Task[None] | None = None

    def bind(self, host: str, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            sock.setblocking(False)  # noqa: FBT003
        except OSError:
            sock.close()
            raise
        self.host, self.port = host, sock.getsockname()[1]
        return sock

    async def start(self, host: str, port: int) -> None:
        sock = self.bind(host, port)
        self.server = await asyncio.start_server(self.handler, sock=sock)

    @property
    def listening(self) -> bool:
        return self.server is not None or self._attach is not None

    def pause(self) -> None:
        """Stop listening now: new connections are refused."""
        if self._attach is not None:
            self._attach.cancel()
            self._attach = None
        if self.server is not None:
            self.server.close()
            self.server = None

    def resume(self) -> None:
        """Listen again on the same address at once (the server attaches a moment later)."""
        if self.listening:
            return
        # The socket listens as soon as it is bound, so connections queue in the backlog
        # until the server task picks it up on the next loop iteration.
        sock = self.bind(self.host, self.port)

        async def attach() -> None:
            self.server = await asyncio.start_server(self.handler, sock=sock)

        def attached(_task: asyncio.Task[None]) -> None:
            self._attach = None

        self._attach = asyncio.get_running_loop().create_task(attach())
        self._attach.add_done_callback(attached)

    async def stop(self) -> None:
        if self._attach is not None:
            self._attach.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._attach
            self._attach = None
        if self.server is not None:
            self.server.close()
            self.server = None


class SimulatedMiner:
    """A Whatsminer speaking API v2 on one port and, with new firmware, API v3 on another.

    ``persona`` names the firmware family it plays (see ``personas.PERSONAS``); without
    it ``api`` picks one: ``api="v2"``: 2022-2024 firmware, 4028 only (4433 closed);
    ``api="v3"``: 2025 firmware, API v3 plus the compatibility layer on 4028. A named
    persona brings its own model unless ``model`` is given. ``password`` is the v2 admin password
    and, on v3 miners, also the ``super`` account's; None keeps the factory passwords
    (``admin``; v3 accounts ``super``/``user1``.. equal to their names).
    """

    def __init__(  # noqa: PLR0913
        self,
        model: str | None = None,
        api: str | None = None,
        *,
        persona: str | None = None,
        password: str | None = None,
        seed: int = 1,
        write_enabled: bool = True,  # noqa: FBT001, FBT002
        clock: Clock = wall_clock,
        mac: str | None = None,
        reboot_downtime: float = DEFAULT_REBOOT_DOWNTIME,
        worker: str | None = None,
    ) -> None:
        if persona is None:
            if api is None:
                api = "v2"
            if api not in APIS:
                msg = f"api must be 'v2' or 'v3', not {api!r}"
                raise ValueError(msg)
            persona = DEFAULT_PERSONAS[api]
            model = model or DEFAULT_MODEL
        elif persona not in PERSONAS:
            msg = f"unknown persona {persona!r}; known: {', '.join(PERSONAS)}"
            raise ValueError(msg)
        self.persona: Persona = PERSONAS[persona]
        if api is not None and api != self.persona.api:
            msg = f"persona {persona!r} speaks API {self.persona.api}, not {api}"
            raise ValueError(msg)
        api = self.persona.api
        model = model or self.persona.model
        if model not in MODELS:
            msg = f"unknown model {model!r}; known: {', '.join(MODELS)}"
            raise ValueError(msg)
        # Which captured fields each reply took from its capture as they were (request -> paths).
        self.persona_fills: dict[str, list[str]] = {}
        self.seed = seed
        self.clock = clock
        self.reboot_downtime = reboot_downtime
        # Joined reads ("summary+pools"): one STATUS list with both sections (default),
        # or cgminer's keyed form {"summary": [<reply>], "pools": [<reply>], "id": 1}.
        self.rng = random.Random(seed)
        self.faults = FaultBook()
        self.requests: list[RecordedRequest] = []
        self.tokens_issued = 0
        self.host = "127.0.0.1"
        self.v2_port: int | None = None
        self.v3_port: int | None = None
        self.state = self._factory_state(
            model,
            api,
            password=password,
            write_enabled=write_enabled,
            mac=mac or _mac_for(seed),
            worker=worker,
        )
        self._v2 = V2Handler(self)
        self._v3 = V3Handler(self)
        self._listeners: dict[str, _Listener] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._started = False

    def _factory_state(  # noqa: PLR0913
        self,
        model_name: str,
        api: str,
        *,
        password: str | None,
        write_enabled: bool,
        mac: str,
        worker: str | None,
    ) -> MinerState:
        rng = self.rng
        model = MODELS[model_name]
        now = self.clock()
        uptime = rng.uniform(2 * 3600, 9 * 86400)
        serial_tail = "".join(rng.choice("0123456789") for _ in range(8))
        worker = worker or f"hashwatt.{mac.replace(':', '')[-6:].lower()}"
        accounts = {account: account for account in V3_ACCOUNTS}
        if password is not None:
            accounts["super"] = password
        state = MinerState(
            model=model,
            api=api,
            mac=mac,
            password=password if password is not None else FACTORY_PASSWORD,
            salt=make_salt(rng, with_punctuation=True),
            accounts=accounts,
            v3_salt=make_salt(rng),
            write_enabled=write_enabled,
            firmware_version=self.persona.firmware_version,
            api_version=self.persona.api_version,
            miner_sn=f"HTM3X{rng.randrange(10, 99)}J{serial_tail}",
            psu_sn=f"{rng.randrange(1000, 9999)}A2{serial_tail}",
            board_sns=tuple(
                f"HEM1EP9C4009{rng.randrange(10, 99)}K6{serial_tail[:3]}{index:02d}"
                for index in range(model.boards)
            ),
            power_limit=model.power_limit,
            pools=[
                PoolSetting("stratum+tcp://pool.whitebit.com:3333", worker, "x"),
                PoolSetting("stratum+tcp://pool.whitebit.com:3334", worker, "x"),
                PoolSetting(
                    "stratum+tcp://btc.ss.poolin.com:443", "microbtinitial", "123"
                ),
            ],
            boot_time=now - uptime,
            mining_since=now - uptime + 45.0,
            heat_time=now,
            percent_since=now,
        )
        state.heat = physics.load(state, now)
        return state

    # -- programmatic API ------------------------------------------------------------------

    @property
    def api(self) -> str:
        """Return the API generation of the firmware: "v2" or "v3"."""
        return self.state.api

    @property
    def model(self) -> str:
        """Return the model name, e.g. "M50"."""
        return self.state.model.name

    async def start(
        self, host: str = "127.0.0.1", v2_port: int = 0, v3_port: int = 0
    ) -> None:
        """Listen on ``host``; port 0 picks a free one (see ``v2_port`` / ``v3_port``)."""
        if self._started:
            msg = "the miner is already started"
            raise RuntimeError(msg)
        self.host = host
        v2 = _Listener("v2", self._on_v2)
        await v2.start(host, v2_port)
        self._listeners = {"v2": v2}
        if self.state.api == "v3":
            v3 = _Listener("v3", self._on_v3)
            try:
                await v3.start(host, v3_port)
            except OSError:
                await v2.stop()
                raise
            self._listeners["v3"] = v3
        self._started = True
        self._publish_ports()
        for listener in self._listeners.values():
            if self.faults.active(Fault.REFUSE, listener.api):
                listener.pause()

    def _publish_ports(self) -> None:
        self.v2_port = self._listeners["v2"].port if "v2" in self._listeners else None
        self.v3_port = self._listeners["v3"].port if "v3" in self._listeners else None

    async def stop(self) -> None:
        """Stop listening, drop every open connection and wait for their handlers."""
        for listener in self._listeners.values():
            await listener.stop()
        for writer in list(self._writers):
            _abort(writer)
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._started = False

    async def change_address(
        self,
        host: str | None = None,
        v2_port: int | None = None,
        v3_port: int | None = None,
    ) -> None:
        """Move the miner to another address or ports (as after a DHCP change)."""
        if not self._started:
            msg = "start the miner first"
            raise RuntimeError(msg)
        new_host = host or self.host
        ports = {"v2": v2_port, "v3": v3_port}
        for api, listener in self._listeners.items():
            old_port = listener.port
            await listener.stop()
            port = ports[api]
            await listener.start(new_host, old_port if port is None else port)
        for writer in list(self._writers):
            _abort(writer)
        self.host = new_host
        self._publish_ports()
        for listener in self._listeners.values():
            if self.faults.active(Fault.REFUSE, listener.api):
                listener.pause()

    def inject(  # noqa: PLR0913
        self,
        fault: Fault,
        *,
        count: int | None = None,
        commands: Iterable[str] | None = None,
        api: str | None = None,
        delay: float = 2.0,
        downtime: float = 60.0,
    ) -> None:
        """Arm a fault for ``count`` requests (None: until cleared).

        ``commands`` limits it to some commands (v2 names or v3 ``cmd`` values), ``api``
        to one API; ``delay`` is SLOW's wait and ``downtime`` SILENT_REBOOT's.
        """
        rule = make_rule(
            fault,
            count=count,
            commands=commands,
            api=api,
            delay=delay,
            downtime=downtime,
        )
        if rule.fault is Fault.REFUSE:
            # Refusing happens before any request is read: count and commands do not apply.
            rule.remaining, rule.commands = None, None
            for listener in self._listeners.values():
                if api in (None, listener.api):
                    listener.pause()
        self.faults.add(rule)

    def clear_faults(self, fault: Fault | None = None) -> None:
        """Disarm every fault (or one kind); a refusing miner listens again at once."""
        self.faults.clear(fault)
        if self._started:
            for listener in self._listeners.values():
                if not self.faults.active(Fault.REFUSE, listener.api):
                    listener.resume()

    def reading(self, now: float | None = None) -> physics.Reading:
        """Return every figure the miner would report now (or at ``now``)."""
        return physics.read(self.state, self.seed, self.clock() if now is None else now)

    def add_error(self, code: int, at: float | None = None, reason: str = "") -> None:
        """Make the miner report an error code (``at`` defaults to now)."""
        self.state.errors.append(
            ErrorEntry(code, self.clock() if at is None else at, reason)
        )

    async def reboot_now(self, downtime: float | None = None) -> None:
        """Reboot now and come back after ``downtime`` seconds of the miner's clock.

        Meanwhile every connection is reset; afterwards uptime and mining start over.
        """
        self.reboot(
            self.clock(), self.reboot_downtime if downtime is None else downtime
        )

    def is_down(self, now: float | None = None) -> bool:
        """Tell whether the miner is rebooting (unreachable) at a time."""
        return (self.clock() if now is None else now) < self.state.down_until

    # -- state changes used by both APIs ---------------------------------------------------

    def new_salt(self) -> str:
        """Return a fresh random salt (for tokens and password changes)."""
        return make_salt(self.rng)

    def settle(self, now: float) -> None:
        """Anchor the thermal state before a setting changes."""
        physics.settle(self.state, now)

    def set_mining(self, now: float, *, mining: bool) -> None:
        """Power the hashboards on or off."""
        state = self.state
        self.settle(now)
        if mining and not physics.running(state, now):
            complete = state.preheat_since is not None and (
                now - state.preheat_since >= physics.PRE_POWER_ON_SECONDS
            )
            state.preheated = complete
            state.mining = True
            state.mining_since = now
        elif not mining:
            state.mining = False
            state.preheated = False
        state.preheat_since = None

    def restart_mining(self, now: float) -> None:
        """Restart btminer: hashing starts over (warm-up) if it was mining."""
        self.settle(now)
        if self.state.mining:
            self.state.mining_since = max(now, self.state.mining_since)
            self.state.mining_restarts += 1

    def set_power_percent(self, now: float, percent: int, mode: str) -> None:
        """Scale power: "fast" within a second, "normal" over a few minutes."""
        state = self.state
        self.settle(now)
        state.percent_from = physics.effective_percent(state, now)
        state.percent_since = now
        state.percent_ramp = 1.0 if mode == "fast" else physics.NORMAL_PERCENT_RAMP
        state.power_percent = percent
        state.power_percent_mode = mode

    def pre_power_on(self, now: float) -> tuple[bool, str] | None:
        """Preheat a stopped miner; None while it is mining (not allowed then)."""
        state = self.state
        if physics.running(state, now):
            return None
        if state.preheat_since is None:
            state.preheat_since = now
            return False, "wait for adjust temp"
        if now - state.preheat_since >= physics.PRE_POWER_ON_SECONDS:
            return True, "adjust complete"
        return False, "adjust continue"

    def change_admin_password(self, password: str) -> None:
        """Store a new v2 admin password: a new salt, and every token is void."""
        self.state.password = password
        self.state.salt = make_salt(self.rng, with_punctuation=True)
        self._v2.tokens.clear()

    def factory_reset(self) -> None:
        """Restore what the vendor says factory_reset restores (the reboot is separate)."""
        state = self.state
        model = state.model
        self.change_admin_password(FACTORY_PASSWORD)
        state.accounts = {account: account for account in V3_ACCOUNTS}
        state.permissions = {}
        state.write_enabled = False  # the API switch goes off
        state.web_pools = True
        state.pools = []
        state.power_mode = "Normal"
        state.power_limit = model.power_limit
        state.power_percent = 100
        state.percent_from = 100.0
        state.target_freq = 0
        state.upfreq_speed = 0
        state.fast_boot = False
        state.temp_offset = 0
        state.led = "auto"
        state.hostname = "WhatsMiner"
        state.network = type(state.network)()

    def reboot(self, now: float, downtime: float) -> None:
        """Go down now and come back ``downtime`` seconds later, mining again."""
        state = self.state
        self.settle(now)
        back = now + downtime
        state.down_until = back
        state.boot_time = back
        state.mining = state.autostart
        state.mining_since = back
        state.preheat_since = None
        state.preheated = False
        # The power percentage is not saved (vendor: "info lost after reboot").
        state.power_percent = 100
        state.percent_from = 100.0
        self._v2.tokens.clear()
        for writer in list(self._writers):
            if not writer.is_closing():  # the connection that asked has had its answer
                _abort(writer, reset=True)

    def log_archive(self, now: float) -> bytes:
        """Return the log archive download_logs / get.log.download send."""
        state = self.state
        lines = [
            f"{int(now)} btminer: model {state.model.variant} mac {state.mac}",
            f"{int(now)} btminer: firmware {state.firmware_version}",
            *(
                f"{int(e.at)} btminer: error code {e.code} {e.reason}"
                for e in state.errors
            ),
        ]
        return build_log_archive(lines)

    # -- connections -----------------------------------------------------------------------

    def _track(self, writer: asyncio.StreamWriter) -> asyncio.Task[Any] | None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        return task

    def _untrack(
        self, writer: asyncio.StreamWriter, task: asyncio.Task[Any] | None
    ) -> None:
        self._writers.discard(writer)
        if task is not None:
            self._tasks.discard(task)
        if not writer.is_closing():
            writer.close()

    async def _on_v2(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = self._track(writer)
        try:
            if self.is_down():
                _abort(writer, reset=True)
                return
            raw = await _read_v2_request(reader)
            if raw is None:
                return
            now = self.clock()
            if self.is_down(now):
                _abort(writer, reset=True)
                return
            outcome = self._v2.handle(raw, _peer_ip(writer), now)
            await self._deliver(reader, writer, "v2", outcome)
        except ConnectionError, TimeoutError, asyncio.IncompleteReadError:
            pass
        finally:
            self._untrack(writer, task)

    async def _on_v3(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = self._track(writer)
        try:
            if self.is_down():
                _abort(writer, reset=True)
                return
            last_activity = self.clock()
            while True:
                header = await reader.readexactly(4)
                now = self.clock()
                if now - last_activity > V3_IDLE_TIMEOUT:
                    return  # the miner had already dropped this idle connection
                if self.is_down(now):
                    _abort(writer, reset=True)
                    return
                length = int.from_bytes(header, "little")
                last_activity = now
                if length == 0:
                    continue  # heartbeat
                if length > MAX_REQUEST_BYTES:
                    return
                body = await reader.readexactly(length)
                outcome = self._v3.handle(body, _peer_ip(writer), self.clock())
                if (
                    not await self._deliver(reader, writer, "v3", outcome)
                    or outcome.close
                ):
                    return
                last_activity = self.clock()
        except ConnectionError, TimeoutError, asyncio.IncompleteReadError:
            pass
        finally:
            self._untrack(writer, task)

    async def _deliver(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        api: str,
        outcome: Outcome,
    ) -> bool:
        """Send a reply through the armed faults; return whether the connection survives."""
        command = outcome.command
        faults = self.faults
        body = outcome.body
        if api == "v2" and not outcome.encrypted:
            body = self._quirks(body, command)
        data = len(body).to_bytes(4, "little") + body if api == "v3" else body
        alive = api == "v3"
        if (rule := faults.take(Fault.SLOW, api, command)) is not None:
            await asyncio.sleep(rule.delay)
        if faults.take(Fault.HANG, api, command) is not None:
            if outcome.after is not None:
                outcome.after()
            while await reader.read(65536):
                pass  # never answer; wait for the client to give up
            return False
        if faults.take(Fault.GARBAGE, api, command) is not None:
            writer.write(self._garbage())
            await writer.drain()
            alive = False
        elif faults.take(Fault.TRUNCATE, api, command) is not None:
            writer.write(data[: max(1, len(data) // 2)])
            await writer.drain()
            alive = False
        elif faults.take(Fault.RESET, api, command) is not None:
            writer.write(data[: max(1, len(data) // 2)])
            await writer.drain()
            _abort(writer, reset=True)
            alive = False
        else:
            writer.write(data)
            await writer.drain()
            if outcome.follow_up is not None:
                await outcome.follow_up(reader, writer)
        if (outcome.close or not alive) and not writer.is_closing():
            writer.close()
        if outcome.after is not None:
            outcome.after()
        now = self.clock()
        if faults.take(Fault.SILENT_POWER_OFF, api, command) is not None:
            self.set_mining(now, mining=False)
        if (rule := faults.take(Fault.SILENT_REBOOT, api, command)) is not None:
            self.reboot(now, rule.downtime)
            alive = False
        return alive and not writer.is_closing()

    def _quirks(self, body: bytes, command: str | None) -> bytes:
        """Apply the firmware quirks armed for this command to a plaintext v2 reply."""
        faults = self.faults
        for fault in (
            Fault.TRAILING_COMMA,
            Fault.OBJECT_JOIN,
            Fault.LIST_LEADING_COMMA,
            Fault.PSU_TEMP0_COMMA,
            Fault.BAD_UTF8,
            Fault.NUL_TERMINATED,
        ):
            rule = faults.find(fault, "v2", command)
            if rule is None:
                continue
            changed = _QUIRK_EDITS[fault](body)
            if changed != body:
                faults.consume(rule)
                body = changed
        return body

    def _garbage(self) -> bytes:
        size = self.rng.randrange(16, 96)
        # 0xFE/0xFF never occur in UTF-8, so this can never be mistaken for JSON.
        return b"\xfe\xff" + bytes(self.rng.randrange(256) for _ in range(size))


def _edit_trailing_comma(body: bytes) -> bytes:
    return body[:-1] + b",}" if body.endswith(b"}") else body


def _edit_bad_utf8(body: bytes) -> bytes:
    # Inside a string value: the Description, else the Msg (cgminer status entries of
    # newer firmware carry no Description).
    for marker in (b'"Description":"', b'"Msg":"'):
        at = body.find(marker)
        if at >= 0:
            at += len(marker)
            return body[:at] + b"\xff\xfe" + body[at:]
    return body


_QUIRK_EDITS: dict[Fault, Callable[[bytes], bytes]] = {
    Fault.TRAILING_COMMA: _edit_trailing_comma,
    Fault.OBJECT_JOIN: lambda body: body.replace(b"},{", b"}{"),
    Fault.LIST_LEADING_COMMA: lambda body: body.replace(b":[{", b":[,{"),
    Fault.PSU_TEMP0_COMMA: lambda body: body.replace(b',"temp0"', b'"temp0"'),
    Fault.BAD_UTF8: _edit_bad_utf8,
    Fault.NUL_TERMINATED: lambda body: body + b"\x00",
}


def _peer_ip(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if peer else ""


def _abort(writer: asyncio.StreamWriter, *, reset: bool = False) -> None:
    """Drop a connection; with ``reset`` the peer gets an RST instead of a FIN."""
    if reset:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
    writer.transport.abort()


async def _read_v2_request(reader: asyncio.StreamReader) -> bytes | None:
    """Read one JSON object the way the miner does; None if nothing came in 10 s.

    The client does not frame or terminate its request, so the object's end is found
    by tracking braces outside strings. Anything that does not start with ``{`` is
    handed over at once (the miner then answers "invalid JSON").
    """
    buffer = bytearray()
    depth = 0
    started = in_string = escaped = False
    try:
        async with asyncio.timeout(V2_IDLE_TIMEOUT):
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return bytes(buffer) if buffer.strip() else None
                for index, byte in enumerate(chunk):
                    if not started:
                        if byte in b" \t\r\n":
                            continue
                        if byte != ord("{"):
                            return bytes(buffer + chunk)
                        started, depth = True, 1
                        continue
                    if in_string:
                        if escaped:
                            escaped = False
                        elif byte == ord("\\"):
                            escaped = True
                        elif byte == ord('"'):
                            in_string = False
                    elif byte == ord('"'):
                        in_string = True
                    elif byte in b"{[":
                        depth += 1
                    elif byte in b"}]":
                        depth -= 1
                        if depth == 0:
                            return bytes(buffer + chunk[: index + 1])
                buffer += chunk
                if len(buffer) > MAX_REQUEST_BYTES:
                    return bytes(buffer)
    except TimeoutError:
        return None
