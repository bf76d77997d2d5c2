"""The v2 transport's byte-exact edge cases.

The simulator covers replies as miners send them (see test_v2.py). These few cases
need bytes no miner model produces (a reply over 1 MiB, a socket closed right
after the request), so a tiny raw server on 127.0.0.1 sends them.
"""

import asyncio
import contextlib
import socket

import pytest

from custom_components.hashwatt.clients.whatsminer import transport
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerConnectionError,
    WhatsminerInvalidReplyError,
    WhatsminerTimeoutError,
)

from .conftest import Handler, ServerFactory

REQUEST = b'{"cmd":"summary"}'

# Real sockets on 127.0.0.1: the harness only allows them with `socket_enabled`.
pytestmark = pytest.mark.usefixtures("socket_enabled")


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    buffer = b""
    while transport.json_object_end(buffer) is None:
        chunk = await reader.read(1024)
        if not chunk:
            break
        buffer += chunk
    return buffer


def _replying(*chunks: bytes, pause: float = 0.0, close: bool = True) -> Handler:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert await _read_request(reader) == REQUEST
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        if not close:
            await reader.read()  # hold the connection until the client drops it

    return handler


async def _request(port: int, *, reply_timeout: float = 2.0) -> bytes:
    return await transport.request(
        "127.0.0.1", port, REQUEST, connect_timeout=2.0, reply_timeout=reply_timeout
    )


async def test_reply_read_to_eof_in_pieces(raw_server: ServerFactory) -> None:
    """A reply arriving in pieces is read to EOF; the trailing NUL goes."""
    port = await raw_server(
        _replying(b'{"STATUS":"S",', b'"Code":131}', b"\x00", pause=0.05)
    )
    assert await _request(port) == b'{"STATUS":"S","Code":131}'


async def test_reply_over_one_mebibyte_is_refused(raw_server: ServerFactory) -> None:
    """A reply over 1 MiB raises our error instead of filling memory."""
    chunk = b"x" * 65536
    port = await raw_server(_replying(b'{"Msg":"', *([chunk] * 17), b'"}'))
    with pytest.raises(WhatsminerInvalidReplyError, match="over 1048576 bytes"):
        await _request(port)


async def test_reply_of_exactly_one_mebibyte_is_read(raw_server: ServerFactory) -> None:
    """The cap is inclusive: 1 MiB exactly is fine."""
    body = b'{"Msg":"' + b"y" * (transport.MAX_REPLY_BYTES - 10) + b'"}'
    assert len(body) == transport.MAX_REPLY_BYTES
    port = await raw_server(_replying(body))
    assert await _request(port) == body


async def test_closed_without_a_reply(raw_server: ServerFactory) -> None:
    """The request went out, the miner closed without a byte: NoReplyError."""
    port = await raw_server(_replying())
    with pytest.raises(transport.NoReplyError, match="without replying"):
        await _request(port)


async def test_no_reply_in_time(raw_server: ServerFactory) -> None:
    """Silence after the request: ReplyTimeoutError (the request counts as sent)."""
    port = await raw_server(_replying(close=False))
    with pytest.raises(transport.ReplyTimeoutError, match=r"no reply within 0\.2 s"):
        await _request(port, reply_timeout=0.2)


async def test_a_stalled_reply_returns_what_arrived(raw_server: ServerFactory) -> None:
    """Part of a reply, then silence: what arrived goes to the repair."""
    port = await raw_server(_replying(b'{"STATUS":"S","Msg":{"a":1,"b":', close=False))
    assert await _request(port, reply_timeout=0.3) == b'{"STATUS":"S","Msg":{"a":1,"b":'


async def test_reset_mid_reply(raw_server: ServerFactory) -> None:
    """A reset after part of the reply is a connection error."""

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await _read_request(reader)
        writer.write(b'{"STATUS":"S",')
        await writer.drain()
        await asyncio.sleep(0.05)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        writer.transport.abort()

    port = await raw_server(handler)
    with pytest.raises(WhatsminerConnectionError, match="mid-reply"):
        await _request(port)


async def test_reset_without_a_reply(raw_server: ServerFactory) -> None:
    """A reset after the request, before any reply: the request went out, no reply came."""

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await _read_request(reader)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        writer.transport.abort()

    port = await raw_server(handler)
    with pytest.raises(transport.NoReplyError, match="reset the connection without"):
        await _request(port)


async def test_connection_refused() -> None:
    """Nothing listening: a connection error naming the address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(
            WhatsminerConnectionError, match=f"cannot connect to 127.0.0.1:{port}"
        ):
            await _request(port)


async def test_connect_timeout() -> None:
    """A listener whose backlog is full never completes the handshake: connect timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(3):
                filler = socket.socket()
                filler.setblocking(False)
                fillers.append(filler)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            await asyncio.sleep(0.05)
            with pytest.raises(
                WhatsminerTimeoutError, match="did not accept a connection"
            ):
                await transport.request(
                    "127.0.0.1", port, REQUEST, connect_timeout=0.3, reply_timeout=1.0
                )
        finally:
            for filler in fillers:
                filler.close()


