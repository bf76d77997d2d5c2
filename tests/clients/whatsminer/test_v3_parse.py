"""API v3 crypto, framing and reply parsing, without a network.

The replies are shaped like the vendor's API v3 documentation and what public
clients record from real miners; the fuzz tests feed arbitrary bytes and JSON.
"""

import base64
import contextlib
import hashlib
import json
import string
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.hashwatt.clients.whatsminer import crypto, parse_v3
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerError,
    WhatsminerInvalidReplyError,
    WhatsminerUnsupportedError,
    WhatsminerWriteDisabledError,
)
from custom_components.hashwatt.clients.whatsminer.models import (
    ApiVersion,
    FastData,
    HeatMode,
    MinerError,
    PowerMode,
    PrePowerOnState,
    SlowData,
)
from custom_components.hashwatt.clients.whatsminer.transport_v3 import (
    HEADER,
    encode_frame,
)
from custom_components.hashwatt.clients.whatsminer.v3 import encrypt_param

# get.device.info as the vendor documents it (API 3.0.x).
DEVICE_INFO = {
    "network": {
        "ip": "192.168.2.98",
        "proto": "dhcp",
        "netmask": "255.255.255.0",
        "dns": "192.168.2.1",
        "mac": "ca:01:14:00:04:eb",
        "gateway": "192.168.2.1",
        "hostname": "WhatsMiner",
    },
    "miner": {
        "working": "true",
        "type": "M30S++_VH70",
        "hash-board": "H70",
        "cointype": "BTC/BCH/BSV",
        "heatmode": "",
        "hash-percent": "",
        "chipdata0": "H35A07-22020801 BINV01-196803C",
        "fast-boot": "disable",
        "board-num": "3",
        "pcbsn0": "HHM1EK46702216K00000",
        "pcbsn1": "HHM1EK46702216K00001",
        "pcbsn2": "HHM1EK46702216K00002",
        "miner-sn": "MSN123456789",
        "power-limit-set": "3600",
    },
    "system": {
        "api": "3.0.0",
        "platform": "H616",
        "fwversion": "20240722.07.51.REL",
        "control-board-version": "CB6V10",
        "apiswitch": "1",
        "ledstatus": "auto",
    },
    "power": {
        "type": "P221C",
        "hwversion": "R00033",
        "swversion": "20201224_P00031.20210326_S00037",
        "model": "P22-12-3300-C",
        "iin": 14.8,
        "vin": 220.5,
        "fanspeed": 6112,
        "temp0": 41.3,
        "sn": "1355A2123000000",
    },
    "salt": "px5hoXa9",
    "error-code": [
        {"531": "2025-03-12 14:52:35", "reason": "Slot1 not found."},
        {"532": "2025-03-12 14:52:36", "reason": "Slot2 not found."},
    ],
}

STATUS = {
    "summary": {
        "elapsed": 1074,
        "bootup-time": 1175,
        "freq-avg": 788,
        "factory-hash": 101.366,
        "hash-average": 101.847,
        "hash-realtime": 102.5,
        "power-rate": 31.886,
        "power-realtime": 3268,
        "environment-temperature": 34.8,
        "board-temperature": [69.6, 70.1, 72.3],
        "chip-temp-min": 83.2,
        "chip-temp-avg": 92.9,
        "chip-temp-max": 100.3,
        "power-limit": 3500,
        "fan-speed-in": 4980,
        "fan-speed-out": 5070,
    },
    "pools": [
        {
            "id": 1,
            "url": "stratum+tcp://btc.example.com:3333",
            "account": "acct.worker1",
            "status": "alive",
            "stratum-active": True,
            "pool-priority": 0,
            "accepted": 900,
            "rejected": 100,
            "last-share-time": 1773869570,
        },
        {
            "id": 2,
            "url": "stratum+tcp://backup.example.com:3333",
            "account": "acct.worker1",
            "status": "dead",
            "stratum-active": False,
            "pool-priority": 1,
            "accepted": 0,
            "rejected": 0,
        },
    ],
    "edevs": [
        {
            "id": index,
            "hash-realtime": 34.1,
            "hash-average": 34.0,
            "factory-hash": 33.8,
            "chip-temp-min": 80.0,
            "chip-temp-avg": 90.0,
            "chip-temp-max": 99.5,
            "effective-chips": 156,
            "freq": 590,
            "status": "alive",
        }
        for index in range(3)
    ],
}


