"""API v2 tokens, encryption and writes, done the way the reference describes."""

import asyncio
import base64
import contextlib
import io
import json
import struct
import tarfile

import pytest
from Crypto.Cipher import AES

from custom_components.hashwatt.clients.whatsminer import crypto
from simulator.whatsminer import LedPattern, PoolSetting, SimulatedMiner

from .conftest import (
    PASSWORD,
    ManualClock,
    MinerFactory,
    V2Session,
    v2_call,
    v2_exchange,
)

# The reference's worked example (vendor values, password "admin").
VECTOR_SALT = "BQ5hoXV9"
VECTOR_NEWSALT = "jbzkfQls"
VECTOR_REQUEST = {
    "enc": 1,
    "data": "YJracrWpLn2XvqWuNiNqyg70K64pfivIJhwE32DXNCeyv4iYIDyJ6mJuwbGpytIytGFk3qcQXxIEGYONPJL4PpGxjzTpYw1ob9fHFP6+QL8=",
}
VECTOR_AES_KEY = bytes.fromhex(
    "199e0a202039bb7b558db7a54697dca29cb278055b7e659a127fb844d5a2fbf6"
)


async def test_get_token_shape(miner: SimulatedMiner, clock: ManualClock):
    first = await v2_call(miner.v2_port, {"cmd": "get_token"})
    clock.advance(1)
    second = await v2_call(miner.v2_port, {"cmd": "get_token"})
    assert first["STATUS"] == "S"
    assert first["Code"] == 134
    assert first["Description"] == ""
    assert set(first["Msg"]) == {"time", "salt", "newsalt"}
    assert first["Msg"]["time"] == str(first["When"])[-4:]
    assert second["Msg"]["time"] == str(second["When"])[-4:] != first["Msg"]["time"]
    assert first["Msg"]["salt"] == second["Msg"]["salt"] == miner.state.salt
    assert first["Msg"]["newsalt"] != second["Msg"]["newsalt"]
    assert all(len(first["Msg"][name]) == 8 for name in ("salt", "newsalt"))
    assert {".", "/"} & set(
        miner.state.salt
    )  # salts may contain both: clients must cope
    assert miner.tokens_issued == 2


async def test_vendor_worked_example_powers_off(
    make_miner: MinerFactory, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
):
    """The exact request bytes of the reference's worked example are accepted."""
    miner = await make_miner(password="admin")
    miner.state.salt = VECTOR_SALT
    monkeypatch.setattr(miner, "new_salt", lambda: VECTOR_NEWSALT)
    clock.now = (
        1_700_005_626.0  # a time whose last four digits are the example's "5626"
    )
    token = await v2_call(miner.v2_port, {"cmd": "get_token"})
    assert token["Msg"] == {
        "time": "5626",
        "salt": VECTOR_SALT,
        "newsalt": VECTOR_NEWSALT,
    }
    reply = await v2_call(miner.v2_port, VECTOR_REQUEST)
    # Decrypted with an AES key taken from the reference, not computed by our code.
    raw = AES.new(VECTOR_AES_KEY, AES.MODE_ECB).decrypt(base64.b64decode(reply["enc"]))
    answer = json.loads(raw.rstrip(b"\x00"))
    assert answer["STATUS"] == "S"
    assert answer["Code"] == 131
    assert miner.state.mining is False
    request = miner.requests[-1]
    assert request.command == "power_off"
    assert request.params == {"respbefore": "true"}
    assert request.authenticated is True
    summary = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
    assert summary["MHS 5s"] == 0
    assert 10 <= summary["Power"] <= 25  # idle watts
    status = (await v2_call(miner.v2_port, {"cmd": "status"}))["Msg"]
    assert status["mineroff"] == "true"


async def test_encrypted_write_and_encrypted_reply(miner: SimulatedMiner):
    session = V2Session(miner.v2_port)
    await session.token()
    raw_reply = await v2_call(miner.v2_port, session.encrypt({"cmd": "set_low_power"}))
    assert list(raw_reply) == ["enc"]
    reply = session.decrypt(raw_reply)
    assert reply["STATUS"] == "S"
    assert reply["Code"] == 131
    assert miner.state.power_mode == "Low"


