"""One Whatsminer, whatever API it speaks.

Nothing above this facade knows whether a miner is driven through API v2 or v3:
it detects the API once, remembers it, and detects again only after the miner
stopped answering the way it used to (a firmware upgrade changes the API), or
when its API v2 replies show the compatibility layer of firmware that API v3
should drive (an API remembered from setup is no proof). Every argument is
validated here, before any backend sends anything.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from .backend import WhatsminerBackend
from .detect import detect_api
from .errors import (
    WhatsminerConnectionError,
    WhatsminerUnsupportedError,
    WhatsminerValidationError,
)
from .exchanges import Exchange
from .models import (
    ApiVersion,
    FastData,
    HeatMode,
    LedColor,
    LogServer,
    MinerIdentity,
    NetworkConfig,
    PoolConfig,
    PowerMode,
    PowerPercentMode,
    PrePowerOnState,
    SlowData,
)
from .v2 import DEFAULT_PORT as V2_DEFAULT_PORT, WhatsminerV2
from .v3 import ACCOUNT, ACCOUNTS, WhatsminerV3

DEFAULT_V2_PORT: Final = V2_DEFAULT_PORT  # the port is the v2 backend's to know
DEFAULT_V3_PORT: Final = 4433
DEFAULT_CONNECT_TIMEOUT: Final = 5.0
DEFAULT_REPLY_TIMEOUT: Final = 10.0

# Ranges from the vendor's API document, section 3.
POWER_LIMIT_RANGE: Final = (0, 99999)
POWER_PERCENT_RANGE: Final = (0, 100)
TARGET_FREQUENCY_RANGE: Final = (-100, 100)
TEMPERATURE_OFFSET_RANGE: Final = (-30, 0)
UPFREQ_SPEED_RANGE: Final = (0, 9)
# API v3 documents 0 (normal) to 10 (fastest); v2 stops at 9.
UPFREQ_SPEED_RANGE_V3: Final = (0, 10)
# set.miner.power: the vendor gives no range; the power limit's is the widest sane one.
POWER_RANGE: Final = POWER_LIMIT_RANGE
LED_PERIOD_RANGE: Final = (1, 60000)
MAX_POOLS: Final = 3
MAX_FIRMWARE_BYTES: Final = 512 * 1024 * 1024

_V2_PASSWORD = re.compile(r"[A-Za-z0-9_]{1,8}")
_V3_PASSWORD = re.compile(r"[A-Za-z0-9_]{1,32}")
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_POOL_URL = re.compile(
    r"(stratum\+(tcp|ssl|tls)|stratum2\+tcp)://[^\s:/]+:\d{1,5}(/\S*)?"
)
_FIELD_TEXT = re.compile(r"[^\s\x00-\x1f]{1,255}")


def _check_int(field: str, value: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int):
        raise WhatsminerValidationError(field, "must be a whole number")
    if not low <= value <= high:
        raise WhatsminerValidationError(field, f"must be between {low} and {high}")
    return value


def _check_ipv4(field: str, value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise WhatsminerValidationError(field, "must be an IPv4 address") from None


def _check_pools(pools: Sequence[PoolConfig]) -> tuple[PoolConfig, ...]:
    if not 1 <= len(pools) <= MAX_POOLS:
        raise WhatsminerValidationError("pools", f"give 1 to {MAX_POOLS} pools")
    for number, pool in enumerate(pools, start=1):
        if not _POOL_URL.fullmatch(pool.url):
            raise WhatsminerValidationError(
                f"pool{number}", "must look like stratum+tcp://host:port"
            )
        if not _FIELD_TEXT.fullmatch(pool.worker):
            raise WhatsminerValidationError(
                f"worker{number}", "must be 1 to 255 visible characters"
            )
        if pool.password and not _FIELD_TEXT.fullmatch(pool.password):
            raise WhatsminerValidationError(
                f"passwd{number}", "must be up to 255 visible characters"
            )
    return tuple(pools)


class Whatsminer:
    """A Whatsminer on the network, driven through whichever API it speaks."""

    def __init__(  # noqa: PLR0913
        self,
        host: str,
        *,
        password: str | None = None,
        api: ApiVersion | None = None,
        v2_port: int = DEFAULT_V2_PORT,
        v3_port: int = DEFAULT_V3_PORT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        reply_timeout: float = DEFAULT_REPLY_TIMEOUT,
        account: str = ACCOUNT,
    ) -> None:
        """Describe the miner; nothing is sent until the first call.

        ``account`` is the API v3 account writes are signed with: ``super``, or
        ``user1``..``user3`` with the rights ``super`` granted them. API v2
        knows only its admin account and ignores it.
        """
        if account not in ACCOUNTS:
            raise WhatsminerValidationError(
                "account", f"must be one of {', '.join(ACCOUNTS)}"
            )
        self.account = account
        self.host = host
        self.v2_port = v2_port
        self.v3_port = v3_port
        self._password = password
        self._connect_timeout = connect_timeout
        self._reply_timeout = reply_timeout
        self._backend: WhatsminerBackend | None = None
        self._redetect = False
        # Whether detection ran since the v2 backend found the compatibility layer.
        self._compat_checked = False
        # Exchanges of backends replaced since (for diagnostics).
        self._earlier_exchanges: tuple[Exchange, ...] = ()
        if api is not None:
            self._backend = self._make_backend(api)

    def __repr__(self) -> str:
        """Describe the miner without its password."""
        return f"Whatsminer(host={self.host!r}, api={self.api})"

    @property
    def api(self) -> ApiVersion | None:
        """The API in use, or ``None`` before detection."""
        return self._backend.api if self._backend else None

    def _make_backend(self, api: ApiVersion) -> WhatsminerBackend:
        if api is ApiVersion.V3:
            return WhatsminerV3(
                self.host,
                port=self.v3_port,
                password=self._password,
                connect_timeout=self._connect_timeout,
                reply_timeout=self._reply_timeout,
                account=self.account,
            )
        return WhatsminerV2(
            self.host,
            port=self.v2_port,
            password=self._password,
            connect_timeout=self._connect_timeout,
            reply_timeout=self._reply_timeout,
        )

    async def detect(self) -> ApiVersion:
        """Find out which API the miner speaks and use it from now on."""
        api = await detect_api(
            self.host,
            v2_port=self.v2_port,
            v3_port=self.v3_port,
            connect_timeout=self._connect_timeout,
            reply_timeout=self._reply_timeout,
        )
        if self._backend is None or self._backend.api is not api:
            if self._backend is not None:
                self._earlier_exchanges = self._backend.exchanges()
                await self._backend.close()
            self._backend = self._make_backend(api)
        self._redetect = False
        return api

    async def _ready(self) -> WhatsminerBackend:
        if self._backend is None or self._redetect:
            await self.detect()
        assert self._backend is not None  # noqa: S101  # detect() sets it
        return self._backend

    async def _read[T](self, read: Callable[[WhatsminerBackend], Awaitable[T]]) -> T:
        backend = await self._ready()
        try:
            result = await read(backend)
        except WhatsminerConnectionError:
            # Gone quiet: maybe rebooting, maybe upgraded to another API. When
            # another API answers now, read through it at once: a client made
            # with a remembered API must not fail for good after an upgrade.
            self._redetect = True
            self._compat_checked = False
            try:
                api = await self.detect()
            except WhatsminerConnectionError:
                api = backend.api
            if api is backend.api:
                raise
            return await read(await self._ready())
        if (
            isinstance(backend, WhatsminerV2)
            and backend.compat_layer
            and not self._compat_checked
        ):
            # The replies came from the compatibility layer: this firmware has
            # API v3, which reads more and controls what the layer cannot.
            # Asked once; again only after an outage.
            self._compat_checked = True
            # A failure here: 4028 answered a moment ago; the next poll will tell.
            with contextlib.suppress(WhatsminerConnectionError):
                await self.detect()
        return result

    def exchanges(self) -> tuple[Exchange, ...]:
        """Return the last raw reply to each read request sent, on either API."""
        current = self._backend.exchanges() if self._backend is not None else ()
        keys = {exchange.key for exchange in current}
        earlier = tuple(
            exchange for exchange in self._earlier_exchanges if exchange.key not in keys
        )
        return earlier + current

    async def identify(self) -> MinerIdentity:
        """Read who the miner is (no password needed)."""
        return await self._read(lambda backend: backend.identify())

    async def read_mac(self) -> str | None:
        """Read the MAC alone (one request, no password): who answers at the address."""
        return await self._read(lambda backend: backend.read_mac())

    async def fetch_fast(self) -> FastData:
        """Read hashrate, power, temperatures, fans and mining state."""
        return await self._read(lambda backend: backend.fetch_fast())

    async def fetch_slow(self) -> SlowData:
        """Read identity, firmware, PSU, error codes and pools."""
        return await self._read(lambda backend: backend.fetch_slow())

    async def verify_password(self) -> None:
        """Raise ``WhatsminerAuthError`` unless the password works."""
        await (await self._ready()).verify_password()

    async def close(self) -> None:
        """Close kept-open connections."""
        if self._backend is not None:
            await self._backend.close()

    # Writes. Validation comes first, so a bad argument never reaches the miner.

    async def power_on(self) -> None:
        """Start mining."""
        await (await self._ready()).power_on()

    async def power_off(self) -> None:
        """Stop mining and power the hashboards down."""
        await (await self._ready()).power_off()

    async def restart_mining(self) -> None:
        """Restart the mining service."""
        await (await self._ready()).restart_mining()

    async def reboot(self) -> None:
        """Reboot the control board."""
        await (await self._ready()).reboot()

    async def factory_reset(self) -> None:
        """Restore factory settings."""
        await (await self._ready()).factory_reset()

    async def set_power_mode(self, mode: PowerMode) -> None:
        """Switch to low, normal or high power."""
        if not isinstance(mode, PowerMode):
            raise WhatsminerValidationError("mode", "must be low, normal or high")
        await (await self._ready()).set_power_mode(mode)

    async def set_power_limit(self, watts: int) -> None:
        """Set the power ceiling in watts (0..99999)."""
        _check_int("power_limit", watts, POWER_LIMIT_RANGE)
        await (await self._ready()).set_power_limit(watts)

    async def set_power(self, watts: int) -> None:
        """Set the power the miner draws (W) without restarting mining (API v3 only)."""
        _check_int("power", watts, POWER_RANGE)
        backend = await self._ready()
        if not isinstance(backend, WhatsminerV3):
            raise WhatsminerUnsupportedError(
                "set.miner.power", None, "API v2 has no run-time power target"
            )
        await backend.set_power(watts)

    async def set_power_percent(
        self, percent: int, mode: PowerPercentMode = PowerPercentMode.NORMAL
    ) -> None:
        """Scale power to 0..100 % of the stable mining power."""
        _check_int("percent", percent, POWER_PERCENT_RANGE)
        if not isinstance(mode, PowerPercentMode):
            raise WhatsminerValidationError("mode", "must be fast or normal")
        await (await self._ready()).set_power_percent(percent, mode)

    async def set_target_frequency(self, percent: int) -> None:
        """Adjust the target frequency by -100..100 %."""
        _check_int("percent", percent, TARGET_FREQUENCY_RANGE)
        await (await self._ready()).set_target_frequency(percent)

    async def set_led_auto(self) -> None:
        """Give the LED back to automatic control."""
        await (await self._ready()).set_led_auto()

    async def set_led(
        self, color: LedColor, period_ms: int, duration_ms: int, start_ms: int
    ) -> None:
        """Blink the LED: ``duration_ms`` on within each ``period_ms``, from ``start_ms``."""
        if not isinstance(color, LedColor):
            raise WhatsminerValidationError("color", "must be red or green")
        _check_int("period", period_ms, LED_PERIOD_RANGE)
        _check_int("duration", duration_ms, (0, period_ms))
        _check_int("start", start_ms, (0, period_ms))
        await (await self._ready()).set_led(color, period_ms, duration_ms, start_ms)

    async def update_pools(self, pools: Sequence[PoolConfig]) -> None:
        """Replace the pools (1–3) and switch immediately."""
        checked = _check_pools(pools)
        await (await self._ready()).update_pools(checked)

    async def set_fast_boot(self, enabled: bool) -> None:  # noqa: FBT001
        """Enable or disable fast boot."""
        await (await self._ready()).set_fast_boot(bool(enabled))

    async def set_web_pools(self, enabled: bool) -> None:  # noqa: FBT001
        """Allow or forbid pool changes from the miner's web page."""
        await (await self._ready()).set_web_pools(bool(enabled))

    async def set_hostname(self, hostname: str) -> None:
        """Set the hostname (letters, digits and hyphens, up to 63)."""
        if not isinstance(hostname, str) or not _HOSTNAME.fullmatch(hostname):
            raise WhatsminerValidationError(
                "hostname", "use 1 to 63 letters, digits or hyphens"
            )
        await (await self._ready()).set_hostname(hostname)

    async def set_timezone(self, timezone: str, zone_name: str) -> None:
        """Set the POSIX time zone (e.g. ``CST-8``) and its name (``Asia/Shanghai``)."""
        if not _FIELD_TEXT.fullmatch(timezone):
            raise WhatsminerValidationError(
                "timezone", "must be a POSIX time zone such as CST-8"
            )
        if not _FIELD_TEXT.fullmatch(zone_name):
            raise WhatsminerValidationError(
                "zone_name", "must be a zone name such as Asia/Shanghai"
            )
        await (await self._ready()).set_timezone(timezone, zone_name)

    async def set_temperature_offset(self, offset: int) -> None:
        """Offset the target temperature by -30..0 °C."""
        _check_int("temperature_offset", offset, TEMPERATURE_OFFSET_RANGE)
        await (await self._ready()).set_temperature_offset(offset)

    async def set_upfreq_speed(self, speed: int) -> None:
        """Set the up-frequency speed: 0..9 on API v2, 0..10 on API v3."""
        backend = await self._ready()
        bounds = (
            UPFREQ_SPEED_RANGE_V3
            if backend.api is ApiVersion.V3
            else UPFREQ_SPEED_RANGE
        )
        _check_int("upfreq_speed", speed, bounds)
        await backend.set_upfreq_speed(speed)

    async def set_poweroff_cool(self, enabled: bool) -> None:  # noqa: FBT001
        """Keep cooling after mining stops, or not."""
        await (await self._ready()).set_poweroff_cool(bool(enabled))

    async def set_fan_zero_speed(self, enabled: bool) -> None:  # noqa: FBT001
        """Allow the fans to stop completely, or not."""
        await (await self._ready()).set_fan_zero_speed(bool(enabled))

    async def set_heat_mode(self, mode: HeatMode) -> None:
        """Set what a liquid-cooled miner does with its heat (API v3 firmware only)."""
        if not isinstance(mode, HeatMode):
            raise WhatsminerValidationError(
                "mode", "must be heating, normal or anti-freezing"
            )
        await (await self._ready()).set_heat_mode(mode)

    async def pre_power_on(self) -> PrePowerOnState:
        """Preheat a stopped miner; returns how far it has come."""
        return await (await self._ready()).pre_power_on()

    async def change_password(self, new_password: str) -> None:
        """Change the admin password; this client uses the new one afterwards."""
        backend = await self._ready()
        rule = _V3_PASSWORD if backend.api is ApiVersion.V3 else _V2_PASSWORD
        if not isinstance(new_password, str) or not rule.fullmatch(new_password):
            limit = 32 if backend.api is ApiVersion.V3 else 8
            raise WhatsminerValidationError(
                "new_password", f"use 1 to {limit} letters, digits or underscores"
            )
        await backend.change_password(new_password)
        self._password = new_password

    async def set_network(self, config: NetworkConfig | None) -> None:
        """Use a static address, or DHCP when ``config`` is ``None`` (the miner restarts)."""
        if config is not None:
            _check_ipv4("ip", config.ip)
            _check_ipv4("netmask", config.netmask)
            _check_ipv4("gateway", config.gateway)
            if not 1 <= len(config.dns) <= 2:  # noqa: PLR2004
                raise WhatsminerValidationError("dns", "give one or two DNS servers")
            for server in config.dns:
                _check_ipv4("dns", server)
            if not _HOSTNAME.fullmatch(config.hostname):
                raise WhatsminerValidationError(
                    "hostname", "use 1 to 63 letters, digits or hyphens"
                )
        await (await self._ready()).set_network(config)

    async def set_log_server(self, server: LogServer) -> None:
        """Send logs to a remote syslog server."""
        _check_ipv4("ip", server.ip)
        _check_int("port", server.port, (1, 65535))
        if server.protocol not in {"tcp", "udp"}:
            raise WhatsminerValidationError("protocol", "must be tcp or udp")
        await (await self._ready()).set_log_server(server)

    async def download_logs(self) -> bytes:
        """Download the miner's log archive."""
        return await (await self._ready()).download_logs()

    async def update_firmware(self, firmware: bytes) -> None:
        """Upload and install a firmware image."""
        if not firmware or len(firmware) > MAX_FIRMWARE_BYTES:
            raise WhatsminerValidationError(
                "firmware", "must be a non-empty image up to 512 MiB"
            )
        await (await self._ready()).update_firmware(firmware)
