"""The API v2 parsers on the vendor document's example replies and known variants."""

from datetime import UTC, date, datetime

import pytest

from custom_components.hashwatt.clients.whatsminer import parse_v2, values
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerInvalidReplyError,
)
from custom_components.hashwatt.clients.whatsminer.models import (
    PowerMode,
    PrePowerOnState,
)
from custom_components.hashwatt.clients.whatsminer.repair import parse_reply

# Section 4 of the vendor document, as the miner sends them (cgminer envelope).
VENDOR_SUMMARY = {
    "STATUS": [{"STATUS": "S", "Msg": "Summary"}],
    "SUMMARY": [
        {
            "Elapsed": 2648,
            "MHS av": 84983730.62,
            "MHS 5s": 102423869.64,
            "MHS 1m": 86361423.06,
            "MHS 5m": 84941366.02,
            "MHS 15m": 84969424.09,
            "HS RT": 84941366.02,
            "Accepted": 804,
            "Rejected": 0,
            "Temperature": 80.00,
            "freq_avg": 646,
            "Fan Speed In": 4530,
            "Fan Speed Out": 4530,
            "Power": 3593,
            "Power Rate": 42.31,
            "Pool Rejected%": 0.0000,
            "Uptime": 20507,
            "Env Temp": 32.00,
            "Power Mode": "Normal",
            "Factory GHS": 84773,
            "Power Limit": 3600,
            "Chip Temp Min": 75.17,
            "Chip Temp Max": 101.25,
            "Chip Temp Avg": 89.60,
            "Btminer Fast Boot": "disable",
        }
    ],
}
VENDOR_EDEVS = {
    "STATUS": [{"STATUS": "S", "Msg": "3 ASC(s)"}],
    "DEVS": [
        {
            "ASC": 0,
            "Slot": 0,
            "Enabled": "Y",
            "Status": "Alive",
            "Temperature": 80.00,
            "Chip Frequency": 587,
            "MHS av": 10342284.80,
            "MHS 5s": 5298845.66,
            "HS RT": 10351110.56,
            "HS Factory": 28836,
            "Effective Chips": 156,
            "PCB SN": "HEM1EP9C400929K60003",
            "Chip Temp Min": 80.56,
            "Chip Temp Max": 97.00,
            "Chip Temp Avg": 89.89,
        },
        {
            "ASC": 1,
            "Slot": 1,
            "Status": "Alive",
            "Temperature": 80.00,
            "MHS av": 10259948.84,
            "HS RT": 10441143.92,
            "PCB SN": "HEM1EP9C400929K60001",
        },
    ],
}
VENDOR_PSU = (
    b'{"STATUS":"S","When":1643182793,"Code":131,"Msg":{"name":"P221B","hw_version":"V01.00",'
    b'"sw_version":"V01.00.V01.03","model":"P221B","iin":"8718","vin":"22400","fan_speed":"6976",'
    b'"version":"-1","serial_no":"A1232B0120100049","vendor":"7","temp0":"33.5"},"Description":""}'
)


def test_summary_units() -> None:
    """MH/s and GH/s become TH/s; W, °C, RPM, s and J/TH pass through."""
    summary = parse_v2.parse_summary(VENDOR_SUMMARY)
    assert summary.hashrate_realtime == pytest.approx(84.94136602)
    assert summary.hashrate_average == pytest.approx(84.98373062)
    assert summary.hashrate_factory == pytest.approx(84.773)
    assert summary.power == 3593
    assert summary.power_limit == 3600
    assert summary.efficiency == 42.31
    assert summary.power_mode is PowerMode.NORMAL
    assert summary.environment_temperature == 32.0
    assert (summary.chip_temperature_min, summary.chip_temperature_max) == (
        75.17,
        101.25,
    )
    assert summary.chip_temperature_avg == 89.6
    assert (summary.fan_speed_in, summary.fan_speed_out) == (4530, 4530)
    assert (summary.mining_elapsed, summary.system_uptime) == (2648, 20507)
    assert (summary.accepted_shares, summary.rejected_shares) == (804, 0)
    assert summary.pool_rejected_percent == 0.0
    assert summary.frequency_avg == 646
    assert summary.fast_boot is False
    assert summary.raw is VENDOR_SUMMARY["SUMMARY"][0]


