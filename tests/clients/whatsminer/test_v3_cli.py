"""The facade and the ``whatsminer`` command line, unchanged, against API v3 miners."""

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from custom_components.hashwatt.clients.__main__ import to_jsonable
from custom_components.hashwatt.clients.whatsminer import cli
from custom_components.hashwatt.clients.whatsminer.client import Whatsminer
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerUnsupportedError,
    WhatsminerValidationError,
)
from custom_components.hashwatt.clients.whatsminer.models import (
    ApiVersion,
    HeatMode,
    PowerMode,
)
from simulator.whatsminer import SimulatedMiner

from .conftest import MINER_PASSWORD, MinerFactory

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def tcp_on_loopback(socket_enabled: None) -> None:
    """Let these tests open TCP sockets (the harness still allows only 127.0.0.1)."""


@pytest.fixture
async def v3_miner(make_miner: MinerFactory) -> SimulatedMiner:
    """An API v3 miner (new firmware) with write access and ``MINER_PASSWORD``."""
    miner: SimulatedMiner = await make_miner(api="v3")
    return miner


def _arguments(miner: SimulatedMiner, *command: str) -> list[str]:
    options: list[str] = []
    if command[:1] == ("--account",):
        options, command = list(command[:2]), command[2:]
    return [
        *options,
        "--host",
        miner.host,
        "--port",
        str(miner.v2_port),
        "--v3-port",
        str(miner.v3_port),
        "--reply-timeout",
        "3",
        *command,
    ]


async def _run(miner: SimulatedMiner, *command: str) -> object:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    result = await cli.run(parser.parse_args(_arguments(miner, *command)))
    # What the command line prints.
    return json.loads(json.dumps(to_jsonable(result)))


async def test_facade_detects_and_drives_a_v3_miner(v3_miner: SimulatedMiner):
    client = Whatsminer(
        v3_miner.host,
        password=MINER_PASSWORD,
        v2_port=v3_miner.v2_port or 0,
        v3_port=v3_miner.v3_port or 0,
    )
    try:
        identity = await client.identify()
        assert client.api is ApiVersion.V3
        assert identity.api is ApiVersion.V3
        assert (await client.fetch_fast()).mining
        await client.set_power_mode(PowerMode.LOW)
        assert v3_miner.state.power_mode == "Low"
        await client.verify_password()
        # API v3 passwords may be longer than v2's eight characters.
        await client.change_password("A_longer_v3_password_20")
        assert v3_miner.state.accounts["super"] == "A_longer_v3_password_20"
        await client.set_power_limit(3100)
        assert v3_miner.state.power_limit == 3100
        with pytest.raises(WhatsminerValidationError):
            await client.set_power_limit(100_000)
        assert {request.api for request in v3_miner.requests} == {"v3"}
    finally:
        await client.close()


async def test_cli_reads_a_v3_miner(v3_miner: SimulatedMiner):
    fast = await _run(v3_miner, "fast")
    assert isinstance(fast, dict)
    assert fast["mining"] is True
    assert fast["summary"]["hashrate_realtime"] > 0
    assert len(fast["boards"]) == 3

    slow = await _run(v3_miner, "slow")
    assert isinstance(slow, dict)
    assert slow["identity"]["api"] == "v3"
    assert slow["identity"]["mac"] == v3_miner.state.mac
    assert slow["version"]["firmware_version"] == v3_miner.state.firmware_version
    assert {request.api for request in v3_miner.requests} == {"v3"}


async def test_cli_writes_to_a_v3_miner(
    v3_miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(cli.PASSWORD_ENV, MINER_PASSWORD)
    assert await _run(v3_miner, "set_power_limit", "3300") == {
        "command": "set_power_limit",
        "result": "ok",
    }
    assert v3_miner.state.power_limit == 3300
    await _run(v3_miner, "set_led", "red", "1000", "500", "0")
    assert v3_miner.state.led != "auto"
    await _run(
        v3_miner,
        "update_pools",
        "--pool",
        "stratum+tcp://pool.example.com:3333",
        "acct.w9",
    )
    assert v3_miner.state.pools[0].worker == "acct.w9"
    assert await _run(v3_miner, "verify_password") == {"password": "ok"}


async def test_cli_downloads_logs_from_a_v3_miner(
    v3_miner: SimulatedMiner, tmp_path: Path
):
    output = tmp_path / "logs.tgz"
    result = await _run(v3_miner, "download_logs", "--output", str(output))
    logs = output.read_bytes()
    assert result == {"file": str(output), "bytes": len(logs)}
    assert logs[:2] == b"\x1f\x8b"


async def test_python_dash_m_against_a_v3_miner(v3_miner: SimulatedMiner):
    """The real entry point, in its own process, prints JSON and exits 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.hashwatt.clients",
        "whatsminer",
        *_arguments(v3_miner, "identify"),
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    identity = json.loads(stdout)
    assert identity["api"] == "v3"
    assert identity["model"] == "M50VH50"  # v2's spelling of v3's "M50_VH50"
    assert identity["mac"] == v3_miner.state.mac


async def test_heat_mode_through_the_facade(make_miner: MinerFactory):
    hydro = await make_miner(api="v3", model="M63S")
    old = await make_miner(api="v2", seed=8)
    v3_client = Whatsminer(
        hydro.host,
        password=MINER_PASSWORD,
        v2_port=hydro.v2_port or 0,
        v3_port=hydro.v3_port or 0,
    )
    v2_client = Whatsminer(
        old.host, password=MINER_PASSWORD, api=ApiVersion.V2, v2_port=old.v2_port or 0
    )
    try:
        with pytest.raises(WhatsminerValidationError):
            await v3_client.set_heat_mode("heating")  # type: ignore[arg-type]
        assert hydro.requests == []
        await v3_client.set_heat_mode(HeatMode.HEATING)
        assert hydro.state.heat_mode == "heating"
        with pytest.raises(WhatsminerUnsupportedError, match="API v2"):
            await v2_client.set_heat_mode(HeatMode.HEATING)
        assert old.requests == []
    finally:
        await v3_client.close()
        await v2_client.close()


async def test_cli_signs_with_the_account_given(
    v3_miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch
):
    """--account user1 writes with user1's password and rights, never super's."""
    v3_miner.state.permissions["user1"] = frozenset({"set.miner.power"})
    monkeypatch.setenv(cli.PASSWORD_ENV, "user1")
    assert await _run(v3_miner, "--account", "user1", "set_power", "2100") == {
        "command": "set_power",
        "result": "ok",
    }
    assert v3_miner.state.power_target == 2100
    (request,) = [r for r in v3_miner.requests if r.command == "set.miner.power"]
    assert request.params["account"] == "user1"
