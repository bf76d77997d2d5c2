"""The API v3 backend: Whatsminer firmware from 2024-11 on, TCP 4433.

Reads need no password. Writes carry ``ts``, ``account`` and ``token`` =
``base64(SHA-256(cmd + password + salt + ts))[:8]``; the salt comes from
``get.device.info`` and is kept until a write is refused for its token. Pool
and password changes also encrypt their ``param`` with that SHA-256 digest.

Polls, all on the one kept connection:

- fast: ``get.miner.status`` (summary+pools+edevs in one request) and
  ``get.device.info`` ``miner`` (whether btminer works, fast boot, board
  serials); all of device info instead while the cooling is unknown (the
  first poll) and for liquid-cooled miners, whose coolant temperature is in
  its ``power`` section;
- slow: ``get.device.info`` (identity, firmware, PSU, error codes and the
  salt), ``get.miner.status`` (pools), ``get.miner.setting`` and
  ``get.fan.setting`` (settings; firmware without them reports none).

The power mode is only in ``get.miner.setting``: the fast poll reports the one
the slow poll last read (the first fast poll reads it too), or the one this
client last set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from . import crypto, models
from .errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerConnectionError,
    WhatsminerPermissionError,
    WhatsminerUnsupportedError,
    WhatsminerWriteDisabledError,
)
from .exchanges import Exchange, ExchangeLog
from .parse_v3 import (
    CODE_FAILED,
    fast_boot_of,
    idle_fast,
    is_liquid_cooled,
    parse_envelope,
    parse_fast,
    parse_identity,
    parse_log_size,
    parse_power_mode,
    parse_pre_power_on,
    parse_salt,
    parse_slow,
    reply_message,
    reply_time,
    salt_of,
)
from .transport_v3 import (
    MAX_LOG_BYTES,
    ReplyLostError,
    ReplyTimeoutError,
    UnconfirmedError,
    V3Connection,
)

_LOGGER = logging.getLogger(__name__)

# The administrator account; user1..user3 have only the rights it grants them.
ACCOUNT: Final = "super"
# Every account API v3 knows. A limited one may run only the commands ``super``
# granted it with ``set.user.permission`` (a comma-separated list of commands).
ACCOUNTS: Final = (ACCOUNT, "user1", "user2", "user3")
_AES_BLOCK: Final = 16


def encrypt_param(
    command: str, password: str, salt: str, timestamp: int, param: object
) -> str:
    """Encrypt a write's ``param`` as ``set.miner.pools`` and ``set.user.change_passwd`` need.

    AES-256-ECB over the compact JSON, keyed with the token's SHA-256 digest,
    PKCS#7-padded as the vendor's examples are, then base64.
    """
    plaintext = json.dumps(param, separators=(",", ":"), ensure_ascii=False).encode()
    padding = _AES_BLOCK - len(plaintext) % _AES_BLOCK
    key = crypto.v3_digest(command, password, salt, timestamp)
    # Already whole blocks, so aes_encrypt adds no NUL padding of its own.
    return crypto.aes_encrypt(key, plaintext + bytes([padding]) * padding)


def _enabled(value: bool) -> str:  # noqa: FBT001
    return "enable" if value else "disable"


def _write_api_off(device: object) -> bool:
    """Tell whether ``get.device.info`` says the write API switch is off."""
    if not isinstance(device, Mapping):
        return False
    system = device.get("system", device)  # nested, or the section asked for
    return isinstance(system, Mapping) and str(system.get("apiswitch")) == "0"


class WhatsminerV3:
    """A Whatsminer driven through API v3, over one kept connection."""

    api: models.ApiVersion = models.ApiVersion.V3

    def __init__(
        self,
        host: str,
        *,
        port: int,
        password: str | None,
        connect_timeout: float,
        reply_timeout: float,
        account: str = ACCOUNT,
    ) -> None:
        self.host = host
        self.port = port
        self._password = password
        self._account = account
        self._connection = V3Connection(
            host, port, connect_timeout=connect_timeout, reply_timeout=reply_timeout
        )
        self._salt: str | None = None
        self._salt_lock = asyncio.Lock()
        self._clock_offset = 0  # the miner's clock minus ours, in seconds
        self._power_mode: models.PowerMode | None = None
        self._settings_read = False
        self._unsupported: set[str] = set()
        # Learned from device info; None until it has said (see fetch_fast).
        self._liquid_cooled: bool | None = None
        self._log = ExchangeLog()

    def __repr__(self) -> str:
        return f"WhatsminerV3(host={self.host!r}, port={self.port})"

    @property
    def connections_opened(self) -> int:
        """How many TCP connections this backend has opened (for diagnostics)."""
        return self._connection.connections_opened

    # Plumbing

    def _message(self, command: str, body: bytes, *, write: bool) -> Any:  # noqa: ANN401
        reply = parse_envelope(command, body)
        if (when := reply_time(reply)) is not None:
            self._clock_offset = when - int(time.time())
        try:
            return reply_message(command, reply, write=write)
        except WhatsminerWriteDisabledError as err:
            if self._account == ACCOUNT:
                raise
            # "No permission" to a limited account is about this one command:
            # a right super did not grant it, not a switched-off write API.
            raise WhatsminerPermissionError(command, self._account) from err

    async def _read(self, command: str, param: str | None = None) -> Any:  # noqa: ANN401
        payload: dict[str, Any] = {"cmd": command}
        if param is not None:
            payload["param"] = param
        try:
            body = await self._connection.request(payload, may_resend=True)
        except WhatsminerConnectionError:
            # An outage: the miner may come back with other firmware.
            self._forget()
            raise
        self._log.record(Exchange(models.ApiVersion.V3, payload, body))
        return self._message(command, body, write=False)

    def _forget(self) -> None:
        """Forget what was learned about the firmware: it may have changed.

        The power mode is not re-read here: the slow poll that follows an
        outage reads the settings anyway.
        """
        self._unsupported.clear()
        self._liquid_cooled = None

    def exchanges(self) -> tuple[Exchange, ...]:
        """Return the last raw reply to each read request sent (for diagnostics)."""
        return self._log.exchanges()

    def _learn_cooling(self, device: object) -> None:
        if (liquid := is_liquid_cooled(device)) is not None:
            self._liquid_cooled = liquid

    @property
    def _device_param(self) -> str | None:
        """What the fast poll asks of device info: all of it unless air-cooled."""
        return "miner" if self._liquid_cooled is False else None

    async def _read_optional(self, command: str) -> Any:  # noqa: ANN401
        """Read a command that some firmware lacks or refuses; ``None`` then."""
        if command in self._unsupported:
            return None
        try:
            return await self._read(command)
        except WhatsminerUnsupportedError:
            _LOGGER.debug("%s has no %s; not asking again", self.host, command)
            self._unsupported.add(command)
        except WhatsminerCommandError as err:
            _LOGGER.debug("%s refused %s: %s", self.host, command, err.message)
        return None

    def _remember_salt(self, device: object) -> None:
        if (salt := salt_of(device)) is not None:
            self._salt = salt

    def _password_for(self, command: str) -> str:
        if self._password is None:
            msg = f"{command} needs the miner's password, and none is set"
            raise WhatsminerAuthError(msg)
        return self._password

    async def _signed(
        self, command: str, param: object = None, *, encrypt: bool = False
    ) -> dict[str, Any]:
        """Return a write request with its token (and its ``param`` encrypted if asked)."""
        password = self._password_for(command)
        async with self._salt_lock:  # writes at the same time share one fetch
            if self._salt is None:
                self._salt = parse_salt(await self._read("get.device.info", "salt"))
        # The miner's own clock: it is the one a token's ts is checked against.
        timestamp = int(time.time()) + self._clock_offset
        payload: dict[str, Any] = {
            "cmd": command,
            "ts": timestamp,
            "token": crypto.v3_token(command, password, self._salt, timestamp),
            "account": self._account,
        }
        if param is not None:
            payload["param"] = (
                encrypt_param(command, password, self._salt, timestamp, param)
                if encrypt
                else param
            )
        return payload

    async def _with_fresh_salt_on_auth_error[T](
        self, attempt: Callable[[], Awaitable[T]]
    ) -> T:
        salt_was_kept = self._salt is not None
        try:
            return await attempt()
        except WhatsminerAuthError:
            if not salt_was_kept:
                raise
            # A factory reset or a password change elsewhere gives a new salt.
            _LOGGER.debug(
                "%s refused a token made with the kept salt; fetching it again",
                self.host,
            )
            self._salt = None
            return await attempt()

    async def _write(
        self,
        command: str,
        param: object = None,
        *,
        encrypt: bool = False,
        may_go_quiet: bool = False,
    ) -> Any:  # noqa: ANN401
        """Send a write and return its ``msg``.

        ``may_go_quiet``: the command restarts what answers (btminer or the
        whole miner), so a connection that ends or stays silent after the
        request went out means it was received. It goes on a new connection:
        on a kept one, the end could also be an idle close before the miner
        read the request.
        """

        async def attempt() -> Any:  # noqa: ANN401
            payload = await self._signed(command, param, encrypt=encrypt)
            try:
                body = await self._connection.request(
                    payload, may_resend=False, fresh=may_go_quiet
                )
            except (ReplyLostError, ReplyTimeoutError) as err:
                if not may_go_quiet:
                    raise
                _LOGGER.debug(
                    "%s went quiet after %s (%s); taken as done",
                    self.host,
                    command,
                    err,
                )
                return None
            return self._message(command, body, write=True)

        return await self._with_fresh_salt_on_auth_error(attempt)

    # Reads

    async def identify(self) -> models.MinerIdentity:
        """Read who the miner is (``get.device.info``, no password needed)."""
        device = await self._read("get.device.info")
        self._remember_salt(device)
        self._learn_cooling(device)
        return parse_identity(device)

    async def read_mac(self) -> str | None:
        """Read the MAC (``get.device.info``: one request, no password)."""
        return (await self.identify()).mac

    async def fetch_fast(self) -> models.FastData:
        """Read hashrate, power, temperatures, fans, boards and mining state."""
        try:
            status = await self._read("get.miner.status", "summary+pools+edevs")
        except WhatsminerUnsupportedError:
            raise
        except WhatsminerCommandError:
            # Stopped firmware may refuse the status; device info still says so.
            device = await self._read_device_for_fast_poll()
            idle = idle_fast(
                device, self._power_mode, liquid_cooled=bool(self._liquid_cooled)
            )
            if idle.mining:
                raise
            return idle
        device = await self._read_device_for_fast_poll()
        if not self._settings_read:
            # Once, so the power mode is known from the first poll on.
            await self._read_miner_setting()
        return parse_fast(
            status, device, self._power_mode, liquid_cooled=bool(self._liquid_cooled)
        )

    async def _read_device_for_fast_poll(self) -> Any:  # noqa: ANN401
        device = await self._read("get.device.info", self._device_param)
        if self._device_param is None:
            self._remember_salt(device)
            self._learn_cooling(device)
        return device

    async def _read_miner_setting(self) -> Any:  # noqa: ANN401
        miner_setting = await self._read_optional("get.miner.setting")
        if miner_setting is not None:
            self._power_mode = parse_power_mode(miner_setting)
        self._settings_read = True
        return miner_setting

    async def fetch_slow(self) -> models.SlowData:
        """Read identity, firmware, PSU, error codes, pools and settings."""
        device = await self._read("get.device.info")
        self._remember_salt(device)
        self._learn_cooling(device)
        # Idle firmware may refuse pools alone but answers them with the summary.
        status = await self._read_optional_status()
        miner_setting = await self._read_miner_setting()
        fan_setting = await self._read_optional("get.fan.setting")
        return parse_slow(device, status, miner_setting, fan_setting)

    async def _read_optional_status(self) -> Any:  # noqa: ANN401
        try:
            return await self._read("get.miner.status", "summary+pools")
        except WhatsminerCommandError as err:
            _LOGGER.debug("%s refused its pools: %s", self.host, err.message)
            return None

    async def download_logs(self) -> bytes:
        """Download the miner's log archive (``.tgz``)."""
        command = "get.log.download"

        def size_of(body: bytes) -> int:
            return parse_log_size(
                self._message(command, body, write=False), MAX_LOG_BYTES
            )

        return await self._connection.download({"cmd": command}, size_of)

    # Password

    def set_password(self, password: str | None) -> None:
        """Use another password from now on."""
        self._password = password

    async def verify_password(self) -> None:
        """Check the password with a write that changes nothing.

        ``set.miner.report`` with ``gap: 0`` switches off status reports on this
        connection, which were never on. Firmware without that command gets its
        own fast-boot setting written back unchanged. A limited account that
        may not run the probe passes: the miner checks the token before the
        account's rights, so "no permission" means the password was right.
        """
        try:
            await self._probe("set.miner.report", {"gap": 0})
        except WhatsminerPermissionError as err:
            # To a limited account "no permission" also hides a switched-off
            # write API: the device info's switch tells them apart.
            if _write_api_off(await self._read("get.device.info", "system")):
                msg = "the miner refuses writes: its API write switch is off"
                raise WhatsminerWriteDisabledError(msg) from err
            _LOGGER.debug(
                "%s: account %s may not run the password probe; its token was accepted",
                self.host,
                self._account,
            )
        except WhatsminerUnsupportedError:
            device = await self._read("get.device.info", "miner")
            fast_boot = fast_boot_of(device)
            if fast_boot is None:
                raise
            # As above, "no permission" means the token was accepted.
            with contextlib.suppress(WhatsminerPermissionError):
                await self._probe("set.miner.fastboot", _enabled(fast_boot))

    async def _probe(self, command: str, param: object) -> None:
        try:
            await self._write(command, param)
        except WhatsminerUnsupportedError:
            raise
        except WhatsminerCommandError as err:
            if err.code != CODE_FAILED:
                raise
            # Nothing but the token can make this harmless write fail.
            msg = f"{command}: the miner rejected the password (code {err.code}: {err.message})"
            raise WhatsminerAuthError(msg) from err

    async def change_password(self, new_password: str) -> None:
        """Change this client's account's password; later writes use the new one."""
        old_password = self._password_for("set.user.change_passwd")
        await self._write(
            "set.user.change_passwd",
            {"account": self._account, "new": new_password, "old": old_password},
            encrypt=True,
        )
        self._password = new_password
        self._salt = None  # the salt may belong to the old password

    async def close(self) -> None:
        """Close the kept connection."""
        await self._connection.close()

    # Writes

    async def power_on(self) -> None:
        """Start mining (``set.miner.service`` start)."""
        await self._write("set.miner.service", "start", may_go_quiet=True)

    async def power_off(self) -> None:
        """Stop mining (``set.miner.service`` stop)."""
        await self._write("set.miner.service", "stop", may_go_quiet=True)

    async def restart_mining(self) -> None:
        """Restart btminer (``set.miner.service`` restart)."""
        await self._write("set.miner.service", "restart", may_go_quiet=True)

    async def reboot(self) -> None:
        """Reboot the control board."""
        await self._write("set.system.reboot", may_go_quiet=True)
        await self._connection.close()

    async def factory_reset(self) -> None:
        """Restore factory settings; the miner reboots."""
        await self._write("set.system.factory_reset", may_go_quiet=True)
        self._salt = None
        await self._connection.close()

    async def set_power_mode(self, mode: models.PowerMode) -> None:
        """Switch to low, normal or high power."""
        await self._write("set.miner.power_mode", mode.value)
        self._power_mode = mode

    async def set_power_limit(self, watts: int) -> None:
        """Set the power ceiling in watts (the miner restarts btminer)."""
        await self._write("set.miner.power_limit", watts)

    async def set_power(self, watts: int) -> None:
        """Set the power the miner draws, in watts, while it keeps mining.

        ``set.miner.power`` applies at run time once frequency tuning is over
        (during tuning, from the next start); unlike the power limit it does
        not restart btminer. Its param is the watts as a number, as the
        vendor's API v3 document has it (one public mock takes "on"/"off"
        instead; no capture backs that).
        """
        await self._write("set.miner.power", watts)

    async def set_power_percent(
        self, percent: int, mode: models.PowerPercentMode
    ) -> None:
        """Scale power to a percentage of the stable power, fast or normal.

        The percentage goes as text: firmware reads it with cJSON's
        ``valuestring``, whatever the documentation's "Number" says.
        """
        await self._write(
            "set.miner.power_percent", {"percent": str(percent), "mode": mode.value}
        )

    async def set_target_frequency(self, percent: int) -> None:
        """Adjust the target frequency by a percentage (the miner restarts btminer)."""
        await self._write("set.miner.target_freq", percent)

    async def set_led_auto(self) -> None:
        """Give the LED back to the miner."""
        await self._write("set.system.led", "auto")

    async def set_led(
        self, color: models.LedColor, period_ms: int, duration_ms: int, start_ms: int
    ) -> None:
        """Blink one LED in a manual pattern."""
        pattern = {
            "color": color.value,
            "period": period_ms,
            "duration": duration_ms,
            "start": start_ms,
        }
        await self._write("set.system.led", [pattern])

    async def update_pools(self, pools: tuple[models.PoolConfig, ...]) -> None:
        """Replace the pools (sent encrypted)."""
        param = [
            {"pool": pool.url, "worker": pool.worker, "passwd": pool.password}
            for pool in pools
        ]
        await self._write("set.miner.pools", param, encrypt=True)

    async def set_fast_boot(self, enabled: bool) -> None:  # noqa: FBT001
        """Enable or disable fast boot."""
        await self._write("set.miner.fastboot", _enabled(enabled))

    async def set_web_pools(self, enabled: bool) -> None:  # noqa: FBT001
        """Allow or forbid pool changes from the web page."""
        await self._write("set.system.webpools", _enabled(enabled))

    async def set_hostname(self, hostname: str) -> None:
        """Set the hostname (applies when the network restarts)."""
        await self._write("set.system.hostname", {"hostname": hostname})

    async def set_timezone(self, timezone: str, zone_name: str) -> None:
        """Set the time zone."""
        await self._write(
            "set.system.timezone", {"timezone": timezone, "zonename": zone_name}
        )

    async def set_temperature_offset(self, offset: int) -> None:
        """Offset the target temperature (air-cooled miners)."""
        await self._write("set.fan.temp_offset", offset)

    async def set_upfreq_speed(self, speed: int) -> None:
        """Set the up-frequency speed."""
        await self._write("set.miner.upfreq_speed", speed)

    async def set_poweroff_cool(self, enabled: bool) -> None:  # noqa: FBT001
        """Choose whether the fans keep cooling after mining stops."""
        await self._write("set.fan.poweroff_cool", int(enabled))

    async def set_fan_zero_speed(self, enabled: bool) -> None:  # noqa: FBT001
        """Choose whether the fans may stop completely."""
        await self._write("set.fan.zero_speed", int(enabled))

    async def set_heat_mode(self, mode: models.HeatMode) -> None:
        """Set what a liquid-cooled miner does with its heat (air-cooled ones refuse)."""
        await self._write("set.miner.heat_mode", mode.value)

    async def pre_power_on(self) -> models.PrePowerOnState:
        """Preheat a stopped miner, or report how far it has come."""
        return parse_pre_power_on(await self._write("set.miner.pre_power_on"))

    async def set_network(self, config: models.NetworkConfig | None) -> None:
        """Use a static address, or DHCP for ``None``; the miner reboots.

        API v3's network command has no hostname, so a static configuration
        sets it first: it applies with the reboot.
        """
        if config is None:
            await self._write("set.system.net_config", "dhcp", may_go_quiet=True)
        else:
            await self.set_hostname(config.hostname)
            static = {
                "ip": config.ip,
                "netmask": config.netmask,
                "gateway": config.gateway,
                # One field; device info lists several servers space-separated.
                "dns": " ".join(config.dns),
            }
            await self._write("set.system.net_config", static, may_go_quiet=True)
        await self._connection.close()

    async def set_log_server(self, server: models.LogServer) -> None:
        """Stream the miner's logs to a remote syslog server."""
        param = {"ip": server.ip, "port": str(server.port), "proto": server.protocol}
        await self._write("set.log.upload", param)

    async def update_firmware(self, firmware: bytes) -> None:
        """Upload a firmware image; the miner flashes it and reboots."""
        command = "set.system.update_firmware"

        def is_ready(body: bytes) -> None:
            self._message(command, body, write=True)

        async def attempt() -> None:
            payload = await self._signed(command)
            try:
                body = await self._connection.upload(payload, is_ready, firmware)
            except UnconfirmedError as err:
                # It may be flashing already; the firmware version will tell.
                _LOGGER.debug(
                    "%s went quiet after taking the firmware: %s", self.host, err
                )
                return
            self._message(command, body, write=True)

        await self._with_fresh_salt_on_auth_error(attempt)