def local(*parts: int) -> datetime:
    """A wall-clock time on the miner, which does not say its zone."""
    return datetime(*parts)  # noqa: DTZ001


def test_token_matches_the_reference_vector():
    """The reference: set.miner.power_limit, super, uhCiDyVj, 1773869570 → TaB0bCds."""
    assert (
        crypto.v3_token("set.miner.power_limit", "super", "uhCiDyVj", 1773869570)
        == "TaB0bCds"
    )


def _decrypt_independently(
    command: str, password: str, salt: str, ts: int, data: str
) -> object:
    """Undo encrypt_param with the `cryptography` package, not the code under test."""
    key = hashlib.sha256(f"{command}{password}{salt}{ts}".encode()).digest()
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305  # the miner's scheme
    padded = decryptor.update(base64.b64decode(data)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return json.loads(unpadder.update(padded) + unpadder.finalize())


@pytest.mark.parametrize(
    "param",
    [
        [{"pool": "stratum+tcp://a.example:3333", "worker": "w.1", "passwd": "x"}],
        {"account": "super", "new": "n3w_Pass", "old": "super"},
        # 15 characters of JSON: one byte short of a block, the padding is a single 0x01.
        {"a": "b" * 5},
        # Exactly one block of JSON: PKCS#7 then adds a whole block of 0x10.
        {"account": "ab"},
    ],
)
def test_encrypted_param_round_trips(param):
    data = encrypt_param("set.miner.pools", "s3cret", "uhCiDyVj", 1773869570, param)
    assert (
        _decrypt_independently(
            "set.miner.pools", "s3cret", "uhCiDyVj", 1773869570, data
        )
        == param
    )
    # And our own decryption reads it back the same way.
    key = crypto.v3_digest("set.miner.pools", "s3cret", "uhCiDyVj", 1773869570)
    assert json.loads(crypto.aes_decrypt(key, data)) == param


def test_encrypted_param_depends_on_every_token_input():
    param = [{"pool": "stratum+tcp://a.example:3333", "worker": "w", "passwd": ""}]
    base = encrypt_param("set.miner.pools", "pw", "salt1234", 100, param)
    assert base != encrypt_param("set.user.change_passwd", "pw", "salt1234", 100, param)
    assert base != encrypt_param("set.miner.pools", "pw2", "salt1234", 100, param)
    assert base != encrypt_param("set.miner.pools", "pw", "salt1235", 100, param)
    assert base != encrypt_param("set.miner.pools", "pw", "salt1234", 101, param)


def test_frames_are_little_endian_length_then_ascii_json():
    frame = encode_frame({"cmd": "get.device.info", "param": "Zürich"})
    (length,) = HEADER.unpack(frame[:4])
    assert frame[:4] == length.to_bytes(4, "little")
    assert length == len(frame) - 4
    body = frame[4:]
    assert body.isascii()
    assert json.loads(body) == {"cmd": "get.device.info", "param": "Zürich"}


# Envelopes and error codes


def test_envelope_needs_an_integer_code():
    assert parse_v3.parse_envelope("x", b'{"code":0,"msg":"ok"}\x00')["msg"] == "ok"
    for body in (b'{"msg":"ok"}', b'{"code":"0"}', b'{"code":true}', b"[1,2]", b""):
        with pytest.raises(WhatsminerInvalidReplyError):
            parse_v3.parse_envelope("x", body)


@pytest.mark.parametrize(
    ("reply", "write", "error"),
    [
        ({"code": -1, "msg": "token check failed"}, True, WhatsminerAuthError),
        ({"code": -1, "msg": "Invalid Password"}, True, WhatsminerAuthError),
        ({"code": -1, "msg": "value out of range"}, True, WhatsminerCommandError),
        ({"code": -1, "msg": "token check failed"}, False, WhatsminerCommandError),
        ({"code": -2, "msg": "invalid command"}, True, WhatsminerUnsupportedError),
        ({"code": -2, "msg": "invalid command"}, False, WhatsminerUnsupportedError),
        ({"code": -3, "msg": "param missing"}, True, WhatsminerCommandError),
        ({"code": -4, "msg": "no permission"}, True, WhatsminerWriteDisabledError),
        ({"code": -4, "msg": "no permission"}, False, WhatsminerCommandError),
        (
            {"code": -5, "msg": {"detail": "out of memory"}},
            False,
            WhatsminerCommandError,
        ),
    ],
)
def test_error_codes_map_to_our_errors(reply, write, error):
    with pytest.raises(error) as caught:
        parse_v3.reply_message("set.miner.power_limit", reply, write=write)
    if isinstance(caught.value, WhatsminerCommandError):
        assert caught.value.code == reply["code"]
        assert caught.value.command == "set.miner.power_limit"
    # A refused read never claims to be a password problem.
    assert not (isinstance(caught.value, WhatsminerAuthError) and not write)


def test_unsupported_is_a_command_error():
    assert issubclass(WhatsminerUnsupportedError, WhatsminerCommandError)


def test_long_messages_are_cut():
    with pytest.raises(WhatsminerCommandError) as caught:
        parse_v3.reply_message("x", {"code": -1, "msg": "y" * 5000}, write=False)
    assert len(caught.value.message) == 200


def test_reply_time_only_trusts_a_set_clock():
    assert parse_v3.reply_time({"when": 1773869570}) == 1773869570
    for when in (0, -5, "1773869570", True, None, 1.5):
        assert parse_v3.reply_time({"when": when}) is None


# The fast poll


def test_fast_poll_reads_summary_pools_and_boards():
    fast = parse_v3.parse_fast(STATUS, {"miner": DEVICE_INFO["miner"]}, PowerMode.HIGH)
    summary = fast.summary
    assert fast.mining is True
    assert summary.hashrate_realtime == 102.5
    assert summary.hashrate_average == 101.847
    assert summary.hashrate_factory == 101.366
    assert summary.power == 3268
    assert summary.power_limit == 3500
    assert summary.efficiency == 31.886
    assert summary.power_mode is PowerMode.HIGH
    assert summary.environment_temperature == 34.8
    assert (summary.chip_temperature_min, summary.chip_temperature_max) == (83.2, 100.3)
    assert summary.chip_temperature_avg == 92.9
    assert (summary.fan_speed_in, summary.fan_speed_out) == (4980, 5070)
    assert summary.mining_elapsed == 1074
    assert summary.system_uptime == 1175
    assert (summary.accepted_shares, summary.rejected_shares) == (900, 100)
    assert summary.pool_rejected_percent == 10.0
    assert summary.frequency_avg == 788
    assert summary.fast_boot is False
    assert [board.index for board in fast.boards] == [0, 1, 2]
    assert [board.temperature for board in fast.boards] == [69.6, 70.1, 72.3]
    assert fast.boards[2].serial_number == "HHM1EK46702216K00002"
    assert fast.boards[0].effective_chips == 156
    assert fast.boards[0].chip_frequency == 590
    assert fast.boards[0].hashrate_realtime == 34.1
    assert fast.boards[0].status == "alive"


def test_fast_poll_takes_an_unnested_miner_section():
    fast = parse_v3.parse_fast(
        STATUS, DEVICE_INFO["miner"] | {"working": "false"}, None
    )
    assert fast.mining is False
    assert fast.boards[1].serial_number == "HHM1EK46702216K00001"


def test_efficiency_is_computed_when_not_reported():
    status = {
        "summary": {"hash-realtime": 100.0, "power-realtime": 3000, "power-rate": 0}
    }
    assert parse_v3.parse_fast(status, {}, None).summary.efficiency == 30.0


def test_unknown_and_negative_readings_are_none():
    status = {
        "summary": {
            "power-realtime": -1,
            "hash-realtime": "n/a",
            "fan-speed-in": -1,
            "elapsed": float("nan"),
            "environment-temperature": -12.5,
        }
    }
    summary = parse_v3.parse_fast(status, {}, None).summary
    assert summary.power is None
    assert summary.hashrate_realtime is None
    assert summary.fan_speed_in is None
    assert summary.mining_elapsed is None
    assert summary.efficiency is None
    assert summary.environment_temperature == -12.5  # a cold room is a real reading


def test_mining_falls_back_to_the_hashrate_without_a_working_flag():
    assert parse_v3.parse_fast(STATUS, {"miner": {}}, None).mining is True
    idle = {"summary": {"hash-realtime": 0}}
    assert parse_v3.parse_fast(idle, {"miner": {}}, None).mining is False


def test_idle_fast_poll_has_no_figures():
    fast = parse_v3.idle_fast(
        {"miner": {"working": "false", "fast-boot": "enable"}}, PowerMode.LOW
    )
    assert fast.mining is False
    assert fast.boards == ()
    assert fast.summary.hashrate_realtime is None
    assert fast.summary.fast_boot is True
    assert fast.summary.power_mode is PowerMode.LOW


def test_pools_are_numbered_in_priority_order():
    pools = parse_v3.parse_pools(STATUS["pools"])
    assert [pool.index for pool in pools] == [1, 2]
    first, second = pools
    assert first.url == "stratum+tcp://btc.example.com:3333"
    assert first.worker == "acct.worker1"
    assert first.status == "alive"
    assert first.stratum_active is True
    assert first.priority == 0
    assert first.rejected_percent == 10.0
    assert first.last_share_time == datetime.fromtimestamp(1773869570, UTC)
    assert second.stratum_active is False
    assert second.rejected_percent is None  # no shares yet
    assert second.last_share_time is None


def test_pool_share_time_as_text():
    (pool,) = parse_v3.parse_pools(
        [{"url": "u", "last-share-time": "2025-03-12 14:52:35"}]
    )
    assert pool.last_share_time == local(2025, 3, 12, 14, 52, 35)


# The slow poll


def test_slow_poll_reads_device_info_pools_and_settings():
    miner_setting = {
        "power-mode": "Normal",
        "power-percent": 90,
        "target-freq": -10,
        "upfreq-speed": "3",
        "power-limit": 3500,
    }
    fan_setting = {"fan-poweroff-cool": 1, "fan-zero-speed": 0, "fan-temp-offset": -10}
    slow = parse_v3.parse_slow(DEVICE_INFO, STATUS, miner_setting, fan_setting)
    assert slow.identity.mac == "CA:01:14:00:04:EB"
    assert slow.identity.hostname == "WhatsMiner"
    assert slow.identity.model == "M30S++VH70"  # v3's "M30S++_VH70" as v2 spells it
    assert slow.identity.serial_number == "MSN123456789"
    assert slow.identity.firmware_version == "20240722.07.51.REL"
    assert slow.identity.api is ApiVersion.V3
    assert slow.version.api_version == "3.0.0"
    assert slow.version.platform == "H616"
    assert slow.version.chip == "H35A07-22020801 BINV01-196803C"
    assert slow.version.firmware_date.isoformat() == "2024-07-22"
    assert slow.info.ip == "192.168.2.98"
    assert slow.info.proto == "dhcp"
    assert slow.info.netmask == "255.255.255.0"
    assert slow.info.gateway == "192.168.2.1"
    assert slow.info.dns == "192.168.2.1"
    assert slow.info.led_status == "auto"
    assert slow.info.miner_serial == "MSN123456789"
    assert slow.info.power_serial == "1355A2123000000"
    assert slow.psu is not None
    assert slow.psu.model == "P22-12-3300-C"
    assert slow.psu.hardware_version == "R00033"
    assert slow.psu.firmware_version == "20201224_P00031.20210326_S00037"
    assert slow.psu.fan_speed == 6112
    assert slow.psu.temperature == 41.3
    assert (slow.psu.input_voltage, slow.psu.input_current) == (220.5, 14.8)
    assert slow.errors == (
        MinerError(531, local(2025, 3, 12, 14, 52, 35)),
        MinerError(532, local(2025, 3, 12, 14, 52, 36)),
    )
    assert len(slow.pools) == 2
    settings_read = slow.settings
    assert settings_read.power_percent == 90
    assert settings_read.target_frequency == -10
    assert settings_read.upfreq_speed == 3
    assert settings_read.temperature_offset == -10
    assert settings_read.poweroff_cool is True
    assert settings_read.fan_zero_speed is False
    assert parse_v3.parse_power_mode(miner_setting) is PowerMode.NORMAL


def test_slow_poll_without_settings_or_psu():
    device = {key: value for key, value in DEVICE_INFO.items() if key != "power"}
    slow = parse_v3.parse_slow(device, None, None, None)
    assert slow.psu is None
    assert slow.pools == ()
    assert slow.info.power_serial is None
    assert slow.settings.poweroff_cool is None
    assert slow.settings.power_percent is None


@pytest.mark.parametrize(
    "mac", ["00:00:00:00:00:00", "", None, "not-a-mac", "FF:FF:FF:FF:FF:FF"]
)
def test_unusable_mac_is_none(mac):
    device = DEVICE_INFO | {"network": DEVICE_INFO["network"] | {"mac": mac}}
    assert parse_v3.parse_identity(device).mac is None


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([], ()),
        (
            {"218": "2024-06-15 10:30:00"},
            (MinerError(218, local(2024, 6, 15, 10, 30)),),
        ),
        ([{"218": "not a time"}], (MinerError(218, None),)),
        ([329, "330", "x"], (MinerError(329, None), MinerError(330, None))),
        ("531", ()),
    ],
)
def test_error_code_shapes(codes, expected):
    assert parse_v3.parse_errors(codes) == expected


