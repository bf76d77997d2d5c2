"""Every captured reply of a real miner, read through the client's own parse path.

tests/fixtures/whatsminer/index.json lists each capture with its provenance and
``reads``: what a person reads off that reply, in explicit units. For each one
the raw bytes go through reply repair and the parsers the backends use, and
every value in ``reads`` must come out right: unit, count and presence. A read
the client has no answer for fails the test (nothing is dropped silently).

Where one reply cannot say its unit (a compatibility-layer summary alone), the
client decides with the edevs capture of the same miner, over real TCP.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from custom_components.hashwatt.clients.whatsminer import parse_v2, parse_v3, units
from custom_components.hashwatt.clients.whatsminer.client import Whatsminer
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerConnectionError,
)
from custom_components.hashwatt.clients.whatsminer.exchanges import Exchange
from custom_components.hashwatt.clients.whatsminer.models import (
    ApiVersion,
    Board,
    MinerError,
    MinerInfo,
    MinerStatus,
    Pool,
    Psu,
    Summary,
    Version,
)
from custom_components.hashwatt.clients.whatsminer.repair import parse_reply
from custom_components.hashwatt.clients.whatsminer.v2 import (
    WhatsminerV2,
    boards_total,
    is_mining,
)
from custom_components.hashwatt.clients.whatsminer.values import (
    as_model,
    is_hashing,
    normalise_mac,
)

from .conftest import MinerFactory
from .replay import Replay, ServerFactory

FIXTURES = Path(__file__).parents[2] / "fixtures" / "whatsminer"
INDEX: list[dict[str, Any]] = json.loads((FIXTURES / "index.json").read_text())
BY_FILE = {entry["file"]: entry for entry in INDEX}


def _raw(entry: Mapping[str, Any]) -> bytes:
    path: Path = FIXTURES / entry["file"]
    return path.read_bytes()


def _miner(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    """Captures of one miner: same family, same source, same model."""
    name = Path(entry["file"]).name.split("__")
    return entry["family"], name[0], name[1]


def _companion(entry: Mapping[str, Any], command: str) -> dict[str, Any] | None:
    """Return another capture of the same miner, of ``command``."""
    return next(
        (
            other
            for other in INDEX
            if other is not entry
            and other["command"] == command
            and _miner(other) == _miner(entry)
            and "unknown" not in _miner(entry)
        ),
        None,
    )


@dataclass
class Reading:
    """What the client makes of one reply; fields stay ``None`` where it says nothing."""

    reply: Mapping[str, Any] = field(default_factory=dict)
    summary: Summary | None = None
    divisor: float | None = None  # the summary's, to TH/s
    boards: tuple[Board, ...] | None = None
    pools: tuple[Pool, ...] | None = None
    status: MinerStatus | None = None
    version: Version | None = None
    info: MinerInfo | None = None
    psu: Psu | None = None
    errors: tuple[MinerError, ...] | None = None
    mac: str | None = None
    model: str | None = None
    firmware: str | None = None
    mining: bool | None = None
    board_count: int | None = None


# API v2 (4028): cgminer and btminer envelopes, old firmware and the compat layer.


def _v2_boards(reply: Mapping[str, Any], *, compat: bool) -> tuple[Board, ...]:
    divisor, _ = units.board_divisor(
        parse_v2.boards_hashrate(reply), compat=compat, remembered=None
    )
    return parse_v2.parse_boards(reply, divisor=divisor)


def _v2_summary(
    entry: Mapping[str, Any], reply: Mapping[str, Any], reading: Reading
) -> None:
    compat = parse_v2.is_compat_summary(reply)
    boards_ths = None
    if (edevs := _companion(entry, "edevs") or _companion(entry, "devs")) is not None:
        boards_ths = boards_total(_v2_boards(parse_reply(_raw(edevs)), compat=compat))
    divisor, _ = units.summary_divisor(
        parse_v2.summary_hashrate(reply), boards_ths, remembered=None
    )
    summary = parse_v2.parse_summary(reply, divisor=divisor)
    reading.summary, reading.divisor = summary, divisor
    reading.mac = parse_v2.summary_mac(reply)
    reading.errors = parse_v2.summary_errors(reply)
    reading.psu = parse_v2.with_summary_psu(None, reply)
    reading.firmware = (
        parse_v2.message_text(summary.raw.get("Firmware Version")) or None
    )
    status_entry = _companion(entry, "status")
    status = (
        parse_v2.parse_status(parse_reply(_raw(status_entry))) if status_entry else None
    )
    reading.mining = is_mining(status, summary)


def read_v2(entry: Mapping[str, Any], reply: Mapping[str, Any]) -> Reading:
    """Read one API v2 reply as the v2 backend does."""
    command: str = entry["command"]
    reading = Reading(reply=reply)
    if "+" in command:
        parts = parse_v2.split_joined(reply, command.split("+"))
        if parts is None:
            return reading
        for part, part_reply in parts.items():
            sub = read_v2({**entry, "command": part}, part_reply)
            for name in ("summary", "divisor", "boards", "pools", "mac", "errors"):
                if getattr(sub, name) is not None and getattr(reading, name) is None:
                    setattr(reading, name, getattr(sub, name))
            reading.psu = reading.psu or sub.psu
            reading.firmware = reading.firmware or sub.firmware
            if sub.mining is not None:
                reading.mining = sub.mining
        if reading.summary is not None and reading.boards is not None:
            # A joined reply is one moment: the summary's unit from its boards.
            summary_part = parts["summary"]
            divisor, _ = units.summary_divisor(
                parse_v2.summary_hashrate(summary_part),
                boards_total(reading.boards),
                remembered=None,
            )
            reading.summary = parse_v2.parse_summary(summary_part, divisor=divisor)
            reading.divisor = divisor
        return reading
    if parse_v2.is_error(reply):
        return reading
    if command == "summary":
        _v2_summary(entry, reply, reading)
    elif command in {"edevs", "devs"}:
        compat = entry["family"] == "compat" and parse_v2.is_compat_summary(
            parse_reply(_raw(_companion(entry, "summary") or entry))
        )
        reading.boards = _v2_boards(reply, compat=compat or entry["family"] == "compat")
    elif command == "pools":
        reading.pools = parse_v2.parse_pools(reply)
    elif command == "status":
        reading.status = parse_v2.parse_status(reply)
        if reading.status is not None:
            reading.mining = reading.status.mining
            reading.firmware = reading.status.firmware_version
    elif command == "get_version":
        reading.version = parse_v2.parse_version(reply)
        reading.model = reading.version.model
        reading.firmware = reading.version.firmware_version
    elif command == "get_miner_info":
        reading.info = parse_v2.parse_miner_info(reply)
        reading.mac = reading.info.mac
    elif command == "get_psu":
        reading.psu = parse_v2.parse_psu(reply)
    elif command == "get_error_code":
        reading.errors = parse_v2.parse_errors(reply)
    return reading


# API v3 (4433).


def _v3_message(entry: Mapping[str, Any], raw: bytes) -> Any:  # noqa: ANN401
    command = entry["command"].split()[0]
    if entry.get("fragment"):
        # Only part of the reply was published: its msg, or one section of it
        # (the file is named after it: get.device.info.power, ....edevs).
        stem = Path(entry["file"]).name.split("__")[2].removesuffix(".raw")
        section = stem.removeprefix(command).lstrip(".")
        if section:
            raw = b'{"' + section.encode() + b'":' + raw + b"}"
        raw = b'{"code":0,"when":0,"msg":' + raw + b',"desc":"x"}'
    return parse_v3.reply_message(
        command, parse_v3.parse_envelope(command, raw), write=False
    )


def read_v3(entry: Mapping[str, Any]) -> Reading:
    """Read one API v3 reply as the v3 backend does."""
    message = _v3_message(entry, _raw(entry))
    reading = Reading(reply=message)
    command = entry["command"]
    if command == "get.device.info":
        slow = parse_v3.parse_slow(message, None, None, None)
        reading.info, reading.version, reading.psu = slow.info, slow.version, slow.psu
        reading.errors, reading.mac = slow.errors, slow.identity.mac
        reading.model, reading.firmware = (
            slow.identity.model,
            slow.version.firmware_version,
        )
        miner = message.get("miner", {})
        # The fast poll reads a liquid-cooled miner's coolant from device info.
        fast = parse_v3.parse_fast({}, message, None)
        reading.summary = fast.summary
        reading.mining = parse_v3.is_mining(
            parse_v3.parse_summary({}, (), miner, None), miner
        )
        if (edevs := _companion(entry, "get.miner.status edevs")) is not None:
            reading.board_count = len(
                parse_v3.parse_boards(
                    _v3_message(edevs, _raw(edevs)).get("edevs"), [], {}
                )
            )
    elif command == "get.miner.status summary":
        edevs_entry = _companion(entry, "get.miner.status edevs")
        edevs = _v3_message(edevs_entry, _raw(edevs_entry)) if edevs_entry else {}
        fast = parse_v3.parse_fast({**edevs, **message}, {"miner": {}}, None)
        reading.summary, reading.boards, reading.divisor = (
            fast.summary,
            fast.boards,
            1.0,
        )
    elif command == "get.miner.status edevs":
        fast = parse_v3.parse_fast(message, {"miner": {}}, None)
        reading.boards = fast.boards
    elif command == "get.miner.status pools":
        reading.pools = parse_v3.parse_pools(message.get("pools"))
    return reading


def read(entry: Mapping[str, Any]) -> Reading:
    """Read a capture through the parse path of its API."""
    if entry["port"] == 4433:
        return read_v3(entry)
    return read_v2(entry, parse_reply(_raw(entry)))


# What each read means in the client's terms.

type Check = Callable[[Reading, Any, Mapping[str, Any]], None]


def _close(actual: float | None, expected: float) -> None:
    assert actual is not None
    assert actual == pytest.approx(expected, rel=1e-6, abs=1e-6)


def _summary(reading: Reading) -> Summary:
    assert reading.summary is not None, "no summary read"
    return reading.summary


def _raw_hashrate(reading: Reading, *keys: str) -> float:
    summary = _summary(reading)
    assert reading.divisor is not None
    value = next(summary.raw[key] for key in keys if key in summary.raw)
    return float(value) / reading.divisor


def _board_hashrates(reading: Reading, expected: list[float], _: object) -> None:
    assert reading.boards is not None
    assert len(reading.boards) == len(expected)
    for board, value in zip(reading.boards, expected, strict=True):
        # The capture gives the realtime or the average figure: either, in TH/s.
        assert value in (
            pytest.approx(board.hashrate_realtime, rel=1e-6),
            pytest.approx(board.hashrate_average, rel=1e-6),
        ), (board, value)


def _board_temperatures(reading: Reading, expected: list[float], _: object) -> None:
    assert reading.boards is not None
    assert [board.temperature for board in reading.boards] == pytest.approx(expected)


def _board_count(reading: Reading, expected: int, entry: Mapping[str, Any]) -> None:
    if reading.boards is not None:
        assert len(reading.boards) == expected
    elif entry["command"] == "get.device.info":
        # board-num is gone on API 3.0.5: the boards are what edevs lists.
        if reading.board_count is not None:
            assert reading.board_count == expected
    else:
        pytest.fail("no boards read")


def _chip_temp_max(reading: Reading, expected: float, _: object) -> None:
    if reading.summary is not None and reading.summary.chip_temperature_max is not None:
        _close(reading.summary.chip_temperature_max, expected)
        return
    assert reading.boards
    _close(
        max(b.chip_temperature_max or float("-inf") for b in reading.boards), expected
    )


def _fan(attribute: str) -> Check:
    def check(reading: Reading, expected: int, entry: Mapping[str, Any]) -> None:
        if reading.summary is None and entry["command"] in {"devs", "edevs"}:
            # Per-board fan copies: the miner's fans come from its summary.
            assert reading.boards is not None
            return
        assert getattr(_summary(reading), attribute) == expected

    return check


def _uptime(reading: Reading, expected: int, entry: Mapping[str, Any]) -> None:
    if reading.summary is None and entry["command"] in {"devs", "edevs"}:
        assert reading.boards is not None  # the summary carries it
        return
    summary = _summary(reading)
    assert expected in (summary.system_uptime, summary.mining_elapsed)


def _mining(reading: Reading, expected: bool | None, entry: Mapping[str, Any]) -> None:
    if expected is None:
        # The reply contradicts itself or its summary: the client decides with
        # the same second's summary, whose hashrate wins.
        summary_entry = _companion(entry, "summary")
        assert summary_entry is not None
        summary = read(summary_entry).summary
        assert summary is not None
        assert reading.status is not None
        assert is_mining(reading.status, summary) is True
        return
    if reading.mining is None and reading.summary is not None:
        reading.mining = is_hashing(
            reading.summary.hashrate_realtime or reading.summary.hashrate_average,
            reading.summary.hashrate_factory,
        )
    assert reading.mining is expected


def _firmware(reading: Reading, expected: str, _: object) -> None:
    assert reading.firmware == expected.strip("'")


def _api_version(reading: Reading, expected: str, entry: Mapping[str, Any]) -> None:
    if reading.version is None:
        # status, stats and get_token name it in Description only: the client
        # reads the API version from get_version / device info.
        assert entry["command"] in {"status", "stats", "get_token"}
        return
    assert reading.version.api_version == expected.removeprefix("whatsminer v")


def _mac(reading: Reading, expected: str, _: object) -> None:
    assert reading.mac == normalise_mac(expected)


def _model(reading: Reading, expected: str, _: object) -> None:
    assert reading.model == as_model(expected)


def _errors(reading: Reading, expected: list[int | str], _: object) -> None:
    assert reading.errors is not None
    assert sorted(error.code for error in reading.errors) == sorted(
        int(code) for code in expected
    )


def _error_reply(reading: Reading, expected: Mapping[str, Any], _: object) -> None:
    assert parse_v2.is_error(reading.reply)
    _, code, message = parse_v2.reply_status(reading.reply)
    assert code == expected["code"]
    assert message == expected["msg"]
    # The client's own reading of it: a missing command, or something else.
    error = WhatsminerV2("192.0.2.1")._command_error("x", dict(reading.reply))
    assert (type(error).__name__ == "WhatsminerUnsupportedError") is (code in {14, 132})


def _pools(reading: Reading) -> tuple[Pool, ...]:
    assert reading.pools is not None, "no pools read"
    return reading.pools


def _shares(attribute: str) -> Check:
    def check(reading: Reading, expected: int, _: object) -> None:
        if reading.summary is not None:
            assert getattr(reading.summary, f"{attribute}_shares") == expected
            return
        assert (
            sum(getattr(pool, attribute) or 0 for pool in _pools(reading)) == expected
        )

    return check


def _active_pool(reading: Reading, expected: str, _: object) -> None:
    active = [pool.url for pool in _pools(reading) if pool.stratum_active]
    assert active == [expected]


def _info(attribute: str) -> Check:
    def check(reading: Reading, expected: str, _: object) -> None:
        assert reading.info is not None
        assert getattr(reading.info, attribute) == (expected or None)

    return check


def _led(reading: Reading, expected: str, _: object) -> None:
    assert reading.info is not None
    assert reading.info.led_status == expected.strip()
    if expected != "auto":
        assert reading.info.led_pattern  # a blink pattern, read


def _psu(attribute: str) -> Check:
    def check(reading: Reading, expected: float, _: object) -> None:
        assert reading.psu is not None
        _close(getattr(reading.psu, attribute), expected)

    return check


def _summary_value(attribute: str) -> Check:
    def check(reading: Reading, expected: float, _: object) -> None:
        _close(getattr(_summary(reading), attribute), expected)

    return check


def _power_limit(reading: Reading, expected: float, _: object) -> None:
    if reading.status is not None:
        _close(reading.status.power_limit, expected)
    else:
        _close(_summary(reading).power_limit, expected)


def _power_mode(reading: Reading, expected: str, _: object) -> None:
    mode = (reading.status or reading.summary or pytest.fail("nothing read")).power_mode
    assert mode is not None
    assert mode.value == expected.lower()


def _coolant(reading: Reading, expected: float, _: object) -> None:
    if reading.status is not None:
        _close(reading.status.liquid_temperature, expected)
    else:
        _close(_summary(reading).liquid_temperature, expected)


def _board_temperatures_any(
    reading: Reading, expected: list[float], entry: Any
) -> None:
    if entry["command"] == "get.miner.status summary" and not reading.boards:
        pytest.skip("no edevs of this miner to put the temperatures on")
    _board_temperatures(reading, expected, entry)


CHECKS: dict[str, Check] = {
    "accepted": _shares("accepted"),
    "rejected": _shares("rejected"),
    "active_pool_url": _active_pool,
    "pool_count": lambda reading, expected, _: (
        len(_pools(reading)) == expected or pytest.fail("pool count")
    ),
    "api_version": _api_version,
    "board_count": _board_count,
    "board_hashrates_ths": _board_hashrates,
    "board_temperatures_c": _board_temperatures_any,
    "chip_temp_max_c": _chip_temp_max,
    "coolant_temperature_c": _coolant,
    "env_temperature_c": _summary_value("environment_temperature"),
    "error_code_reply": _error_reply,
    "error_codes": _errors,
    "fan_in_rpm": _fan("fan_speed_in"),
    "fan_out_rpm": _fan("fan_speed_out"),
    "firmware": _firmware,
    "hashrate_realtime_ths": _summary_value("hashrate_realtime"),
    "hashrate_average_ths": _summary_value("hashrate_average"),
    "hashrate_factory_ths": _summary_value("hashrate_factory"),
    "hashrate_1m_ths": lambda reading, expected, _: _close(
        _raw_hashrate(reading, "MHS 1m", "hash-1min"), expected
    ),
    "hostname": _info("hostname"),
    "serial": _info("miner_serial"),
    "led": _led,
    "mac": _mac,
    "mining": _mining,
    "model": _model,
    "power_w": _summary_value("power"),
    "power_limit_w": _power_limit,
    "power_mode": _power_mode,
    "psu_fan_rpm": _psu("fan_speed"),
    "psu_input_voltage_v": _psu("input_voltage"),
    "psu_input_current_a": _psu("input_current"),
    "psu_input_power_w": _psu("input_power"),
    "uptime_s": _uptime,
}

CASES = [
    pytest.param(entry, key, id=f"{entry['file']}:{key}")
    for entry in INDEX
    for key in entry["reads"]
]


def test_every_capture_has_provenance_and_its_file() -> None:
    """The index names a source for each capture, and each file is there."""
    assert INDEX
    for entry in INDEX:
        assert entry["source"], entry["file"]
        assert (FIXTURES / entry["file"]).is_file(), entry["file"]
    files = {str(path.relative_to(FIXTURES)) for path in FIXTURES.rglob("*.raw")}
    assert files == set(BY_FILE)


@pytest.mark.parametrize("entry", INDEX, ids=[entry["file"] for entry in INDEX])
def test_every_capture_parses(entry: Mapping[str, Any]) -> None:
    """Reply repair and the parsers take every capture, unknown keys and all."""
    read(entry)


@pytest.mark.parametrize(("entry", "key"), CASES)
def test_reads(entry: Mapping[str, Any], key: str) -> None:
    """What a person reads off the reply is what the client reads, in its units."""
    check = CHECKS.get(key)
    assert check is not None, f"the client has no reading for {key!r}"
    check(read(entry), entry["reads"][key], entry)


def test_unknown_keys_are_ignored() -> None:
    """A key no parser knows changes nothing."""
    entry = BY_FILE["compat/tether__M7BS_VM30__summary.raw"]
    reply = parse_reply(_raw(entry))
    extended = {**reply, "Msg": {**reply["Msg"], "Coolant Flow": "12.5 L/min"}}
    assert parse_v2.parse_summary(extended) == parse_v2.parse_summary(reply)


# Over TCP: the client decides units and commands from a miner's replies.


def _exchanges(*files: str) -> list[Exchange]:
    exchanges = []
    for name in files:
        entry = BY_FILE[name]
        command = entry["command"]
        key = "command" if command in {"summary", "edevs", "devs", "pools"} else "cmd"
        request: dict[str, Any] = {key: command}
        if command == "get_miner_info":
            request["info"] = (
                "ip,proto,netmask,gateway,dns,hostname,mac,ledstat,minersn,powersn"
            )
        exchanges.append(Exchange(ApiVersion.V2, request, _raw(entry)))
    return exchanges


@pytest.mark.parametrize(
    ("miner", "realtime", "boards"),
    [
        ("pulse__M60S", 140.544208, [45.61, 50.13, 44.8]),
        ("tether__M7BS_VM30", 692.632192, [170.75, 175.6, 175.85, 170.43]),
    ],
)
async def test_compat_layer_units_from_the_replies(
    raw_server: ServerFactory, miner: str, realtime: float, boards: list[float]
) -> None:
    """Summary MH/s, edevs TH/s, on 4028: both read as TH/s, whatever setup stored."""
    files = [
        name
        for name in BY_FILE
        if name.startswith(f"compat/{miner}__")
        and BY_FILE[name]["command"] in {"summary", "edevs", "status", "devdetails"}
        and "__2" not in name
    ]
    replay = Replay(_exchanges(*files))
    v2_port, _ = await replay.start(raw_server)
    client = WhatsminerV2("127.0.0.1", port=v2_port, reply_timeout=2.0)
    fast = await client.fetch_fast()
    assert fast.summary.hashrate_realtime == pytest.approx(realtime)
    assert [board.hashrate_realtime for board in fast.boards] == pytest.approx(boards)
    assert fast.summary.efficiency is not None
    assert 10 < fast.summary.efficiency < 30  # J/TH, not 0.00002
    assert client.compat_layer
    assert fast.mining


async def test_m7bs_on_the_compat_layer(raw_server: ServerFactory) -> None:
    """Model from get_version's miner_type; coolant from status; no fans; blink pattern."""
    files = [name for name in BY_FILE if name.startswith("compat/tether__M7BS_VM30__")]
    replay = Replay(_exchanges(*files))
    v2_port, _ = await replay.start(raw_server)
    client = WhatsminerV2("127.0.0.1", port=v2_port, reply_timeout=2.0)
    identity = await client.identify()
    assert identity.model == "M7BSVM30"
    assert identity.mac == "A0:5B:06:00:36:60"
    fast = await client.fetch_fast()
    assert fast.liquid_cooled
    assert fast.summary.liquid_temperature == 49
    assert fast.summary.power_mode is not None
    slow = await client.fetch_slow()
    assert slow.identity.model == "M7BSVM30"
    assert slow.info.led_pattern
    assert [step.period_ms for step in slow.info.led_pattern] == [200, 200]
    assert slow.errors == ()
    assert [pool.accepted for pool in slow.pools] == [432]


