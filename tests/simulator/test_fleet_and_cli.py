"""A fleet on its own loopback addresses, and the command line that serves one."""

import argparse
import asyncio
import contextlib
import io
import sys
import time

import pytest

from simulator.__main__ import main as simulator_main
from simulator.whatsminer import Fault, MinerFleet, SimulatedMiner
from simulator.whatsminer.cli import add_arguments, serve
from simulator.whatsminer.fleet import fleet_addresses
from simulator.whatsminer.hardware import MAC_PREFIXES
from simulator.whatsminer.personas import PERSONAS

from .conftest import ManualClock, MinerFactory, V3Connection, v2_call

# 127.0.10.x as the project uses it, at the top of the range, clear of the demo's first miners.
FIRST_IP = "127.0.10.241"


@pytest.mark.usefixtures("loopback_network")
async def test_small_mixed_fleet_on_real_ports(clock: ManualClock):
    fleet = MinerFleet(
        count=4, first_ip=FIRST_IP, api="mixed", password="pw", seed=5, clock=clock
    )
    await fleet.start()
    try:
        assert [miner.host for miner in fleet] == [
            "127.0.10.241",
            "127.0.10.242",
            "127.0.10.243",
            "127.0.10.244",
        ]
        assert [miner.api for miner in fleet] == ["v2", "v3", "v2", "v3"]
        assert len({miner.state.mac for miner in fleet}) == 4
        for miner in fleet:
            assert miner.v2_port == 4028
            info = await v2_call(
                4028, {"cmd": "get_miner_info", "info": "ip,mac"}, host=miner.host
            )
            assert info["Msg"] == {"ip": miner.host, "mac": miner.state.mac}
            if miner.api == "v3":
                assert miner.v3_port == 4433
                connection = await V3Connection.open(4433, host=miner.host)
                reply = await connection.call(
                    {"cmd": "get.device.info", "param": "network"}
                )
                await connection.close()
                assert reply["msg"]["network"]["mac"] == miner.state.mac
            else:
                assert miner.v3_port is None
                with pytest.raises(ConnectionRefusedError):
                    await asyncio.open_connection(miner.host, 4433)
    finally:
        await fleet.stop()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(FIRST_IP, 4028)


@pytest.mark.usefixtures("loopback_network")
async def test_large_fleet_starts_fast():
    fleet = MinerFleet(count=1000, first_ip="127.0.64.1", api="mixed", seed=2)
    started = time.perf_counter()
    await fleet.start()
    try:
        assert time.perf_counter() - started < 10
        last = fleet.miners[-1]
        assert (await v2_call(last.v2_port, {"cmd": "get_version"}, host=last.host))[
            "Code"
        ] == 131
    finally:
        await fleet.stop()


def test_fleet_addresses_skip_network_and_broadcast_octets():
    assert list(fleet_addresses("127.0.10.254", 3)) == [
        "127.0.10.254",
        "127.0.11.1",
        "127.0.11.2",
    ]
    with pytest.raises(ValueError):
        list(fleet_addresses("192.168.1.10", 1))


def test_fleet_macs_are_unique_and_differ_between_runs():
    first = MinerFleet(count=300, first_ip="127.0.10.200", seed=1, mac_key=11)
    again = MinerFleet(count=300, first_ip="127.0.10.200", seed=1, mac_key=11)
    other_run = MinerFleet(count=300, first_ip="127.0.10.200", seed=1, mac_key=12)
    macs = [miner.state.mac for miner in first]
    assert len(set(macs)) == 300
    assert macs == [miner.state.mac for miner in again]  # a key reproduces its MACs
    other = [miner.state.mac for miner in other_run]
    # Home Assistant names a miner after its model and the MAC's last three octets:
    # no miner of one run may share them with a miner of the other.
    assert not {mac[-8:] for mac in macs} & {mac[-8:] for mac in other}
    for mac in (*macs, *other):
        assert mac[:8] in MAC_PREFIXES
        assert int(mac[:2], 16) & 0b11 == 0b10  # locally administered, unicast
        assert not mac.endswith("00:00:00")


def test_fleet_macs_default_to_the_seed():
    """The demo relies on this: the same seed finds the same miners every run."""
    one = MinerFleet(count=2, seed=7)
    two = MinerFleet(count=2, seed=7)
    assert [m.state.mac for m in one] == [m.state.mac for m in two]


@pytest.mark.usefixtures("loopback_network")
async def test_two_runs_of_the_command_line_have_different_macs(
    monkeypatch: pytest.MonkeyPatch,
):
    macs: list[str] = []
    for _ in range(2):
        output = io.StringIO()
        monkeypatch.setattr(sys, "stdout", output)
        args = _parser().parse_args(["--first-ip", "127.0.10.235", "--seed", "1"])
        task = asyncio.create_task(serve(args))
        try:
            async with asyncio.timeout(5):
                while not output.getvalue():  # noqa: ASYNC110 - the printed lines are the ready signal
                    await asyncio.sleep(0.01)
            info = await v2_call(
                4028, {"cmd": "get_miner_info", "info": "mac"}, host="127.0.10.235"
            )
            macs.append(info["Msg"]["mac"])
            assert macs[-1] in output.getvalue().split()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert macs[0][-8:] != macs[1][-8:]


