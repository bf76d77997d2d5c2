"""Every fault kind puts the bytes on the wire it should."""

import asyncio
import json
import time

import pytest

from simulator.whatsminer import FAULT_DESCRIPTIONS, Fault, SimulatedMiner

from .conftest import (
    ManualClock,
    MinerFactory,
    V2Session,
    V3Connection,
    v2_call,
    v2_exchange,
)


def test_every_fault_is_described():
    assert set(FAULT_DESCRIPTIONS) == set(Fault)
    assert all(fault.description for fault in Fault)


async def test_refuse_until_cleared(miner: SimulatedMiner):
    miner.inject(Fault.REFUSE)
    with pytest.raises(ConnectionRefusedError):
        await v2_exchange(miner.v2_port, {"cmd": "summary"})
    miner.clear_faults()
    assert (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Code"] == 131
    assert [request.command for request in miner.requests] == ["get_version"]


async def test_refuse_one_api_only(make_miner: MinerFactory):
    miner = await make_miner(api="v3")
    miner.inject(Fault.REFUSE, api="v3")
    with pytest.raises(ConnectionRefusedError):
        await V3Connection.open(miner.v3_port)
    assert (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Code"] == 131
    miner.clear_faults(Fault.REFUSE)
    connection = await V3Connection.open(miner.v3_port)
    assert (await connection.call({"cmd": "get.device.info", "param": "salt"}))[
        "code"
    ] == 0
    await connection.close()


async def test_hang_never_answers(miner: SimulatedMiner):
    miner.inject(Fault.HANG, count=1)
    reader, writer = await asyncio.open_connection("127.0.0.1", miner.v2_port)
    writer.write(b'{"cmd":"summary"}')
    await writer.drain()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await reader.read(1)
    writer.close()
    assert miner.requests[-1].command == "summary"  # it was received, just not answered
    assert "SUMMARY" in await v2_call(miner.v2_port, {"cmd": "summary"})


async def test_reset_mid_reply(miner: SimulatedMiner):
    full = await v2_exchange(miner.v2_port, {"cmd": "get_version"})
    miner.inject(Fault.RESET, count=1)
    reader, writer = await asyncio.open_connection("127.0.0.1", miner.v2_port)
    writer.write(b'{"cmd":"get_version"}')
    await writer.drain()
    received = bytearray()

    async def read_all() -> None:
        async with asyncio.timeout(5):
            while chunk := await reader.read(1024):
                received.extend(chunk)

    with pytest.raises(ConnectionResetError):
        await read_all()
    writer.close()
    assert len(received) < len(full)
    assert full.startswith(received)


async def test_truncate_cuts_the_reply(miner: SimulatedMiner):
    full = await v2_exchange(miner.v2_port, {"cmd": "get_version"})
    miner.inject(Fault.TRUNCATE, count=1)
    cut = await v2_exchange(miner.v2_port, {"cmd": "get_version"})
    assert 0 < len(cut) < len(full)
    assert full.startswith(cut)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


async def test_truncate_limited_to_a_command_and_a_count(miner: SimulatedMiner):
    miner.inject(Fault.TRUNCATE, count=1, commands={"summary"})
    await v2_call(miner.v2_port, {"cmd": "pools"})  # other commands are untouched
    with pytest.raises(json.JSONDecodeError):
        json.loads(await v2_exchange(miner.v2_port, {"cmd": "summary"}))
    assert "SUMMARY" in await v2_call(miner.v2_port, {"cmd": "summary"})  # used up


async def test_joined_command_matches_its_parts(miner: SimulatedMiner):
    miner.inject(Fault.TRUNCATE, commands={"summary"})
    with pytest.raises(json.JSONDecodeError):
        json.loads(await v2_exchange(miner.v2_port, {"cmd": "summary+pools"}))


async def test_garbage(miner: SimulatedMiner):
    miner.inject(Fault.GARBAGE, count=1)
    data = await v2_exchange(miner.v2_port, {"cmd": "summary"})
    assert len(data) >= 16
    with pytest.raises(UnicodeDecodeError):
        data.decode()


async def test_nul_terminated(miner: SimulatedMiner):
    miner.inject(Fault.NUL_TERMINATED)
    data = await v2_exchange(miner.v2_port, {"cmd": "get_version"})
    assert data.endswith(b"}\x00")
    assert json.loads(data[:-1])["Code"] == 131


async def test_slow(miner: SimulatedMiner):
    miner.inject(Fault.SLOW, delay=0.3, count=1)
    started = time.monotonic()
    assert (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Code"] == 131
    assert time.monotonic() - started >= 0.3


async def test_trailing_comma(miner: SimulatedMiner):
    miner.inject(Fault.TRAILING_COMMA)
    data = await v2_exchange(miner.v2_port, {"cmd": "summary"})
    assert data.endswith(b',"id":1,}')
    assert json.loads(data[:-2] + b"}")["id"] == 1


async def test_object_join(miner: SimulatedMiner):
    miner.inject(Fault.OBJECT_JOIN)
    data = await v2_exchange(miner.v2_port, {"cmd": "edevs"})
    assert data.count(b"}{") == 2  # between the three boards
    assert len(json.loads(data.replace(b"}{", b"},{"))["DEVS"]) == 3


async def test_list_leading_comma(miner: SimulatedMiner):
    miner.inject(Fault.LIST_LEADING_COMMA)
    data = await v2_exchange(miner.v2_port, {"cmd": "pools"})
    assert b'"POOLS":[,{' in data
    assert json.loads(data.replace(b"[,{", b"[{"))["POOLS"]


async def test_psu_temp0_comma(miner: SimulatedMiner):
    miner.inject(Fault.PSU_TEMP0_COMMA)
    data = await v2_exchange(miner.v2_port, {"cmd": "get_psu"})
    assert b'""temp0"' in data
    assert json.loads(data.replace(b'""temp0"', b'","temp0"'))["Msg"]["temp0"]


async def test_error_code_list(miner: SimulatedMiner):
    miner.state.zonename = "UTC"
    miner.add_error(329, at=1642392491.0)
    miner.inject(Fault.ERROR_CODE_LIST)
    data = await v2_exchange(miner.v2_port, {"cmd": "get_error_code"})
    assert b'"Msg":{"error_code":["329":"2022-01-17 04:08:11"]}' in data
    with pytest.raises(json.JSONDecodeError):
        json.loads(data)


async def test_quoted_firmware(miner: SimulatedMiner):
    miner.inject(Fault.QUOTED_FIRMWARE)
    status = (await v2_call(miner.v2_port, {"cmd": "status"}))["Msg"]
    # 2022-2024 firmware names it "FirmwareVersion" (captured); old firmware always quotes.
    assert status["FirmwareVersion"] == f"'{miner.state.firmware_version}'"


async def test_bad_utf8(miner: SimulatedMiner):
    miner.inject(Fault.BAD_UTF8)
    data = await v2_exchange(miner.v2_port, {"cmd": "summary"})
    with pytest.raises(UnicodeDecodeError):
        data.decode()
    assert "SUMMARY" in json.loads(data.decode(errors="replace"))


async def test_old_status(miner: SimulatedMiner):
    miner.inject(Fault.OLD_STATUS)
    status = (await v2_call(miner.v2_port, {"cmd": "status"}))["Msg"]
    assert status["btmineroff"] == "false"
    assert "mineroff" not in status


async def test_power_unknown(make_miner: MinerFactory):
    miner = await make_miner(api="v3")
    miner.inject(Fault.POWER_UNKNOWN)
    assert (await v2_call(miner.v2_port, {"cmd": "summary"}))["Msg"]["Power"] == -1
    connection = await V3Connection.open(miner.v3_port)
    reply = await connection.call({"cmd": "get.miner.status", "param": "summary"})
    await connection.close()
    assert reply["msg"]["summary"]["power-realtime"] == -1


async def test_power_unknown_v2(miner: SimulatedMiner):
    miner.inject(Fault.POWER_UNKNOWN, count=1)
    assert (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0][
        "Power"
    ] == -1
    assert (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]["Power"] > 0


async def test_api_ver_text(miner: SimulatedMiner):
    miner.inject(Fault.API_VER_TEXT)
    version = (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Msg"]
    assert version["api_ver"] == "whatsminer v1.4.0"


async def test_token_check_error(miner: SimulatedMiner):
    session = V2Session(miner.v2_port)
    await session.token()
    miner.inject(Fault.TOKEN_CHECK_ERROR, count=1)
    assert (await session.write({"cmd": "power_off"}))["Code"] == 135
    assert miner.state.mining is True
    assert (await session.write({"cmd": "power_off"}))["Code"] == 131


async def test_token_limit(miner: SimulatedMiner):
    miner.inject(Fault.TOKEN_LIMIT, count=1)
    reply = await v2_call(miner.v2_port, {"cmd": "get_token"})
    assert (reply["Code"], reply["Msg"]) == (136, "over max connect")
    assert (await v2_call(miner.v2_port, {"cmd": "get_token"}))["Code"] == 134


async def test_write_disabled(miner: SimulatedMiner):
    miner.inject(Fault.WRITE_DISABLED)
    reply = await V2Session(miner.v2_port).write({"cmd": "power_off"})
    assert reply["Msg"] == "can't access write cmd"
    assert miner.state.mining is True


async def test_silent_power_off(miner: SimulatedMiner):
    miner.inject(Fault.SILENT_POWER_OFF, count=1)
    assert (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Code"] == 131
    assert miner.state.mining is False
    status = (await v2_call(miner.v2_port, {"cmd": "status"}))["Msg"]
    assert status["mineroff"] == "true"


async def test_silent_reboot(miner: SimulatedMiner, clock: ManualClock):
    miner.inject(Fault.SILENT_REBOOT, count=1, downtime=30)
    assert (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Code"] == 131
    with pytest.raises(ConnectionError):
        await v2_exchange(miner.v2_port, {"cmd": "summary"})
    clock.advance(40)
    summary = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
    assert summary["Uptime"] == 10


async def test_compat_layer_on_a_v2_miner(miner: SimulatedMiner):
    miner.inject(Fault.COMPAT_LAYER)
    summary = await v2_call(miner.v2_port, {"cmd": "summary"})
    assert (summary["STATUS"], summary["Code"]) == ("S", 131)
    # Still MH/s, as captured from new firmware (only edevs are TH/s).
    assert 100e6 < summary["Msg"]["MHS av"] < 140e6


async def test_count_must_be_positive(miner: SimulatedMiner):
    with pytest.raises(ValueError):
        miner.inject(Fault.HANG, count=0)
    with pytest.raises(ValueError):
        miner.inject(Fault.HANG, api="v4")
