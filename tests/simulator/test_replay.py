"""Replaying a capture: recorded bytes for reads, refusals for the rest, failures as captured.

The captures here are recorded from simulated miners over raw sockets, in the format
docs/firmware.md specifies, then served by the replay and compared byte for byte.
"""

import argparse
import asyncio
import base64
import contextlib
import io
import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from simulator.__main__ import main as simulator_main
from simulator.whatsminer import Fault, SimulatedMiner
from simulator.whatsminer.replay import (
    Capture,
    CaptureError,
    ReplayMiner,
    add_arguments,
    serve,
)

from .conftest import ManualClock, MinerFactory, V2Session, V3Connection, v2_exchange

V2_READS: list[dict[str, Any]] = [
    {"cmd": "get_version"},
    {"cmd": "summary"},
    {"cmd": "edevs"},
    {"cmd": "pools"},
    {"cmd": "status"},
    {"cmd": "get_miner_info", "info": "ip,mac,hostname"},
    {"cmd": "devdetails"},
]
V3_READS: list[dict[str, Any]] = [
    {"cmd": "get.device.info"},
    {"cmd": "get.miner.status", "param": "summary+pools+edevs"},
]


def _text_or_base64(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "text"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), "base64"


async def record(miner: SimulatedMiner, v3: bool = True) -> dict[str, Any]:
    """Capture a miner as the client's `capture` command does (format version 1)."""
    exchanges: list[dict[str, Any]] = []
    for request in V2_READS:
        reply, encoding = _text_or_base64(await v2_exchange(miner.v2_port, request))
        exchanges.append(
            {
                "api": "v2",
                "request": request,
                "reply": reply,
                "reply_encoding": encoding,
                "error": None,
            }
        )
    for request in V3_READS:
        if not v3 or miner.v3_port is None:
            exchanges.append(
                {
                    "api": "v3",
                    "request": request,
                    "reply": None,
                    "reply_encoding": None,
                    "error": "connection refused",
                }
            )
            continue
        connection = await V3Connection.open(miner.v3_port)
        await connection.send_raw(json.dumps(request).encode())
        async with asyncio.timeout(5):
            length = int.from_bytes(await connection.reader.readexactly(4), "little")
            body = await connection.reader.readexactly(length)
        await connection.close()
        exchanges.append(
            {
                "api": "v3",
                "request": request,
                "reply": body.decode(),
                "reply_encoding": "text",
                "error": None,
            }
        )
    return {
        "format": "hashwatt-whatsminer-capture",
        "version": 1,
        "captured_at": "2026-12-06T04:12:09+00:00",
        "client": "hashwatt test",
        "host": "192.0.2.1",
        "redacted": False,
        "ports": {"v2": 4028, "v3": 4433},
        "exchanges": exchanges,
    }


@pytest.fixture
async def replays(clock: ManualClock):
    """Start replays on 127.0.0.1 (free ports); every one is stopped after the test."""
    started: list[ReplayMiner] = []

    async def start(document: dict[str, Any]) -> ReplayMiner:
        replay = ReplayMiner(Capture.from_json(document), clock=clock)
        await replay.start("127.0.0.1", 0, 0)
        started.append(replay)
        return replay

    yield start
    for replay in started:
        await replay.stop()


async def v3_call(port: int, request: dict[str, Any]) -> bytes:
    connection = await V3Connection.open(port)
    try:
        await connection.send_raw(json.dumps(request).encode())
        async with asyncio.timeout(5):
            length = int.from_bytes(await connection.reader.readexactly(4), "little")
            return await connection.reader.readexactly(length)
    finally:
        await connection.close()


