"""The value coercion both Whatsminer parsers share, and the rules it settles."""

from datetime import UTC, datetime

import pytest

from custom_components.hashwatt.clients.whatsminer import parse_v2, parse_v3, values
from custom_components.hashwatt.clients.whatsminer.models import HeatMode, PowerMode

# What the miners' "YYYY-MM-DD HH:MM:SS" local time reads as: no zone is known.
LOCAL = datetime(2025, 3, 12, 14, 52, 35)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("value", "number", "whole", "text", "flag"),
    [
        (True, None, None, None, True),
        (False, None, None, None, False),
        (1, 1.0, 1, "1", True),
        (0.0, 0.0, 0, "0.0", False),
        (2, 2.0, 2, "2", None),
        (-1, -1.0, -1, "-1", None),  # v3 used to read -1 ("unknown") as True
        (" 12.5 ", 12.5, 12, "12.5", None),  # v2 used to reject it as a whole number
        ("4530.7", 4530.7, 4531, "4530.7", None),
        (2648.0, 2648.0, 2648, "2648.0", None),
        ("7", 7.0, 7, "7", None),
        ("1", 1.0, 1, "1", True),
        ("nan", None, None, "nan", None),
        ("1e400", None, None, "1e400", None),
        (float("inf"), None, None, "inf", None),
        (10**400, None, 10**400, str(10**400), None),
        ("enable", None, None, "enable", True),
        ("Disabled", None, None, "Disabled", False),
        (" ON ", None, None, "ON", True),
        ("off", None, None, "off", False),
        ("Y", None, None, "Y", True),
        ("no", None, None, "no", False),
        ("maybe", None, None, "maybe", None),
        ("", None, None, None, None),
        ("   ", None, None, None, None),
        (None, None, None, None, None),
        ([1], None, None, None, None),
        ({"a": 1}, None, None, None, None),
    ],
)
def test_coercion(
    value: object,
    number: float | None,
    whole: int | None,
    text: str | None,
    flag: bool | None,
) -> None:
    """Numbers and text in every form miners use; anything else is None."""
    assert values.as_number(value) == number
    assert values.as_whole(value) == whole
    assert values.as_text(value) == text
    assert values.as_flag(value) is flag


@pytest.mark.parametrize(
    ("value", "measure", "count"),
    [
        (-1, None, None),
        ("-1", None, None),
        (-0.4, None, None),
        (0, 0.0, 0),
        ("0.4", 0.4, 0),
        (4530.7, 4530.7, 4531),
        ("2648.0", 2648.0, 2648),
        (10**400, None, 10**400),
        (True, None, None),
        ("n/a", None, None),
    ],
)
def test_measure_and_count(
    value: object, measure: float | None, count: int | None
) -> None:
    """Readings and counts are never negative: -1 is the firmware's unknown."""
    assert values.as_measure(value) == measure
    assert values.as_count(value) == count


def test_mapping_and_records() -> None:
    """Objects pass through; lists (and tuples) keep only their objects."""
    record = {"a": 1}
    assert values.as_mapping(record) is record
    assert values.as_mapping([record]) == {}
    assert values.as_mapping(None) == {}
    assert values.as_records([record, 1, "x", None]) == [record]
    assert values.as_records((record,)) == [record]
    assert values.as_records("abc") == []
    assert values.as_records(b"abc") == []
    assert values.as_records(record) == []
    assert values.as_records(None) == []


def test_modes() -> None:
    """Either letter case; unknown words and non-text are None."""
    assert values.as_power_mode("Normal") is PowerMode.NORMAL
    assert values.as_power_mode(" HIGH ") is PowerMode.HIGH
    assert values.as_power_mode("turbo") is None
    assert values.as_power_mode(None) is None
    assert values.as_heat_mode("Anti-Freezing") is HeatMode.ANTI_FREEZING
    assert values.as_heat_mode("") is None  # air-cooled: no heat mode
    assert values.as_heat_mode(3) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M63S_VK30", "M63SVK30"),
        ("M30S++_VH70", "M30S++VH70"),
        ("M30S+VE40", "M30S+VE40"),
        (" M60S_VK40 ", "M60SVK40"),
        ("_", None),
        ("", None),
        (None, None),
    ],
)
def test_model_names_take_the_v2_spelling(raw: object, expected: str | None) -> None:
    """API v3's underscore goes, so a miner's model reads the same on both APIs."""
    assert values.as_model(raw) == expected


def test_local_time() -> None:
    """The miner's local time has no zone: a naive datetime, else None."""
    assert values.parse_local_time("2025-03-12 14:52:35") == LOCAL
    assert values.parse_local_time(" 2025-03-12 14:52:35 ") == LOCAL
    assert values.parse_local_time("2025-13-12 14:52:35") is None
    assert values.parse_local_time("yesterday") is None
    assert values.parse_local_time(None) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1773869570, datetime(2026, 3, 18, 21, 32, 50, tzinfo=UTC)),
        ("1773869570", datetime(2026, 3, 18, 21, 32, 50, tzinfo=UTC)),
        ("2025-03-12 14:52:35", LOCAL),
        (0, None),  # never
        (-5, None),
        (1e20, None),  # beyond what datetime holds
        ("soon", None),
        (None, None),
    ],
)
def test_share_time(raw: object, expected: datetime | None) -> None:
    """Unix seconds or the firmware's local-time text, on either API."""
    assert values.as_share_time(raw) == expected


def test_mac() -> None:
    """Upper-case colon form; never all zeros or broadcast."""
    assert values.normalise_mac("c6-07-20-00-1e-c2") == "C6:07:20:00:1E:C2"
    assert values.normalise_mac("ff:ff:ff:ff:ff:ff") is None
    assert values.normalise_mac("00:00:00:00:00:00") is None
    assert values.normalise_mac(None) is None


