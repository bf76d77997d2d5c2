"""Replay captured replies over real TCP on 127.0.0.1, as docs/firmware.md specifies.

A request whose JSON object equals an exchange's request gets that exchange's
bytes (v2: then the connection closes; v3: as one length-prefixed frame). Any
other request gets the API's own "invalid command" answer.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from custom_components.hashwatt.clients.whatsminer.exchanges import (
    Exchange,
    request_key,
)
from custom_components.hashwatt.clients.whatsminer.models import ApiVersion

type Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
type ServerFactory = Callable[[Handler], Awaitable[int]]

V2_INVALID = (
    b'{"STATUS":"E","When":1772042752,"Code":14,"Msg":"invalid cmd","Description":""}'
)


def v3_invalid(command: object) -> bytes:
    """Return API v3's answer to a command it does not have."""
    return json.dumps(
        {"code": -2, "when": 1772042752, "msg": "invalid command", "desc": command}
    ).encode()


class Replay:
    """Serves exchanges; remembers the requests it was sent."""

    def __init__(self, exchanges: Iterable[Exchange]) -> None:
        """Index the exchanges with a reply by API and request."""
        self.replies: dict[str, bytes] = {}
        for exchange in exchanges:
            if exchange.reply is not None:
                self.replies.setdefault(exchange.key, exchange.reply)
        self.requests: list[tuple[ApiVersion, Mapping[str, Any]]] = []

    def answer(self, api: ApiVersion, request: Mapping[str, Any]) -> bytes | None:
        """Return the recorded reply to ``request``, or ``None``."""
        self.requests.append((api, request))
        return self.replies.get(f"{api}:{request_key(request)}")

    async def v2(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Answer one plaintext request, then close (as btminer does)."""
        data = b""
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                return
            data += chunk
            try:
                request = json.loads(data)
            except ValueError:
                continue
            break
        reply = self.answer(ApiVersion.V2, request)
        writer.write(V2_INVALID if reply is None else reply)
        await writer.drain()

    async def v3(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Answer length-prefixed requests on one kept connection."""
        while True:
            try:
                (length,) = struct.unpack("<I", await reader.readexactly(4))
                request = json.loads(await reader.readexactly(length))
            except asyncio.IncompleteReadError:
                return
            reply = self.answer(ApiVersion.V3, request)
            body = v3_invalid(request.get("cmd")) if reply is None else reply
            writer.write(struct.pack("<I", len(body)) + body)
            await writer.drain()

    async def start(self, raw_server: ServerFactory) -> tuple[int, int]:
        """Listen for both APIs; return the v2 and the v3 port."""
        return await raw_server(self.v2), await raw_server(self.v3)