@pytest.mark.parametrize("persona", ["v1", "v2", "v3", "v3-2026"])
async def test_reads_get_the_recorded_bytes(
    make_miner: MinerFactory, replays, persona: str
):
    miner = await make_miner(persona=persona, seed=4)
    miner.inject(Fault.NUL_TERMINATED, commands={"summary"})  # a byte JSON hides
    document = await record(miner)
    replay = await replays(document)
    by_request = {
        (e["api"], json.dumps(e["request"], sort_keys=True)): e
        for e in document["exchanges"]
    }
    for request in V2_READS:
        data = await v2_exchange(replay.v2_port, request)
        captured = by_request["v2", json.dumps(request, sort_keys=True)]
        assert data == captured["reply"].encode()
    summary = await v2_exchange(replay.v2_port, {"command": "summary"})
    assert summary.endswith(b"\x00")  # {"command": ...} counts as {"cmd": ...}
    if miner.v3_port is None:
        assert replay.v3_port is None
        return
    for request in V3_READS:
        body = await v3_call(replay.v3_port, request)
        captured = by_request["v3", json.dumps(request, sort_keys=True)]
        assert body == captured["reply"].encode()


async def test_v3_connection_carries_many_requests(make_miner: MinerFactory, replays):
    replay = await replays(await record(await make_miner(persona="v3")))
    connection = await V3Connection.open(replay.v3_port)
    try:
        first = await connection.call(V3_READS[0])
        second = await connection.call(V3_READS[1])
        again = await connection.call(V3_READS[0])
    finally:
        await connection.close()
    assert first == again
    assert first["desc"] == "get.device.info"
    assert set(second["msg"]) == {"summary", "pools", "edevs"}


async def test_an_api_captured_as_refusing_is_not_listened_on(
    make_miner: MinerFactory,
):
    capture = Capture.from_json(await record(await make_miner(persona="v2")))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    replay = ReplayMiner(capture)
    await replay.start("127.0.0.1", 0, free_port)
    try:
        assert replay.v2_port is not None
        assert replay.v3_port is None
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", free_port)
    finally:
        await replay.stop()


async def test_unknown_commands_are_answered_as_the_firmware_does(
    make_miner: MinerFactory, replays, clock: ManualClock
):
    old = await replays(await record(await make_miner(persona="v1")))
    reply = json.loads(await v2_exchange(old.v2_port, {"cmd": "get_psu"}))
    # Old firmware writes its API version into Description (captured, v1.x).
    assert reply == {
        "STATUS": "E",
        "When": int(clock.now),
        "Code": 14,
        "Msg": "invalid cmd",
        "Description": "whatsminer v1.4.0",
    }
    new = await replays(await record(await make_miner(persona="v3")))
    reply = json.loads(await v2_exchange(new.v2_port, {"cmd": "stats"}))
    assert (reply["Code"], reply["Msg"], reply["Description"]) == (
        14,
        "invalid cmd",
        "",
    )
    # Same command, other parameters: not what was captured.
    reply = json.loads(
        await v2_exchange(new.v2_port, {"cmd": "get_miner_info", "info": "mac"})
    )
    assert reply["Code"] == 14
    body = json.loads(await v3_call(new.v3_port, {"cmd": "get.fan.setting"}))
    assert body == {
        "code": -2,
        "when": int(clock.now),
        "msg": "invalid command",
        "desc": "get.fan.setting",
    }


async def test_writes_are_refused_and_change_nothing(make_miner: MinerFactory, replays):
    miner = await make_miner(persona="v3")
    replay = await replays(await record(miner))
    session = V2Session(replay.v2_port)
    token = await session.token()  # handed out, as by a miner with writes switched off
    assert (token["STATUS"], token["Code"]) == ("S", 134)
    assert set(token["Msg"]) == {"time", "salt", "newsalt"}
    encrypted = json.loads(
        await v2_exchange(replay.v2_port, session.encrypt({"cmd": "power_off"}))
    )
    assert (encrypted["STATUS"], encrypted["Code"]) == ("E", 45)
    assert encrypted["Msg"] == "can't access write cmd"
    plain = json.loads(await v2_exchange(replay.v2_port, {"cmd": "reboot"}))
    assert (plain["Code"], plain["Msg"]) == (45, "Permission denied")
    body = json.loads(
        await v3_call(
            replay.v3_port,
            {
                "cmd": "set.miner.power_limit",
                "param": 3000,
                "ts": 1,
                "account": "super",
                "token": "x",
            },
        )
    )
    assert (body["code"], body["msg"]) == (-4, "no permission")
    again = json.loads(await v3_call(replay.v3_port, V3_READS[0]))
    assert again == json.loads(
        next(
            e["reply"]
            for e in (await record(miner))["exchanges"]
            if e["request"] == V3_READS[0]
        )
    )