async def test_pkcs7_padded_request_is_accepted(miner: SimulatedMiner):
    session = V2Session(miner.v2_port)
    await session.token()
    plaintext = json.dumps({"cmd": "power_off", "token": session.sign}).encode()
    pad = 16 - len(plaintext) % 16
    cipher = AES.new(session.aes_key, AES.MODE_ECB)
    data = base64.b64encode(cipher.encrypt(plaintext + bytes([pad]) * pad)).decode()
    reply = await v2_call(miner.v2_port, {"enc": 1, "data": data})
    assert session.decrypt(reply)["Code"] == 131
    assert miner.state.mining is False


async def test_wrong_password_is_code_23_in_plaintext(
    miner: SimulatedMiner, clock: ManualClock
):
    session = V2Session(miner.v2_port, password="wrong")
    reply = await session.write({"cmd": "power_off"})
    # With When and Description, as captured (v2/whatsminer-api-issue3__unknown__reboot.raw);
    # the reference's reply without them is not what the miner sent.
    assert reply == {
        "STATUS": "E",
        "When": int(clock.now),
        "Code": 23,
        "Msg": "enc json load err",
        "Description": "",
    }
    assert miner.state.mining is True
    assert miner.requests[-1].authenticated is False


async def test_plaintext_write_is_refused(miner: SimulatedMiner):
    reply = await v2_call(miner.v2_port, {"cmd": "power_off"})
    assert reply["STATUS"] == "E"
    assert reply["Code"] == 45
    assert miner.state.mining is True


async def test_unknown_token_is_135_encrypted(miner: SimulatedMiner):
    session = V2Session(miner.v2_port)
    await session.token()
    session.sign = "not-a-token-issued-by-the-miner"
    raw = await v2_call(miner.v2_port, session.encrypt({"cmd": "power_off"}))
    assert "enc" in raw
    reply = session.decrypt(raw)
    assert reply["STATUS"] == "E"
    assert reply["Code"] == 135
    assert miner.state.mining is True


async def test_token_expires_after_30_minutes(
    miner: SimulatedMiner, clock: ManualClock
):
    session = V2Session(miner.v2_port)
    await session.token()
    clock.advance(29 * 60)
    assert (await session.write({"cmd": "enable_web_pools"}))["Code"] == 131
    clock.advance(61)
    assert (await session.write({"cmd": "enable_web_pools"}))["Code"] == 135


async def test_token_from_another_client_ip_is_refused(make_miner: MinerFactory):
    miner = await make_miner()
    session = V2Session(miner.v2_port)
    await session.token()
    # Pretend the token went to another client: the miner binds tokens to the client IP.
    miner._v2.tokens = {"192.0.2.1": miner._v2.tokens["127.0.0.1"]}
    assert (await session.write({"cmd": "power_off"}))["Code"] == 135


async def test_32_tokens_per_client_then_136(miner: SimulatedMiner, clock: ManualClock):
    for _ in range(32):
        assert (await v2_call(miner.v2_port, {"cmd": "get_token"}))["Code"] == 134
    refused = await v2_call(miner.v2_port, {"cmd": "get_token"})
    assert refused["STATUS"] == "E"
    assert refused["Code"] == 136
    assert refused["Msg"] == "over max connect"
    assert miner.tokens_issued == 32
    clock.advance(30 * 60)
    assert (await v2_call(miner.v2_port, {"cmd": "get_token"}))["Code"] == 134


async def test_a_token_serves_many_writes(miner: SimulatedMiner):
    session = V2Session(miner.v2_port)
    await session.token()
    for _ in range(40):  # more writes than tokens per client: one token is enough
        assert (await session.write({"cmd": "disable_web_pools"}))["Code"] == 131
    assert miner.tokens_issued == 1


async def test_write_api_disabled(make_miner: MinerFactory):
    miner = await make_miner(write_enabled=False)
    session = V2Session(miner.v2_port)
    reply = await session.write({"cmd": "power_off"})
    assert reply["STATUS"] == "E"
    assert reply["Msg"] == "can't access write cmd"
    assert miner.state.mining is True