def test_summary_unknown_power_and_missing_efficiency() -> None:
    """Power -1 is unknown; without Power Rate the efficiency is W / (TH/s)."""
    record = {"HS RT": 100_000_000.0, "Power": 3000}
    summary = parse_v2.parse_summary({"SUMMARY": [record]})
    assert summary.efficiency == pytest.approx(30.0)
    unknown = parse_v2.parse_summary({"SUMMARY": [{**record, "Power": -1}]})
    assert unknown.power is None
    assert unknown.efficiency is None
    stopped = parse_v2.parse_summary({"SUMMARY": [{"HS RT": 0, "Power": 12}]})
    assert stopped.efficiency is None


def test_summary_of_the_compatibility_layer() -> None:
    """New firmware on 4028: summary in Msg, its hashrates still MH/s.

    (A captured M60S-class reply: "HS RT":140544208 is 140.5 TH/s, the sum of
    its three boards; see tests/fixtures/whatsminer/compat.)
    """
    reply = {
        "STATUS": "S",
        "When": 1772042752,
        "Code": 131,
        "Msg": {
            "MHS av": 111337976,
            "HS RT": 140544208,
            "Factory GHS": 165848,
            "Power": 3173.45,
        },
        "Description": "",
    }
    assert parse_v2.is_compat_summary(reply)
    assert not parse_v2.is_compat_summary(VENDOR_SUMMARY)
    assert parse_v2.summary_hashrate(reply) == 140544208
    summary = parse_v2.parse_summary(reply)
    assert summary.hashrate_average == 111.337976
    assert summary.hashrate_realtime == 140.544208
    assert summary.hashrate_factory == 165.848
    assert summary.power == 3173.45


def test_boards() -> None:
    """Boards in index order with TH/s hashrates and GH/s factory marking converted."""
    boards = parse_v2.parse_boards(VENDOR_EDEVS)
    assert [board.index for board in boards] == [0, 1]
    first = boards[0]
    assert first.status == "Alive"
    assert first.temperature == 80.0
    assert first.hashrate_realtime == pytest.approx(10.35111056)
    assert first.hashrate_average == pytest.approx(10.3422848)
    assert first.hashrate_factory == pytest.approx(28.836)
    assert first.chip_frequency == 587
    assert first.effective_chips == 156
    assert first.serial_number == "HEM1EP9C400929K60003"
    assert (first.chip_temperature_min, first.chip_temperature_max) == (80.56, 97.0)
    assert boards[1].hashrate_factory is None
    compat = parse_v2.parse_boards(
        {"STATUS": [{"STATUS": "S"}], "DEVS": [{"ASC": 0, "MHS av": 39.9}]}, divisor=1.0
    )
    assert compat[0].hashrate_average == 39.9


def test_boards_without_indexes_or_with_duplicates() -> None:
    """Missing or repeated ASC numbers fall back to the list position; junk items are skipped."""
    reply = {"DEVS": [{"Slot": 2}, {"ASC": 2}, "junk", {}]}
    assert [board.index for board in parse_v2.parse_boards(reply)] == [1, 2, 3]
    assert parse_v2.parse_boards({"Msg": {"edevs": [{"ASC": 0}]}})[0].index == 0
    assert parse_v2.parse_boards({"Msg": [{"ASC": 4}]})[0].index == 4
    assert parse_v2.parse_boards({"STATUS": "E"}) == ()


def test_status_new_and_old_firmware() -> None:
    """Newer firmware says mineroff, older btmineroff; inside Msg or at the top level."""
    new = parse_v2.parse_status(
        {
            "STATUS": "S",
            "Code": 131,
            "Msg": {
                "mineroff": "false",
                "Firmware Version": "20230911.12.Rel",
                "power_mode": "High",
                "hash_percent": "-10",
            },
        }
    )
    assert new is not None
    assert new.mining is True
    assert new.power_mode is PowerMode.HIGH
    assert new.hash_percent == -10
    assert new.firmware_version == "20230911.12.Rel"
    old = parse_v2.parse_status(
        {
            "btmineroff": "true",
            "Firmware Version": "'20210322.22.REL'",
            "power_mode": "?",
        }
    )
    assert old is not None
    assert old.mining is False
    assert old.power_mode is None
    assert parse_v2.parse_status({"STATUS": "S", "Msg": {"power_mode": "Low"}}) is None


