"""Coerce the values Whatsminer firmware sends into typed Python values.

Both APIs send numbers as numbers or as text, use ``-1`` or ``""`` for
"unknown", and spell booleans several ways. The v2 and v3 parsers read every
field through these functions, so one reply shape means the same thing on
either API. Every function returns ``None`` for a value it cannot read; none
raises.

Rules decided once for both APIs:

- Whole numbers (:func:`as_count`, :func:`as_whole`) round a fractional value
  instead of rejecting it. Firmware writes counters as floats (``2648.0``
  seconds) and some report averaged fan speeds (``4530.7`` RPM); rounding
  keeps a good reading that rejecting would turn into "unknown".
- Flags (:func:`as_flag`) accept JSON booleans, 0 and 1 and the usual words;
  any other number is ``None``, not ``True``: ``-1`` is the firmware's
  "unknown" and a ``2`` in a 0/1 field is nothing we can read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from .models import HeatMode, LedBlink, PowerMode, Summary

LOCAL_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
FIRST_PLAUSIBLE_YEAR: Final = 2015
# Below this share of the factory hashrate a miner is starting, stopping or
# idle: power over hashrate then gives millions of J/TH, not an efficiency.
MIN_HASHING_FRACTION: Final = 0.1
# The same floor when the factory hashrate is unknown; every SHA-256 miner
# Whatsminer has made hashes well above it.
MIN_HASHING_RATE: Final = 1.0  # TH/s
# The miner's own J/TH is trusted when it agrees with power / hashrate within
# this factor (it may average over a different window); otherwise it is stale.
_EFFICIENCY_TOLERANCE: Final = 2.0

_TRUE_WORDS: Final = frozenset({"true", "yes", "y", "1", "enable", "enabled", "on"})
_FALSE_WORDS: Final = frozenset({"false", "no", "n", "0", "disable", "disabled", "off"})
_HEX_MAC: Final = re.compile(r"[0-9A-Fa-f]{12}")
_MAC_SEPARATORS: Final = re.compile(r"[:\-.\s]")


def as_number(value: object) -> float | None:
    """Return a finite float from a number or numeric text."""
    if type(value) is float:  # most values: decoded JSON numbers
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError, OverflowError:
        return None
    return number if math.isfinite(number) else None


def as_measure(value: object) -> float | None:
    """Return a reading that cannot be negative; the firmware writes -1 for unknown."""
    number = as_number(value)
    return number if number is not None and number >= 0 else None


def as_whole(value: object) -> int | None:
    """Return a whole number that may be negative (offsets, percent adjustments)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = as_number(value)
    return None if number is None else round(number)


def as_count(value: object) -> int | None:
    """Return a non-negative whole number (RPM, seconds, shares, chips, indexes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    number = as_measure(value)  # before rounding: -0.4 is unknown, not 0
    return None if number is None else round(number)


def as_text(value: object) -> str | None:
    """Return stripped, non-empty text; numbers become their text."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def as_flag(value: object) -> bool | None:
    """Return a bool from a JSON boolean, 0/1, or words like "enable" and "off"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return True if value == 1 else False if value == 0 else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def as_mapping(value: object) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object, else ``{}``."""
    return value if isinstance(value, Mapping) else {}


def as_records(value: object) -> list[Mapping[str, Any]]:
    """Return the objects of a JSON list (other items dropped), else ``[]``."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _member[E: StrEnum](value: object, kind: type[E]) -> E | None:
    text = as_text(value)
    if text is None:
        return None
    try:
        return kind(text.lower())
    except ValueError:
        return None


def as_power_mode(value: object) -> PowerMode | None:
    """Return the power mode in any letter case (``Normal`` → normal)."""
    return _member(value, PowerMode)


def as_heat_mode(value: object) -> HeatMode | None:
    """Return the heat mode; air-cooled miners report ``""``: they have none."""
    return _member(value, HeatMode)


def as_model(value: object) -> str | None:
    """Return a model name as API v2 spells it.

    API v3 writes ``M63S_VK30`` where v2's ``devdetails`` writes ``M63SVK30``;
    one spelling keeps a miner's model stable when its firmware changes API.
    """
    text = as_text(value)
    return None if text is None else text.replace("_", "") or None


def parse_local_time(value: object) -> datetime | None:
    """Parse ``2025-03-12 14:52:35``: the miner's own local time, zone unknown.

    A miner that lost its clock stamps 1970 (captured on a 2026 fleet): no
    Whatsminer existed before :data:`FIRST_PLAUSIBLE_YEAR`, so such a time is
    unknown, not 56 years ago.
    """
    text = as_text(value)
    if text is None:
        return None
    try:
        moment = datetime.strptime(text, LOCAL_TIME_FORMAT)  # noqa: DTZ007  # the miner does not say its zone
    except ValueError:
        return None
    return moment if moment.year >= FIRST_PLAUSIBLE_YEAR else None


def as_share_time(value: object) -> datetime | None:
    """Return a pool's last share: unix seconds (0: never) or local-time text."""
    seconds = as_number(value)
    if seconds is None:
        return parse_local_time(value)
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except OverflowError, OSError, ValueError:
        return None