async def test_update_pwd_takes_effect(miner: SimulatedMiner):
    old_salt = miner.state.salt
    session = V2Session(miner.v2_port)
    reply = await session.write({"cmd": "update_pwd", "old": PASSWORD, "new": "n3w_pw"})
    assert reply["Code"] == 131
    assert miner.state.password == "n3w_pw"
    assert miner.state.salt != old_salt
    # Old tokens are void, the old password no longer works, the new one does.
    assert (await session.write({"cmd": "power_off"}))["Code"] == 23
    fresh_old = V2Session(miner.v2_port, password=PASSWORD)
    assert (await fresh_old.write({"cmd": "power_off"}))["Code"] == 23
    fresh_new = V2Session(miner.v2_port, password="n3w_pw")
    assert (await fresh_new.write({"cmd": "power_off"}))["Code"] == 131
    assert miner.state.mining is False


@pytest.mark.parametrize(
    ("old", "new"), [("wrong", "abc"), (PASSWORD, "too_long_pw"), (PASSWORD, "bad pw")]
)
async def test_update_pwd_checks_its_input(miner: SimulatedMiner, old, new):
    reply = await V2Session(miner.v2_port).write(
        {"cmd": "update_pwd", "old": old, "new": new}
    )
    assert reply["STATUS"] == "E"
    assert miner.state.password == PASSWORD


@pytest.mark.parametrize(
    ("command", "attribute", "expected"),
    [
        ({"cmd": "set_high_power"}, "power_mode", "High"),
        ({"cmd": "set_normal_power"}, "power_mode", "Normal"),
        ({"cmd": "adjust_power_limit", "power_limit": "2500"}, "power_limit", 2500),
        ({"cmd": "set_power_pct", "percent": "70"}, "power_percent", 70),
        ({"cmd": "set_power_pct_v2", "percent": "80"}, "power_percent", 80),
        ({"cmd": "set_target_freq", "percent": "-20"}, "target_freq", -20),
        ({"cmd": "enable_btminer_fast_boot"}, "fast_boot", True),
        ({"cmd": "disable_web_pools"}, "web_pools", False),
        ({"cmd": "set_hostname", "hostname": "rack-7"}, "hostname", "rack-7"),
        ({"cmd": "set_zone", "timezone": "UTC0", "zonename": "UTC"}, "zonename", "UTC"),
        ({"cmd": "set_temp_offset", "temp_offset": "-5"}, "temp_offset", -5),
        ({"cmd": "adjust_upfreq_speed", "upfreq_speed": "4"}, "upfreq_speed", 4),
        ({"cmd": "set_poweroff_cool", "poweroff_cool": "0"}, "poweroff_cool", False),
        ({"cmd": "set_fan_zero_speed", "fan_zero_speed": "1"}, "fan_zero_speed", True),
        ({"cmd": "set_led", "param": "auto"}, "led", "auto"),
        (
            {
                "cmd": "set_led",
                "color": "red",
                "period": 1000,
                "duration": 500,
                "start": 0,
            },
            "led",
            (LedPattern("red", 1000, 500, 0),),
        ),
        (
            {
                "cmd": "update_pools",
                "pool1": "stratum+tcp://a.example:3333",
                "worker1": "w1",
                "passwd1": "x",
                "pool2": "",
                "worker2": "",
                "passwd2": "",
                "pool3": "",
                "worker3": "",
                "passwd3": "",
            },
            "pools",
            [PoolSetting("stratum+tcp://a.example:3333", "w1", "x")],
        ),
    ],
)
async def test_writes_change_the_state(
    miner: SimulatedMiner, command, attribute, expected
):
    reply = await V2Session(miner.v2_port).write(command)
    assert reply["Code"] == 131, reply
    assert getattr(miner.state, attribute) == expected


@pytest.mark.parametrize(
    "command",
    [
        {"cmd": "adjust_power_limit", "power_limit": "100000"},
        {"cmd": "set_target_freq", "percent": "10"},  # air-cooled: underclocking only
        {"cmd": "set_temp_offset", "temp_offset": "5"},
        {"cmd": "set_power_pct", "percent": "abc"},
        {"cmd": "update_pools", "pool1": None, "worker1": "w", "passwd1": "x"},
        {"cmd": "set_led", "color": "blue", "period": 1, "duration": 1, "start": 0},
    ],
)
async def test_bad_write_arguments_are_errors(miner: SimulatedMiner, command):
    before = (miner.state.power_limit, miner.state.target_freq, list(miner.state.pools))
    reply = await V2Session(miner.v2_port).write(command)
    assert reply["STATUS"] == "E"
    assert reply["Code"] in (14, 132)
    assert (
        miner.state.power_limit,
        miner.state.target_freq,
        list(miner.state.pools),
    ) == before


