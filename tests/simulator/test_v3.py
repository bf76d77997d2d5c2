"""API v3 of the simulator: framing, reads, token-authenticated writes, AES params.

Tokens and AES params are computed here from the reference's algorithm with hashlib
and pycryptodome directly, independently of the project's crypto module.
"""

import asyncio
import base64
import hashlib
import json

import pytest
from Crypto.Cipher import AES

from simulator.whatsminer import LedPattern, PoolSetting, SimulatedMiner

from .conftest import (
    PASSWORD,
    ManualClock,
    MinerFactory,
    V2Session,
    V3Connection,
    v2_call,
)


def digest(command: str, password: str, salt: str, ts: int) -> bytes:
    return hashlib.sha256(f"{command}{password}{salt}{ts}".encode()).digest()


def token(command: str, password: str, salt: str, ts: int) -> str:
    return base64.b64encode(digest(command, password, salt, ts)).decode()[:8]


def encrypt_param(value: object, key: bytes) -> str:
    plaintext = json.dumps(value).encode()
    plaintext += b"\x00" * (-len(plaintext) % 16)
    return base64.b64encode(AES.new(key, AES.MODE_ECB).encrypt(plaintext)).decode()


def test_reference_token_vector():
    assert token("set.miner.power_limit", "super", "uhCiDyVj", 1773869570) == "TaB0bCds"


@pytest.fixture
async def v3_miner(make_miner: MinerFactory) -> SimulatedMiner:
    result: SimulatedMiner = await make_miner(model="M60", api="v3", seed=4)
    return result


@pytest.fixture
async def connection(v3_miner: SimulatedMiner):
    conn = await V3Connection.open(v3_miner.v3_port)
    try:
        yield conn
    finally:
        await conn.close()


async def write(
    conn: V3Connection,
    miner: SimulatedMiner,
    command: str,
    param: object = None,
    *,
    account: str = "super",
    password: str = PASSWORD,
    ts: int | None = None,
    encrypt: bool = False,
):
    ts = int(miner.clock()) if ts is None else ts
    salt = (await conn.call({"cmd": "get.device.info", "param": "salt"}))["msg"]["salt"]
    request = {
        "cmd": command,
        "ts": ts,
        "account": account,
        "token": token(command, password, salt, ts),
    }
    if param is not None:
        request["param"] = (
            encrypt_param(param, digest(command, password, salt, ts))
            if encrypt
            else param
        )
    return await conn.call(request)


async def test_v2_only_miner_has_no_v3(miner: SimulatedMiner):
    assert miner.v3_port is None


async def test_framing_and_connection_reuse(
    v3_miner: SimulatedMiner, clock: ManualClock
):
    reader, writer = await asyncio.open_connection("127.0.0.1", v3_miner.v3_port)
    for _ in range(3):
        body = b'{"cmd":"get.device.info","param":"salt"}'
        writer.write(len(body).to_bytes(4, "little") + body)
        writer.write(b"\x00\x00\x00\x00")  # a heartbeat in between is ignored
        await writer.drain()
        length = int.from_bytes(await reader.readexactly(4), "little")
        reply = json.loads(await reader.readexactly(length))
        assert reply == {
            "code": 0,
            "when": int(clock.now),
            "msg": {"salt": v3_miner.state.v3_salt},
            "desc": "get.device.info",
        }
    writer.close()


async def test_idle_connection_is_closed_after_300_s(
    v3_miner: SimulatedMiner, connection: V3Connection, clock: ManualClock
):
    await connection.call({"cmd": "get.device.info", "param": "salt"})
    clock.advance(301)
    with pytest.raises(asyncio.IncompleteReadError):
        await connection.call({"cmd": "get.device.info", "param": "salt"})


async def test_device_info(v3_miner: SimulatedMiner, connection: V3Connection):
    reply = await connection.call({"cmd": "get.device.info"})
    message = reply["msg"]
    # No "error-code" while there is no error (captured: v3/asic-rs__M60S_VK40__get.device.info.raw).
    assert set(message) == {"network", "miner", "system", "power", "salt"}
    assert message["network"]["mac"] == v3_miner.state.mac
    assert message["network"]["hostname"] == "WhatsMiner"
    assert message["network"]["ip"] == "127.0.0.1"
    assert message["miner"]["type"] == "M60_VK10"
    assert message["miner"]["board-num"] == "3"
    assert message["miner"]["miner-sn"] == v3_miner.state.miner_sn
    assert message["miner"]["working"] == "true"
    assert message["system"]["fwversion"] >= "20241101"
    assert message["system"]["api"].startswith("3.")
    assert message["power"]["sn"] == v3_miner.state.psu_sn
    assert message["power"]["vin"] * message["power"]["iin"] == pytest.approx(
        message["power"]["pin"] / 0.96, rel=0.02
    )
    assert message["salt"] == v3_miner.state.v3_salt