def test_status_quoted_firmware_through_the_repair() -> None:
    """The single quotes some firmware puts around the version are gone after the repair."""
    raw = b'{"STATUS":"S","Code":131,"Msg":{"mineroff":"false","FirmwareVersion":"\'20210322.22.REL\'"}}'
    status = parse_v2.parse_status(parse_reply(raw))
    assert status is not None
    assert status.firmware_version == "20210322.22.REL"


def test_pools() -> None:
    """Pools keep URL, worker, state and counters; a last share time of 0 means never."""
    pools = parse_v2.parse_pools(
        {
            "POOLS": [
                {
                    "POOL": 1,
                    "URL": "stratum+tcp://btc.ss.poolin.com:443",
                    "Status": "Alive",
                    "Priority": 0,
                    "Accepted": 10,
                    "Rejected": 1,
                    "User": "microbtinitial",
                    "Last Share Time": 1643183296,
                    "Stratum Active": True,
                    "Pool Rejected%": 9.0909,
                },
                {
                    "URL": "stratum+tcp://b:3333",
                    "Stratum Active": "false",
                    "Last Share Time": 0,
                },
            ]
        }
    )
    first, second = pools
    assert first.index == 1
    assert first.url == "stratum+tcp://btc.ss.poolin.com:443"
    assert first.worker == "microbtinitial"
    assert first.status == "Alive"
    assert first.priority == 0
    assert first.stratum_active is True
    assert (first.accepted, first.rejected, first.rejected_percent) == (10, 1, 9.0909)
    assert first.last_share_time == datetime(2022, 1, 26, 7, 48, 16, tzinfo=UTC)
    assert second.index == 2
    assert second.worker == ""
    assert second.stratum_active is False
    assert second.last_share_time is None
    assert (
        parse_v2.parse_pools({"POOLS": [{"Last Share Time": 1e30}]})[0].last_share_time
        is None
    )


def test_model_from_devdetails() -> None:
    """The full model string is kept (e.g. M30S+VE40)."""
    reply = {
        "DEVDETAILS": [
            {"DEVDETAILS": 0, "Model": ""},
            {"DEVDETAILS": 1, "Model": "M30S+VE40"},
        ]
    }
    assert parse_v2.parse_model(reply) == "M30S+VE40"
    assert parse_v2.parse_model({"STATUS": "E", "Code": 132}) is None


def test_psu_scale() -> None:
    """PSU vin is in hundredths of a volt, iin in milliamperes (the vendor's example)."""
    psu = parse_v2.parse_psu(parse_reply(VENDOR_PSU))
    assert psu is not None
    assert psu.input_voltage == 224.0
    assert psu.input_current == 8.718
    assert psu.model == "P221B"
    assert psu.serial_number == "A1232B0120100049"
    assert psu.hardware_version == "V01.00"
    assert psu.firmware_version == "V01.00.V01.03"
    assert psu.fan_speed == 6976
    assert psu.temperature == 33.5
    assert parse_v2.parse_psu({"STATUS": "E", "Msg": "invalid cmd"}) is None
    unknown = parse_v2.parse_psu(
        {"Msg": {"name": "P222", "vin": "-1", "iin": "", "fan_speed": "-1"}}
    )
    assert unknown is not None
    assert unknown.model == "P222"
    assert (unknown.input_voltage, unknown.input_current, unknown.fan_speed) == (
        None,
        None,
        None,
    )


