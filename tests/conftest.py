"""Shared fixtures for the Hashwatt tests."""

# Import the repo's package first: Home Assistant's test harness puts its own
# testing config dir (with its own `custom_components`) on sys.path.
import custom_components  # noqa: F401  # isort: skip

import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import format_mac
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.hashwatt.const import (
    CONF_API,
    CONF_API_SECRET,
    CONF_ENTRY_TYPE,
    CONF_READ_ONLY,
    CONF_REGION,
    CONF_SECRET_KEY,
    CONF_V2_PORT,
    CONF_V3_PORT,
    DOMAIN,
    ENTRY_TYPE_WEBMINEPOOL,
    ENTRY_TYPE_WHATSMINER,
    ENTRY_TYPE_WHITEPOOL,
)
from custom_components.hashwatt.coordinator import WHITEPOOL_URLS, key_fingerprint
from simulator.mempool import MempoolServer
from simulator.webminepool import WebMinePoolServer
from simulator.whatsminer import SimulatedMiner
from simulator.whitepool import WhitePoolServer


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""


@pytest.fixture(autouse=True)
def no_deprecated_calls(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which Hashwatt used an API Home Assistant reports as deprecated."""
    yield
    reports = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.getMessage().startswith("Detected that custom integration 'hashwatt'")
    ]
    assert not reports


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer (IDs that change per run left out)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create every entity enabled, also those disabled by default (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


# --- Whatsminer entries against the simulator (real TCP on 127.0.0.1) -------------------

PASSWORD = "hw_Secr8"
TITLE = "Miner 1"
START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def unused_tcp_port() -> int:
    """Return a port nothing listens on (for a v2 miner's missing API v3)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def miner_api() -> str:
    """The API the simulated miner speaks; parametrize to change it."""
    return "v2"


@pytest.fixture
def miner_model() -> str:
    """The model the simulated miner is; parametrize to change it."""
    return "M50"


@pytest.fixture
async def simulated_miner(
    miner_api: str,
    miner_model: str,
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
) -> AsyncIterator[SimulatedMiner]:
    """Start a simulated miner (an M50) on 127.0.0.1 (ephemeral ports), then stop it.

    The harness blocks socket creation; ``socket_enabled`` lifts that, while
    connections stay limited to 127.0.0.1. Time is frozen at ``START`` first:
    the miner computes every figure from its clock and a seed, so the same test
    always sees the same miner (``freezer.tick`` moves both on).
    """
    freezer.move_to(START)
    # The clock is looked up at every call, so the `freezer` fixture moves it too.
    miner = SimulatedMiner(
        model=miner_model,
        api=miner_api,
        password=PASSWORD,
        seed=1,
        clock=lambda: time.time(),  # noqa: PLW0108
    )
    await miner.start(host="127.0.0.1")
    yield miner
    await miner.stop()


async def set_up_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add an entry and set it up; it must load."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 30
) -> None:
    """Let time pass: the polls due run, and whatever they start finishes."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    # Scheduled polls run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


def miner_entry_data(miner: SimulatedMiner, **changes: Any) -> dict[str, Any]:
    """Return config entry data pointing at a simulated miner."""
    return {
        CONF_ENTRY_TYPE: ENTRY_TYPE_WHATSMINER,
        CONF_HOST: miner.host,
        CONF_PASSWORD: PASSWORD,
        CONF_V2_PORT: miner.v2_port,
        CONF_V3_PORT: miner.v3_port or unused_tcp_port(),
        CONF_API: miner.api,
        CONF_READ_ONLY: False,
        **changes,
    }


@pytest.fixture
def mock_config_entry(simulated_miner: SimulatedMiner) -> MockConfigEntry:
    """A miner entry for the simulated miner, as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=format_mac(simulated_miner.state.mac),
        data=miner_entry_data(simulated_miner),
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the miner entry and wait until it is loaded."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


# --- Mining pools against the mock APIs (real HTTP on 127.0.0.1) ------------------------

# Distinctive, so a test can look for them in every log line and output.
WHITEPOOL_API_KEY = "hwKey4c1b9e07d2a6"
WHITEPOOL_API_SECRET = "hwSecret58f3a0c7e19b"
WEBMINEPOOL_SECRET_KEY = "PK_hwSecret7Qz3Lm9Xv2Rk"
# The mock pools' data follows their clock: Home Assistant's is frozen at this
# instant (2024-03-02 00:40 UTC) so states are the same in every run.
POOL_START = "2024-03-02T00:40:00+00:00"


@pytest.fixture
async def whitepool_mock(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncIterator[WhitePoolServer]:
    """The WhitePool mock (account my_miner_01 with 5 workers), reached as both regions."""
    freezer.move_to(POOL_START)
    server = WhitePoolServer(
        WHITEPOOL_API_KEY,
        WHITEPOOL_API_SECRET,
        clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
    )
    await server.start()
    with patch.dict(WHITEPOOL_URLS, {"com": server.url, "eu": server.url}):
        yield server
    await server.stop()


@pytest.fixture
async def webminepool_mock(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncIterator[WebMinePoolServer]:
    """The WebMinePool mock (users alice and bob), as the API root."""
    freezer.move_to(POOL_START)
    server = WebMinePoolServer(
        WEBMINEPOOL_SECRET_KEY,
        clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
    )
    await server.start()
    with patch(
        "custom_components.hashwatt.coordinator.WEBMINEPOOL_API_URL", server.url
    ):
        yield server
    await server.stop()


@pytest.fixture
async def mempool_mock(socket_enabled: None) -> AsyncIterator[MempoolServer]:
    """The mempool.space mock; it finds blocks when a test says so (``mine_block``)."""
    server = MempoolServer(
        clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
        block_interval=None,
    )
    await server.start()
    yield server
    await server.stop()


def whitepool_entry(
    entry_id: str = "01KWHITEPOOLENTRY000000000", **changes: Any
) -> MockConfigEntry:
    """A WhitePool entry for the mock's key, as the config flow creates it.

    The entry ID is fixed: the pool's own entities are identified by their entry.
    """
    data = {
        CONF_ENTRY_TYPE: ENTRY_TYPE_WHITEPOOL,
        CONF_API_KEY: WHITEPOOL_API_KEY,
        CONF_API_SECRET: WHITEPOOL_API_SECRET,
        CONF_REGION: "com",
        **changes,
    }
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title="WhiteBIT mining pool (my_miner_01)",
        unique_id=key_fingerprint(ENTRY_TYPE_WHITEPOOL, data[CONF_API_KEY]),
        data=data,
    )


def webminepool_entry(
    entry_id: str = "01KWEBMINEPOOLENTRY0000000", **changes: Any
) -> MockConfigEntry:
    """A WebMinePool entry for the mock's key, as the config flow creates it."""
    data = {
        CONF_ENTRY_TYPE: ENTRY_TYPE_WEBMINEPOOL,
        CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY,
        **changes,
    }
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title="WebMinePool",
        unique_id=key_fingerprint(ENTRY_TYPE_WEBMINEPOOL, data[CONF_SECRET_KEY]),
        data=data,
    )


@pytest.fixture
async def init_whitepool(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> MockConfigEntry:
    """Set up a WhitePool entry against the mock and wait until it is loaded."""
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def init_webminepool(
    hass: HomeAssistant, webminepool_mock: WebMinePoolServer
) -> MockConfigEntry:
    """Set up a WebMinePool entry against the mock and wait until it is loaded."""
    entry = webminepool_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
