"""Fixtures for the pool clients: the mock servers on 127.0.0.1, stopped by each test."""

from collections.abc import AsyncIterator

import pytest

from simulator.webminepool import WebMinePoolServer
from simulator.whitepool import FakeClock, WhitePoolServer

WHITEPOOL_KEY = "test-key"
WHITEPOOL_SECRET = "test-secret"
WEBMINEPOOL_KEY = "PK_Abc123def456ghi789jkl"


@pytest.fixture
async def whitepool_server(socket_enabled: None) -> AsyncIterator[WhitePoolServer]:
    """A WhitePool mock with the demo account and a fake clock (``server.clock``).

    The harness blocks socket creation; ``socket_enabled`` lifts that while it still only
    lets connections go to 127.0.0.1.
    """
    server = WhitePoolServer(WHITEPOOL_KEY, WHITEPOOL_SECRET, clock=FakeClock())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def webminepool_server(socket_enabled: None) -> AsyncIterator[WebMinePoolServer]:
    """A WebMinePool mock with two active users and a fake clock."""
    server = WebMinePoolServer(WEBMINEPOOL_KEY, clock=FakeClock())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