def test_version_variants() -> None:
    """api_ver is "2.0.5" or "whatsminer v1.4.0"; the firmware date comes from fw_ver."""
    version = parse_v2.parse_version(
        {
            "STATUS": "S",
            "Code": 131,
            "Msg": {
                "api_ver": "whatsminer v1.4.0",
                "fw_ver": "20220125.13.Rel",
                "platform": "H6OS",
                "chip": "K88Z001-2039 BINV01-195001B",
            },
        }
    )
    assert version.api_version == "1.4.0"
    assert version.firmware_version == "20220125.13.Rel"
    assert version.firmware_date == date(2022, 1, 25)
    assert version.platform == "H6OS"
    assert version.chip == "K88Z001-2039 BINV01-195001B"
    assert parse_v2.parse_version({"Msg": "2.0.3"}).api_version == "2.0.3"
    assert (
        parse_v2.parse_version({"Msg": {"api_ver": "whatsminer v"}}).api_version is None
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C6:07:20:00:1E:C2", "C6:07:20:00:1E:C2"),
        ("c6:07:20:00:1e:c2", "C6:07:20:00:1E:C2"),
        ("c6-07-20-00-1e-c2", "C6:07:20:00:1E:C2"),
        ("c607.2000.1ec2", "C6:07:20:00:1E:C2"),
        ("C607200 01EC2", "C6:07:20:00:1E:C2"),
        ("00:00:00:00:00:00", None),
        ("000000000000", None),
        ("FF:FF:FF:FF:FF:FF", None),
        ("", None),
        (None, None),
        ("C6:07:20:00:1E", None),
        ("G6:07:20:00:1E:C2", None),
        (1234, None),
    ],
)
def test_mac_normalisation(raw: object, expected: str | None) -> None:
    """Upper-case colon form; never an all-zero or broadcast MAC."""
    assert values.normalise_mac(raw) == expected


def test_miner_info() -> None:
    """All requested fields; the vendor's colon-separated IP is repaired."""
    info = parse_v2.parse_miner_info(
        {
            "STATUS": "S",
            "Code": 131,
            "Msg": {
                "ip": "192:168:2:16",
                "proto": "dhcp",
                "netmask": "255.255.255.0",
                "dns": "114.114.114.114",
                "mac": "c6:07:20:00:1e:c2",
                "ledstat": "auto",
                "gateway": "192.168.2.1",
                "hostname": "WhatsMiner",
                "minersn": "HTM3X81J26018159",
                "powersn": "3181A226018159",
            },
        }
    )
    assert info.ip == "192.168.2.16"
    assert info.mac == "C6:07:20:00:1E:C2"
    assert info.hostname == "WhatsMiner"
    assert (info.proto, info.netmask, info.gateway, info.dns) == (
        "dhcp",
        "255.255.255.0",
        "192.168.2.1",
        "114.114.114.114",
    )
    assert info.led_status == "auto"
    assert (info.miner_serial, info.power_serial) == (
        "HTM3X81J26018159",
        "3181A226018159",
    )
    empty = parse_v2.parse_miner_info(
        {"Msg": {"mac": "00:00:00:00:00:00", "ip": "10.0.0.5"}}
    )
    assert empty.mac is None
    assert empty.ip == "10.0.0.5"
    assert empty.hostname is None


def test_settings_from_miner_info() -> None:
    """Some firmware reports upfreq_speed in get_miner_info; nothing else is read back on v2."""
    assert parse_v2.parse_settings({"Msg": {"upfreq_speed": "3"}}).upfreq_speed == 3
    assert parse_v2.parse_settings({"Msg": {}}).upfreq_speed is None


def test_error_codes_every_shape() -> None:
    """Newer list of objects, API 2.0.4's pairs (after repair), one object, plain codes, []."""
    newer = parse_v2.parse_errors(
        {"Msg": {"error_code": [{"218": "2024-06-15 10:30:00"}, {"2010": "bad time"}]}}
    )
    assert [(error.code, error.reported_at) for error in newer] == [
        (218, datetime(2024, 6, 15, 10, 30)),  # noqa: DTZ001  # the miner's local time
        (2010, None),
    ]
    old = parse_v2.parse_errors(
        parse_reply(
            b'{"STATUS":"S","Code":131,"Msg":{"error_code":["329":"2022-01-17 11:28:11"]}}'
        )
    )
    assert [error.code for error in old] == [329]
    assert [
        e.code for e in parse_v2.parse_errors({"Msg": {"error_code": {"111": ""}}})
    ] == [111]
    assert [
        e.code
        for e in parse_v2.parse_errors({"Msg": {"error_code": [530, "531", "x"]}})
    ] == [
        530,
        531,
    ]
    assert parse_v2.parse_errors({"Msg": {"error_code": []}}) == ()
    assert parse_v2.parse_errors({"Msg": "no errors"}) == ()


