"""Every persona's replies have the shape of the real-miner capture they follow.

Shape here means: the envelope, every key (recursively; numbered keys such as
``pcbsn0``.. count as one, list items as the capture's first item) and every value's
JSON type (string, number, boolean, null, list, object). Values are ignored. The
replies are read over raw sockets, and the shapes are compared by this file's own
code, not by the simulator's: so the simulator cannot drift from real firmware.
Units, which a shape cannot show, are checked against what the captures show.
"""

import asyncio
import json
import re
from typing import Any

import pytest

from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.personas import (
    PERSONAS,
    Persona,
    capture_index,
    load_capture,
)
from simulator.whatsminer.v2 import CGMINER_READS

from .conftest import MinerFactory, V2Session, V3Connection, v2_call

# Fields a persona may send with the captured value as it is: counters and labels the
# simulator does not model. Live figures (hashrates, power, temperatures, fans, times)
# are never among them.
STATIC_FIELDS = {
    "SUMMARY[].Best Share",
    "SUMMARY[].CB Platform",
    "SUMMARY[].CB Version",
    "SUMMARY[].Device Hardware%",
    "SUMMARY[].Device Rejected%",
    "SUMMARY[].Difficulty Rejected",
    "SUMMARY[].Difficulty Stale",
    "SUMMARY[].Discarded",
    "SUMMARY[].Factory Error Code Count",
    "SUMMARY[].Found Blocks",
    "SUMMARY[].Get Failures",
    "SUMMARY[].Local Work",
    "SUMMARY[].Network Blocks",
    "SUMMARY[].Remote Failures",
    "SUMMARY[].Stale",
    "SUMMARY[].Work Utility",
    "DEVS[].Device Hardware%",
    "DEVS[].Device Rejected%",
    "DEVS[].Difficulty Rejected",
    "DEVS[].Last Share Difficulty",
    "DEVS[].Last Share Pool",
    "POOLS[].Has GBT",
    "Debug",
}

_NUMBERED = re.compile(r"^(.*?[A-Za-z_-])(\d+)$")


def assert_same_shape(reply: Any, captured: Any, path: str = "") -> None:
    """Compare shapes; an empty list matches any list (it shows no item to compare)."""
    if isinstance(captured, dict):
        assert isinstance(reply, dict), f"{path}: {shape(reply)} is no object"
        got, want = _fold(reply), _fold(captured)
        assert set(got) == set(want), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for key in want:
            assert_same_shape(got[key], want[key], f"{path}.{key}")
    elif isinstance(captured, list):
        assert isinstance(reply, list), f"{path}: {shape(reply)} is no list"
        if reply and captured:
            for item in reply:
                assert_same_shape(item, captured[0], f"{path}[]")
    else:
        assert shape(reply) == shape(captured), f"{path}: {reply!r} vs {captured!r}"


def _fold(value: dict[str, Any]) -> dict[str, Any]:
    folded: dict[str, Any] = {}
    for key, item in value.items():
        if key.isdigit():  # an error code as a key
            folded.setdefault("<code>", item)
            continue
        match = _NUMBERED.match(key)
        if match and f"{match.group(1)}0" in value:
            key = f"{match.group(1)}#"
            if key in folded:
                continue
        folded[key] = item
    return folded


def shape(value: Any) -> Any:
    """Return a value's shape: keys and JSON types, numbered keys and list items folded."""
    if isinstance(value, dict):
        folded: dict[str, Any] = {}
        for key, item in value.items():
            match = _NUMBERED.match(key)
            if match and f"{match.group(1)}0" in value:
                key = f"{match.group(1)}#"
                if key in folded:
                    continue
            folded[key] = shape(item)
        return folded
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"  # JSON has one number type (and JS re-dumps drop ".0")
    if isinstance(value, str):
        return "string"
    return "null" if value is None else type(value).__name__


def without(value: Any, patterns: tuple[str, ...]) -> Any:
    """Drop the keys a persona may send beyond its capture (``passthrough``)."""
    if isinstance(value, dict):
        return {
            key: without(item, patterns)
            for key, item in value.items()
            if not any(re.fullmatch(pattern, key) for pattern in patterns)
        }
    if isinstance(value, list):
        return [without(item, patterns) for item in value]
    return value


