"""API v2 reads of the simulator, checked against the vendor document's shapes and units."""

import asyncio
import json
import re

import pytest

from simulator.whatsminer import MODELS, SimulatedMiner

from .conftest import ManualClock, MinerFactory, v2_call, v2_exchange

CGMINER_SECTIONS = {
    "summary": ("SUMMARY", 11),
    "pools": ("POOLS", 7),
    "edevs": ("DEVS", 9),
    "devs": ("DEVS", 9),
    "devdetails": ("DEVDETAILS", 69),
}
NATIVE_READS = ["get_version", "get_psu", "status", "get_miner_info", "get_error_code"]


@pytest.mark.parametrize("command", list(CGMINER_SECTIONS))
async def test_cgminer_forwarded_envelope(
    miner: SimulatedMiner, clock: ManualClock, command
):
    reply = await v2_call(miner.v2_port, {"cmd": command})
    section, code = CGMINER_SECTIONS[command]
    assert set(reply) == {"STATUS", section, "id"}
    [status] = reply["STATUS"]
    assert status["STATUS"] == "S"
    assert isinstance(status["Msg"], str)
    if command != "devdetails":
        # 2022+ firmware's status entry holds nothing else (captured:
        # v2/pyasic__M30S-class__summary.raw, v2/mining-stack__*__devs.raw and
        # __pools.raw); the vendor document shows more.
        assert set(status) == {"STATUS", "Msg"}
    else:
        assert status["Code"] == code
        assert status["When"] == int(clock.now)
        assert isinstance(status["Description"], str)
    assert isinstance(reply[section], list)
    assert reply[section]


@pytest.mark.parametrize("command", NATIVE_READS)
async def test_btminer_native_envelope(
    miner: SimulatedMiner, clock: ManualClock, command
):
    reply = await v2_call(miner.v2_port, {"cmd": command})
    assert list(reply) == ["STATUS", "When", "Code", "Msg", "Description"]
    assert reply["STATUS"] == "S"
    assert reply["When"] == int(clock.now)
    assert reply["Code"] == 131
    assert isinstance(reply["Msg"], dict)
    assert reply["Description"] == ""


async def test_command_key_is_accepted_too(miner: SimulatedMiner):
    by_cmd = await v2_call(miner.v2_port, {"cmd": "get_version"})
    by_command = await v2_call(miner.v2_port, {"command": "get_version"})
    assert by_cmd == by_command


async def test_summary_units_follow_the_vendor_document(make_miner: MinerFactory):
    miner = await make_miner(model="M30S+", seed=5)
    model = MODELS["M30S+"]
    summary = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
    # MHS values are MH/s: ~100 TH/s is ~1e8 MH/s.
    assert 0.9 * model.hashrate * 1e6 < summary["MHS av"] < 1.1 * model.hashrate * 1e6
    assert 0.9 * model.hashrate * 1e6 < summary["MHS 5s"] < 1.1 * model.hashrate * 1e6
    assert summary["Factory GHS"] == round(model.hashrate * 1000)  # GH/s
    assert 0.9 * model.power < summary["Power"] < 1.1 * model.power  # W
    assert summary["Power Rate"] == pytest.approx(
        summary["Power"] / (summary["MHS 5s"] / 1e6), rel=0.01
    )
    assert summary["Power Mode"] == "Normal"
    assert summary["Power Limit"] == model.power_limit
    assert summary["Uptime"] > summary["Elapsed"] > 0
    assert summary["Fan Speed In"] > 1000
    assert summary["Btminer Fast Boot"] == "disable"
    assert (
        summary["Chip Temp Min"] <= summary["Chip Temp Avg"] <= summary["Chip Temp Max"]
    )
    for key in ("Accepted", "Rejected", "Elapsed", "Uptime", "Power", "Fan Speed In"):
        assert isinstance(summary[key], int), key


async def test_edevs_describe_each_board(miner: SimulatedMiner):
    reply = await v2_call(miner.v2_port, {"cmd": "edevs"})
    boards = reply["DEVS"]
    assert reply["STATUS"][0]["Msg"] == "3 ASC(s)"
    assert [board["ASC"] for board in boards] == [0, 1, 2]
    summary = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
    assert sum(board["MHS av"] for board in boards) == pytest.approx(
        summary["MHS av"], rel=0.01
    )
    # "Factory GHS" per board (captured: v2/mining-stack__M30S++-class__devs.raw).
    assert sum(board["Factory GHS"] for board in boards) == pytest.approx(
        summary["Factory GHS"], abs=3
    )
    assert len({board["PCB SN"] for board in boards}) == 3
    assert all(board["Status"] == "Alive" for board in boards)
    assert all(
        board["Effective Chips"] == MODELS["M50"].chips_per_board for board in boards
    )


