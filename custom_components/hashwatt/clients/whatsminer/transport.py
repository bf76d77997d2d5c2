"""API v2 framing on TCP 4028: one request per connection, the reply read to EOF.

The client writes one bare JSON object; the miner answers once and closes the
socket. Two commands keep the connection for a second phase (``download_logs``
and ``update_firmware``), so :class:`Connection` also reads one JSON object
without waiting for EOF, and an exact number of bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Final, NoReturn, Self, cast, override

from .errors import (
    WhatsminerConnectionError,
    WhatsminerInvalidReplyError,
    WhatsminerTimeoutError,
)

MAX_REPLY_BYTES: Final = 1024 * 1024
_CHUNK_BYTES: Final = 64 * 1024
_CLOSE_TIMEOUT: Final = 1.0


class ReplyTimeoutError(WhatsminerTimeoutError):
    """The request went out in full, but no reply came in time."""


class NoReplyError(WhatsminerConnectionError):
    """The request went out in full, but the miner closed the connection without a reply."""


def raise_connect_error(err: OSError, address: str, connect_timeout: float) -> NoReturn:
    """Raise our own error for a connection attempt that timed out or was refused."""
    if isinstance(err, TimeoutError):
        msg = f"{address} did not accept a connection within {connect_timeout:g} s"
        raise WhatsminerTimeoutError(msg) from None
    msg = f"cannot connect to {address}: {err.strerror or err or type(err).__name__}"
    raise WhatsminerConnectionError(msg) from err


def json_object_end(buffer: bytes) -> int | None:
    """Return the index just past the first complete JSON object, or ``None``.

    Braces inside strings do not count. Raises :class:`WhatsminerInvalidReplyError`
    when the buffer does not start (after whitespace) with an object.
    """
    depth = 0
    in_string = False
    escaped = False
    for index, byte in enumerate(buffer):
        if depth == 0:
            if byte == 0x7B:  # {
                depth = 1
            elif byte not in b" \t\r\n\x00":
                msg = "reply does not start with a JSON object"
                raise WhatsminerInvalidReplyError(msg)
        elif in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte == 0x7B:
            depth += 1
        elif byte == 0x7D:  # }
            depth -= 1
            if depth == 0:
                return index + 1
    return None


class Connection:
    """One TCP connection to a miner's API v2 port."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        address: str,
        reply_timeout: float,
    ) -> None:
        """Wrap an open stream pair; use :meth:`open` to connect."""
        self._reader = reader
        self._writer = writer
        self._address = address
        self._reply_timeout = reply_timeout

    @classmethod
    async def open(
        cls, host: str, port: int, *, connect_timeout: float, reply_timeout: float
    ) -> Self:
        """Connect, raising our own errors for refusals and timeouts."""
        address = f"{host}:{port}"
        try:
            async with asyncio.timeout(connect_timeout):
                reader, writer = await asyncio.open_connection(host, port)
        except OSError as err:  # TimeoutError included
            raise_connect_error(err, address, connect_timeout)
        return cls(reader, writer, address=address, reply_timeout=reply_timeout)

    async def __aenter__(self) -> Self:
        """Use the connection as a context manager that always closes it."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the connection; abort it when leaving with an error."""
        await self.close(abort=exc is not None)

    async def close(self, *, abort: bool = False) -> None:
        """Close the socket (at once when ``abort``, e.g. after an error)."""
        if self._writer.is_closing():
            return
        if abort:
            self._writer.transport.abort()
            return
        self._writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await self._writer.wait_closed()

    async def send(self, data: bytes, *, timeout: float | None = None) -> None:
        """Write ``data`` and wait until it has been handed to the network."""
        try:
            self._writer.write(data)
            async with asyncio.timeout(
                self._reply_timeout if timeout is None else timeout
            ):
                await self._writer.drain()
        except TimeoutError:
            msg = f"{self._address} stopped accepting data"
            raise WhatsminerTimeoutError(msg) from None
        except OSError as err:
            msg = f"{self._address} closed the connection while we were sending"
            raise WhatsminerConnectionError(msg) from err

    async def _read_chunk(self, deadline: float, received: int) -> bytes:
        """Read what is available; ``b""`` at EOF."""
        try:
            async with asyncio.timeout_at(deadline):
                return await self._reader.read(_CHUNK_BYTES)
        except TimeoutError:
            if received:
                raise  # the caller decides what a stalled partial reply means
            msg = f"{self._address} sent no reply within {self._reply_timeout:g} s"
            raise ReplyTimeoutError(msg) from None
        except OSError as err:
            if received:
                msg = f"{self._address} reset the connection mid-reply"
                raise WhatsminerConnectionError(msg) from err
            msg = f"{self._address} reset the connection without replying"
            raise NoReplyError(msg) from err

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self._reply_timeout

    def _check_size(self, size: int, limit: int) -> None:
        if size > limit:
            msg = f"{self._address} sent a reply over {limit} bytes"
            raise WhatsminerInvalidReplyError(msg)

    def _no_reply(self) -> NoReplyError:
        return NoReplyError(f"{self._address} closed the connection without replying")

    async def read_to_eof(self, limit: int = MAX_REPLY_BYTES) -> bytes:
        """Read until the miner closes the connection; strip a trailing NUL.

        If the reply stops short of EOF in time, what arrived is returned for
        the reply repair to judge (miners do send truncated replies).
        """
        deadline = self._deadline()
        chunks: list[bytes] = []
        received = 0
        while True:
            try:
                chunk = await self._read_chunk(deadline, received)
            except TimeoutError:
                break  # something arrived, then nothing more: judge what we have
            if not chunk:
                break
            received += len(chunk)
            self._check_size(received, limit)
            chunks.append(chunk)
        if not received:
            raise self._no_reply()
        return b"".join(chunks).rstrip(b"\x00")

    async def read_object(self, limit: int = MAX_REPLY_BYTES) -> tuple[bytes, bytes]:
        """Read one JSON object without waiting for EOF.

        Returns the object's bytes and whatever arrived after it (the start of
        a binary phase). At EOF before the object is complete, returns what
        arrived for the reply repair to judge.
        """
        deadline = self._deadline()
        buffer = b""
        while True:
            end = json_object_end(buffer)
            if end is not None:
                return buffer[:end], buffer[end:]
            try:
                chunk = await self._read_chunk(deadline, len(buffer))
            except TimeoutError:
                msg = f"{self._address} did not finish its reply in time"
                raise ReplyTimeoutError(msg) from None
            if not chunk:
                if not buffer:
                    raise self._no_reply()
                return buffer.rstrip(b"\x00"), b""
            buffer += chunk
            self._check_size(len(buffer), limit)

    async def read_exactly(self, size: int, initial: bytes = b"") -> bytes:
        """Read ``size`` bytes (``initial`` already arrived); the timeout is per chunk."""
        chunks = [initial[:size]]
        received = len(chunks[0])
        while received < size:
            try:
                chunk = await self._read_chunk(self._deadline(), received)
            except TimeoutError:
                msg = f"{self._address} stalled after {received} of {size} bytes"
                raise WhatsminerTimeoutError(msg) from None
            if not chunk:
                msg = f"{self._address} closed the connection after {received} of {size} bytes"
                raise WhatsminerConnectionError(msg)
            chunks.append(chunk[: size - received])
            received += len(chunks[-1])
        return b"".join(chunks)