@pytest.mark.parametrize(
    "section", ["miner", "system", "power", "network", "salt", "error-code"]
)
async def test_device_info_section(connection: V3Connection, section):
    reply = await connection.call({"cmd": "get.device.info", "param": section})
    assert reply["code"] == 0
    assert list(reply["msg"]) == [section]


async def test_error_codes(v3_miner: SimulatedMiner, connection: V3Connection):
    v3_miner.state.zonename = "UTC"
    v3_miner.add_error(531, at=1741791155.0, reason="Slot1 not found.")
    reply = await connection.call({"cmd": "get.device.info", "param": "error-code"})
    assert reply["msg"]["error-code"] == [
        {"531": "2025-03-12 14:52:35", "reason": "Slot1 not found."}
    ]


async def test_miner_status(v3_miner: SimulatedMiner, connection: V3Connection):
    reply = await connection.call(
        {"cmd": "get.miner.status", "param": "summary+pools+edevs"}
    )
    assert reply["code"] == 0
    summary, pools, edevs = (reply["msg"][key] for key in ("summary", "pools", "edevs"))
    for key in (
        "hash-realtime",
        "hash-average",
        "factory-hash",
        "power-realtime",
        "power-limit",
        "power-rate",
        "board-temperature",
        "chip-temp-min",
        "chip-temp-max",
        "chip-temp-avg",
        "environment-temperature",
        "fan-speed-in",
        "fan-speed-out",
        "elapsed",
        "bootup-time",
        "freq-avg",
    ):
        assert key in summary, key
    assert 150 < summary["hash-realtime"] < 190  # TH/s
    assert summary["factory-hash"] == 172.0
    assert 3000 < summary["power-realtime"] < 3800
    assert len(summary["board-temperature"]) == 3
    assert [pool["url"] for pool in pools] == [
        pool.url for pool in v3_miner.state.pools
    ]
    assert {"url", "account", "status", "stratum-active", "pool-priority"} <= set(
        pools[0]
    )
    assert [board["id"] for board in edevs] == [0, 1, 2]
    assert {
        "hash-realtime",
        "hash-average",
        "factory-hash",
        "effective-chips",
        "freq",
        "status",
    } <= set(edevs[0])
    assert sum(board["hash-average"] for board in edevs) == pytest.approx(
        summary["hash-average"], rel=0.01
    )


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"cmd": "get.miner.status"}, -3),
        ({"cmd": "get.miner.status", "param": "summary+stats"}, -3),
        ({"cmd": "get.no.such"}, -2),
        ({"cmd": "set.miner.power_limit", "param": 3000}, -3),  # no ts/account/token
    ],
)
async def test_error_codes_of_bad_requests(connection: V3Connection, request_, code):
    reply = await connection.call(request_)
    assert reply["code"] == code
    assert reply["desc"] == request_["cmd"]


async def test_invalid_json_is_minus_1(connection: V3Connection):
    await connection.send_raw(b"{not json")
    reply = await connection.receive()
    assert reply["code"] == -1


async def test_settings_reads(v3_miner: SimulatedMiner, connection: V3Connection):
    miner_setting = (await connection.call({"cmd": "get.miner.setting"}))["msg"]
    assert miner_setting["power-limit"] == v3_miner.state.power_limit
    assert miner_setting["power-percent"] == 100
    system = (await connection.call({"cmd": "get.system.setting"}))["msg"]
    assert system["hostname"] == "WhatsMiner"
    # No capture shows where firmware reports the web-pools setting: not sent.
    assert "web-pool" not in system
    fan = (await connection.call({"cmd": "get.fan.setting"}))["msg"]
    assert fan == {"fan-poweroff-cool": 1, "fan-zero-speed": 0, "fan-temp-offset": 0}


async def test_token_authenticated_write(
    v3_miner: SimulatedMiner, connection: V3Connection
):
    reply = await write(connection, v3_miner, "set.miner.power_limit", 3000)
    assert reply == {
        "code": 0,
        "when": int(v3_miner.clock()),
        "msg": "ok",
        "desc": "set.miner.power_limit",
    }
    assert v3_miner.state.power_limit == 3000
    assert v3_miner.requests[-1].authenticated is True
    assert v3_miner.requests[-1].params["param"] == 3000


