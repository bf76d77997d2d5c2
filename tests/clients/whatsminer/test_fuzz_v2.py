"""Fuzzing the reply path: any bytes give a model or our own error, never another exception."""

import contextlib
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from custom_components.hashwatt.clients.whatsminer import parse_v2
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerError,
    WhatsminerInvalidReplyError,
)
from custom_components.hashwatt.clients.whatsminer.repair import parse_reply

# The harness's autouse fixtures are function-scoped; the examples do not touch them.
FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Field names real replies use, so generated dicts reach deep into the parsers.
KEYS = [
    "STATUS", "When", "Code", "Msg", "Description", "id", "enc",
    "SUMMARY", "DEVS", "EDEVS", "POOLS", "DEVDETAILS", "summary", "edevs", "pools", "devdetails",
    "Elapsed", "MHS av", "MHS 5s", "MHS 1m", "HS RT", "Factory GHS", "HS Factory", "Power",
    "Power Limit", "Power Rate", "Power Mode", "Env Temp", "Chip Temp Min", "Chip Temp Max",
    "Chip Temp Avg", "Fan Speed In", "Fan Speed Out", "Uptime", "Accepted", "Rejected",
    "Pool Rejected%", "freq_avg", "Btminer Fast Boot", "ASC", "Slot", "Status", "Temperature",
    "Chip Frequency", "Effective Chips", "PCB SN", "POOL", "URL", "User", "Priority",
    "Stratum Active", "Last Share Time", "Model", "name", "model", "serial_no", "hw_version",
    "sw_version", "fan_speed", "temp0", "vin", "iin", "api_ver", "fw_ver", "platform", "chip",
    "mineroff", "btmineroff", "Firmware Version", "FirmwareVersion", "power_mode",
    "hash_percent", "mac", "hostname", "ip", "proto", "netmask", "gateway", "dns", "ledstat",
    "minersn", "powersn", "upfreq_speed", "error_code", "complete", "msg", "logfilelen",
]  # fmt: skip

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["-1", "0", "1", "true", "false", "enable", "Normal", "High", "nan", "1e999", "12.5",
         "'20210322.22.REL'", "whatsminer v1.4.0", "00:00:00:00:00:00", "c6:07:20:00:1e:c2",
         "2022-01-17 11:28:11", "adjust complete", "S", "E"]
    ),
)  # fmt: skip
KEY = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEY, children, max_size=6)
    ),
    max_leaves=30,
)
REPLIES = st.dictionaries(KEY, VALUES, max_size=8)

PARSERS: list[Callable[[dict[str, Any]], object]] = [
    parse_v2.parse_summary,
    lambda reply: parse_v2.parse_summary(reply, divisor=1.0),
    parse_v2.parse_boards,
    lambda reply: parse_v2.parse_boards(reply, divisor=1.0),
    parse_v2.summary_hashrate,
    parse_v2.boards_hashrate,
    parse_v2.summary_errors,
    parse_v2.summary_mac,
    parse_v2.summary_psu_fan,
    parse_v2.summary_liquid_cooled,
    parse_v2.parse_status,
    parse_v2.parse_pools,
    parse_v2.parse_model,
    parse_v2.parse_psu,
    parse_v2.parse_version,
    parse_v2.parse_miner_info,
    parse_v2.parse_settings,
    parse_v2.parse_errors,
    parse_v2.reply_status,
    parse_v2.is_error,
    parse_v2.is_compat_summary,
    lambda reply: parse_v2.split_joined(reply, ("summary", "edevs")),
    lambda reply: parse_v2.split_joined(reply, ("pools", "devdetails")),
    lambda reply: parse_v2.parse_pre_power_on(reply.get("Msg")),
    lambda reply: parse_v2.log_file_length(reply.get("Msg")),
]


def _run_every_parser(reply: dict[str, Any]) -> None:
    for parser in PARSERS:
        with contextlib.suppress(WhatsminerError):
            parser(reply)


def _no_strings_in_single_quotes(value: Any) -> bool:
    if isinstance(value, str):
        return not (len(value) >= 2 and value[0] == value[-1] == "'")
    if isinstance(value, dict):
        return all(_no_strings_in_single_quotes(item) for item in value.values())
    if isinstance(value, list):
        return all(_no_strings_in_single_quotes(item) for item in value)
    return True


