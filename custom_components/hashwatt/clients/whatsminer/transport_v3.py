"""API v3 transport: length-prefixed JSON over one kept TCP connection.

Each message, both ways, is a 4-byte little-endian length and then that many
bytes of JSON. A miner accepts several requests on one connection and closes
it after 300 s without traffic, so one connection per miner is kept and
requests take turns on it.

A kept connection may have been closed by the miner while we were not looking.
A request that finds it dead is sent again on a new connection, but only when
that cannot run a command twice: always when nothing (complete) was sent yet,
and after the request went out only for reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from .errors import (
    WhatsminerConnectionError,
    WhatsminerInvalidReplyError,
    WhatsminerTimeoutError,
)
from .transport import raise_connect_error

_LOGGER = logging.getLogger(__name__)

HEADER: Final = struct.Struct("<I")
MAX_REPLY_BYTES: Final = 1024 * 1024
MAX_LOG_BYTES: Final = 64 * 1024 * 1024
# The miner closes a connection after 300 s without traffic; well before that a
# kept connection is replaced rather than risk sending into the close.
IDLE_REUSE_SECONDS: Final = 240.0
# Flashing can take minutes before the miner confirms an upload.
FIRMWARE_REPLY_TIMEOUT: Final = 300.0
# Raw transfers (logs, firmware) must move at least this many bytes per second.
MIN_TRANSFER_RATE: Final = 100_000
# The miner may send empty frames as heartbeats; more than a few in a row
# instead of a reply means it is not answering.
_MAX_HEARTBEATS: Final = 8
_CLOSE_TIMEOUT: Final = 1.0


class ReplyLostError(WhatsminerConnectionError):
    """The request went out, then the connection ended before the reply came."""


class ReplyTimeoutError(WhatsminerTimeoutError):
    """The request went out, then no reply came in time."""


class UnconfirmedError(WhatsminerConnectionError):
    """An upload went out in full, then the miner confirmed nothing."""


class _NotSentError(Exception):
    """The connection failed before the whole request was written."""


# json.dumps with options builds an encoder per call; this one is shared.
_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


def encode_frame(payload: Mapping[str, Any]) -> bytes:
    """Return one request frame: the length, then compact ASCII JSON."""
    body = _ENCODER.encode(payload).encode("ascii")
    return HEADER.pack(len(body)) + body


class V3Connection:
    """The kept connection to one miner's API v3 port."""

    def __init__(
        self, host: str, port: int, *, connect_timeout: float, reply_timeout: float
    ) -> None:
        self.host = host
        self.port = port
        self._connect_timeout = connect_timeout
        self._reply_timeout = reply_timeout
        self._lock = asyncio.Lock()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0
        self.connections_opened = 0

    def __repr__(self) -> str:
        return f"V3Connection({self.host!r}, {self.port})"

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    async def close(self) -> None:
        """Close the kept connection, if any."""
        async with self._lock:
            writer = self._drop()
            if writer is not None:
                with contextlib.suppress(OSError, TimeoutError):
                    async with asyncio.timeout(_CLOSE_TIMEOUT):
                        await writer.wait_closed()

    def _drop(self) -> asyncio.StreamWriter | None:
        writer = self._writer
        self._reader = self._writer = None
        if writer is not None:
            writer.close()
        return writer

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            async with asyncio.timeout(self._connect_timeout):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as err:  # TimeoutError included
            raise_connect_error(err, self._where, self._connect_timeout)
        self._reader, self._writer = reader, writer
        self.connections_opened += 1
        _LOGGER.debug("Connected to %s (API v3)", self._where)
        return reader, writer

    async def _kept_or_new(
        self,
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        """Return a usable connection and whether it is a kept (reused) one."""
        reader, writer = self._reader, self._writer
        if reader is not None and writer is not None:
            idle = asyncio.get_running_loop().time() - self._last_used
            if not (
                writer.is_closing() or reader.at_eof() or idle > IDLE_REUSE_SECONDS
            ):
                return reader, writer, True
            self._drop()
        reader, writer = await self._connect()
        return reader, writer, False

    def _touch(self) -> None:
        self._last_used = asyncio.get_running_loop().time()

    async def request(
        self, payload: Mapping[str, Any], *, may_resend: bool, fresh: bool = False
    ) -> bytes:
        """Send one request and return the body of its reply.

        ``may_resend`` says the request is safe to run twice (a read): it is
        then sent again on a new connection if the kept one dies after sending.
        ``fresh`` sends it on a new connection, where a connection that ends
        after the request can only be the miner's doing, never an idle close.
        """
        frame = encode_frame(payload)
        async with self._lock:
            if fresh:
                self._drop()
            reader, writer, kept = await self._kept_or_new()
            try:
                return await self._exchange(reader, writer, frame, kept=kept)
            except _NotSentError:
                pass  # the kept connection was dead: nothing reached the miner
            except ReplyLostError:
                if not (kept and may_resend):
                    raise
            _LOGGER.debug("Kept connection to %s was closed; reconnecting", self._where)
            reader, writer = await self._connect()
            return await self._exchange(reader, writer, frame, kept=False)

    async def _exchange(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        frame: bytes,
        *,
        kept: bool,
    ) -> bytes:
        sent = False
        try:
            async with asyncio.timeout(self._reply_timeout):
                writer.write(frame)
                await writer.drain()
                sent = True
                body = await self._read_frame(reader)
        except TimeoutError:
            self._drop()
            msg = f"{self._where} did not answer within {self._reply_timeout:g} s"
            raise (ReplyTimeoutError if sent else WhatsminerTimeoutError)(msg) from None
        except (OSError, asyncio.IncompleteReadError) as err:
            self._drop()
            if sent:
                msg = f"{self._where} closed the connection before answering"
                raise ReplyLostError(msg) from err
            if kept:
                raise _NotSentError from err
            msg = f"{self._where} closed the connection: {err!r}"
            raise WhatsminerConnectionError(msg) from err
        except BaseException:
            # Cancelled or garbled: a late reply would answer the next request.
            self._drop()
            raise
        self._touch()
        return body

    async def _read_frame(self, reader: asyncio.StreamReader) -> bytes:
        for _ in range(_MAX_HEARTBEATS + 1):
            (length,) = HEADER.unpack(await reader.readexactly(HEADER.size))
            if length == 0:
                continue  # heartbeat
            if length > MAX_REPLY_BYTES:
                msg = f"{self._where} announced a {length}-byte reply (limit {MAX_REPLY_BYTES})"
                raise WhatsminerInvalidReplyError(msg)
            return await reader.readexactly(length)
        msg = f"{self._where} sent only heartbeats instead of a reply"
        raise WhatsminerInvalidReplyError(msg)

    @contextlib.contextmanager
    def _transfer(self, size: int) -> Iterator[None]:
        """Map the failures of moving ``size`` raw bytes to our errors."""
        try:
            yield
        except TimeoutError:
            msg = f"{self._where} stalled moving {size} bytes"
            raise WhatsminerTimeoutError(msg) from None
        except (OSError, asyncio.IncompleteReadError) as err:
            msg = f"{self._where} closed the connection while moving {size} bytes"
            raise WhatsminerConnectionError(msg) from err

    def _transfer_timeout(self, size: int) -> float:
        return self._reply_timeout + size / MIN_TRANSFER_RATE

    async def download(
        self, payload: Mapping[str, Any], size_of: Callable[[bytes], int]
    ) -> bytes:
        """Send a request whose reply announces raw bytes, and return those bytes.

        ``size_of`` reads the reply frame and returns how many bytes follow (it
        raises if the miner refused). The miner streams them unframed and may
        close the connection after them, so this uses a connection of its own.
        """
        frame = encode_frame(payload)
        async with self._lock:
            self._drop()
            reader, writer = await self._connect()
            try:
                size = size_of(await self._exchange(reader, writer, frame, kept=False))
                with self._transfer(size):
                    async with asyncio.timeout(self._transfer_timeout(size)):
                        return await reader.readexactly(size)
            finally:
                self._drop()

    async def upload(
        self, payload: Mapping[str, Any], is_ready: Callable[[bytes], None], data: bytes
    ) -> bytes:
        """Send a request, wait for its go-ahead, send ``data`` framed, return the last reply.

        ``is_ready`` reads the first reply and raises if the miner refused. This
        uses a connection of its own, closed afterwards: the miner restarts.
        Raises :class:`UnconfirmedError` when all went out but no reply came.
        """
        frame = encode_frame(payload)
        async with self._lock:
            self._drop()
            reader, writer = await self._connect()
            try:
                is_ready(await self._exchange(reader, writer, frame, kept=False))
                with self._transfer(len(data)):
                    async with asyncio.timeout(self._transfer_timeout(len(data))):
                        writer.write(HEADER.pack(len(data)))
                        writer.write(data)
                        await writer.drain()
                try:
                    async with asyncio.timeout(FIRMWARE_REPLY_TIMEOUT):
                        return await self._read_frame(reader)
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as err:
                    msg = f"{self._where} took the upload but did not confirm it"
                    raise UnconfirmedError(msg) from err
            finally:
                self._drop()