async def test_wrong_password_is_minus_1(
    v3_miner: SimulatedMiner, connection: V3Connection
):
    reply = await write(
        connection, v3_miner, "set.miner.power_limit", 3000, password="nope"
    )
    assert reply["code"] == -1
    assert v3_miner.state.power_limit != 3000
    assert v3_miner.requests[-1].authenticated is False


async def test_timestamp_window_when_configured(
    v3_miner: SimulatedMiner, connection: V3Connection, clock: ManualClock
):
    stale = int(clock.now) - 3600
    assert (
        await write(connection, v3_miner, "set.miner.fastboot", "enable", ts=stale)
    )["code"] == 0
    v3_miner.state.ts_window = 60
    assert (
        await write(connection, v3_miner, "set.miner.fastboot", "enable", ts=stale)
    )["code"] == -1


async def test_no_permission(v3_miner: SimulatedMiner, connection: V3Connection):
    reply = await write(
        connection,
        v3_miner,
        "set.system.led",
        "auto",
        account="user1",
        password="user1",
    )
    assert reply["code"] == -4
    v3_miner.state.permissions["user1"] = frozenset({"set.system.led"})
    reply = await write(
        connection,
        v3_miner,
        "set.system.led",
        "auto",
        account="user1",
        password="user1",
    )
    assert reply["code"] == 0
    v3_miner.state.write_enabled = False
    assert (await write(connection, v3_miner, "set.system.led", "auto"))["code"] == -4


async def test_power_applies_while_mining_and_the_limit_restarts(
    v3_miner: SimulatedMiner, connection: V3Connection, clock: ManualClock
):
    """set.miner.power changes the draw at once and keeps mining; the limit restarts it."""
    mining_since = v3_miner.state.mining_since
    assert v3_miner.reading().power > 2500

    reply = await write(connection, v3_miner, "set.miner.power", 2000)
    assert reply["code"] == 0, reply
    clock.advance(60)
    assert abs(v3_miner.reading().power - 2000) < 100
    assert v3_miner.reading().running
    assert v3_miner.state.mining_since == mining_since
    assert v3_miner.state.mining_restarts == 0

    assert (await write(connection, v3_miner, "set.miner.power_limit", 2500))[
        "code"
    ] == 0
    assert v3_miner.state.mining_restarts == 1
    assert v3_miner.state.mining_since > mining_since
    assert (await write(connection, v3_miner, "set.miner.power", 100000))["code"] == -1


async def test_limited_accounts_run_only_the_commands_super_granted(
    v3_miner: SimulatedMiner, connection: V3Connection
):
    """set.user.permission lists the commands an account may run, and only super sets it."""
    granted = {"user": "user2", "permission": "set.miner.power,set.miner.service"}
    assert (await write(connection, v3_miner, "set.user.permission", granted))[
        "code"
    ] == 0
    assert v3_miner.state.permissions["user2"] == {
        "set.miner.power",
        "set.miner.service",
    }

    def as_user2(command: str, param: object) -> object:
        return write(
            connection, v3_miner, command, param, account="user2", password="user2"
        )

    assert (await as_user2("set.miner.power", 1800))["code"] == 0
    assert v3_miner.state.power_target == 1800
    limit = v3_miner.state.power_limit
    assert (await as_user2("set.miner.power_limit", 1800))["code"] == -4
    assert v3_miner.state.power_limit == limit
    # Granting rights stays super's, whatever an account was granted.
    v3_miner.state.permissions["user2"] |= {"set.user.permission"}
    reply = await as_user2(
        "set.user.permission", {"user": "user2", "permission": "set.miner.power_limit"}
    )
    assert reply["code"] == -4
    assert "set.miner.power_limit" not in v3_miner.state.permissions["user2"]
    # A wrong password is refused before the rights are looked at.
    reply = await write(
        connection,
        v3_miner,
        "set.miner.power_limit",
        1800,
        account="user2",
        password="wrong",
    )
    assert reply["code"] == -1


