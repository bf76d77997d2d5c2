"""``python -m simulator replay miner.json``: serve a captured miner's replies on loopback.

The capture is the file the client's ``capture`` command writes (format
"hashwatt-whatsminer-capture", version 1, described in docs/firmware.md). The replayed
miner listens on a loopback address on the capture's ports (or others given) and:

- answers a read whose JSON object equals a captured ``request`` with that exchange's
  ``reply``, byte for byte (v2: the bytes, then close; v3: one frame); on v2 a request
  written ``{"command": ...}`` counts as ``{"cmd": ...}``;
- replays a captured failure: ``timeout``: accept and say nothing; ``closed`` (and
  ``unreachable``): accept and close; an API none of whose exchanges has a reply is
  not listened on at all (connection refused);
- refuses writes as a miner whose write API is switched off does: v2 hands out tokens
  (``get_token``, when the capture has none, answers code 134 with fresh salts) and
  answers every encrypted command with code 45 "can't access write cmd" (a plaintext
  write with 45 "Permission denied"); v3 answers ``set.*`` with -4 "no permission".
  A replay has no password and changes nothing;
- answers any other request as the firmware answers an unknown command (v2: code 14
  "invalid cmd" in the btminer envelope, with the Description the captured native
  replies carry; v3: -2 "invalid command").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import make_salt
from .miner import V3_IDLE_TIMEOUT, _read_v2_request, wall_clock
from .v2 import WRITES as V2_WRITES

CAPTURE_FORMAT = "hashwatt-whatsminer-capture"
CAPTURE_VERSION = 1
DEFAULT_PORTS = {"v2": 4028, "v3": 4433}
MAX_V3_FRAME = 1024 * 1024


class CaptureError(ValueError):
    """The file is not a capture this replay can serve."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One captured request and what came back (``reply`` None: ``error`` says why)."""

    api: str
    request: Mapping[str, Any]
    reply: bytes | None
    error: str | None


@dataclass(slots=True)
class Capture:
    """A parsed capture file."""

    host: str
    ports: dict[str, int]
    exchanges: list[Exchange] = field(default_factory=list)

    @classmethod
    def from_json(cls, document: object) -> Capture:
        """Read a capture (a parsed JSON document); raise CaptureError if it is not one."""
        if not isinstance(document, dict):
            msg = "a capture is a JSON object"
            raise CaptureError(msg)
        if document.get("format") != CAPTURE_FORMAT:
            msg = f"not a {CAPTURE_FORMAT} file"
            raise CaptureError(msg)
        version = document.get("version")
        if not isinstance(version, int) or version > CAPTURE_VERSION:
            msg = f"capture version {version!r} is newer than this replay reads"
            raise CaptureError(msg)
        ports = dict(DEFAULT_PORTS)
        raw_ports = document.get("ports")
        if isinstance(raw_ports, dict):
            for api in ports:
                if isinstance(raw_ports.get(api), int):
                    ports[api] = raw_ports[api]
        exchanges = [_exchange(item) for item in document.get("exchanges") or []]
        return cls(str(document.get("host", "")), ports, exchanges)

    @classmethod
    def load(cls, path: str | Path) -> Capture:
        """Read a capture file."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            msg = f"cannot read {path}: {err}"
            raise CaptureError(msg) from err
        return cls.from_json(document)

    def answers(self, api: str) -> bool:
        """Tell whether any exchange of an API got a reply (else nothing listens)."""
        return any(e.api == api and e.reply is not None for e in self.exchanges)


def _exchange(item: object) -> Exchange:
    if not isinstance(item, dict):
        msg = "an exchange is a JSON object"
        raise CaptureError(msg)
    api, request = item.get("api"), item.get("request")
    if api not in DEFAULT_PORTS or not isinstance(request, dict):
        msg = f"an exchange needs api v2|v3 and a request object: {item!r}"
        raise CaptureError(msg)
    reply, encoding = item.get("reply"), item.get("reply_encoding")
    data: bytes | None = None
    if isinstance(reply, str):
        if encoding == "base64":
            data = base64.b64decode(reply)
        else:
            data = reply.encode("utf-8", errors="surrogateescape")
    error = item.get("error")
    return Exchange(
        str(api),
        _normalise(str(api), request),
        data,
        error if isinstance(error, str) else (None if data is not None else "closed"),
    )


def _normalise(api: str, request: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(request)
    if api == "v2" and "cmd" not in result and "command" in result:
        result["cmd"] = result.pop("command")
    return result


def _native_description(capture: Capture) -> str:
    """Return the Description the capture's btminer-native replies carry ("" if none)."""
    for exchange in capture.exchanges:
        if exchange.api != "v2" or exchange.reply is None:
            continue
        try:
            reply = json.loads(exchange.reply.decode("utf-8").rstrip("\x00"))
        except ValueError, UnicodeDecodeError:
            continue
        if isinstance(reply, dict) and isinstance(reply.get("STATUS"), str):
            description = reply.get("Description")
            if isinstance(description, str):
                return description
    return ""