async def test_two_phase_reads_on_one_connection(raw_server: ServerFactory) -> None:
    """read_object stops after the JSON head; read_exactly takes the binary that follows."""
    binary = bytes(range(256)) * 40

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await _read_request(reader)
        writer.write(b'{"Msg":{"logfilelen":"10240","x":"}{"}}' + binary[:100])
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.write(binary[100:])
        await writer.drain()
        await reader.read()

    port = await raw_server(handler)
    connection = await transport.Connection.open(
        "127.0.0.1", port, connect_timeout=1.0, reply_timeout=1.0
    )
    async with connection:
        await connection.send(REQUEST)
        head, rest = await connection.read_object()
        assert head == b'{"Msg":{"logfilelen":"10240","x":"}{"}}'
        assert await connection.read_exactly(len(binary), rest) == binary


async def test_read_exactly_reports_a_short_transfer(raw_server: ServerFactory) -> None:
    """The miner closing before the announced size is a connection error."""
    port = await raw_server(_replying(b'{"Msg":{}}abc'))
    connection = await transport.Connection.open(
        "127.0.0.1", port, connect_timeout=1.0, reply_timeout=1.0
    )
    async with connection:
        await connection.send(REQUEST)
        _, rest = await connection.read_object()
        with pytest.raises(WhatsminerConnectionError, match="after 3 of 10 bytes"):
            await connection.read_exactly(10, rest)


async def test_read_exactly_reports_a_stall(raw_server: ServerFactory) -> None:
    """No byte for a whole reply timeout during the binary phase: a timeout."""
    port = await raw_server(_replying(b'{"Msg":{}}ab', close=False))
    connection = await transport.Connection.open(
        "127.0.0.1", port, connect_timeout=1.0, reply_timeout=0.2
    )
    async with connection:
        await connection.send(REQUEST)
        _, rest = await connection.read_object()
        with pytest.raises(WhatsminerTimeoutError, match="stalled after 2 of 10 bytes"):
            await connection.read_exactly(10, rest)


async def test_read_object_edge_cases(raw_server: ServerFactory) -> None:
    """An unfinished head at EOF goes to the repair; silence after a partial head times out."""
    port = await raw_server(_replying(b'{"Msg":"rea'))
    async with await transport.Connection.open(
        "127.0.0.1", port, connect_timeout=1.0, reply_timeout=1.0
    ) as connection:
        await connection.send(REQUEST)
        assert await connection.read_object() == (b'{"Msg":"rea', b"")

    port = await raw_server(_replying(b'{"Msg":"rea', close=False))
    async with await transport.Connection.open(
        "127.0.0.1", port, connect_timeout=1.0, reply_timeout=0.2
    ) as connection:
        await connection.send(REQUEST)
        with pytest.raises(transport.ReplyTimeoutError, match="did not finish"):
            await connection.read_object()

    port = await raw_server(_replying())
    async with await transport.Connection.open(
        "127.0.0.1", port, connect_timeout=1.0, reply_timeout=1.0
    ) as connection:
        await connection.send(REQUEST)
        with pytest.raises(transport.NoReplyError):
            await connection.read_object()


async def test_send_to_a_peer_that_stops_reading(raw_server: ServerFactory) -> None:
    """Sending more than the peer takes in (a stalled firmware upload) times out."""

    async def handler(
        reader: asyncio.StreamReader, _writer: asyncio.StreamWriter
    ) -> None:
        await asyncio.sleep(10)  # never read

    port = await raw_server(handler)
    async with await transport.Connection.open(
        "127.0.0.1", port, connect_timeout=1.0, reply_timeout=1.0
    ) as connection:
        with pytest.raises(WhatsminerTimeoutError, match="stopped accepting data"):
            await connection.send(b"\x00" * (64 * 1024 * 1024), timeout=0.3)


async def test_request_to_a_peer_that_stops_reading(raw_server: ServerFactory) -> None:
    """A request that never went out in full is no request without a reply."""

    async def handler(
        _reader: asyncio.StreamReader, _writer: asyncio.StreamWriter
    ) -> None:
        await asyncio.sleep(10)  # never read

    port = await raw_server(handler)
    with pytest.raises(WhatsminerTimeoutError, match="stopped accepting data") as err:
        await transport.request(
            "127.0.0.1",
            port,
            b"\x00" * (64 * 1024 * 1024),
            connect_timeout=1.0,
            reply_timeout=0.3,
        )
    assert not isinstance(err.value, transport.ReplyTimeoutError)


async def test_send_to_a_peer_that_reset(raw_server: ServerFactory) -> None:
    """Sending on a connection the peer reset is a connection error."""

    async def handler(
        _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        writer.transport.abort()

    port = await raw_server(handler)
    async with await transport.Connection.open(
        "127.0.0.1", port, connect_timeout=1.0, reply_timeout=1.0
    ) as connection:
        await asyncio.sleep(0.1)  # let the reset arrive

        async def send_until_refused() -> None:
            for _ in range(20):
                await connection.send(b"x" * 65536)

        with pytest.raises(WhatsminerConnectionError, match="while we were sending"):
            await send_until_refused()


def test_json_object_end() -> None:
    """Braces inside strings and escaped quotes do not count; a non-object start is an error."""
    assert transport.json_object_end(b"") is None
    head = b'{"a":"}\\"{"}'
    assert transport.json_object_end(b" \x00" + head + b"xyz") == 2 + len(head)
    assert transport.json_object_end(b'{"a":{"b":1}') is None
    with pytest.raises(WhatsminerInvalidReplyError):
        transport.json_object_end(b"[1]")