async def test_old_firmware_can_be_added_and_read(raw_server: ServerFactory) -> None:
    """No get_miner_info / get_error_code: MAC, errors, PSU fan from summary, asked once."""
    files = [
        "v1x/asic-rs__M20S-class__summary.raw",
        "v1x/asic-rs__M20S-class__devs.raw",
        "v1x/asic-rs__M20S-class__status.raw",
        "v1x/asic-rs__M20S-class__pools.raw",
        "v1x/asic-rs__M20S-class__get_version.raw",
        "v1x/asic-rs__M20S-class__get_psu.raw",
    ]
    replay = Replay(_exchanges(*files))
    v2_port, _ = await replay.start(raw_server)
    client = WhatsminerV2("127.0.0.1", port=v2_port, reply_timeout=2.0)
    identity = await client.identify()
    assert identity.mac == "C4:08:28:00:A4:19"
    assert identity.firmware_version == "20210322.22.REL"
    fast = await client.fetch_fast()
    # btmineroff says "true" in the very second the summary shows 67 TH/s.
    assert fast.mining is True
    assert fast.summary.hashrate_realtime == pytest.approx(67.39480097)
    assert not fast.liquid_cooled  # "Liquid Cooling": false
    slow = await client.fetch_slow()
    assert slow.info.mac == "C4:08:28:00:A4:19"
    assert slow.errors == ()
    assert slow.psu is not None
    assert slow.psu.fan_speed == 9060
    assert slow.psu.model == "P21-12-3600-E"
    # The missing commands are not asked again.
    replay.requests.clear()
    await client.fetch_slow()
    asked = {
        request.get("cmd", request.get("command")) for _, request in replay.requests
    }
    assert "get_miner_info" not in asked
    assert "get_error_code" not in asked