async def test_devdetails_name_the_model(miner: SimulatedMiner):
    reply = await v2_call(miner.v2_port, {"cmd": "devdetails"})
    assert reply["STATUS"][0]["Description"] == "btminer"
    assert {entry["Model"] for entry in reply["DEVDETAILS"]} == {MODELS["M50"].variant}


async def test_pools_list_the_configured_pools(miner: SimulatedMiner):
    reply = await v2_call(miner.v2_port, {"cmd": "pools"})
    pools = reply["POOLS"]
    assert reply["STATUS"][0]["Msg"] == f"{len(pools)} Pool(s)"
    assert [pool["URL"] for pool in pools] == [pool.url for pool in miner.state.pools]
    assert [pool["User"] for pool in pools] == [
        pool.worker for pool in miner.state.pools
    ]
    assert [pool["Priority"] for pool in pools] == list(range(len(pools)))
    assert pools[0]["Stratum Active"] is True
    # No "Stratum URL" on 2024 firmware (captured: v2/mining-stack__M30S++_VH95__pools.raw).
    assert pools[0]["To Remove"] is False


@pytest.mark.parametrize(
    "joined", ["summary+pools", "summary+edevs", "summary+devs+pools"]
)
async def test_joined_reads_are_keyed_by_command(miner: SimulatedMiner, joined):
    """Joined as cgminer joins: each command's whole reply under its own name."""
    reply = await v2_call(miner.v2_port, {"cmd": joined})
    parts = joined.split("+")
    assert set(reply) == {*parts, "id"}
    for part in parts:
        section, code = CGMINER_SECTIONS[part]
        (alone,) = reply[part]
        assert alone["STATUS"][0]["STATUS"] == "S"
        assert alone["STATUS"][0].get("Code", code) == code
        assert section in alone


@pytest.mark.parametrize("joined", ["summary+get_psu", "summary+bogus"])
async def test_only_forwarded_reads_join(miner: SimulatedMiner, joined):
    reply = await v2_call(miner.v2_port, {"cmd": joined})
    assert reply["STATUS"][0]["STATUS"] == "E"
    assert reply["STATUS"][0]["Code"] == 14


async def test_get_psu_strings_and_units(miner: SimulatedMiner):
    psu = (await v2_call(miner.v2_port, {"cmd": "get_psu"}))["Msg"]
    assert all(isinstance(value, str) for value in psu.values())
    assert list(psu)[-1] == "temp0"
    volts = int(psu["vin"]) / 100  # 0.01 V
    amps = int(psu["iin"]) / 1000  # mA
    assert 200 < volts < 240
    power = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]["Power"]
    assert volts * amps == pytest.approx(power / 0.96, rel=0.02)
    assert psu["serial_no"] == miner.state.psu_sn


