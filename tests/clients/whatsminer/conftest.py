"""Simulated miners on 127.0.0.1 for the Whatsminer client tests; each test stops its own."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from custom_components.hashwatt.clients.whatsminer.v2 import WhatsminerV2
from simulator.whatsminer import SimulatedMiner

# A distinctive password: tests assert it never shows in errors, reprs or logs.
MINER_PASSWORD = "Pw_7rq9Z"

type MinerFactory = Callable[..., Any]
type Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
type ServerFactory = Callable[[Handler], Awaitable[int]]


@pytest.fixture
async def make_miner(socket_enabled: None) -> AsyncIterator[MinerFactory]:
    """Start simulated miners on demand (call it with SimulatedMiner options); stop them after.

    The harness blocks socket creation; ``socket_enabled`` lifts that, while
    connections still only reach 127.0.0.1.
    """
    started: list[SimulatedMiner] = []

    async def start(**options: Any) -> SimulatedMiner:
        options.setdefault("api", "v2")
        options.setdefault("password", MINER_PASSWORD)
        options.setdefault("seed", 7)
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
async def simulated_miner(make_miner: MinerFactory) -> SimulatedMiner:
    """An API v2 miner (old firmware) with write access and ``MINER_PASSWORD``."""
    miner: SimulatedMiner = await make_miner()
    return miner


def v2_client(
    miner: SimulatedMiner, password: str | None = MINER_PASSWORD, **options: Any
) -> WhatsminerV2:
    """Return an API v2 client for a simulated miner, with short timeouts."""
    options.setdefault("connect_timeout", 2.0)
    options.setdefault("reply_timeout", 2.0)
    assert miner.v2_port is not None
    return WhatsminerV2(miner.host, port=miner.v2_port, password=password, **options)


@pytest.fixture
def client(simulated_miner: SimulatedMiner) -> WhatsminerV2:
    """An API v2 client for ``simulated_miner``."""
    return v2_client(simulated_miner)


@pytest.fixture
async def raw_server(socket_enabled: None) -> AsyncIterator[ServerFactory]:
    """Serve a connection handler on 127.0.0.1 and return its port; stop it after the test.

    Only for bytes no simulated miner sends (byte-exact transport edge cases,
    protocol replies the simulator has no fault for).
    """
    servers: list[asyncio.Server] = []
    tasks: set[asyncio.Task[None]] = set()

    async def start(handler: Handler) -> int:
        async def tracked(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await handler(reader, writer)
            except ConnectionError:
                pass
            finally:
                writer.close()
                tasks.discard(task)

        server = await asyncio.start_server(tracked, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    try:
        yield start
    finally:
        for server in servers:
            server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            await server.wait_closed()