def test_salt():
    assert parse_v3.parse_salt({"salt": "uhCiDyVj"}) == "uhCiDyVj"
    assert parse_v3.salt_of({"network": {}}) is None
    with pytest.raises(WhatsminerInvalidReplyError):
        parse_v3.parse_salt({"salt": ""})


def test_log_size():
    assert parse_v3.parse_log_size({"logsize": "12345"}, 10**6) == 12345
    for message in ({"logsize": "-1"}, {"logsize": 10**7}, {}, "ok"):
        with pytest.raises(WhatsminerInvalidReplyError):
            parse_v3.parse_log_size(message, 10**6)


@pytest.mark.parametrize(
    ("message", "state"),
    [
        ("wait for adjust temp", PrePowerOnState.WAITING),
        ("Adjust Complete", PrePowerOnState.COMPLETE),
        ({"msg": "adjust continue", "complete": "false"}, PrePowerOnState.CONTINUING),
        ({"complete": "true"}, PrePowerOnState.COMPLETE),
    ],
)
def test_pre_power_on_states(message, state):
    assert parse_v3.parse_pre_power_on(message) is state


def test_unknown_pre_power_on_state():
    with pytest.raises(WhatsminerInvalidReplyError):
        parse_v3.parse_pre_power_on("ok")


# Fuzzing: whatever arrives, a model or our own error.

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)
KEYS = st.sampled_from(
    [
        "summary", "pools", "edevs", "miner", "network", "system", "power", "salt",
        "error-code", "hash-realtime", "power-realtime", "board-temperature", "id",
        "working", "mac", "fwversion", "logsize", "power-mode", "fan-temp-offset",
        "accepted", "rejected", "last-share-time", "pcbsn0", "temp0",
    ]
)  # fmt: skip
SHAPED = st.recursive(
    JSON,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            KEYS | st.text(string.digits, min_size=1, max_size=4), children, max_size=6
        )
    ),
    max_leaves=40,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_any_bytes_give_an_envelope_or_our_error(body):
    try:
        reply = parse_v3.parse_envelope("get.miner.status", body)
    except WhatsminerError:
        return
    assert isinstance(reply["code"], int)
    with contextlib.suppress(WhatsminerError):
        parse_v3.reply_message("get.miner.status", reply, write=True)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPED, SHAPED, SHAPED, SHAPED)
