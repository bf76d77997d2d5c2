"""The ``whatsminer`` command line against a simulated miner, through the facade."""

import argparse
import asyncio
import io
import json
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from custom_components.hashwatt.clients import __main__ as dispatcher
from custom_components.hashwatt.clients.whatsminer import cli
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerValidationError,
)
from simulator.whatsminer import MinerState, SimulatedMiner

from .conftest import MINER_PASSWORD


def _parse(
    miner: SimulatedMiner, *argv: str, password: bool = True
) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert miner.v2_port is not None
    options = ["--host", miner.host, "--port", str(miner.v2_port), "--api", "v2"]
    options += ["--reply-timeout", "3"]
    if password:
        options += ["--password", MINER_PASSWORD]
    return parser.parse_args([*options, *argv])


async def _run(miner: SimulatedMiner, *argv: str, password: bool = True) -> Any:
    result = await cli.run(_parse(miner, *argv, password=password))
    return json.loads(json.dumps(dispatcher.to_jsonable(result)))


async def test_reads(simulated_miner: SimulatedMiner) -> None:
    """identify, fast, slow and read print plain JSON; reads need no password."""
    identity = await _run(simulated_miner, "identify", password=False)
    assert identity["mac"] == simulated_miner.state.mac.upper()
    assert identity["api"] == "v2"
    fast = await _run(simulated_miner, "fast", password=False)
    assert fast["mining"] is True
    assert "raw" not in fast["summary"]
    slow = await _run(simulated_miner, "slow", password=False)
    assert slow["identity"]["model"] == simulated_miner.state.model.variant
    both = await _run(simulated_miner, "read", password=False)
    assert set(both) == {"fast", "slow"}
    assert await _run(simulated_miner, "verify_password") == {"password": "ok"}