def _is_part_of(part: Any, whole: Any) -> bool:
    """Whether a repaired value only holds what the original held (nothing guessed)."""
    if isinstance(whole, dict):
        return isinstance(part, dict) and all(
            key in whole and _is_part_of(value, whole[key])
            for key, value in part.items()
        )
    if isinstance(whole, list):
        return (
            isinstance(part, list)
            and len(part) <= len(whole)
            and all(_is_part_of(a, b) for a, b in zip(part, whole, strict=False))
        )
    if isinstance(whole, float) and math.isnan(whole):
        return isinstance(part, float) and math.isnan(part)
    return part == whole and type(part) is type(whole)


@FUZZ
@given(st.binary(max_size=2048))
@example(b'{"a":' * 70 + b"1")
@example(b'["329":"2022-01-17 11:28:11"]')
@example(b'{"Msg":{"error_code":["1":')
def test_any_bytes_give_a_dict_or_our_error(data: bytes) -> None:
    """Random bytes never raise anything but WhatsminerInvalidReplyError."""
    try:
        reply = parse_reply(data)
    except WhatsminerInvalidReplyError:
        return
    assert isinstance(reply, dict)
    assert reply
    _run_every_parser(reply)


@FUZZ
@given(REPLIES.filter(bool), st.data())
def test_mangled_json_gives_a_dict_or_our_error(
    reply: dict[str, Any], data: st.DataObject
) -> None:
    """Real-looking replies with bytes cut, doubled or replaced: a dict or our error."""
    raw = bytearray(json.dumps(reply).encode())
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        if not raw:
            break
        at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        action = data.draw(st.sampled_from(["cut", "drop", "insert", "truncate"]))
        if action == "truncate":
            del raw[at:]
        elif action == "drop":
            del raw[at]
        elif action == "insert":
            raw[at:at] = data.draw(
                st.sampled_from([b",", b"}", b"{", b"[", b"]", b'"', b":", b"\xff"])
            )
        else:
            raw[at : at + 1] = b"\x00"
    try:
        repaired = parse_reply(bytes(raw))
    except WhatsminerInvalidReplyError:
        return
    _run_every_parser(repaired)


@FUZZ
@given(REPLIES.filter(bool).filter(_no_strings_in_single_quotes))
def test_valid_replies_come_back_unchanged(reply: dict[str, Any]) -> None:
    """The repair leaves well-formed JSON alone."""
    raw = json.dumps(reply).encode()
    assert json.dumps(parse_reply(raw)) == json.dumps(reply)


@FUZZ
@given(
    REPLIES.filter(bool).filter(_no_strings_in_single_quotes),
    st.floats(min_value=0.05, max_value=0.999),
)
def test_truncated_replies_hold_nothing_guessed(
    reply: dict[str, Any], keep: float
) -> None:
    """A reply cut anywhere repairs to part of the original, or to our error."""
    raw = json.dumps(reply, separators=(",", ":")).encode()
    cut = raw[: max(1, int(len(raw) * keep))]
    try:
        repaired = parse_reply(cut)
    except WhatsminerInvalidReplyError:
        return
    assert _is_part_of(repaired, json.loads(raw))


@FUZZ
@given(REPLIES)
def test_every_parser_takes_any_dict(reply: dict[str, Any]) -> None:
    """Every v2 parser: a model (or None) for any dict, or our own error."""
    _run_every_parser(reply)


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(
    "reply",
    [
        {},
        {"Msg": None},
        {"Msg": []},
        {"Msg": "text"},
        {"SUMMARY": "x", "DEVS": 5, "POOLS": [1, "a", None], "DEVDETAILS": {}},
        {"STATUS": [None, {"STATUS": 1, "Code": "x"}], "Msg": {"error_code": "oops"}},
    ],
)
def test_every_parser_takes_odd_shapes(
    parser: Callable[[dict[str, Any]], object], reply: dict[str, Any]
) -> None:
    """Hand-picked odd shapes for every parser, on top of the fuzzing."""
    with contextlib.suppress(WhatsminerError):
        parser(reply)