def _request(name: str) -> tuple[str, dict[str, Any]]:
    """Return (api, request) for a persona's request name."""
    if name.startswith(("get.", "set.")):
        command, _, param = name.partition(" ")
        return "v3", {"cmd": command, **({"param": param} if param else {})}
    # cgminer's reads go as "command", which every firmware reads (2020's only that).
    return "v2", {"command" if name in CGMINER_READS else "cmd": name}


async def fetch(miner: SimulatedMiner, name: str) -> Any:
    api, request = _request(name)
    if api == "v2":
        return await v2_call(miner.v2_port, request)
    connection = await V3Connection.open(miner.v3_port)
    try:
        return await connection.call(request)
    finally:
        await connection.close()


CASES = [
    pytest.param(persona, name, id=f"{persona.name}-{name}")
    for persona in PERSONAS.values()
    for name in persona.follows
]


@pytest.mark.parametrize(("persona", "name"), CASES)
async def test_reply_has_the_shape_of_its_capture(
    make_miner: MinerFactory, persona: Persona, name: str
):
    miner = await make_miner(persona=persona.name, seed=11)
    miner.add_error(207)  # so error lists have an item to compare
    reply = await fetch(miner, name)
    capture = load_capture(persona.follows[name])
    # Keys real firmware sends beyond this capture (named, with their evidence, in
    # personas.py) are compared by the tests below, not here.
    reply = without(reply, persona.passthrough)
    capture = without(capture, persona.passthrough)
    if isinstance(capture, list):
        # A fragment: the capture holds one section of msg (e.g. msg.edevs) alone.
        assert reply["code"] == 0
        section = name.partition(" ")[2]
        assert_same_shape(reply["msg"][section], capture)
    else:
        assert_same_shape(reply, capture)
    # Fields with the captured value as it was: only those the simulator does not model.
    assert set(miner.persona_fills.get(name, [])) <= STATIC_FIELDS


@pytest.mark.parametrize("persona", PERSONAS.values(), ids=list(PERSONAS))
def test_every_persona_follows_stored_captures_with_provenance(persona: Persona):
    index = capture_index()
    if persona.api == "v3" or persona.v2_dialect != "v2":
        assert persona.follows, "a firmware family beyond the vendor document"
    for file in persona.follows.values():
        entry = index[file]  # provenance: where the capture comes from
        assert entry["source"]
        assert entry["family"] == file.split("/", 1)[0]
        load_capture(file)  # parses


@pytest.mark.parametrize("persona", ["v1", "v2"])
async def test_wrong_password_reply_is_the_captured_one(
    make_miner: MinerFactory, persona: str
):
    miner = await make_miner(persona=persona)
    session = V2Session(miner.v2_port, password="wrong")
    await session.token()
    reply = await v2_call(miner.v2_port, session.encrypt({"cmd": "reboot"}))
    captured = load_capture("v2/whatsminer-api-issue3__unknown__reboot.raw")
    assert_same_shape(reply, captured)
    assert (reply["Code"], reply["Msg"]) == (23, "enc json load err")


# -- refusals, as captured ---------------------------------------------------------------

REFUSAL_CAPTURES = {
    ("compat", "stats"): "compat/pulse__M60S-class__stats.raw",
    ("compat", "devdetails"): "compat/pulse__M60S__devdetails.raw",
    ("v3", "stats"): "compat/pulse__M60S-class__stats.raw",
    ("v3", "devdetails"): "compat/pulse__M60S__devdetails.raw",
    ("v3-2026", "devdetails"): "compat/pulse__M60S__devdetails.raw",
    ("v1", "stats"): "v1x/libbtctools__unknown__stats.raw",
}


