"""``whatsminer --host H capture``: every read, both APIs, byte for byte, redacted on request."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.hashwatt.clients import __main__ as dispatcher
from custom_components.hashwatt.clients.whatsminer import cli
from custom_components.hashwatt.clients.whatsminer.capture import (
    V2_READ_REQUESTS,
    V3_READ_REQUESTS,
    capture,
    capture_document,
    redact,
)
from custom_components.hashwatt.clients.whatsminer.exchanges import (
    CAPTURE_FORMAT,
    Exchange,
    exchange_from_json,
    exchange_to_json,
    request_key,
)
from custom_components.hashwatt.clients.whatsminer.models import ApiVersion
from custom_components.hashwatt.clients.whatsminer.v2 import WhatsminerV2
from custom_components.hashwatt.clients.whatsminer.v3 import WhatsminerV3
from simulator.whatsminer import SimulatedMiner

from .conftest import MinerFactory
from .replay import V2_INVALID, Replay, ServerFactory

FIXTURES = Path(__file__).parents[2] / "fixtures" / "whatsminer"
M7BS = "compat/tether__M7BS_VM30__"
M60S_V3 = "v3/asic-rs__M60S_VK40__get.device.info.raw"


def _m7bs_exchanges() -> list[Exchange]:
    """The hydro M7BS's compat replies, and an M60S's v3 device info, as a miner."""
    exchanges = []
    for request in V2_READ_REQUESTS:
        command = request.get("cmd", request.get("command"))
        path = FIXTURES / f"{M7BS}{command}.raw"
        if path.is_file():
            exchanges.append(Exchange(ApiVersion.V2, request, path.read_bytes()))
    device_info = (FIXTURES / M60S_V3).read_bytes()
    exchanges.append(Exchange(ApiVersion.V3, {"cmd": "get.device.info"}, device_info))
    return exchanges


async def test_capture_records_every_read_byte_for_byte(
    raw_server: ServerFactory,
) -> None:
    """Each known read is sent once per API; replies come back exactly as sent."""
    served = _m7bs_exchanges()
    replay = Replay(served)
    v2_port, v3_port = await replay.start(raw_server)

    exchanges = await capture(
        "127.0.0.1",
        v2_port=v2_port,
        v3_port=v3_port,
        connect_timeout=2.0,
        reply_timeout=2.0,
    )

    assert [(e.api, dict(e.request)) for e in exchanges] == [
        *((ApiVersion.V2, dict(r)) for r in V2_READ_REQUESTS),
        *((ApiVersion.V3, dict(r)) for r in V3_READ_REQUESTS),
    ]
    by_key = {exchange.key: exchange for exchange in exchanges}
    for exchange in served:
        assert by_key[exchange.key].reply == exchange.reply
    assert by_key[f"v2:{request_key({'command': 'summary+edevs'})}"].reply == V2_INVALID
    assert all(exchange.error is None for exchange in exchanges)


async def test_capture_of_a_miner_without_api_v3(raw_server: ServerFactory) -> None:
    """A port nobody listens on is recorded as refused, once, and the capture goes on."""
    replay = Replay(_m7bs_exchanges())
    v2_port, _ = await replay.start(raw_server)
    exchanges = await capture(
        "127.0.0.1", v2_port=v2_port, v3_port=1, connect_timeout=2.0, reply_timeout=2.0
    )
    v3 = [exchange for exchange in exchanges if exchange.api is ApiVersion.V3]
    assert len(v3) == 1
    assert v3[0].reply is None
    assert v3[0].error is not None
    assert v3[0].error.startswith("connection refused")
    assert len(exchanges) == len(V2_READ_REQUESTS) + 1
    document = capture_document(
        "127.0.0.1", exchanges, v2_port=v2_port, v3_port=1, redacted=False
    )
    assert document["exchanges"][-1]["reply"] is None
    assert document["exchanges"][-1]["reply_encoding"] is None


def test_redaction_replaces_what_identifies_a_miner() -> None:
    """MAC, serials, addresses, workers, salt go; the factory hostname and figures stay."""
    exchanges = _m7bs_exchanges()
    document = capture_document(
        "10.0.44.105", exchanges, v2_port=4028, v3_port=4433, redacted=True
    )
    text = json.dumps(document)
    for secret in (
        "A0:5B:06:00:36:60",
        "BTM7BS30FA26031256090407244H05947",  # miner serial
        "2F260200665",  # PSU serial
        "BMM7BSFF306311K40019",  # hashboard serial
        "10.0.44.105",
        "10.0.44.1",
        "haven7346.M7bS_test",  # pool worker
        "CE:02:01:00:8C:36",
        "BKM3CSE1404807K42757",
        "172.16.2.58",
        "uhCiDyVj",  # v3 salt
    ):
        assert secret not in text, secret
    assert document["host"] == "192.0.2.1"
    assert document["redacted"] is True
    assert "WhatsMiner" in text
    assert "692632192" in text  # figures untouched
    # The same value gets the same stand-in everywhere.
    redacted, _ = redact(exchanges, "10.0.44.105")
    info = next(e for e in redacted if e.request.get("cmd") == "get_miner_info")
    assert info.reply is not None
    assert b'"ip":"192.0.2.1"' in info.reply
    assert b'"gateway":"192.0.2.2"' in info.reply


def test_exchanges_round_trip_through_the_format() -> None:
    """Valid UTF-8 is stored as text, anything else as base64; both read back exactly."""
    text = Exchange(ApiVersion.V2, {"cmd": "summary"}, b'{"a":1}\x00')
    binary = Exchange(ApiVersion.V2, {"cmd": "get_version"}, b'{"a":"\xff\xfe"}')
    failed = Exchange(ApiVersion.V3, {"cmd": "get.device.info"}, None, "timeout: x")
    for exchange in (text, binary, failed):
        written = json.loads(json.dumps(exchange_to_json(exchange)))
        assert exchange_from_json(written) == exchange
    assert exchange_to_json(text)["reply_encoding"] == "text"
    assert exchange_to_json(binary)["reply_encoding"] == "base64"
    with pytest.raises(ValueError, match="reply_encoding"):
        exchange_from_json({**exchange_to_json(text), "reply_encoding": "rot13"})


async def test_capture_lists_every_read_the_backends_send(
    make_miner: MinerFactory,
) -> None:
    """What the client reads in its polls is what a capture records."""
    old = await make_miner()
    v2 = WhatsminerV2(old.host, port=old.v2_port or 0, reply_timeout=2.0)
    await v2.identify()
    await v2.fetch_fast()
    await v2.fetch_slow()
    known = {request_key(request) for request in V2_READ_REQUESTS}
    sent = {request_key(exchange.request) for exchange in v2.exchanges()}
    assert sent
    assert sent <= known

    new: SimulatedMiner = await make_miner(api="v3")
    v3 = WhatsminerV3(
        new.host,
        port=new.v3_port or 0,
        password=None,
        connect_timeout=2.0,
        reply_timeout=2.0,
    )
    try:
        await v3.identify()
        await v3.fetch_fast()
        await v3.fetch_fast()
        await v3.fetch_slow()
    finally:
        await v3.close()
    known = {request_key(request) for request in V3_READ_REQUESTS}
    sent = {request_key(exchange.request) for exchange in v3.exchanges()}
    assert sent
    assert sent <= known


async def test_cli_capture(raw_server: ServerFactory) -> None:
    """``capture --redact`` prints the capture format, redacted, with no password."""
    replay = Replay(_m7bs_exchanges())
    v2_port, v3_port = await replay.start(raw_server)
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(
        [
            "--host",
            "127.0.0.1",
            "--port",
            str(v2_port),
            "--v3-port",
            str(v3_port),
            "--password",
            "Pw_7rq9Z",
            "capture",
            "--redact",
        ]
    )
    result: Any = json.loads(json.dumps(dispatcher.to_jsonable(await cli.run(args))))
    assert result["format"] == CAPTURE_FORMAT
    assert result["version"] == 1
    assert result["redacted"] is True
    assert result["ports"] == {"v2": v2_port, "v3": v3_port}
    assert "A0:5B:06:00:36:60" not in json.dumps(result)
    assert "Pw_7rq9Z" not in json.dumps(result)
    assert len(result["exchanges"]) == len(V2_READ_REQUESTS) + len(V3_READ_REQUESTS)


async def test_capture_says_why_no_reply_came(raw_server: ServerFactory) -> None:
    """A miner that stays silent, or closes at once: each exchange says which."""

    async def silent(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        await reader.read(4096)
        await asyncio.sleep(5)

    async def hang_up(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        await reader.read(4096)

    silent_port = await raw_server(silent)
    closing_port = await raw_server(hang_up)
    exchanges = await capture(
        "127.0.0.1",
        v2_port=closing_port,
        v3_port=silent_port,
        connect_timeout=1.0,
        reply_timeout=0.2,
    )
    errors = [exchange.error or "" for exchange in exchanges]
    v2_errors = errors[: len(V2_READ_REQUESTS)]
    v3_errors = errors[len(V2_READ_REQUESTS) :]
    assert all(error.startswith("closed") for error in v2_errors), v2_errors
    assert v3_errors
    assert all(error.startswith("timeout") for error in v3_errors), v3_errors
    assert all(exchange.reply is None for exchange in exchanges)


def test_redaction_of_a_named_host_and_an_unreadable_reply() -> None:
    """A host name gets a stand-in too; a reply that cannot be read still loses known values."""
    exchanges = [
        Exchange(
            ApiVersion.V2,
            {"cmd": "get_miner_info"},
            b'{"Msg":{"mac":"C6:07:20:00:00:42","hostname":"rig-7"}}',
        ),
        Exchange(
            ApiVersion.V2, {"cmd": "summary"}, b"\xfe\xff c6:07:20:00:00:42 rig-7"
        ),
        Exchange(
            ApiVersion.V2,
            {"command": "pools"},
            b'{"POOLS":[{"URL":"stratum+tcp://me:pw@pool.example:3333","User":"me.rig"},'
            b'{"URL":"stratum+tcp://10.1.2.3:3333","User":"me.rig2"}]}',
        ),
    ]
    redacted, host = redact(exchanges, "rig-7.local")
    assert host == "miner-1"
    text = b"".join(exchange.reply or b"" for exchange in redacted)
    for secret in (
        b"C6:07:20:00:00:42",
        b"c6:07:20:00:00:42",
        b"rig-7",
        b"me.rig",
        b"pw@",
    ):
        assert secret not in text, secret
    assert b"pool.example:3333" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"request": {}}, "not an exchange"),
        ({"api": "v2", "request": []}, "no JSON object"),
        ({"api": "v2", "request": {}, "reply": 5, "reply_encoding": "text"}, "no text"),
        (
            {"api": "v2", "request": {}, "reply": "!!", "reply_encoding": "base64"},
            "does not decode",
        ),
    ],
)
def test_malformed_exchanges_are_refused(data: dict[str, Any], message: str) -> None:
    """A capture file that is not the format says so, in one kind of error."""
    with pytest.raises(ValueError, match=message):
        exchange_from_json(data)