async def test_old_firmware_wants_command_not_cmd(raw_server: ServerFactory) -> None:
    """2020 firmware answers {"cmd":"summary"} with code 24: cgminer reads go as "command"."""
    replay = Replay(
        _exchanges("v1x/foreman__M31S__summary.raw", "v1x/foreman__M31S__edevs.raw")
    )
    v2_port, _ = await replay.start(raw_server)
    client = WhatsminerV2("127.0.0.1", port=v2_port, reply_timeout=2.0)
    fast = await client.fetch_fast()
    assert fast.summary.hashrate_realtime is not None
    assert len(fast.boards) == len(
        read(BY_FILE["v1x/foreman__M31S__edevs.raw"]).boards or ()
    )


async def _old_firmware_that_learned(
    raw_server: ServerFactory,
) -> tuple[Replay, WhatsminerV2, Callable[[str], int]]:
    """An M20S-class miner without get_miner_info, and a client that learned it.

    Also returns how often a command was asked.
    """
    files = [
        "v1x/asic-rs__M20S-class__summary.raw",
        "v1x/asic-rs__M20S-class__devs.raw",
        "v1x/asic-rs__M20S-class__pools.raw",
        "v1x/asic-rs__M20S-class__get_version.raw",
    ]
    replay = Replay(_exchanges(*files))
    v2_port, _ = await replay.start(raw_server)
    client = WhatsminerV2("127.0.0.1", port=v2_port, reply_timeout=2.0)

    def asked(command: str) -> int:
        return sum(
            request.get("cmd", request.get("command")) == command
            for _, request in replay.requests
        )

    await client.fetch_slow()
    await client.fetch_slow()
    assert asked("get_miner_info") == 1  # learned: asked once
    return replay, client, asked