class _ReplyToEof(asyncio.Protocol):
    """Send one request once connected; collect the reply until the miner closes.

    The poll path of :func:`request`: a protocol of its own costs about a third
    less CPU per request than a stream pair (reader, writer, their protocol and
    a timeout per read), which adds up over a mine's polls.
    """

    def __init__(
        self, payload: bytes, address: str, done: asyncio.Future[None]
    ) -> None:
        self._payload = payload
        self._address = address
        self._transport: asyncio.Transport | None = None
        self.done = done
        self.chunks: list[bytes] = []
        self.received = 0
        # Whether the request went out, as far as this end can tell: the
        # kernel took it all at once (a request is far smaller than its buffer).
        self.sent = False

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._payload)
        self.sent = (
            not self._transport.is_closing()
            and not self._transport.get_write_buffer_size()
        )

    @property
    def sending(self) -> bool:
        """Whether part of the request still waits to go out (the miner reads none)."""
        transport = self._transport
        return transport is not None and transport.get_write_buffer_size() > 0

    @override
    def data_received(self, data: bytes) -> None:
        self.sent = True  # a reply: the miner read the request
        self.received += len(data)
        if self.received > MAX_REPLY_BYTES:
            msg = f"{self._address} sent a reply over {MAX_REPLY_BYTES} bytes"
            self._finish(WhatsminerInvalidReplyError(msg))
            return
        self.chunks.append(data)

    @override
    def eof_received(self) -> bool:
        self._finish(None)
        return False  # the transport closes itself

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(exc)

    def _finish(self, error: Exception | None) -> None:
        if self.done.done():
            return
        if error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(error)


async def request(
    host: str,
    port: int,
    payload: bytes,
    *,
    connect_timeout: float,
    reply_timeout: float,
) -> bytes:
    """Send one request on a fresh connection and return the whole reply.

    What :meth:`Connection.send` and :meth:`Connection.read_to_eof` do, with
    the same errors, on a lighter protocol: every poll of a v2 miner comes here.
    """
    loop = asyncio.get_running_loop()
    address = f"{host}:{port}"
    protocol = _ReplyToEof(payload, address, loop.create_future())
    try:
        async with asyncio.timeout(connect_timeout):
            transport, _ = await loop.create_connection(lambda: protocol, host, port)
    except OSError as err:  # TimeoutError included
        raise_connect_error(err, address, connect_timeout)
    try:
        reply = await _reply_to_eof(protocol, address, reply_timeout)
    except BaseException:
        transport.abort()
        raise
    transport.close()
    return reply


async def _reply_to_eof(
    protocol: _ReplyToEof, address: str, reply_timeout: float
) -> bytes:
    """Wait for EOF; map what happened to the errors :class:`Connection` raises."""
    try:
        async with asyncio.timeout(reply_timeout):
            await protocol.done
    except TimeoutError:
        if protocol.sending:
            msg = f"{address} stopped accepting data"
            raise WhatsminerTimeoutError(msg) from None
        if not protocol.received:
            msg = f"{address} sent no reply within {reply_timeout:g} s"
            raise ReplyTimeoutError(msg) from None
        # Something arrived, then nothing more: judge what we have.
    except OSError as err:
        if not protocol.sent:
            msg = f"{address} closed the connection while we were sending"
            raise WhatsminerConnectionError(msg) from err
        if protocol.received:
            msg = f"{address} reset the connection mid-reply"
            raise WhatsminerConnectionError(msg) from err
        msg = f"{address} reset the connection without replying"
        raise NoReplyError(msg) from err
    if not protocol.received:
        msg = f"{address} closed the connection without replying"
        raise NoReplyError(msg)
    return b"".join(protocol.chunks).rstrip(b"\x00")
