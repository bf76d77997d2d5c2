"""Record a miner's raw replies to every read request the client knows.

For bug reports (``whatsminer --host H capture --redact``), for replays in tests
and the simulator, and for diagnostics. The format is docs/firmware.md's
("hashwatt-whatsminer-capture", version 1). Only reads are sent, one at a
time; nothing needs or carries a password.

Redaction replaces, in every reply, the values that identify a miner or its
owner (MAC, serial numbers, IP addresses, hostname, pool workers, the v3 salt)
with stand-ins, the same stand-in for the same value throughout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from . import transport
from .errors import WhatsminerConnectionError, WhatsminerError, WhatsminerTimeoutError
from .exchanges import CAPTURE_FORMAT, CAPTURE_VERSION, Exchange, exchange_to_json
from .models import ApiVersion
from .repair import parse_reply
from .transport_v3 import ReplyLostError, V3Connection
from .v2 import MINER_INFO_FIELDS
from .values import normalise_mac

V2_READ_REQUESTS: Final[tuple[Mapping[str, str], ...]] = (
    {"cmd": "get_version"},
    {"command": "summary"},
    {"command": "edevs"},
    {"command": "devdetails"},
    {"command": "pools"},
    {"cmd": "status"},
    {"cmd": "get_psu"},
    {"cmd": "get_miner_info", "info": MINER_INFO_FIELDS},
    {"cmd": "get_error_code"},
    {"command": "summary+edevs"},
    {"command": "pools+devdetails"},
)
V3_READ_REQUESTS: Final[tuple[Mapping[str, str], ...]] = (
    {"cmd": "get.device.info"},
    {"cmd": "get.device.info", "param": "miner"},
    {"cmd": "get.device.info", "param": "system"},
    {"cmd": "get.miner.status", "param": "summary+pools+edevs"},
    {"cmd": "get.miner.status", "param": "summary+pools"},
    {"cmd": "get.miner.setting"},
    {"cmd": "get.fan.setting"},
)

_FACTORY_HOSTNAME: Final = "whatsminer"
_MAC_KEYS: Final = frozenset({"mac"})
_IP_KEYS: Final = frozenset({"ip", "gateway", "dns"})
_HOSTNAME_KEYS: Final = frozenset({"hostname"})
_WORKER_KEYS: Final = frozenset({"user", "account", "worker"})
_SALT_KEYS: Final = frozenset({"salt", "newsalt"})
# minersn, powersn, miner-sn, PCB SN, pcbsn0, serial_no, power's sn.
_SERIAL_KEY: Final = re.compile(r"(.*sn\d*|.*serial.*)")
_IPV4: Final = re.compile(r"\d{1,3}(?:[.:]\d{1,3}){3}")
_DOTTED_IPV4: Final = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_URL_KEYS: Final = frozenset({"url", "stratumurl"})
_URL_CREDENTIALS: Final = re.compile(r"(?<=://)[^/@\s\"]+@")
_MIN_SECRET_LENGTH: Final = 4


def client_version() -> str:
    """Return "hashwatt <version>" from the integration's manifest."""
    manifest = Path(__file__).parents[2] / "manifest.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    except OSError, ValueError, KeyError, TypeError:
        return "hashwatt"
    return f"hashwatt {version}"


def _failure(err: WhatsminerError) -> str:
    """Say why no reply came, as the capture format spells it."""
    cause = err.__cause__
    if isinstance(cause, ConnectionRefusedError):
        return f"connection refused: {err}"
    if isinstance(err, WhatsminerTimeoutError):
        return f"timeout: {err}"
    if isinstance(err, transport.NoReplyError | ReplyLostError):
        return f"closed: {err}"
    return f"unreachable: {err}"


async def _capture_v2(
    host: str, port: int, connect_timeout: float, reply_timeout: float
) -> list[Exchange]:
    exchanges = []
    for request in V2_READ_REQUESTS:
        try:
            raw = await transport.request(
                host,
                port,
                json.dumps(request).encode(),
                connect_timeout=connect_timeout,
                reply_timeout=reply_timeout,
            )
        except WhatsminerConnectionError as err:
            exchanges.append(Exchange(ApiVersion.V2, request, None, _failure(err)))
            if isinstance(err.__cause__, ConnectionRefusedError):
                break  # nothing listens: the rest would say the same
            continue
        exchanges.append(Exchange(ApiVersion.V2, request, raw))
    return exchanges


async def _capture_v3(
    host: str, port: int, connect_timeout: float, reply_timeout: float
) -> list[Exchange]:
    connection = V3Connection(
        host, port, connect_timeout=connect_timeout, reply_timeout=reply_timeout
    )
    exchanges = []
    try:
        for request in V3_READ_REQUESTS:
            try:
                body = await connection.request(dict(request), may_resend=False)
            except WhatsminerError as err:
                exchanges.append(Exchange(ApiVersion.V3, request, None, _failure(err)))
                if isinstance(err.__cause__, ConnectionRefusedError):
                    break
                continue
            exchanges.append(Exchange(ApiVersion.V3, request, body))
    finally:
        await connection.close()
    return exchanges


