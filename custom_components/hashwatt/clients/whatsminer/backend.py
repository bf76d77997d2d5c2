"""The interface each API version's client implements behind the facade.

Arguments arrive already validated by the facade (:mod:`.client`): a backend only
encodes, sends, and decodes.
"""

from __future__ import annotations

from typing import Protocol

from . import models
from .exchanges import Exchange


class WhatsminerBackend(Protocol):
    """One API version's client for one miner."""

    api: models.ApiVersion

    async def identify(self) -> models.MinerIdentity:
        """Read who the miner is, without authentication."""

    async def read_mac(self) -> str | None:
        """Read the miner's MAC alone, in one request, without authentication."""

    async def fetch_fast(self) -> models.FastData:
        """Read the fast-changing figures in as few connections as the API allows."""

    async def fetch_slow(self) -> models.SlowData:
        """Read identity, firmware, PSU, error codes and pools."""

    async def verify_password(self) -> None:
        """Check the password with the least intrusive authenticated request."""

    def set_password(self, password: str | None) -> None:
        """Use another password from now on (drops cached tokens)."""

    async def close(self) -> None:
        """Close any connection kept open."""

    def exchanges(self) -> tuple[Exchange, ...]:
        """Return the last raw reply to each read request sent."""

    async def power_on(self) -> None:
        """Start mining."""

    async def power_off(self) -> None:
        """Stop mining and power the hashboards down."""

    async def restart_mining(self) -> None:
        """Restart the mining service (btminer), not the control board."""

    async def reboot(self) -> None:
        """Reboot the control board."""

    async def factory_reset(self) -> None:
        """Restore factory settings."""

    async def set_power_mode(self, mode: models.PowerMode) -> None:
        """Switch to low, normal or high power."""

    async def set_power_limit(self, watts: int) -> None:
        """Set the power ceiling in watts."""

    async def set_power_percent(
        self, percent: int, mode: models.PowerPercentMode
    ) -> None:
        """Scale power to a percentage of the stable mining power."""

    async def set_target_frequency(self, percent: int) -> None:
        """Adjust the target frequency by a percentage (-100..100)."""

    async def set_led_auto(self) -> None:
        """Give the LED back to the miner's automatic control."""

    async def set_led(
        self, color: models.LedColor, period_ms: int, duration_ms: int, start_ms: int
    ) -> None:
        """Blink the LED in a manual pattern."""

    async def update_pools(self, pools: tuple[models.PoolConfig, ...]) -> None:
        """Replace the pool configuration (1–3 pools) and switch immediately."""

    async def set_fast_boot(self, enabled: bool) -> None:  # noqa: FBT001
        """Enable or disable btminer fast boot (takes effect on the next restart)."""

    async def set_web_pools(self, enabled: bool) -> None:  # noqa: FBT001
        """Allow or forbid pool configuration from the miner's web page."""

    async def set_hostname(self, hostname: str) -> None:
        """Set the hostname (takes effect when the network restarts)."""

    async def set_timezone(self, timezone: str, zone_name: str) -> None:
        """Set the time zone, e.g. ``CST-8`` / ``Asia/Shanghai``."""

    async def set_temperature_offset(self, offset: int) -> None:
        """Offset the hashboard target temperature (-30..0 °C)."""

    async def set_upfreq_speed(self, speed: int) -> None:
        """Set the up-frequency speed (0 normal .. 9 fastest)."""

    async def set_poweroff_cool(self, enabled: bool) -> None:  # noqa: FBT001
        """Choose whether the fans keep cooling after mining stops."""

    async def set_fan_zero_speed(self, enabled: bool) -> None:  # noqa: FBT001
        """Choose whether fans may stop completely."""

    async def set_heat_mode(self, mode: models.HeatMode) -> None:
        """Set what a liquid-cooled miner does with its heat (API v3 only)."""

    async def pre_power_on(self) -> models.PrePowerOnState:
        """Preheat a stopped miner, or report how far preheating has come."""

    async def change_password(self, new_password: str) -> None:
        """Change the admin password (the backend then uses the new one)."""

    async def set_network(self, config: models.NetworkConfig | None) -> None:
        """Set a static network configuration, or DHCP when ``None``."""

    async def set_log_server(self, server: models.LogServer) -> None:
        """Send the miner's logs to a remote syslog server."""

    async def download_logs(self) -> bytes:
        """Download the miner's log archive."""

    async def update_firmware(self, firmware: bytes) -> None:
        """Upload and install a firmware image."""