async def test_pools_param_is_aes_encrypted(
    v3_miner: SimulatedMiner, connection: V3Connection
):
    pools = [
        {
            "pool": "stratum+tcp://pool.whitebit.com:3333",
            "worker": "acct.rig1",
            "passwd": "x",
        },
        {
            "pool": "stratum+tcp://backup.example:443",
            "worker": "acct.rig1",
            "passwd": "",
        },
    ]
    reply = await write(connection, v3_miner, "set.miner.pools", pools, encrypt=True)
    assert reply["code"] == 0
    assert v3_miner.state.pools == [
        PoolSetting("stratum+tcp://pool.whitebit.com:3333", "acct.rig1", "x"),
        PoolSetting("stratum+tcp://backup.example:443", "acct.rig1", ""),
    ]
    assert v3_miner.requests[-1].params["param"] == pools
    # Sent in the clear, the param cannot be read.
    reply = await write(connection, v3_miner, "set.miner.pools", json.dumps(pools))
    assert reply["code"] == -1


async def test_change_password(v3_miner: SimulatedMiner, connection: V3Connection):
    change = {"account": "super", "old": PASSWORD, "new": "n3w_Super"}
    assert (
        await write(
            connection, v3_miner, "set.user.change_passwd", change, encrypt=True
        )
    )["code"] == 0
    assert v3_miner.state.accounts["super"] == "n3w_Super"
    assert (await write(connection, v3_miner, "set.miner.fastboot", "enable"))[
        "code"
    ] == -1
    reply = await write(
        connection, v3_miner, "set.miner.fastboot", "enable", password="n3w_Super"
    )
    assert reply["code"] == 0


async def test_factory_passwords_are_account_names(make_miner: MinerFactory):
    miner = await make_miner(api="v3", password=None)
    assert miner.state.accounts == {
        "super": "super",
        "user1": "user1",
        "user2": "user2",
        "user3": "user3",
    }
    assert miner.state.password == "admin"


@pytest.mark.parametrize(
    ("command", "param", "attribute", "expected"),
    [
        ("set.miner.power_mode", "low", "power_mode", "Low"),
        (
            "set.miner.power_percent",
            {"percent": 80, "mode": "fast"},
            "power_percent",
            80,
        ),
        ("set.miner.target_freq", -10, "target_freq", -10),
        ("set.miner.upfreq_speed", 10, "upfreq_speed", 10),
        ("set.miner.fastboot", "enable", "fast_boot", True),
        ("set.system.webpools", "disable", "web_pools", False),
        ("set.system.hostname", {"hostname": "rig-9"}, "hostname", "rig-9"),
        (
            "set.system.timezone",
            {"timezone": "UTC0", "zonename": "UTC"},
            "zonename",
            "UTC",
        ),
        ("set.system.led", "auto", "led", "auto"),
        (
            "set.system.led",
            [{"color": "green", "period": 200, "duration": 100, "start": 0}],
            "led",
            (LedPattern("green", 200, 100, 0),),
        ),
        ("set.fan.poweroff_cool", 0, "poweroff_cool", False),
        ("set.fan.zero_speed", 1, "fan_zero_speed", True),
        ("set.fan.temp_offset", -10, "temp_offset", -10),
        (
            "set.system.ntp_server",
            "a.example,b.example",
            "ntp_servers",
            ("a.example", "b.example"),
        ),
        ("set.miner.service", "disable", "autostart", False),
    ],
)
async def test_writes_change_the_state(  # noqa: PLR0917
    v3_miner: SimulatedMiner,
    connection: V3Connection,
    command,
    param,
    attribute,
    expected,
):
    reply = await write(connection, v3_miner, command, param)
    assert reply["code"] == 0, reply
    assert getattr(v3_miner.state, attribute) == expected


@pytest.mark.parametrize(
    ("command", "param"),
    [
        ("set.miner.power_limit", 100000),
        ("set.miner.power_mode", "turbo"),
        ("set.miner.target_freq", 5),  # air-cooled
        ("set.miner.heat_mode", "heating"),  # air-cooled
        ("set.miner.power_percent", 50),
        ("set.system.led", [{"color": "blue", "period": 1, "duration": 1, "start": 0}]),
    ],
)
async def test_bad_params_are_refused(
    v3_miner: SimulatedMiner, connection: V3Connection, command, param
):
    assert (await write(connection, v3_miner, command, param))["code"] in (-1, -3)


async def test_service_stop_and_start(
    v3_miner: SimulatedMiner, connection: V3Connection, clock: ManualClock
):
    assert (await write(connection, v3_miner, "set.miner.service", "stop"))["code"] == 0
    status = await connection.call({"cmd": "get.miner.status", "param": "summary"})
    assert status["msg"]["summary"]["hash-realtime"] == 0
    assert status["msg"]["summary"]["power-realtime"] < 30
    assert (await write(connection, v3_miner, "set.miner.service", "start"))[
        "code"
    ] == 0
    clock.advance(900)
    fresh = await V3Connection.open(v3_miner.v3_port)  # the idle one was dropped
    status = await fresh.call({"cmd": "get.miner.status", "param": "summary"})
    await fresh.close()
    assert status["msg"]["summary"]["hash-realtime"] > 150
    assert status["msg"]["summary"]["elapsed"] == 900