def test_reply_status_of_both_envelopes() -> None:
    """btminer-native and cgminer-forwarded envelopes; failure by letter or by code."""
    assert parse_v2.reply_status({"STATUS": "E", "Code": 14, "Msg": "invalid cmd"}) == (
        "E",
        14,
        "invalid cmd",
    )
    cgminer = {"STATUS": [{"STATUS": "S", "Code": 11, "Msg": "Summary"}], "SUMMARY": []}
    assert parse_v2.reply_status(cgminer) == ("S", 11, "Summary")
    assert parse_v2.is_error({"STATUS": [{"STATUS": "E", "Code": 14}]})
    assert parse_v2.is_error({"Code": 132, "Msg": "This command is deprecated."})
    assert not parse_v2.is_error({"STATUS": "S", "Code": 131})
    # The letter decides: a cgminer success code may equal a btminer error code.
    assert not parse_v2.is_error({"STATUS": [{"STATUS": "S", "Code": 45}]})
    assert not parse_v2.is_error({"btmineroff": "false"})
    assert parse_v2.message_text({"a": 1}) == "{'a': 1}"
    assert parse_v2.message_text(None) == ""


def test_split_joined_both_shapes() -> None:
    """Per-command replies, or one merged cgminer reply; anything else is no join."""
    per_command = {"summary": [VENDOR_SUMMARY], "edevs": [VENDOR_EDEVS]}
    assert parse_v2.split_joined(per_command, ("summary", "edevs")) == {
        "summary": VENDOR_SUMMARY,
        "edevs": VENDOR_EDEVS,
    }
    merged = {
        "STATUS": [{"STATUS": "S", "Code": 7}, {"STATUS": "S", "Code": 69}],
        "POOLS": [{"POOL": 1}],
        "DEVDETAILS": [{"Model": "M50VH50"}],
        "id": 1,
    }
    parts = parse_v2.split_joined(merged, ("pools", "devdetails"))
    assert parts == {
        "pools": {"STATUS": [{"STATUS": "S", "Code": 7}], "POOLS": [{"POOL": 1}]},
        "devdetails": {
            "STATUS": [{"STATUS": "S", "Code": 69}],
            "DEVDETAILS": [{"Model": "M50VH50"}],
        },
    }
    refused = {"STATUS": "E", "Code": 14, "Msg": "invalid cmd"}
    assert parse_v2.split_joined(refused, ("summary", "edevs")) is None
    assert (
        parse_v2.split_joined(
            {"STATUS": [{"STATUS": "S"}], "SUMMARY": []}, ("summary", "x")
        )
        is None
    )


def test_pre_power_on_states() -> None:
    """complete=true wins; otherwise the message names the state."""
    assert parse_v2.parse_pre_power_on(
        {"complete": "true", "msg": "adjust complete"}
    ) is (PrePowerOnState.COMPLETE)
    assert parse_v2.parse_pre_power_on(
        {"complete": "false", "msg": "wait for adjust temp"}
    ) is (PrePowerOnState.WAITING)
    assert parse_v2.parse_pre_power_on(
        {"complete": "false", "msg": "Adjust Continue "}
    ) is (PrePowerOnState.CONTINUING)
    with pytest.raises(WhatsminerInvalidReplyError, match="unknown state"):
        parse_v2.parse_pre_power_on({"complete": "false", "msg": "warming"})


def test_log_file_length() -> None:
    """The log size is text in the reply; a missing one is an invalid reply."""
    assert parse_v2.log_file_length({"logfilelen": "1024"}) == 1024
    with pytest.raises(WhatsminerInvalidReplyError):
        parse_v2.log_file_length({"logfilelen": "-1"})
    with pytest.raises(WhatsminerInvalidReplyError):
        parse_v2.log_file_length("ready")