async def test_power_limit_lowers_power_and_hashrate(
    make_miner: MinerFactory, clock: ManualClock
):
    miner = await make_miner(model="M63S")  # hydro: limits up to ~10 kW make sense
    before = miner.reading()
    assert before.power > 6500
    await V2Session(miner.v2_port).write(
        {"cmd": "adjust_power_limit", "power_limit": "5000"}
    )
    clock.advance(3600)
    after = miner.reading()
    assert after.power == pytest.approx(5000, rel=0.02)
    assert after.hashrate < before.hashrate
    assert after.elapsed == 3600  # btminer restarted on the new limit
    await V2Session(miner.v2_port).write({"cmd": "set_target_freq", "percent": "10"})
    assert miner.state.target_freq == 10  # hydro miners may overclock


async def test_power_modes_and_percent_move_power(
    miner: SimulatedMiner, clock: ManualClock
):
    session = V2Session(miner.v2_port)
    normal = miner.reading().power
    await session.write({"cmd": "set_low_power"})
    clock.advance(3600)
    low = miner.reading()
    assert low.power < normal
    await session.write({"cmd": "set_power_pct_v2", "percent": "50"})
    clock.advance(10)
    ramping = miner.reading().power
    clock.advance(600)
    settled = miner.reading().power
    assert settled < ramping < low.power  # normal mode takes minutes


async def test_power_on_warms_up(miner: SimulatedMiner, clock: ManualClock):
    session = V2Session(miner.v2_port)
    await session.write({"cmd": "power_off"})
    clock.advance(1800)
    cold = miner.reading()
    assert not cold.running
    assert cold.hashrate == 0
    assert cold.boards[0].temperature < 35
    await session.token()  # the first token has expired meanwhile
    await session.write({"cmd": "power_on"})
    clock.advance(60)
    early = miner.reading()
    clock.advance(1200)
    warm = miner.reading()
    assert 0 < early.hashrate < 0.5 * warm.hashrate
    assert early.boards[0].temperature < warm.boards[0].temperature
    assert warm.elapsed == 1260


async def test_pre_power_on_progress(miner: SimulatedMiner, clock: ManualClock):
    session = V2Session(miner.v2_port)
    busy = await session.write({"cmd": "pre_power_on"})
    assert busy["STATUS"] == "E"
    await session.write({"cmd": "power_off"})
    first = await session.write({"cmd": "pre_power_on"})
    assert first["Msg"] == {"complete": "false", "msg": "wait for adjust temp"}
    clock.advance(30)
    assert (await session.write({"cmd": "pre_power_on"}))["Msg"][
        "msg"
    ] == "adjust continue"
    clock.advance(120)
    assert (await session.write({"cmd": "pre_power_on"}))["Msg"] == {
        "complete": "true",
        "msg": "adjust complete",
    }


async def test_encrypted_read_gets_an_encrypted_reply(miner: SimulatedMiner):
    session = V2Session(miner.v2_port)
    await session.token()
    raw = await v2_call(
        miner.v2_port, session.encrypt({"cmd": "get_miner_info", "info": "mac"})
    )
    assert session.decrypt(raw)["Msg"] == {"mac": miner.state.mac}


async def test_reboot_goes_away_and_comes_back(
    miner: SimulatedMiner, clock: ManualClock
):
    uptime_before = miner.reading().uptime
    reply = await V2Session(miner.v2_port).write({"cmd": "reboot"})
    assert reply["Code"] == 131
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await v2_exchange(miner.v2_port, {"cmd": "summary"})
        clock.advance(25)
    clock.advance(15)  # 65 s: the default downtime (60 s) is over
    summary = (await v2_call(miner.v2_port, {"cmd": "summary"}))["SUMMARY"][0]
    assert summary["Uptime"] == 5 < uptime_before
    assert summary["Elapsed"] == 5
    assert (await v2_call(miner.v2_port, {"cmd": "get_token"}))["Code"] == 134