# The two readings from the demo that gave nonsense: a stopped miner's
# "Power Rate" of 0.0, and a warming one's 1366 W at 0.000159 TH/s.
WARMING_POWER = 1366.0
WARMING_HASHRATE = 0.000159
WARMING_REPORTED = 8_447_381.78


@pytest.mark.parametrize(
    ("reported", "power", "hashrate", "factory", "expected"),
    [
        (0.0, 14.0, 0.0, 100.0, None),  # stopped: no J/TH, not 0
        (0.0, 14.0, None, None, None),
        (WARMING_REPORTED, WARMING_POWER, WARMING_HASHRATE, 390.0, None),
        (None, WARMING_POWER, WARMING_HASHRATE, 390.0, None),
        (WARMING_REPORTED, WARMING_POWER, WARMING_HASHRATE, None, None),
        (None, 1000.0, 38.9, 390.0, None),  # below 10 % of the factory rate
        (None, 1000.0, 39.0, 390.0, pytest.approx(1000 / 39)),
        (None, 30.0, 0.99, None, None),  # below 1 TH/s, factory rate unknown
        (None, 30.0, 1.0, None, 30.0),
        (None, 30.0, 1.0, 0.0, 30.0),
        (42.31, 3593.0, 84.94136602, 84.773, 42.31),  # the miner's own figure
        (31.886, 3268.0, 102.5, 101.366, 31.886),
        (0.0, 3000.0, 100.0, None, 30.0),  # a 0 report is not believed
        (WARMING_REPORTED, 3000.0, 100.0, 100.0, 30.0),  # nor a stale one
        (14.9, 3000.0, 100.0, 100.0, 30.0),  # off by more than a factor 2
        (15.0, 3000.0, 100.0, 100.0, 15.0),
        (60.0, 3000.0, 100.0, 100.0, 60.0),
        (None, None, 100.0, 100.0, None),
        (None, 0.0, 100.0, 100.0, None),
        (None, -1.0, 100.0, 100.0, None),
        (None, 3000.0, -1.0, 100.0, None),
    ],
)
def test_mining_efficiency(
    reported: float | None,
    power: float | None,
    hashrate: float | None,
    factory: float | None,
    expected: object,
) -> None:
    """J/TH only while the miner hashes at a real rate."""
    assert values.mining_efficiency(reported, power, hashrate, factory) == expected


def test_v2_summary_has_no_efficiency_while_stopped_or_warming() -> None:
    """The demo's v2 replies: "Power Rate" 0.0 when off, millions while warming."""
    stopped = parse_v2.parse_summary(
        {"SUMMARY": [{"HS RT": 0, "MHS av": 0, "Power": 14, "Power Rate": 0.0}]}
    )
    assert stopped.power == 14
    assert stopped.efficiency is None
    warming = parse_v2.parse_summary(
        {
            "SUMMARY": [
                {
                    "HS RT": WARMING_HASHRATE * 1_000_000,  # MH/s
                    "Power": WARMING_POWER,
                    "Power Rate": WARMING_REPORTED,
                    "Factory GHS": 84773,
                }
            ]
        }
    )
    assert warming.hashrate_realtime == pytest.approx(WARMING_HASHRATE)
    assert warming.efficiency is None
    # The average since start says nothing about a miner that hashes 0 now.
    paused = parse_v2.parse_summary(
        {"SUMMARY": [{"HS RT": 0, "MHS av": 80_000_000, "Power": 200}]}
    )
    assert paused.efficiency is None
    no_realtime = parse_v2.parse_summary(
        {"SUMMARY": [{"MHS av": 100_000_000, "Power": 3000}]}
    )
    assert no_realtime.efficiency == pytest.approx(30.0)


def test_v3_summary_has_no_efficiency_while_stopped_or_warming() -> None:
    """The same readings through API v3."""
    stopped = {"summary": {"hash-realtime": 0, "power-realtime": 14, "power-rate": 0.0}}
    assert parse_v3.parse_fast(stopped, {}, None).summary.efficiency is None
    warming = {
        "summary": {
            "hash-realtime": WARMING_HASHRATE,
            "power-realtime": WARMING_POWER,
            "power-rate": WARMING_REPORTED,
            "factory-hash": 390.0,
        }
    }
    summary = parse_v3.parse_fast(warming, {}, None).summary
    assert summary.power == WARMING_POWER
    assert summary.efficiency is None


def test_parsers_agree_where_they_used_to_differ() -> None:
    """Fractional counts round on v2 (it rejected them); -1 flags are unknown on v3."""
    summary = parse_v2.parse_summary(
        {"SUMMARY": [{"Fan Speed In": "4530.7", "Elapsed": 2648.0}]}
    )
    assert (summary.fan_speed_in, summary.mining_elapsed) == (4531, 2648)
    assert parse_v3.fast_boot_of({"miner": {"fast-boot": -1}}) is None
    assert parse_v3.fast_boot_of({"miner": {"fast-boot": 1}}) is True
    pools = parse_v2.parse_pools(
        {
            "POOLS": [
                {
                    "URL": "stratum+tcp://a:3333",
                    "Last Share Time": "2025-03-12 14:52:35",
                }
            ]
        }
    )
    assert pools[0].last_share_time == LOCAL


def test_v3_model_takes_the_v2_spelling() -> None:
    """``get.device.info`` says "M63S_VK30"; the identity says "M63SVK30"."""
    identity = parse_v3.parse_identity({"miner": {"type": "M63S_VK30"}})
    assert identity.model == "M63SVK30"