async def test_what_was_learned_is_relearned_after_an_outage(
    raw_server: ServerFactory,
) -> None:
    """A missing command is asked once; after the miner was gone, once more."""
    _, client, asked = await _old_firmware_that_learned(raw_server)
    v2_port = client.port
    client.port = 1  # the miner goes away (nothing listens there)
    with pytest.raises(WhatsminerConnectionError):
        await client.fetch_slow()
    client.port = v2_port  # and comes back, maybe with other firmware
    await client.fetch_slow()
    assert asked("get_miner_info") == 2


async def test_facade_moves_from_the_compat_layer_to_api_v3(
    make_miner: MinerFactory,
) -> None:
    """Setup stored API v2 for a new-firmware miner: its replies show the layer, v3 is used."""
    miner = await make_miner(api="v3")
    client = Whatsminer(
        miner.host,
        api=ApiVersion.V2,
        v2_port=miner.v2_port or 0,
        v3_port=miner.v3_port or 0,
        reply_timeout=2.0,
    )
    try:
        await client.fetch_fast()
        assert client.api is ApiVersion.V3
        slow = await client.fetch_slow()
        assert slow.identity.api is ApiVersion.V3
        # The diagnostics keep what both APIs answered.
        apis = {exchange.api for exchange in client.exchanges()}
        assert apis == {ApiVersion.V2, ApiVersion.V3}
    finally:
        await client.close()


