"""Which API a miner is driven through, against simulated miners on 127.0.0.1."""

import logging
import socket
from collections.abc import Iterator

import pytest

from custom_components.hashwatt.clients.whatsminer import detect
from custom_components.hashwatt.clients.whatsminer.client import Whatsminer
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerConnectionError,
)
from custom_components.hashwatt.clients.whatsminer.models import ApiVersion
from simulator.whatsminer import Fault, SimulatedMiner

from .conftest import MINER_PASSWORD, MinerFactory

TIMEOUTS = {"connect_timeout": 2.0, "reply_timeout": 2.0}


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def tcp_on_loopback(socket_enabled: None) -> None:
    """Let these tests open TCP sockets (the harness still allows only 127.0.0.1)."""


@pytest.fixture(autouse=True)
def forget_warnings() -> Iterator[None]:
    """Each test starts as if no miner had been warned about yet."""
    detect._warned_v3_unreachable.clear()
    yield
    detect._warned_v3_unreachable.clear()


async def _detect(miner: SimulatedMiner, *, v3_port: int | None = None) -> ApiVersion:
    assert miner.v2_port is not None
    return await detect.detect_api(
        miner.host,
        v2_port=miner.v2_port,
        v3_port=v3_port or miner.v3_port or closed_port(),
        **TIMEOUTS,
    )


async def test_old_firmware_is_v2(make_miner: MinerFactory):
    miner = await make_miner(api="v2")
    assert miner.v3_port is None
    assert await _detect(miner) is ApiVersion.V2
    assert [request.command for request in miner.requests] == ["get_version"]


async def test_new_firmware_is_v3(make_miner: MinerFactory):
    miner = await make_miner(api="v3")
    assert await _detect(miner) is ApiVersion.V3
    # Decided on 4433 alone: the compatibility layer is not asked.
    assert [(request.api, request.command) for request in miner.requests] == [
        ("v3", "get.device.info")
    ]


async def test_compat_layer_alone_is_read_through_v2(
    make_miner: MinerFactory, caplog: pytest.LogCaptureFixture
):
    miner = await make_miner(api="v3")
    miner.inject(Fault.REFUSE, api="v3")
    with caplog.at_level(logging.WARNING, logger=detect.__name__):
        assert await _detect(miner) is ApiVersion.V2
        assert await _detect(miner) is ApiVersion.V2
    warnings = [record for record in caplog.records if record.name == detect.__name__]
    assert len(warnings) == 1, "warned once per miner, not on every detection"
    message = warnings[0].getMessage()
    assert miner.host in message
    assert str(miner.v3_port) in message
    assert "2025-02-14" in message
    assert MINER_PASSWORD not in caplog.text


async def test_old_firmware_gives_no_warning(
    make_miner: MinerFactory, caplog: pytest.LogCaptureFixture
):
    miner = await make_miner(api="v2")
    with caplog.at_level(logging.WARNING, logger=detect.__name__):
        assert await _detect(miner) is ApiVersion.V2
    assert not [record for record in caplog.records if record.name == detect.__name__]


async def test_v3_port_answering_an_error_falls_back_to_v2(make_miner: MinerFactory):
    v3_miner = await make_miner(api="v3")
    v2_miner = await make_miner(api="v2", seed=8)
    v3_miner.inject(Fault.GARBAGE, api="v3")
    assert v3_miner.v3_port is not None
    assert await _detect(v2_miner, v3_port=v3_miner.v3_port) is ApiVersion.V2


async def test_unreadable_get_version_still_means_v2(make_miner: MinerFactory):
    miner = await make_miner(api="v2")
    miner.inject(Fault.GARBAGE, api="v2")
    assert await _detect(miner) is ApiVersion.V2


async def test_nothing_answers(make_miner: MinerFactory):
    miner = await make_miner(api="v3")
    miner.inject(Fault.REFUSE)
    with pytest.raises(WhatsminerConnectionError) as caught:
        await _detect(miner)
    message = str(caught.value)
    assert str(miner.v2_port) in message
    assert str(miner.v3_port) in message


async def test_facade_follows_an_upgrade_from_v2_to_v3(make_miner: MinerFactory):
    """A miner flashed with new firmware between polls is read through v3 after it."""
    old = await make_miner(api="v2")
    assert old.v2_port is not None
    v2_port, v3_port = old.v2_port, closed_port()
    client = Whatsminer(
        old.host, password=MINER_PASSWORD, v2_port=v2_port, v3_port=v3_port, **TIMEOUTS
    )
    try:
        assert (await client.fetch_fast()).mining
        assert client.api is ApiVersion.V2

        # Flashing: the miner goes away, then comes back with API v3 on the same ports.
        await old.stop()
        with pytest.raises(WhatsminerConnectionError):
            await client.fetch_fast()
        new = await make_miner(api="v3", seed=old.seed)
        await new.stop()
        await new.start(host=old.host, v2_port=v2_port, v3_port=v3_port)

        fast = await client.fetch_fast()
        assert client.api is ApiVersion.V3
        assert fast.mining
        assert fast.summary.hashrate_realtime
        assert {request.api for request in new.requests} == {"v3"}
    finally:
        await client.close()