@pytest.mark.parametrize(("persona", "command"), list(REFUSAL_CAPTURES), ids=str)
async def test_refusals_are_those_captured(
    make_miner: MinerFactory, persona: str, command: str
):
    miner = await make_miner(persona=persona)
    reply = await v2_call(miner.v2_port, {"cmd": command})
    captured = load_capture(REFUSAL_CAPTURES[persona, command])
    assert shape(reply) == shape(captured)
    assert (reply["STATUS"], reply["Code"], reply["Msg"]) == (
        captured["STATUS"],
        captured["Code"],
        captured["Msg"],
    )


async def test_old_firmware_wants_command_for_cgminer_reads(make_miner: MinerFactory):
    miner = await make_miner(persona="v1")
    reply = await v2_call(miner.v2_port, {"cmd": "pools+summary+edevs"})
    captured = load_capture("v1x/foreman__M30S__pools+summary+edevs.raw")
    assert shape(reply) == shape(captured)
    assert reply["STATUS"][0]["Code"] == captured["STATUS"][0]["Code"] == 24
    # btminer's own commands still go as "cmd".
    version = await v2_call(miner.v2_port, {"cmd": "get_version"})
    assert version["Code"] == 131


@pytest.mark.parametrize("command", ["get_miner_info", "get_error_code"])
async def test_old_firmware_lacks_commands(make_miner: MinerFactory, command: str):
    miner = await make_miner(persona="v1")
    reply = await v2_call(miner.v2_port, {"cmd": command})
    assert (reply["STATUS"], reply["Code"], reply["Msg"]) == ("E", 14, "invalid cmd")


# -- units, which shapes do not show -----------------------------------------------------


def test_the_captures_show_the_compat_units():
    """The fact the next test relies on, read off the captures themselves."""
    for summary_file, edevs_file in (
        ("compat/pulse__M60S__summary.raw", "compat/pulse__M60S__edevs.raw"),
        (
            "compat/tether__M7BS_VM30__summary.raw",
            "compat/tether__M7BS_VM30__edevs.raw",
        ),
    ):
        summary = load_capture(summary_file)["Msg"]
        boards = load_capture(edevs_file)["DEVS"]
        assert summary["HS RT"] / 1e6 == pytest.approx(
            sum(board["HS RT"] for board in boards), rel=1e-3
        )


@pytest.mark.parametrize("persona", ["compat", "v3", "v3-2026"])
async def test_compat_summary_is_mhs_and_its_boards_ths(
    make_miner: MinerFactory, persona: str
):
    miner = await make_miner(persona=persona)
    summary = (await v2_call(miner.v2_port, {"cmd": "summary"}))["Msg"]
    boards = (await v2_call(miner.v2_port, {"cmd": "edevs"}))["DEVS"]
    assert summary["HS RT"] / 1e6 == pytest.approx(
        sum(board["HS RT"] for board in boards), rel=1e-3
    )
    model_ths = miner.state.model.hashrate
    assert 0.5 * model_ths < summary["HS RT"] / 1e6 < 1.5 * model_ths
    assert summary["Factory GHS"] == pytest.approx(model_ths * 1000, rel=0.01)
    # v3 on 4433 reports the same miner in TH/s.
    v3 = await fetch(miner, "get.miner.status summary")
    assert v3["msg"]["summary"]["hash-average"] == pytest.approx(
        summary["MHS av"] / 1e6, rel=0.01
    )


async def test_old_firmware_says_btmineroff_while_hashing(make_miner: MinerFactory):
    """Captured (v1x/asic-rs__M20S-class__status.raw with its summary): do not trust it."""
    miner = await make_miner(persona="v1")
    status = (await v2_call(miner.v2_port, {"cmd": "status"}))["Msg"]
    summary = (await v2_call(miner.v2_port, {"command": "summary"}))["SUMMARY"][0]
    assert status["btmineroff"] == "true"
    assert summary["MHS av"] > 30e6  # MH/s: tens of TH/s
    assert summary["MAC"] == miner.state.mac
    assert "Power Fanspeed" in summary


async def test_old_firmware_reports_errors_in_summary(make_miner: MinerFactory):
    miner = await make_miner(persona="v1")
    miner.add_error(531)
    miner.add_error(2010)
    summary = (await v2_call(miner.v2_port, {"command": "summary"}))["SUMMARY"][0]
    assert summary["Error Code Count"] == 2
    assert (summary["Error Code 0"], summary["Error Code 1"]) == (531, 2010)


