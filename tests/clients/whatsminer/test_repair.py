"""The reply repair: one test per firmware quirk, each with the raw bytes a miner sends."""

import json

import pytest

from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerInvalidReplyError,
)
from custom_components.hashwatt.clients.whatsminer.repair import MAX_DEPTH, parse_reply


def test_valid_reply_takes_the_fast_path() -> None:
    """Well-formed JSON comes back exactly as json.loads reads it."""
    raw = b'{"STATUS":"S","When":1643187652,"Code":131,"Msg":{"api_ver":"2.0.3"},"Description":""}'
    assert parse_reply(raw) == json.loads(raw)


def test_trailing_nul() -> None:
    """Some replies end with a NUL byte."""
    raw = b'{"STATUS":"S","Code":131,"Msg":"ok"}\x00'
    assert parse_reply(raw) == {"STATUS": "S", "Code": 131, "Msg": "ok"}


def test_invalid_utf8_is_replaced() -> None:
    """Invalid UTF-8 inside a string becomes U+FFFD instead of failing the reply."""
    raw = (
        b'{"STATUS":"S","Code":131,"Msg":{"name":"P2\xff\xfe21B"},"Description":"\xc3"}'
    )
    reply = parse_reply(raw)
    assert reply["Msg"]["name"] == "P2\ufffd\ufffd21B"
    assert reply["Description"] == "\ufffd"


def test_trailing_comma_before_brace() -> None:
    """Btminer writes ",}" (and ",]")."""
    raw = b'{"STATUS":"S","Code":131,"Msg":{"a":1,"b":[1,2,],},}'
    assert parse_reply(raw) == {
        "STATUS": "S",
        "Code": 131,
        "Msg": {"a": 1, "b": [1, 2]},
    }


def test_objects_back_to_back_in_a_list() -> None:
    """Objects in a list without the comma between them: "}{"."""
    raw = b'{"STATUS":[{"STATUS":"S","Code":7}],"POOLS":[{"POOL":1,"URL":"a"}{"POOL":2,"URL":"b"}],"id":1}'
    assert parse_reply(raw)["POOLS"] == [
        {"POOL": 1, "URL": "a"},
        {"POOL": 2, "URL": "b"},
    ]


def test_objects_back_to_back_at_the_top_level() -> None:
    """Two whole objects back to back: both halves are kept."""
    raw = b'{"STATUS":"S","Code":131}{"Msg":{"a":1}}'
    assert parse_reply(raw) == {"STATUS": "S", "Code": 131, "Msg": {"a": 1}}


def test_list_opening_with_a_comma() -> None:
    """A list that opens with a comma: "[,{"."""
    raw = b'{"STATUS":[,{"STATUS":"S","Code":9}],"DEVS":[,{"ASC":0},{"ASC":1}],"id":1}'
    reply = parse_reply(raw)
    assert reply["DEVS"] == [{"ASC": 0}, {"ASC": 1}]
    assert reply["STATUS"] == [{"STATUS": "S", "Code": 9}]


def test_missing_comma_before_temp0() -> None:
    """get_psu on 2023 firmware: no comma before "temp0" ("7""temp0")."""
    raw = (
        b'{"STATUS":"S","When":1643182793,"Code":131,"Msg":{"name":"P221B","iin":"8718",'
        b'"vin":"22400","fan_speed":"6976","vendor":"7""temp0":"33.5"},"Description":""}'
    )
    message = parse_reply(raw)["Msg"]
    assert message["vendor"] == "7"
    assert message["temp0"] == "33.5"
    assert message["vin"] == "22400"


def test_error_code_list_of_pairs() -> None:
    """API 2.0.4's get_error_code: key/value pairs written inside a list (invalid JSON)."""
    raw = (
        b'{"STATUS":"S","When":1642392343,"Code":131,'
        b'"Msg":{"error_code":["329":"2022-01-17 11:28:11","2010":"2022-01-17 11:30:02"]},'
        b'"Description":""}'
    )
    assert parse_reply(raw)["Msg"] == {
        "error_code": [{"329": "2022-01-17 11:28:11"}, {"2010": "2022-01-17 11:30:02"}]
    }


def test_firmware_version_in_single_quotes() -> None:
    """Status on some firmware: "Firmware Version":"'20210322.22.REL'"."""
    raw = b'{"STATUS":"S","Code":131,"Msg":{"mineroff":"false","Firmware Version":"\'20210322.22.REL\'"}}'
    assert parse_reply(raw)["Msg"]["Firmware Version"] == "20210322.22.REL"


def test_single_quotes_are_unwrapped_only_around_whole_strings() -> None:
    """An apostrophe inside text stays; a lone quote character stays."""
    raw = b"""{"a":"it's","b":"'","c":"''","d":"'x"}"""
    assert parse_reply(raw) == {"a": "it's", "b": "'", "c": "", "d": "'x"}


def test_single_quotes_written_as_escapes_are_unwrapped_too() -> None:
    """JSON may spell the quote as an escape (backslash, u0027): the same value."""
    raw = b'{"Msg":{"Firmware Version":"\\u002720210322.22.REL\\u0027"}}'
    assert parse_reply(raw) == {"Msg": {"Firmware Version": "20210322.22.REL"}}