@pytest.mark.parametrize(
    "options",
    [{"count": 0}, {"count": 1, "api": "v4"}, {"count": 1, "model": "S19"}],
)
def test_fleet_arguments_are_checked(options):
    with pytest.raises(ValueError):
        MinerFleet(**options)


@pytest.mark.usefixtures("loopback_network")
async def test_change_address(make_miner: MinerFactory):
    miner = await make_miner()
    old_port = miner.v2_port
    await miner.change_address(host="127.0.10.239")
    assert miner.host == "127.0.10.239"
    assert (await v2_call(miner.v2_port, {"cmd": "get_version"}, host=miner.host))[
        "Code"
    ] == 131
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", old_port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    return parser


def test_help_lists_every_option_and_fault():
    text = _parser().format_help()
    for option in (
        "--count",
        "--first-ip",
        "--api",
        "--password",
        "--fault",
        "--seed",
        "--model",
        "--port",
        "--mac-key",
        "--persona",
    ):
        assert option in text
    for name, persona in PERSONAS.items():
        assert name in text
        assert persona.title in text
    for fault in Fault:
        assert fault.value in text
        assert fault.description in text


def test_python_m_simulator_miners_help(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        simulator_main(["miners", "--help"])
    assert exit_info.value.code == 0
    assert "silent_reboot" in capsys.readouterr().out


@pytest.mark.usefixtures("loopback_network")
async def test_serve_prints_listeners_and_stops(monkeypatch: pytest.MonkeyPatch):
    output = io.StringIO()
    monkeypatch.setattr(sys, "stdout", output)
    args = _parser().parse_args(
        [
            *("--count", "2", "--first-ip", "127.0.10.236", "--api", "v3"),
            *("--fault", "old_status", "--seed", "4"),
        ]
    )
    task = asyncio.create_task(serve(args))
    try:
        async with asyncio.timeout(5):
            while not output.getvalue():  # noqa: ASYNC110 - the printed lines are the ready signal
                await asyncio.sleep(0.01)
        status = await v2_call(4028, {"cmd": "status"}, host="127.0.10.237")
        assert "btmineroff" in status["Msg"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    lines = output.getvalue().splitlines()
    assert len(lines) == 4  # two miners, each on 4028 (compat layer) and 4433
    assert lines[0].startswith("127.0.10.236:4028  v2 (compat)")
    assert lines[1].startswith("127.0.10.236:4433  v3")
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.10.236", 4433)


@pytest.mark.usefixtures("loopback_network")
async def test_serve_plays_every_persona_in_turn(monkeypatch: pytest.MonkeyPatch):
    output = io.StringIO()
    monkeypatch.setattr(sys, "stdout", output)
    count = len(PERSONAS)
    args = _parser().parse_args(
        ["--count", str(count), "--first-ip", "127.0.10.220", "--persona", "all"]
    )
    task = asyncio.create_task(serve(args))
    try:
        async with asyncio.timeout(5):
            while not output.getvalue():  # noqa: ASYNC110 - the printed lines are the ready signal
                await asyncio.sleep(0.01)
        versions = []
        for index in range(count):
            reply = await v2_call(
                4028, {"cmd": "get_version"}, host=f"127.0.10.{220 + index}"
            )
            versions.append(reply["Msg"]["fw_ver"])
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert versions == [p.firmware_version for p in PERSONAS.values()]
    lines = output.getvalue().splitlines()
    assert [line.split()[-1] for line in lines if ":4028 " in line] == list(PERSONAS)


def test_fleet_takes_personas_in_turn():
    fleet = MinerFleet(count=4, personas=["v1", "v3-2026"], seed=3)
    assert [m.persona.name for m in fleet] == ["v1", "v3-2026", "v1", "v3-2026"]
    assert [m.api for m in fleet] == ["v2", "v3", "v2", "v3"]
    assert [m.model for m in fleet] == ["M20S", "M7BS", "M20S", "M7BS"]
    with pytest.raises(ValueError, match="unknown persona"):
        MinerFleet(count=1, personas=["v9"])


async def test_serve_refuses_ports_for_a_fleet():
    args = _parser().parse_args(["--count", "2", "--port", "5000"])
    with pytest.raises(SystemExit):
        await serve(args)


async def test_default_clock_follows_the_freezer(freezer):
    miner = SimulatedMiner(seed=1)
    await miner.start()
    try:
        before = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
        freezer.tick(120)
        after = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
        assert after["Uptime"] - before["Uptime"] == 120
    finally:
        await miner.stop()


def test_grant_gives_user_accounts_their_commands(
    capsys: pytest.CaptureFixture[str],
):
    args = _parser().parse_args(
        [
            *("--grant", "user1=set.miner.power, set.miner.service"),
            *("--grant", "user3=set.system.led"),
        ]
    )
    assert dict(args.grant) == {
        "user1": {"set.miner.power", "set.miner.service"},
        "user3": {"set.system.led"},
    }
    for wrong in ("super=set.miner.power", "user1", "user4=set.system.led"):
        with pytest.raises(SystemExit):
            _parser().parse_args(["--grant", wrong])
        assert "expected user1..user3=command" in capsys.readouterr().err
