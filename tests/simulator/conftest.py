"""Fixtures for the simulator tests: a hand-driven clock and miners stopped by each test.

These tests talk to the simulator over raw sockets, built from the vendor document
and the reference, never through the project's client: the simulator must be checked
against what real miners do, not against what our client expects.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_socket

from custom_components.hashwatt.clients.whatsminer import crypto
from simulator.whatsminer import SimulatedMiner

START = 1_773_869_570.0  # 2026-03-18, the reference's v3 test-vector time
PASSWORD = "Pw_7rq9Z"

type MinerFactory = Callable[..., Any]


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Every test here listens and connects on loopback addresses."""


@pytest.fixture
def loopback_network() -> Iterator[None]:
    """Allow connections to every loopback address (fleets), not only 127.0.0.1."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "127.0.0.0/8"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
def clock() -> ManualClock:
    """The miners' clock."""
    return ManualClock()


@pytest.fixture
async def make_miner(clock: ManualClock) -> AsyncIterator[MinerFactory]:
    """Start miners on 127.0.0.1 on demand; every one is stopped after the test."""
    started: list[SimulatedMiner] = []

    async def start(**options: Any) -> SimulatedMiner:
        options.setdefault("password", PASSWORD)
        options.setdefault("clock", clock)
        miner = SimulatedMiner(**options)
        await miner.start()
        started.append(miner)
        return miner

    try:
        yield start
    finally:
        for miner in started:
            await miner.stop()


@pytest.fixture
async def miner(make_miner: MinerFactory) -> SimulatedMiner:
    """An old-firmware (API v2) M50."""
    result: SimulatedMiner = await make_miner(model="M50", api="v2", seed=3)
    return result


# -- API v2 over raw sockets ----------------------------------------------------------------


async def v2_exchange(port: int, payload: object, host: str = "127.0.0.1") -> bytes:
    """Send one request (a JSON value, or raw bytes) and read the reply to EOF."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        )
        await writer.drain()
        async with asyncio.timeout(5):
            return await reader.read()
    finally:
        writer.close()


async def v2_call(port: int, payload: object, host: str = "127.0.0.1") -> Any:
    """Send one request and parse the (well-formed) JSON reply."""
    return json.loads(await v2_exchange(port, payload, host))


class V2Session:
    """The v2 write procedure of the reference, step by step, for one miner."""

    def __init__(self, port: int, password: str = PASSWORD) -> None:
        self.port = port
        self.password = password
        self.key = ""
        self.sign = ""

    async def token(self) -> dict[str, Any]:
        reply = await v2_call(self.port, {"cmd": "get_token"})
        message = reply["Msg"]
        self.key = crypto.v2_key(self.password, message["salt"])
        self.sign = crypto.v2_sign(self.key, message["time"], message["newsalt"])
        return reply

    @property
    def aes_key(self) -> bytes:
        return crypto.v2_aes_key(self.key)

    def encrypt(self, command: dict[str, Any]) -> dict[str, Any]:
        plaintext = json.dumps({**command, "token": self.sign}).encode()
        return {"enc": 1, "data": crypto.aes_encrypt(self.aes_key, plaintext)}

    def decrypt(self, reply: dict[str, Any]) -> Any:
        return json.loads(crypto.aes_decrypt(self.aes_key, reply["enc"]))

    async def write(self, command: dict[str, Any]) -> Any:
        """Send an encrypted command; return the decrypted reply (or the plaintext one)."""
        if not self.sign:
            await self.token()
        reply = await v2_call(self.port, self.encrypt(command))
        return self.decrypt(reply) if "enc" in reply else reply


# -- API v3 over raw sockets ----------------------------------------------------------------


class V3Connection:
    """A framed API v3 connection: 4-byte little-endian length, then JSON."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, host: str = "127.0.0.1") -> V3Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send_raw(self, body: bytes) -> None:
        self.writer.write(len(body).to_bytes(4, "little") + body)
        await self.writer.drain()

    async def receive(self) -> Any:
        async with asyncio.timeout(5):
            length = int.from_bytes(await self.reader.readexactly(4), "little")
            return json.loads(await self.reader.readexactly(length))

    async def call(self, request: dict[str, Any]) -> Any:
        await self.send_raw(json.dumps(request).encode())
        return await self.receive()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