def test_any_json_gives_models_or_our_error(status, device, miner_setting, fan_setting):
    assert isinstance(parse_v3.parse_fast(status, device, None), FastData)
    assert isinstance(parse_v3.idle_fast(device, None), FastData)
    assert isinstance(
        parse_v3.parse_slow(device, status, miner_setting, fan_setting), SlowData
    )
    parse_v3.parse_power_mode(miner_setting)
    for parse in (
        parse_v3.parse_salt,
        parse_v3.parse_pre_power_on,
        lambda message: parse_v3.parse_log_size(message, 1000),
    ):
        with contextlib.suppress(WhatsminerInvalidReplyError):
            parse(device)


@settings(max_examples=200)
@given(st.integers(min_value=-10, max_value=10), JSON)
def test_any_error_reply_maps_to_our_error(code, message):
    reply = {"code": code, "msg": message}
    if code == 0:
        assert parse_v3.reply_message("x", reply, write=True) == message
        return
    with pytest.raises(WhatsminerError):
        parse_v3.reply_message("x", reply, write=True)


@pytest.mark.parametrize(
    "value", [True, 10**400, "1e999", "nan", float("inf"), [1], {"a": 1}, "twelve"]
)
def test_unreadable_numbers_are_none(value):
    summary = parse_v3.parse_fast(
        {"summary": {"hash-realtime": value}}, {}, None
    ).summary
    assert summary.hashrate_realtime is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("enable", True),
        ("Disable", False),
        (1, True),
        (0.0, False),
        ("maybe", None),
        ([], None),
    ],
)
def test_flags(value, expected):
    assert parse_v3.fast_boot_of({"miner": {"fast-boot": value}}) is expected


