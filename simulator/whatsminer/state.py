"""What a simulated miner is and how it is set up, as one mutable dataclass.

Times are Unix seconds read from the miner's injectable clock. Nothing runs in the
background: every figure is computed when a request arrives (see ``physics``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .hardware import MinerModel


@dataclass(slots=True)
class PoolSetting:
    """One configured pool slot."""

    url: str
    worker: str
    password: str = ""


@dataclass(frozen=True, slots=True)
class LedPattern:
    """A manual LED blink pattern (milliseconds)."""

    color: str  # "red" or "green"
    period: int
    duration: int
    start: int


@dataclass(slots=True)
class NetworkSetting:
    """The network configuration the miner reports; ``ip`` None means "where it listens"."""

    proto: str = "dhcp"
    ip: str | None = None
    netmask: str = "255.255.255.0"
    gateway: str = "192.168.1.1"
    dns: str = "192.168.1.1"


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """An error code the miner reports, with the Unix time it appeared."""

    code: int
    at: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LogServer:
    """A remote syslog target set by load_log / set.log.upload."""

    ip: str
    port: str
    proto: str


@dataclass(slots=True)
class MinerState:
    """Everything a simulated miner remembers; tests read and set it freely."""

    model: MinerModel
    api: str  # "v2" (old firmware) or "v3" (new firmware: 4433 + compat layer on 4028)
    mac: str
    password: str  # v2 admin password (also the compatibility layer's)
    salt: str  # v2 salt belonging to the admin password
    accounts: dict[str, str]  # v3 account -> password
    v3_salt: str
    write_enabled: bool
    firmware_version: str
    api_version: str
    miner_sn: str
    psu_sn: str
    board_sns: tuple[str, ...]
    power_limit: int
    pools: list[PoolSetting]
    boot_time: float  # the control board finished booting at this time
    mining_since: float  # btminer (re)started hashing at this time
    mining: bool = True
    power_mode: str = "Normal"  # Low / Normal / High, as v2 prints it
    power_percent: int = 100
    power_percent_mode: str = "fast"
    target_freq: int = 0  # percent, -100..100
    led: str | tuple[LedPattern, ...] = "auto"
    hostname: str = "WhatsMiner"
    fast_boot: bool = False
    web_pools: bool = True
    temp_offset: int = 0
    upfreq_speed: int = 0
    poweroff_cool: bool = True
    fan_zero_speed: bool = False
    heat_mode: str = "normal"
    autostart: bool = True  # the mining service starts on boot (v3 set.miner.service)
    ts_window: float | None = (
        None  # v3: reject writes whose ts is further off (None: no check)
    )
    errors: list[ErrorEntry] = field(default_factory=list)
    network: NetworkSetting = field(default_factory=NetworkSetting)
    timezone: str = "CST-8"
    zonename: str = "Asia/Shanghai"
    log_server: LogServer | None = None
    ntp_servers: tuple[str, ...] = ("0.pool.ntp.org", "1.pool.ntp.org")
    permissions: dict[str, frozenset[str]] = field(default_factory=dict)  # v3 user1..3
    power_target: int = 0  # v3 set.miner.power, W, applied while mining (0: none)
    mining_restarts: int = 0  # btminer restarts a setting caused (tests count them)
    firmware_uploads: list[int] = field(default_factory=list)  # sizes received
    down_until: float = 0.0  # unreachable (rebooting) before this time
    heat: float = 0.0  # thermal load 0..~1 at heat_time
    heat_time: float = 0.0
    percent_from: float = 100.0  # power percent ramp (set_power_pct_v2 is slow)
    percent_since: float = 0.0
    percent_ramp: float = 1.0
    preheat_since: float | None = None
    preheated: bool = False
    extra: dict[str, Any] = field(
        default_factory=dict
    )  # anything a test wants to stash

    @property
    def air_cooled(self) -> bool:
        """Tell whether the miner has fans (hydro miners have none)."""
        return not self.model.hydro