def normalise_mac(value: object) -> str | None:
    """Return ``AA:BB:CC:DD:EE:FF``; ``None`` if missing, malformed, all zeros or broadcast."""
    text = as_text(value)
    if text is None:
        return None
    digits = _MAC_SEPARATORS.sub("", text).upper()
    if not _HEX_MAC.fullmatch(digits) or digits.strip("0") == "" or digits == "F" * 12:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def is_hashing(hashrate: float | None, factory_hashrate: float | None) -> bool:
    """Tell whether a hashrate (TH/s) is a real one, not a starting or idle miner's.

    At least :data:`MIN_HASHING_FRACTION` of the factory hashrate, or
    :data:`MIN_HASHING_RATE` when that is unknown.
    """
    if not hashrate or hashrate < 0:
        return False
    floor = (
        factory_hashrate * MIN_HASHING_FRACTION
        if factory_hashrate
        else MIN_HASHING_RATE
    )
    return hashrate >= floor


def mining_efficiency(
    reported: float | None,
    power: float | None,
    hashrate: float | None,
    factory_hashrate: float | None,
) -> float | None:
    """Return J/TH, or ``None`` while the miner is not hashing at a real rate.

    ``reported`` is the miner's own figure, ``power`` in W, hashrates in TH/s.
    A stopped miner reports 0 J/TH and a warming one 1366 W at 0.000159 TH/s;
    neither is an efficiency. Below :data:`MIN_HASHING_FRACTION` of the
    factory hashrate (or :data:`MIN_HASHING_RATE` when that is unknown) there
    is none; above it the miner's figure wins when it agrees with power over
    hashrate, which is used otherwise.
    """
    if (
        not power
        or power < 0
        or hashrate is None
        or not is_hashing(hashrate, factory_hashrate)
    ):
        return None
    computed = power / hashrate
    if (
        reported is not None
        and computed / _EFFICIENCY_TOLERANCE
        <= reported
        <= computed * _EFFICIENCY_TOLERANCE
    ):
        return reported
    return computed


_LED_STEP: Final = re.compile(r"(\d+),(\d+),(\d+),(\d+)")
# Whatsminer model numbers: the second digit tells the cooling. M30/M50/M60 are
# air-cooled, M33/M53/M63 hydro (water blocks), M36/M56/M66 immersion: the last
# two have no fans of their own.
_LIQUID_COOLED_MODEL: Final = re.compile(r"M\d[36]", re.IGNORECASE)


def as_led_pattern(value: object) -> tuple[LedBlink, ...]:
    """Read a blink pattern such as ``"1,200,100,0 0,200,100,0 "``; ``()`` if none.

    API 3.0.5 firmware reports a manual pattern in ``ledstatus`` instead of
    ``"manual"``: space-separated steps of four numbers (LED, period,
    duration, start; ms). Anything else in the text means it is no pattern.
    """
    text = as_text(value)
    if text is None:
        return ()
    steps = []
    for word in text.split():
        match = _LED_STEP.fullmatch(word)
        if match is None:
            return ()
        led, period, duration, start = (int(group) for group in match.groups())
        steps.append(LedBlink(led, period, duration, start))
    return tuple(steps)


def is_liquid_cooled_model(model: str | None) -> bool:
    """Tell from a model name (``M53S``, ``M63S_VK30``) whether liquid cools it."""
    return model is not None and _LIQUID_COOLED_MODEL.match(model) is not None


def fans_still_while_hashing(summary: Summary) -> bool:
    """Tell whether both fans stand while the miner hashes at a real rate.

    An air-cooled miner with no air flow overheats and stops within a minute,
    so this is a liquid-cooled one (hydro, or an air model in an immersion
    tank: a 2022 M30S capture reads 0/0 rpm at 60 TH/s). One fan at 0 is a
    dead fan, not liquid cooling.
    """
    return (
        summary.fan_speed_in == 0
        and summary.fan_speed_out == 0
        and is_hashing(summary.hashrate_realtime, summary.hashrate_factory)
    )