async def test_reboot(
    v3_miner: SimulatedMiner, connection: V3Connection, clock: ManualClock
):
    assert (await write(connection, v3_miner, "set.system.reboot"))["code"] == 0
    with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
        await connection.call({"cmd": "get.device.info", "param": "salt"})

    async def ask_again() -> None:
        again = await V3Connection.open(v3_miner.v3_port)
        try:
            await again.call({"cmd": "get.device.info", "param": "salt"})
        finally:
            await again.close()

    with pytest.raises(ConnectionError):
        await ask_again()
    clock.advance(61)
    fresh = await V3Connection.open(v3_miner.v3_port)
    status = await fresh.call({"cmd": "get.miner.status", "param": "summary"})
    await fresh.close()
    assert status["msg"]["summary"]["bootup-time"] == 1


async def test_pre_power_on_and_heat_mode_on_hydro(
    make_miner: MinerFactory, clock: ManualClock
):
    miner = await make_miner(model="M63S", api="v3")
    conn = await V3Connection.open(miner.v3_port)
    try:
        assert (await write(conn, miner, "set.miner.heat_mode", "heating"))["code"] == 0
        assert miner.state.heat_mode == "heating"
        assert (await write(conn, miner, "set.miner.pre_power_on"))["code"] == -1
        await write(conn, miner, "set.miner.service", "stop")
        reply = await write(conn, miner, "set.miner.pre_power_on")
        assert reply["msg"] == {"complete": False, "msg": "wait for adjust temp"}
        clock.advance(200)
        reply = await write(conn, miner, "set.miner.pre_power_on")
        assert reply["msg"] == {"complete": True, "msg": "adjust complete"}
        assert (await write(conn, miner, "set.miner.power_limit", 9800))["code"] == 0
    finally:
        await conn.close()


async def test_firmware_upload(
    v3_miner: SimulatedMiner, connection: V3Connection, clock: ManualClock
):
    ready = await write(connection, v3_miner, "set.system.update_firmware")
    assert ready["msg"] == "ready"
    image = b"\xa5" * 50_000
    connection.writer.write(len(image).to_bytes(4, "little") + image)
    await connection.writer.drain()
    final = await connection.receive()
    assert (final["code"], final["desc"]) == (0, "set.system.update_firmware")
    assert v3_miner.state.firmware_uploads == [len(image)]
    assert v3_miner.is_down()


async def test_log_download(v3_miner: SimulatedMiner, connection: V3Connection):
    reply = await connection.call({"cmd": "get.log.download"})
    size = int(reply["msg"]["logsize"])
    archive = await connection.reader.readexactly(size)
    assert archive[:2] == b"\x1f\x8b"  # gzip


async def test_compatibility_layer_on_4028(v3_miner: SimulatedMiner):
    summary = await v2_call(v3_miner.v2_port, {"cmd": "summary"})
    assert set(summary) == {"STATUS", "When", "Code", "Msg", "Description"}
    assert (summary["STATUS"], summary["Code"]) == ("S", 131)
    # MH/s, as captured from new firmware ("HS RT":140544208 for 140.5 TH/s).
    assert 150e6 < summary["Msg"]["MHS av"] < 190e6
    edevs = await v2_call(v3_miner.v2_port, {"cmd": "edevs"})
    assert 40 < edevs["DEVS"][0]["MHS av"] < 70  # TH/s as well
    stats = await v2_call(v3_miner.v2_port, {"cmd": "stats"})
    assert stats["Code"] == 14
    devdetails = await v2_call(v3_miner.v2_port, {"cmd": "devdetails"})
    assert (devdetails["Code"], devdetails["Msg"]) == (
        132,
        "This command is deprecated.",
    )
    version = (await v2_call(v3_miner.v2_port, {"cmd": "get_version"}))["Msg"]
    assert version["fw_ver"][:8] >= "20241101"


async def test_power_control_through_the_compat_layer_does_nothing(
    v3_miner: SimulatedMiner,
):
    reply = await V2Session(v3_miner.v2_port).write({"cmd": "power_off"})
    assert reply["Code"] == 131
    assert v3_miner.state.mining is True  # "reported broken": accepted, ignored