def _v2_command(request: object) -> object:
    if not isinstance(request, dict):
        return None
    return request.get("cmd", request.get("command"))


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class ReplayMiner:
    """A captured miner answering on loopback with its recorded replies."""

    def __init__(
        self,
        capture: Capture,
        *,
        clock: Callable[[], float] = wall_clock,
    ) -> None:
        self.capture = capture
        self.clock = clock
        self.host = "127.0.0.1"
        self.v2_port: int | None = None
        self.v3_port: int | None = None
        self.requests: list[tuple[str, object]] = []  # (api, request as parsed)
        self._description = _native_description(capture)
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(
        self,
        host: str = "127.0.0.1",
        v2_port: int | None = None,
        v3_port: int | None = None,
    ) -> None:
        """Listen on ``host`` (ports: the capture's unless given; 0 picks a free one)."""
        self.host = host
        ports = {"v2": v2_port, "v3": v3_port}
        handlers = {"v2": self._on_v2, "v3": self._on_v3}
        try:
            for api in ("v2", "v3"):
                if not self.capture.answers(api):
                    continue  # captured as not answering: connections are refused
                port = ports[api]
                port = self.capture.ports[api] if port is None else port
                server = await asyncio.start_server(handlers[api], host, port)
                self._servers.append(server)
                bound = server.sockets[0].getsockname()[1]
                if api == "v2":
                    self.v2_port = bound
                else:
                    self.v3_port = bound
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        for server in self._servers:
            server.close()
        self._servers.clear()
        for writer in list(self._writers):
            writer.transport.abort()
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _find(self, api: str, request: object) -> Exchange | None:
        if not isinstance(request, dict):
            return None
        wanted = _normalise(api, request)
        for exchange in self.capture.exchanges:
            if exchange.api == api and exchange.request == wanted:
                return exchange
        return None

    # -- API v2 ----------------------------------------------------------------------------

    def _v2_token(self) -> bytes:
        """A token as any miner hands one out (writes are refused all the same)."""
        now = int(self.clock())
        rng = secrets.SystemRandom()
        message = {
            "time": f"{now % 10000:04d}",
            "salt": make_salt(rng),
            "newsalt": make_salt(rng),
        }
        return _dumps(
            {
                "STATUS": "S",
                "When": now,
                "Code": 134,
                "Msg": message,
                "Description": self._description,
            }
        )

    def _v2_refusal(self, request: object) -> bytes:
        now = int(self.clock())
        if isinstance(request, dict) and "enc" in request:
            code, message = 45, "can't access write cmd"
        elif _v2_command(request) in V2_WRITES:
            code, message = 45, "Permission denied"
        else:
            code, message = 14, "invalid cmd"
        return _dumps(
            {
                "STATUS": "E",
                "When": now,
                "Code": code,
                "Msg": message,
                "Description": self._description,
            }
        )

    async def _on_v2(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._track(writer)
        try:
            raw = await _read_v2_request(reader)
            if raw is None:
                return
            try:
                request: object = json.loads(raw.decode("utf-8").rstrip("\x00"))
            except ValueError, UnicodeDecodeError:
                request = None
            self.requests.append(("v2", request))
            exchange = self._find("v2", request)
            if exchange is None and _v2_command(request) == "get_token":
                writer.write(self._v2_token())
            elif exchange is None:
                writer.write(self._v2_refusal(request))
            elif exchange.reply is not None:
                writer.write(exchange.reply)
            elif exchange.error is not None and exchange.error.startswith("timeout"):
                while await reader.read(65536):
                    pass  # say nothing until the client gives up
                return
            await writer.drain()
        except ConnectionError, TimeoutError, asyncio.IncompleteReadError:
            pass
        finally:
            self._untrack(writer)

    # -- API v3 ----------------------------------------------------------------------------

    def _v3_answer(self, request: object) -> tuple[bytes | None, str | None]:
        """Return (frame body, None) or (None, the captured failure)."""
        exchange = self._find("v3", request)
        if exchange is not None:
            return exchange.reply, exchange.error
        command = request.get("cmd") if isinstance(request, dict) else None
        now = int(self.clock())
        if isinstance(command, str) and command.startswith("set."):
            reply = {"code": -4, "when": now, "msg": "no permission", "desc": command}
        elif request is None:
            reply = {"code": -1, "when": now, "msg": "json format error", "desc": ""}
        else:
            desc = command if isinstance(command, str) else ""
            reply = {"code": -2, "when": now, "msg": "invalid command", "desc": desc}
        return _dumps(reply), None

    async def _on_v3(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._track(writer)
        try:
            while True:
                async with asyncio.timeout(V3_IDLE_TIMEOUT):
                    header = await reader.readexactly(4)
                length = int.from_bytes(header, "little")
                if length == 0:
                    continue
                if length > MAX_V3_FRAME:
                    return
                body = await reader.readexactly(length)
                try:
                    request: object = json.loads(body.decode("utf-8"))
                except ValueError, UnicodeDecodeError:
                    request = None
                self.requests.append(("v3", request))
                reply, error = self._v3_answer(request)
                if reply is None:
                    if error is not None and error.startswith("timeout"):
                        while await reader.read(65536):
                            pass
                    return  # closed (or unreachable): drop the connection
                writer.write(len(reply).to_bytes(4, "little") + reply)
                await writer.drain()
        except ConnectionError, TimeoutError, asyncio.IncompleteReadError:
            pass
        finally:
            self._untrack(writer)

    # -- connections -----------------------------------------------------------------------

    def _track(self, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)

    def _untrack(self, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.discard(task)
        self._writers.discard(writer)
        if not writer.is_closing():
            writer.close()


# -- command line --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``replay`` options."""
    parser.description = (
        "Serve a captured Whatsminer (the client's `capture` output) on a loopback "
        "address: reads get the recorded bytes, writes and unknown commands are "
        "refused as the firmware refuses them."
    )
    parser.add_argument("capture", help="the capture file (JSON)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to listen on (default 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=int, default=None, help="API v2 port (default: the capture's)"
    )
    parser.add_argument(
        "--v3-port",
        type=int,
        default=None,
        help="API v3 port (default: the capture's)",
    )


def listener_lines(miner: ReplayMiner) -> list[str]:
    """Describe what listens: address, port, API, and how many replies it knows."""
    lines: list[str] = []
    for api, port in (("v2", miner.v2_port), ("v3", miner.v3_port)):
        if port is None:
            continue
        known = sum(
            1
            for e in miner.capture.exchanges
            if e.api == api and (e.reply is not None or e.error is not None)
        )
        lines.append(
            f"{miner.host}:{port}  {api}  replaying {known} captured exchange(s)"
        )
    if not lines:
        lines.append(f"{miner.host}: the capture holds no reply; nothing listens")
    return lines


async def serve(args: argparse.Namespace) -> None:
    """Load the capture, start the replay, print its listeners, serve until cancelled."""
    try:
        capture = Capture.load(args.capture)
    except CaptureError as err:
        raise SystemExit(str(err)) from err
    miner = ReplayMiner(capture, clock=time.time)
    await miner.start(args.host, args.port, args.v3_port)
    try:
        sys.stdout.write("\n".join(listener_lines(miner)) + "\n")
        sys.stdout.flush()
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await miner.stop()