async def test_captured_failures_are_replayed(replays):
    document = {
        "format": "hashwatt-whatsminer-capture",
        "version": 1,
        "ports": {"v2": 4028, "v3": 4433},
        "exchanges": [
            {
                "api": "v2",
                "request": {"cmd": "get_version"},
                "reply": base64.b64encode(b'{"Msg":"\xff"}\x00').decode(),
                "reply_encoding": "base64",
                "error": None,
            },
            {
                "api": "v2",
                "request": {"cmd": "summary"},
                "reply": None,
                "reply_encoding": None,
                "error": "closed",
            },
            {
                "api": "v2",
                "request": {"cmd": "pools"},
                "reply": None,
                "reply_encoding": None,
                "error": "timeout: no reply in 10 s",
            },
        ],
    }
    replay = await replays(document)
    assert await v2_exchange(replay.v2_port, {"cmd": "get_version"}) == (
        b'{"Msg":"\xff"}\x00'
    )
    assert await v2_exchange(replay.v2_port, {"cmd": "summary"}) == b""
    reader, writer = await asyncio.open_connection("127.0.0.1", replay.v2_port)
    try:
        writer.write(b'{"cmd":"pools"}')
        await writer.drain()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await reader.read()
    finally:
        writer.close()


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"format": "something else", "version": 1, "exchanges": []},
        {"format": "hashwatt-whatsminer-capture", "version": 2, "exchanges": []},
        {
            "format": "hashwatt-whatsminer-capture",
            "version": 1,
            "exchanges": [{"api": "v4", "request": {}}],
        },
    ],
)
def test_other_files_are_refused(document: object):
    with pytest.raises(CaptureError):
        Capture.from_json(document)


def test_unknown_keys_of_version_1_are_ignored():
    capture = Capture.from_json(
        {
            "format": "hashwatt-whatsminer-capture",
            "version": 1,
            "future": True,
            "exchanges": [
                {
                    "api": "v2",
                    "request": {"command": "summary"},
                    "reply": "{}",
                    "reply_encoding": "text",
                    "error": None,
                    "elapsed": 0.1,
                }
            ],
        }
    )
    assert capture.exchanges[0].request == {"cmd": "summary"}
    assert capture.ports == {"v2": 4028, "v3": 4433}


async def test_command_line_serves_a_capture_file(
    make_miner: MinerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    miner = await make_miner(persona="v3-2026")
    document = await record(miner)
    path = tmp_path / "miner.json"
    path.write_text(json.dumps(document))
    output = io.StringIO()
    monkeypatch.setattr(sys, "stdout", output)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([str(path), "--port", "0", "--v3-port", "0"])
    task = asyncio.create_task(serve(args))
    try:
        async with asyncio.timeout(5):
            while not output.getvalue():  # noqa: ASYNC110 - the printed lines are the ready signal
                await asyncio.sleep(0.01)
        lines = output.getvalue().splitlines()
        assert len(lines) == 2
        v2_port = int(lines[0].split()[0].rsplit(":", 1)[1])
        assert "v2" in lines[0]
        assert "v3" in lines[1]
        data = await v2_exchange(v2_port, {"cmd": "get_version"})
        assert json.loads(data)["Msg"]["miner_type"] == "M7BS_VM30"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_command_line_refuses_a_file_that_is_no_capture(tmp_path: Path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit, match="not a hashwatt-whatsminer-capture"):
        await serve(parser.parse_args([str(path)]))


def test_python_m_simulator_replay_help(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        simulator_main(["replay", "--help"])
    assert exit_info.value.code == 0
    assert "capture" in capsys.readouterr().out