@pytest.mark.parametrize(
    ("text", "mode"), [("High", PowerMode.HIGH), ("turbo", None), (3, None)]
)
def test_power_modes(text, mode):
    assert parse_v3.parse_power_mode({"power-mode": text}) is mode


@pytest.mark.parametrize("value", [10**20, 0, -1, "soon"])
def test_unusable_share_times(value):
    (pool,) = parse_v3.parse_pools([{"url": "u", "last-share-time": value}])
    assert pool.last_share_time is None


def test_boards_without_ids_count_from_zero():
    edevs = [{"hash-realtime": 1.0}, {"id": "x", "hash-realtime": 2.0}]
    fast = parse_v3.parse_fast(
        {"summary": {"board-temperature": [50, 51]}, "edevs": edevs}, {}, None
    )
    assert [(board.index, board.temperature) for board in fast.boards] == [
        (0, 50),
        (1, 51),
    ]


def test_misspelled_temperature_keys():
    status = {
        "summary": {"environment-tempurature": 21.5, "board-tempurature": [60.5]},
        "edevs": [{"id": 0}],
    }
    fast = parse_v3.parse_fast(status, {}, None)
    assert fast.summary.environment_temperature == 21.5
    assert fast.boards[0].temperature == 60.5


def test_pool_reject_rate_as_the_miner_reports_it():
    (pool,) = parse_v3.parse_pools(
        [{"url": "u", "reject-rate": 1.25, "accepted": 10, "rejected": 5}]
    )
    assert pool.rejected_percent == 1.25


@pytest.mark.parametrize(
    ("reported", "mode"),
    [
        ("anti-freezing", HeatMode.ANTI_FREEZING),
        ("Heating", HeatMode.HEATING),
        ("", None),
        ("boil", None),
    ],
)
def test_heat_modes(reported, mode):
    settings_read = parse_v3.parse_settings({"heat-mode": reported}, None)
    assert settings_read.heat_mode is mode