async def test_get_version_and_status(miner: SimulatedMiner):
    version = (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Msg"]
    assert version == {
        "api_ver": "2.0.5",
        "fw_ver": miner.state.firmware_version,
        "platform": "H6OS",
        "chip": MODELS["M50"].chip,
    }
    assert re.fullmatch(r"\d{8}\.\d+\.Rel", version["fw_ver"])
    assert version["fw_ver"] < "20241101"
    status = (await v2_call(miner.v2_port, {"cmd": "status"}))["Msg"]
    # As captured from this firmware (v2/pyasic__unknown__status.raw, 20230911.12.Rel):
    # every value a string, "FirmwareVersion" without a space, the mode and the
    # frequency percentage left empty, no power limit.
    assert status == {
        "mineroff": "false",
        "mineroff_reason": "",
        "mineroff_time": "",
        "FirmwareVersion": miner.state.firmware_version,
        "power_mode": "",
        "hash_percent": "",
    }


async def test_get_miner_info_honours_the_field_selection(miner: SimulatedMiner):
    everything = (
        await v2_call(
            miner.v2_port,
            {
                "cmd": "get_miner_info",
                "info": "ip,proto,netmask,gateway,dns,hostname,mac,ledstat,minersn,powersn",
            },
        )
    )["Msg"]
    assert everything["mac"] == miner.state.mac
    assert everything["hostname"] == "WhatsMiner"
    assert everything["ip"] == "127.0.0.1"
    assert everything["ledstat"] == "auto"
    assert everything["minersn"] == miner.state.miner_sn
    some = (
        await v2_call(miner.v2_port, {"cmd": "get_miner_info", "info": "mac,hostname"})
    )["Msg"]
    assert some == {"mac": miner.state.mac, "hostname": "WhatsMiner"}


async def test_mac_is_locally_administered_and_stable(make_miner: MinerFactory):
    first = await make_miner(seed=11)
    again = await make_miner(seed=11)
    other = await make_miner(seed=12)
    assert first.state.mac == again.state.mac != other.state.mac
    octet = int(first.state.mac.split(":")[0], 16)
    assert octet & 0b10 and not octet & 0b1  # locally administered, unicast
    assert first.state.mac != "00:00:00:00:00:00"


async def test_get_error_code_lists_codes_with_local_times(
    miner: SimulatedMiner, clock: ManualClock
):
    miner.state.zonename = "UTC"
    assert (await v2_call(miner.v2_port, {"cmd": "get_error_code"}))["Msg"] == {
        "error_code": []
    }
    miner.add_error(329, at=1642392491.0)
    miner.add_error(218)
    reply = await v2_call(miner.v2_port, {"cmd": "get_error_code"})
    assert reply["Msg"] == {
        "error_code": [{"329": "2022-01-17 04:08:11"}, {"218": "2026-03-18 21:32:50"}]
    }
    assert clock.now == 1773869570.0


async def test_figures_are_reproducible_for_a_frozen_clock(make_miner: MinerFactory):
    first = await make_miner(seed=9)
    second = await make_miner(seed=9)
    one = await v2_exchange(first.v2_port, {"cmd": "summary+edevs"})
    two = await v2_exchange(second.v2_port, {"cmd": "summary+edevs"})
    assert one == two


async def test_figures_vary_with_time(miner: SimulatedMiner, clock: ManualClock):
    before = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
    clock.advance(30)
    after = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
    assert after["MHS 5s"] != before["MHS 5s"]
    assert after["Elapsed"] == before["Elapsed"] + 30
    assert after["Uptime"] == before["Uptime"] + 30


async def test_one_request_per_connection(miner: SimulatedMiner):
    reader, writer = await asyncio.open_connection("127.0.0.1", miner.v2_port)
    writer.write(b'{"cmd":"get_version"}')
    await writer.drain()
    async with asyncio.timeout(5):
        first = await reader.read()  # EOF: the miner closed after answering
    assert json.loads(first)["Code"] == 131
    writer.close()


async def test_request_split_across_segments(miner: SimulatedMiner):
    reader, writer = await asyncio.open_connection("127.0.0.1", miner.v2_port)
    for part in (b'{"cmd":', b' "sum', b'mary"}'):
        writer.write(part)
        await writer.drain()
        await asyncio.sleep(0.01)
    async with asyncio.timeout(5):
        reply = json.loads(await reader.read())
    writer.close()
    assert "SUMMARY" in reply


@pytest.mark.parametrize("payload", [b"hello", b'{"cmd": "summary"', b"[1, 2]"])
async def test_invalid_json_is_code_23(miner: SimulatedMiner, payload):
    reader, writer = await asyncio.open_connection("127.0.0.1", miner.v2_port)
    writer.write(payload)
    writer.write_eof()
    async with asyncio.timeout(5):
        reply = json.loads(await reader.read())
    writer.close()
    assert reply["STATUS"] == "E"
    assert reply["Code"] == 23
    assert miner.requests[-1].command is None


async def test_unknown_command_is_code_14(miner: SimulatedMiner):
    reply = await v2_call(miner.v2_port, {"cmd": "stats"})
    assert reply["STATUS"][0]["Code"] == 14


async def test_silent_client_is_dropped(
    miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("simulator.whatsminer.miner.V2_IDLE_TIMEOUT", 0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", miner.v2_port)
    async with asyncio.timeout(3):
        assert await reader.read() == b""  # closed without a word
    writer.close()
    assert miner.requests == []


async def test_requests_are_recorded(miner: SimulatedMiner, clock: ManualClock):
    await v2_call(miner.v2_port, {"cmd": "get_miner_info", "info": "mac"})
    [request] = miner.requests
    assert request.api == "v2"
    assert request.command == "get_miner_info"
    assert request.params == {"info": "mac"}
    assert request.client_ip == "127.0.0.1"
    assert request.time == clock.now
    assert request.authenticated is False