def test_a_miner_without_its_clock_stamps_no_time() -> None:
    """An error stamped 1970 (the miner lost its clock) keeps its code, not the date."""
    entry = BY_FILE["v3/mining-stack__M30S++-class__get.device.info.error-code.raw"]
    errors = read(entry).errors
    assert errors is not None
    assert [(error.code, error.reported_at) for error in errors] == [(206, None)]


def test_bare_inf_and_nan_read_as_unknown() -> None:
    """Replies with bare inf/nan literals (met by another fleet client) lose those values only."""
    reply = parse_reply(b'{"SUMMARY":[{"MHS av":inf,"Power":nan,"Elapsed":12}]}')
    summary = parse_v2.parse_summary(reply)
    assert summary.hashrate_average is None
    assert summary.power is None
    assert summary.mining_elapsed == 12


async def test_what_was_learned_is_relearned_after_a_firmware_change(
    raw_server: ServerFactory,
) -> None:
    """Other firmware in get_version: the missing commands are asked about again."""
    replay, client, asked = await _old_firmware_that_learned(raw_server)
    key = next(key for key in replay.replies if "get_version" in key)
    replay.replies[key] = replay.replies[key].replace(
        b"20210322.22.REL", b"20220919.15.REL"
    )
    await client.fetch_slow()  # reads the new firmware's version
    await client.fetch_slow()
    assert asked("get_miner_info") == 2
