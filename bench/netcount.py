"""Count TCP connections and bytes as seen by the process that opens them.

Installed only in a benchmark worker process, never in product code: it swaps
``socket.socket`` for a subclass whose send and receive methods add to module-wide
counters. asyncio looks ``socket.socket`` up at call time when it opens a
connection, so every client in the process is counted the same way, whichever
library it is (ours, pyasic, httpx through anyio).

Kept compatible with Python 3.11: pyasic's throwaway environment may use it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socket import _Address

    from _typeshed import ReadableBuffer, WriteableBuffer


@dataclass
class NetCounters:
    """What the process did on the network since the last reset."""

    connect_attempts: int = 0  # sockets that called connect(), refused ones included
    connections: int = 0  # sockets that carried at least one byte: really opened
    bytes_sent: int = 0
    bytes_received: int = 0

    def reset(self) -> None:
        """Start counting from zero."""
        self.connect_attempts = self.connections = self.bytes_sent = (
            self.bytes_received
        ) = 0


COUNTERS = NetCounters()
_ORIGINAL_SOCKET = socket.socket


class _CountingSocket(socket.socket):
    """A socket that adds what it connects, sends and receives to ``COUNTERS``."""

    # Only sockets this process connected are counted: the event loop's own
    # self-pipe (a socketpair) also sends and receives, but is not network traffic.
    __slots__ = ("_carried", "_outgoing")

    def __init__(
        self,
        family: int = -1,
        type: int = -1,  # noqa: A002  # socket.socket's own parameter names
        proto: int = -1,
        fileno: int | None = None,
    ) -> None:
        super().__init__(family, type, proto, fileno)
        self._outgoing = False
        self._carried = False

    def _traffic(self, sent: int, received: int) -> None:
        if not self._outgoing:
            return
        if not self._carried:
            self._carried = True
            COUNTERS.connections += 1
        COUNTERS.bytes_sent += sent
        COUNTERS.bytes_received += received

    def connect(self, address: _Address, /) -> None:
        COUNTERS.connect_attempts += 1
        self._outgoing = True
        super().connect(address)

    def connect_ex(self, address: _Address, /) -> int:
        COUNTERS.connect_attempts += 1
        self._outgoing = True
        return super().connect_ex(address)

    def send(self, data: ReadableBuffer, flags: int = 0, /) -> int:
        sent = super().send(data, flags)
        self._traffic(sent, 0)
        return sent

    def sendall(self, data: ReadableBuffer, flags: int = 0, /) -> None:
        super().sendall(data, flags)
        self._traffic(len(memoryview(data)), 0)

    def sendmsg(
        self,
        buffers: Iterable[ReadableBuffer],
        ancdata: Iterable[tuple[int, int, ReadableBuffer]] = (),
        flags: int = 0,
        address: _Address | None = None,
        /,
    ) -> int:
        sent = super().sendmsg(buffers, ancdata, flags, address)
        self._traffic(sent, 0)
        return sent

    def recv(self, size: int, flags: int = 0, /) -> bytes:
        data = super().recv(size, flags)
        if data:
            self._traffic(0, len(data))
        return data

    def recv_into(
        self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0, /
    ) -> int:
        received = super().recv_into(buffer, nbytes, flags)
        if received:
            self._traffic(0, received)
        return received


def install() -> NetCounters:
    """Count every socket this process opens from now on."""
    socket.socket = _CountingSocket  # type: ignore[misc]
    return COUNTERS


def uninstall() -> None:
    """Open ordinary sockets again."""
    socket.socket = _ORIGINAL_SOCKET  # type: ignore[misc]