async def test_2026_firmware_sends_less_and_coolant(make_miner: MinerFactory):
    miner = await make_miner(persona="v3-2026")
    message = (await fetch(miner, "get.device.info"))["msg"]
    assert not {"board-num", "fast-boot"} & set(message["miner"])
    assert not any(key.startswith("pcbsn") for key in message["miner"])
    assert message["system"]["api"] == "3.0.5"
    assert message["system"]["ledstatus"] == "1,200,100,0 0,200,100,0 "
    power = message["power"]
    assert 20 < power["liquid-temperature"] < 70  # °C
    assert power["pin"] == pytest.approx(power["vin"] * power["iin"] * 0.96, rel=0.05)
    status = (await fetch(miner, "get.miner.status summary+pools+edevs"))["msg"]
    assert status["summary"]["fan-speed-in"] == 0
    for board in status["edevs"]:
        assert "hash-realtime" not in board
        assert "status" not in board
    for pool in status["pools"]:
        assert "accepted" not in pool
    compat_status = (await v2_call(miner.v2_port, {"cmd": "status"}))["Msg"]
    assert isinstance(compat_status["liquid_temp"], int)
    assert compat_status["power_pct"] == 100


async def test_v3_power_section_has_the_captured_psu_inputs(make_miner: MinerFactory):
    miner = await make_miner(persona="v3")
    power = (await fetch(miner, "get.device.info"))["msg"]["power"]
    captured = load_capture("v3/mining-stack__M30S++_VH95__get.device.info.power.raw")
    for key in ("iin", "vin", "vout", "pin", "temp0"):
        assert shape(power[key]) == shape(captured[key]), key
    assert power["pin"] == pytest.approx(power["vin"] * power["iin"] * 0.96, rel=0.05)


async def test_v3_error_codes_appear_only_with_errors(make_miner: MinerFactory):
    miner = await make_miner(persona="v3")
    assert "error-code" not in (await fetch(miner, "get.device.info"))["msg"]
    miner.add_error(264, reason="Power xfer error.")
    errors = (await fetch(miner, "get.device.info"))["msg"]["error-code"]
    captured = load_capture("v3/asic-rs__M60S_VK40__get.device.info__2.raw")
    assert shape(errors) == shape(captured["msg"]["error-code"])


async def test_personas_do_not_leak_into_each_other(make_miner: MinerFactory):
    """Two personas side by side: each keeps its own firmware's shape."""
    old, new = await asyncio.gather(
        make_miner(persona="v1"), make_miner(persona="v3-2026")
    )
    old_version = (await v2_call(old.v2_port, {"cmd": "get_version"}))["Msg"]
    new_version = (await v2_call(new.v2_port, {"cmd": "get_version"}))["Msg"]
    assert set(old_version) == {"api_ver", "fw_ver"}
    assert new_version["miner_type"] == "M7BS_VM30"
    assert json.dumps(old_version).find("miner_type") < 0


@pytest.mark.parametrize(
    ("persona", "capture"),
    [
        ("v2", "v2/pyasic__unknown__status.raw"),
        ("v3", "compat/asic-rs-pr187__unknown__status.raw"),
    ],
)
async def test_status_leaves_settings_blank_as_captured(
    make_miner: MinerFactory, persona: str, capture: str
):
    """Some firmware reports no power mode (and an INT_MAX power limit) in status."""
    miner = await make_miner(persona=persona)
    status = (await v2_call(miner.v2_port, {"cmd": "status"}))["Msg"]
    captured = load_capture(capture)["Msg"]
    for key in ("power_mode", "hash_percent", "power_limit_set"):
        assert status.get(key) == captured.get(key)
    summary = await v2_call(miner.v2_port, {"command": "summary"})
    section = summary["Msg"] if persona == "v3" else summary["SUMMARY"][0]
    assert section["Power Mode"] == "Normal"  # the mode is still in summary