async def test_password_from_the_environment(
    simulated_miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WHATSMINER_PASSWORD stands in for --password."""
    monkeypatch.setenv(cli.PASSWORD_ENV, MINER_PASSWORD)
    result = await _run(simulated_miner, "set_hostname", "from-env", password=False)
    assert result == {"command": "set_hostname", "result": "ok"}
    assert simulated_miner.state.hostname == "from-env"


WRITES: list[tuple[list[str], Callable[[MinerState], bool]]] = [
    (["power_off"], lambda s: s.mining is False),
    (["set_power_limit", "3000"], lambda s: s.power_limit == 3000),
    (["set_power_percent", "90"], lambda s: (s.power_percent, s.power_percent_mode) == (90, "normal")),
    (["set_power_percent", "70", "--fast"], lambda s: (s.power_percent, s.power_percent_mode) == (70, "fast")),
    (["set_power_mode", "low"], lambda s: s.power_mode == "Low"),
    (["set_target_frequency", "-5"], lambda s: s.target_freq == -5),
    (["set_led", "green", "1000", "400", "100"], lambda s: not isinstance(s.led, str) and s.led[0].color == "green"),
    (["set_led", "auto"], lambda s: s.led == "auto"),
    (
        ["update_pools", "--pool", "stratum+tcp://a.example:3333", "acct.w1", "x",
         "--pool", "stratum+tcp://b.example:3333", "acct.w1"],
        lambda s: [(p.url, p.password) for p in s.pools]
        == [("stratum+tcp://a.example:3333", "x"), ("stratum+tcp://b.example:3333", "")],
    ),
    (["set_fast_boot", "on"], lambda s: s.fast_boot is True),
    (["set_web_pools", "off"], lambda s: s.web_pools is False),
    (["set_hostname", "rig-9"], lambda s: s.hostname == "rig-9"),
    (["set_timezone", "CET-1CEST", "Europe/Berlin"], lambda s: s.zonename == "Europe/Berlin"),
    (["set_temperature_offset", "-3"], lambda s: s.temp_offset == -3),
    (["set_upfreq_speed", "4"], lambda s: s.upfreq_speed == 4),
    (["set_poweroff_cool", "off"], lambda s: s.poweroff_cool is False),
    (["set_fan_zero_speed", "on"], lambda s: s.fan_zero_speed is True),
    (["change_password", "Cli_pw2"], lambda s: s.password == "Cli_pw2"),
    (
        ["set_log_server", "192.0.2.3", "514", "tcp"],
        lambda s: s.log_server is not None
        and (s.log_server.ip, s.log_server.port, s.log_server.proto) == ("192.0.2.3", "514", "tcp"),
    ),
    (
        ["set_network", "static", "192.0.2.40", "255.255.255.0", "192.0.2.1", "192.0.2.1,9.9.9.9", "rig-40"],
        lambda s: (s.network.ip, s.network.dns) == ("192.0.2.40", "192.0.2.1 9.9.9.9"),
    ),
    (["set_network", "dhcp"], lambda s: s.network.proto == "dhcp"),
    (["restart_mining"], lambda s: s.mining is True),
    (["reboot"], lambda s: s.down_until > 0),
    (["factory_reset"], lambda s: s.password == "admin"),
    (["power_on"], lambda s: s.mining is True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "check"), WRITES, ids=[" ".join(a) for a, _ in WRITES]
)
async def test_writes(
    simulated_miner: SimulatedMiner,
    argv: list[str],
    check: Callable[[MinerState], bool],
) -> None:
    """Every write command reaches the miner and reports {"command", "result"}."""
    result = await _run(simulated_miner, *argv)
    assert result == {"command": argv[0], "result": "ok"}
    assert check(simulated_miner.state)


async def test_pre_power_on(simulated_miner: SimulatedMiner) -> None:
    """pre_power_on reports the preheating state."""
    await _run(simulated_miner, "power_off")
    result = await _run(simulated_miner, "pre_power_on")
    assert result == {"command": "pre_power_on", "result": "wait for adjust temp"}


async def test_download_logs_and_update_firmware(
    simulated_miner: SimulatedMiner, tmp_path: Path
) -> None:
    """Logs go to a file; firmware comes from one."""
    output = tmp_path / "logs.tgz"
    result = await _run(simulated_miner, "download_logs", "--output", str(output))
    assert result == {"file": str(output), "bytes": output.stat().st_size}
    with tarfile.open(fileobj=io.BytesIO(output.read_bytes()), mode="r:gz") as archive:
        assert archive.getnames() == ["btminer.log"]
    image = tmp_path / "firmware.bin"
    image.write_bytes(b"\x01" * 1000)
    result = await _run(simulated_miner, "update_firmware", str(image))
    assert result == {"command": "update_firmware", "result": "ok"}
    assert simulated_miner.state.firmware_uploads == [1000]


@pytest.mark.parametrize(
    "argv",
    [
        ["set_led", "red", "1000", "500"],
        ["set_led", "auto", "5"],
        ["set_network", "static", "192.0.2.40"],
        ["set_network", "dhcp", "192.0.2.40"],
        ["update_pools", "--pool", "stratum+tcp://a.example:3333"],
        ["set_power_limit", "100000"],
    ],
)
async def test_bad_arguments_send_nothing(
    simulated_miner: SimulatedMiner, argv: list[str]
) -> None:
    """Arguments the command line or the facade rejects never reach the miner."""
    with pytest.raises(WhatsminerValidationError):
        await _run(simulated_miner, *argv)
    assert simulated_miner.requests == []


@pytest.fixture
def miner_in_a_thread(socket_enabled: None) -> Iterator[SimulatedMiner]:
    """A miner on its own event loop, for the synchronous ``main()``; stopped after."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="simulated-miner")
    thread.start()
    miner = SimulatedMiner(api="v2", password=MINER_PASSWORD, seed=11)
    try:
        asyncio.run_coroutine_threadsafe(miner.start(), loop).result(5)
        yield miner
    finally:
        asyncio.run_coroutine_threadsafe(miner.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_main_prints_json(
    miner_in_a_thread: SimulatedMiner, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python -m custom_components.hashwatt.clients whatsminer … prints the result as JSON."""
    miner = miner_in_a_thread
    argv = [
        "whatsminer",
        "--host",
        miner.host,
        "--port",
        str(miner.v2_port),
        "--api",
        "v2",
    ]
    assert dispatcher.main([*argv, "identify"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["mac"] == miner.state.mac.upper()
    assert dispatcher.main([*argv, "set_hostname", "no-password"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: WhatsminerAuthError:")
    assert (
        dispatcher.main([*argv, "--password", MINER_PASSWORD, "set_upfreq_speed", "2"])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == {
        "command": "set_upfreq_speed",
        "result": "ok",
    }