@pytest.mark.parametrize(
    ("levels", "too_deep"), [(MAX_DEPTH, False), (MAX_DEPTH + 1, True)]
)
def test_nesting_limit_holds_without_single_quotes(levels: int, too_deep: bool) -> None:
    """A reply with nothing to unwrap is still held to the nesting limit."""
    raw = b'{"a":' * levels + b"1" + b"}" * levels
    if too_deep:
        with pytest.raises(WhatsminerInvalidReplyError, match="nests too deeply"):
            parse_reply(raw)
    else:
        assert parse_reply(raw)["a"]["a"]["a"]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        # 2020 firmware's \' escape is read as a quote.
        (rb"""{"a":"\'20200917.22.REL\'","b":1""", "20200917.22.REL"),
        # An escaped backslash before a quote is a backslash, and the other
        # escapes of the string still count.
        (rb"""{"a":"\u001f\\'","b":1""", "\x1f\\'"),
        (rb"""{"a":"x\\\'y","b":1""", "x\\'y"),
    ],
)
def test_quote_escapes(raw: bytes, value: str) -> None:
    """Found by the fuzz test: only an unescaped backslash escapes a quote."""
    assert parse_reply(raw)["a"] == value


def test_truncated_in_a_string_value_drops_that_value() -> None:
    """A reply cut inside a value: the value is dropped (never guessed), the rest kept."""
    raw = b'{"STATUS":"S","When":1643187652,"Code":131,"Msg":{"api_ver":"2.0.3","fw_ver":"202201'
    assert parse_reply(raw) == {
        "STATUS": "S",
        "When": 1643187652,
        "Code": 131,
        "Msg": {"api_ver": "2.0.3"},
    }


def test_truncated_in_a_number_drops_that_number() -> None:
    """A number at the very end may be cut short: dropped."""
    raw = b'{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"Elapsed":2648,"MHS av":849837'
    assert parse_reply(raw) == {
        "STATUS": [{"STATUS": "S"}],
        "SUMMARY": [{"Elapsed": 2648}],
    }


def test_truncated_after_a_complete_value_keeps_it() -> None:
    """A string whose closing quote arrived is complete; so are closed objects and lists."""
    raw = b'{"STATUS":"S","Code":131,"Msg":{"a":"x","b":[1,2],"c":{"d":true}'
    assert parse_reply(raw) == {
        "STATUS": "S",
        "Code": 131,
        "Msg": {"a": "x", "b": [1, 2], "c": {"d": True}},
    }


@pytest.mark.parametrize(
    "raw",
    [
        b'{"STATUS":"S","Code":131,"Msg":{"a":1,"bc',  # in a key
        b'{"STATUS":"S","Code":131,"Msg":{"a":1,"b"',  # after a key
        b'{"STATUS":"S","Code":131,"Msg":{"a":1,"b":',  # after the colon
        b'{"STATUS":"S","Code":131,"Msg":{"a":1,',  # after a comma
        b'{"STATUS":"S","Code":131,"Msg":{"a":1,"b":"x\\',  # in an escape
    ],
)
def test_truncated_at_every_kind_of_place(raw: bytes) -> None:
    """Wherever the cut falls, what was complete survives."""
    assert parse_reply(raw) == {"STATUS": "S", "Code": 131, "Msg": {"a": 1}}


def test_truncated_list_keeps_its_complete_items() -> None:
    """A cut inside the second board keeps the first whole and the second's complete fields."""
    raw = b'{"DEVS":[{"ASC":0,"Temperature":80.0},{"ASC":1,"Temperature":8'
    assert parse_reply(raw) == {"DEVS": [{"ASC": 0, "Temperature": 80.0}, {"ASC": 1}]}


def test_several_quirks_at_once() -> None:
    """Quirks combine: NUL, "[,{", "}{", ",}", bad UTF-8 and a cut."""
    raw = b'{"STATUS":[,{"STATUS":"S"}],"POOLS":[{"POOL":1,}{"POOL":2,"User":"w\xff"}],"id":1,}\x00'
    assert parse_reply(raw) == {
        "STATUS": [{"STATUS": "S"}],
        "POOLS": [{"POOL": 1}, {"POOL": 2, "User": "w\ufffd"}],
        "id": 1,
    }


def test_bare_words_and_invalid_escapes_survive() -> None:
    """Unquoted words are kept as text; an invalid escape keeps its characters."""
    raw = b'{"a":abc,"b":"x\\qy","c":-1.5e3,"d":null,}'
    assert parse_reply(raw) == {"a": "abc", "b": "x\\qy", "c": -1500.0, "d": None}


def test_control_characters_inside_strings() -> None:
    """Raw newlines or tabs inside a string do not fail the reply."""
    assert parse_reply(b'{"Msg":"line one\nline\ttwo"}') == {
        "Msg": "line one\nline\ttwo"
    }


def test_junk_around_the_object_is_ignored() -> None:
    """Bytes before or after the object (a stray prefix, a second NUL) are skipped."""
    assert parse_reply(b'xx {"a":1} trailing\x00\x00') == {"a": 1}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00",
        b"   \n",
        b"[1,2,3]",
        b'"text"',
        b"42",
        b"{}",
        b"{",
        b'{"a',
        b"\xfe\xff\x01\x02garbage",
        b'{"a":1]',
        b"{[1]:2}",
        b'{"a" 1}',
        b'{"a":}',
    ],
)
def test_unusable_replies_raise_our_error(raw: bytes) -> None:
    """Nothing usable: WhatsminerInvalidReplyError, never another exception."""
    with pytest.raises(WhatsminerInvalidReplyError):
        parse_reply(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b'{"a":' * (MAX_DEPTH + 2) + b"1" + b"}" * (MAX_DEPTH + 2),
        b"{" + b'"a":[' * 5_000 + b",",
    ],
)
def test_deep_nesting_raises_our_error(raw: bytes) -> None:
    """Deep nesting cannot exhaust the stack: our error, on both parsing paths."""
    with pytest.raises(WhatsminerInvalidReplyError, match="nests too deeply"):
        parse_reply(raw)
