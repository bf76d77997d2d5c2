"""Typed, API-version-independent models of what a Whatsminer reports.

Units are normalised here once: hashrate TH/s, power W, temperature °C, fan RPM,
efficiency J/TH, durations in seconds, PSU voltage V, current A and power W. A value the
miner does not report, or reports as unknown (e.g. ``Power: -1``), is ``None``.
Every model keeps the raw reply it came from for diagnostics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

type RawReply = Mapping[str, Any]


class ApiVersion(StrEnum):
    """The miner API a Whatsminer is driven through."""

    V2 = "v2"  # TCP 4028, token + AES writes
    V3 = "v3"  # TCP 4433, firmware from 2024-11 on


class PowerMode(StrEnum):
    """The miner's power mode."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class PowerPercentMode(StrEnum):
    """How a power percentage is applied (v2: set_power_pct vs set_power_pct_v2)."""

    FAST = "fast"
    NORMAL = "normal"


class LedColor(StrEnum):
    """Colours the miner's LED can be set to."""

    RED = "red"
    GREEN = "green"


class HeatMode(StrEnum):
    """What a liquid-cooled miner does with its heat (API v3 only)."""

    HEATING = "heating"
    NORMAL = "normal"
    ANTI_FREEZING = "anti-freezing"


class PrePowerOnState(StrEnum):
    """Progress of a pre power on (preheating) request."""

    WAITING = "wait for adjust temp"
    CONTINUING = "adjust continue"
    COMPLETE = "adjust complete"


@dataclass(frozen=True, slots=True)
class Summary:
    """The miner-wide figures of the fast poll."""

    hashrate_realtime: float | None
    hashrate_average: float | None
    hashrate_factory: float | None
    power: float | None
    power_limit: float | None
    efficiency: float | None
    power_mode: PowerMode | None
    environment_temperature: float | None
    chip_temperature_min: float | None
    chip_temperature_max: float | None
    chip_temperature_avg: float | None
    fan_speed_in: int | None
    fan_speed_out: int | None
    mining_elapsed: int | None
    system_uptime: int | None
    accepted_shares: int | None
    rejected_shares: int | None
    pool_rejected_percent: float | None
    frequency_avg: float | None
    fast_boot: bool | None
    # Coolant temperature of a liquid-cooled (hydro) miner, °C.
    liquid_temperature: float | None = None
    raw: RawReply = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Pool:
    """One configured pool (index 1–3)."""

    index: int
    url: str
    worker: str
    status: str
    priority: int | None
    stratum_active: bool
    accepted: int | None
    rejected: int | None
    rejected_percent: float | None
    last_share_time: datetime | None
    raw: RawReply = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Board:
    """One hashboard; ``index`` counts from 0 as the miner does.

    ``hashrate_realtime`` is the freshest figure the board reports: firmware
    that reports only an average (API 3.0.5 edevs) gives that.
    """

    index: int
    status: str | None
    temperature: float | None
    chip_temperature_min: float | None
    chip_temperature_max: float | None
    chip_temperature_avg: float | None
    hashrate_realtime: float | None
    hashrate_average: float | None
    hashrate_factory: float | None
    chip_frequency: float | None
    effective_chips: int | None
    serial_number: str | None
    raw: RawReply = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Psu:
    """The power supply."""

    model: str | None
    serial_number: str | None
    hardware_version: str | None
    firmware_version: str | None
    fan_speed: int | None
    temperature: float | None
    input_voltage: float | None
    input_current: float | None
    input_power: float | None = None
    raw: RawReply = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Version:
    """API and firmware versions (and the model, where the version reply names it)."""

    api_version: str | None
    firmware_version: str | None
    platform: str | None
    chip: str | None
    model: str | None = None
    raw: RawReply = field(default_factory=dict, repr=False, compare=False)

    @property
    def firmware_date(self) -> date | None:
        """Return the build date that firmware versions start with (YYYYMMDD)."""
        text = (self.firmware_version or "")[:8]
        if len(text) != 8 or not text.isdigit():
            return None
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class MinerStatus:
    """Whether the mining service runs, and the settings ``status`` reports."""

    mining: bool
    firmware_version: str | None
    power_mode: PowerMode | None
    hash_percent: int | None
    power_limit: float | None = None
    # Coolant temperature (°C): the compatibility layer reports it here.
    liquid_temperature: float | None = None
    raw: RawReply = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class MinerInfo:
    """Network identity and serial numbers.

    ``mac`` is upper-case ``AA:BB:CC:DD:EE:FF``, or ``None`` when missing or all
    zeros: such a MAC must never become a device identity.
    """

    mac: str | None
    hostname: str | None
    ip: str | None
    proto: str | None
    netmask: str | None
    gateway: str | None
    dns: str | None
    led_status: str | None
    miner_serial: str | None
    power_serial: str | None
    # A manual blink pattern, when the LED is not under automatic control.
    led_pattern: tuple[LedBlink, ...] = ()
    raw: RawReply = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class LedBlink:
    """One step of a manual LED pattern, as ``ledstatus`` reports it (``1,200,100,0``).

    ``led`` is the firmware's number for the LED (or its colour); times in ms.
    """

    led: int
    period_ms: int
    duration_ms: int
    start_ms: int


@dataclass(frozen=True, slots=True)
class MinerError:
    """One error code the miner reports, with the local time it appeared."""

    code: int
    reported_at: datetime | None


@dataclass(frozen=True, slots=True)
class MinerIdentity:
    """Who a miner is: enough to create a config entry or list a scan result."""

    mac: str | None
    hostname: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    api: ApiVersion


@dataclass(frozen=True, slots=True)
class FastData:
    """Everything the fast poll reads: figures that change by the second."""

    summary: Summary
    boards: tuple[Board, ...]
    mining: bool
    # Cooled by liquid (hydro or immersion): its fans are absent or read 0.
    liquid_cooled: bool = False


@dataclass(frozen=True, slots=True)
class MinerSettings:
    """Settings the miner reports back; ``None`` where its API does not report one.

    Controls are built only for settings that can be read back, so Home Assistant
    always shows the miner's state rather than a guess.
    """

    power_percent: int | None = None
    target_frequency: int | None = None
    temperature_offset: int | None = None
    upfreq_speed: int | None = None
    fan_zero_speed: bool | None = None
    poweroff_cool: bool | None = None
    heat_mode: HeatMode | None = None  # liquid-cooled miners on API v3
    raw: RawReply = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SlowData:
    """Everything the slow poll reads: identity, firmware, PSU, errors, pools."""

    identity: MinerIdentity
    version: Version
    info: MinerInfo
    psu: Psu | None
    errors: tuple[MinerError, ...]
    pools: tuple[Pool, ...]
    settings: MinerSettings = field(default_factory=MinerSettings)


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """One pool to configure with ``update_pools``."""

    url: str
    worker: str
    password: str = ""


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """A static network configuration; ``None`` (in the API call) means DHCP."""

    ip: str
    netmask: str
    gateway: str
    dns: tuple[str, ...]
    hostname: str


@dataclass(frozen=True, slots=True)
class LogServer:
    """A remote syslog server for ``set_log_server``."""

    ip: str
    port: int
    protocol: str  # "tcp" or "udp"