async def capture(
    host: str,
    *,
    v2_port: int,
    v3_port: int,
    connect_timeout: float,
    reply_timeout: float,
) -> list[Exchange]:
    """Send every read request the client knows on both APIs; keep what came back."""
    return [
        *await _capture_v2(host, v2_port, connect_timeout, reply_timeout),
        *await _capture_v3(host, v3_port, connect_timeout, reply_timeout),
    ]


# Redaction.


class _StandIns:
    """One stand-in per value and kind, numbered in order of appearance."""

    def __init__(self) -> None:
        self.replacements: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def add(self, kind: str, value: str) -> str:
        if value in self.replacements:
            return self.replacements[value]
        number = self._counts.get(kind, 0) + 1
        self._counts[kind] = number
        stand_in = {
            "mac": f"02:00:00:00:00:{number:02X}",
            "ip": f"192.0.2.{number}",
            "hostname": f"miner-{number}",
            "serial": f"SERIAL{number:04d}",
            "worker": f"account{number}.worker{number}",
            "salt": f"salt{number:04d}",
        }[kind]
        self.replacements[value] = stand_in
        if kind == "mac":
            digits = re.sub(r"[:\-.]", "", value)
            for variant in (value.lower(), value.upper(), digits, digits.lower()):
                self.replacements.setdefault(variant, stand_in)
        return stand_in


def _collect(value: object, stand_ins: _StandIns, key: str = "") -> None:
    """Walk a parsed reply and register every identifying value found."""
    if isinstance(value, Mapping):
        for child_key, child in value.items():
            _collect(child, stand_ins, str(child_key))
        return
    if isinstance(value, list):
        for item in value:
            _collect(item, stand_ins, key)
        return
    if not isinstance(value, str) or len(value.strip()) < _MIN_SECRET_LENGTH:
        return
    text = value.strip()
    name = re.sub(r"[\s_-]", "", key).lower()
    if name in _MAC_KEYS and normalise_mac(text) is not None:
        stand_ins.add("mac", text)
    elif name in _IP_KEYS:
        for address in _IPV4.findall(text):
            stand_ins.add("ip", address)
    elif name in _URL_KEYS:
        # A pool on the local network (a proxy) is named by its address.
        for address in _DOTTED_IPV4.findall(text):
            stand_ins.add("ip", address)
    elif name in _HOSTNAME_KEYS:
        if text.lower() != _FACTORY_HOSTNAME:
            stand_ins.add("hostname", text)
    elif name in _WORKER_KEYS:
        stand_ins.add("worker", text)
    elif name in _SALT_KEYS:
        stand_ins.add("salt", text)
    elif _SERIAL_KEY.fullmatch(name):
        stand_ins.add("serial", text)


def _replace(data: bytes, replacements: Sequence[tuple[bytes, bytes]]) -> bytes:
    for old, new in replacements:
        data = data.replace(old, new)
    return _URL_CREDENTIALS.sub("", data.decode("latin-1")).encode("latin-1")


def redact(exchanges: Iterable[Exchange], host: str) -> tuple[list[Exchange], str]:
    """Return the exchanges and the host with identifying values replaced."""
    exchanges = list(exchanges)
    stand_ins = _StandIns()
    host_stand_in = stand_ins.add("ip" if _IPV4.fullmatch(host) else "hostname", host)
    for exchange in exchanges:
        if exchange.reply is None:
            continue
        try:
            _collect(parse_reply(exchange.reply), stand_ins)
        except WhatsminerError:
            continue  # unreadable: its values are not known, the others still go
    # Longer values first, so one that contains another is replaced whole.
    replacements = sorted(
        ((old.encode(), new.encode()) for old, new in stand_ins.replacements.items()),
        key=lambda pair: -len(pair[0]),
    )
    redacted = [
        Exchange(
            exchange.api,
            exchange.request,
            None if exchange.reply is None else _replace(exchange.reply, replacements),
            exchange.error,
        )
        for exchange in exchanges
    ]
    return redacted, host_stand_in


def capture_document(  # noqa: PLR0913
    host: str,
    exchanges: Iterable[Exchange],
    *,
    v2_port: int,
    v3_port: int,
    redacted: bool,
    captured_at: datetime | None = None,
) -> dict[str, Any]:
    """Return the capture as docs/firmware.md's JSON document."""
    if redacted:
        exchanges, host = redact(exchanges, host)
    return {
        "format": CAPTURE_FORMAT,
        "version": CAPTURE_VERSION,
        "captured_at": (captured_at or datetime.now(UTC)).isoformat(),
        "client": client_version(),
        "host": host,
        "redacted": redacted,
        "ports": {"v2": v2_port, "v3": v3_port},
        "exchanges": [exchange_to_json(exchange) for exchange in exchanges],
    }