async def test_reboot_now_with_custom_downtime(
    miner: SimulatedMiner, clock: ManualClock
):
    await miner.reboot_now(downtime=120)
    clock.advance(119)
    with pytest.raises(ConnectionError):
        await v2_exchange(miner.v2_port, {"cmd": "get_version"})
    clock.advance(1)
    assert (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Code"] == 131


async def test_factory_reset(miner: SimulatedMiner, clock: ManualClock):
    session = V2Session(miner.v2_port)
    await session.write({"cmd": "set_hostname", "hostname": "custom"})
    assert (await session.write({"cmd": "factory_reset"}))["Code"] == 131
    clock.advance(61)
    assert miner.state.password == "admin"
    assert miner.state.hostname == "WhatsMiner"
    assert miner.state.pools == []
    assert miner.state.write_enabled is False  # the API switch goes off
    reply = await V2Session(miner.v2_port, password="admin").write({"cmd": "power_off"})
    assert reply["Msg"] == "can't access write cmd"


async def test_net_config_static_then_reboot(miner: SimulatedMiner, clock: ManualClock):
    command = {
        "cmd": "net_config",
        "ip": "192.168.1.50",
        "mask": "255.255.255.0",
        "gate": "192.168.1.1",
        "dns": "1.1.1.1 8.8.8.8",
        "host": "rig50",
    }
    assert (await V2Session(miner.v2_port).write(command))["Code"] == 131
    assert miner.is_down()
    clock.advance(61)
    info = (await v2_call(miner.v2_port, {"cmd": "get_miner_info"}))["Msg"]
    assert (info["ip"], info["proto"], info["hostname"]) == (
        "192.168.1.50",
        "static",
        "rig50",
    )


async def test_load_log_sets_the_log_server(miner: SimulatedMiner):
    command = {"cmd": "load_log", "ip": "10.0.0.9", "port": "514", "proto": "udp"}
    assert (await V2Session(miner.v2_port).write(command))["Code"] == 131
    assert miner.state.log_server is not None
    assert (miner.state.log_server.ip, miner.state.log_server.proto) == (
        "10.0.0.9",
        "udp",
    )


async def test_download_logs(miner: SimulatedMiner):
    session = V2Session(miner.v2_port)
    await session.token()
    reader, writer = await asyncio.open_connection("127.0.0.1", miner.v2_port)
    writer.write(json.dumps(session.encrypt({"cmd": "download_logs"})).encode())
    await writer.drain()
    async with asyncio.timeout(5):
        data = await reader.read()
    writer.close()
    header_end = data.index(b"}") + 1
    header = session.decrypt(json.loads(data[:header_end]))
    archive = data[header_end:]
    assert int(header["Msg"]["logfilelen"]) == len(archive)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        assert "btminer.log" in tar.getnames()


async def test_update_firmware_upload(miner: SimulatedMiner, clock: ManualClock):
    session = V2Session(miner.v2_port)
    await session.token()
    reader, writer = await asyncio.open_connection("127.0.0.1", miner.v2_port)
    writer.write(json.dumps(session.encrypt({"cmd": "update_firmware"})).encode())
    await writer.drain()
    async with asyncio.timeout(5):
        ready = await reader.read(4096)
    assert session.decrypt(json.loads(ready))["Msg"] == "ready"
    image = b"\x5a" * 100_000
    writer.write(struct.pack("<I", len(image)) + image)
    await writer.drain()
    async with asyncio.timeout(5):
        with contextlib.suppress(ConnectionError):
            await reader.read()
    writer.close()
    assert miner.state.firmware_uploads == [len(image)]
    assert miner.is_down()
    clock.advance(61)
    assert (await v2_call(miner.v2_port, {"cmd": "get_version"}))["Code"] == 131


def test_reference_vector_matches_crypto_helpers():
    """The helpers the tests use reproduce the reference's worked example."""
    key = crypto.v2_key("admin", VECTOR_SALT)
    assert key == "RxmaDUO33TS7O26yeMHZ81"
    assert crypto.v2_sign(key, "5626", VECTOR_NEWSALT) == "w.BNbkCV6n1aNWgiBWLzT/"
    assert crypto.v2_aes_key(key) == VECTOR_AES_KEY
