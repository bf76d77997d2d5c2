"""API v3 (TCP 4433) as new-firmware Whatsminers speak it.

Frames are a 4-byte little-endian length and JSON, both ways; a connection carries
many requests. Replies are ``{"code", "when", "msg", "desc"}`` with code 0 ok,
-1 failure (bad JSON, wrong token), -2 invalid command, -3 missing or invalid
parameter, -4 no permission. Reads need no authentication; ``set.*`` commands carry
``ts``, ``account`` and ``token = base64(SHA-256(cmd + password + salt + ts))[:8]``.

Parameter shapes this simulator accepts (``param``):

==============================  ====================================================
command                         param
==============================  ====================================================
get.device.info                 optional "miner"|"system"|"power"|"network"|"salt"|
                                "error-code"
get.miner.status                "summary"|"pools"|"edevs", joinable with "+"
get.miner.setting               none
get.system.setting              none
get.fan.setting                 none
get.log.download                none; reply {"logsize": "<n>"} then n raw bytes
set.miner.service               "start"|"stop"|"restart"|"enable"|"disable"
set.miner.power                 int W, 0..99999 (applied while mining, no restart)
set.miner.power_limit           int W, 0..99999 (mining restarts)
set.miner.power_mode            "low"|"normal"|"high" (mining restarts)
set.miner.power_percent         {"percent": 0..100, "mode": "fast"|"normal"}
set.miner.target_freq           int %, -100..100 (> 0 only on hydro; mining restarts)
set.miner.upfreq_speed          int 0..10
set.miner.pre_power_on          none; msg {"complete": bool, "msg": "<progress>"}
set.miner.fastboot              "enable"|"disable"
set.miner.heat_mode             "heating"|"normal"|"anti-freezing" (hydro only)
set.miner.pools                 AES: [{"pool", "worker", "passwd"}] (1..3 entries)
set.miner.restore_setting       none
set.miner.report                {"gap": 0..285} s; 0 stops reports (none are pushed here)
set.system.led                  "auto" | [{"color", "period", "duration", "start"}]
set.system.reboot               none (answers, then reboots)
set.system.factory_reset        none (answers, then resets and reboots)
set.system.hostname             {"hostname": str}
set.system.timezone             {"timezone": "CST-8", "zonename": "Asia/Shanghai"}
set.system.webpools             "enable"|"disable"
set.system.net_config           "dhcp" | {"ip", "netmask", "gateway", "dns"[, "hostname"]}
set.system.ntp_server           "host1,host2"
set.system.update_firmware      none; reply "ready", then <u32 LE size><image>, final reply
set.log.upload                  {"ip": str, "port": str, "proto": "tcp"|"udp"}
set.fan.poweroff_cool           0|1
set.fan.zero_speed              0|1
set.fan.temp_offset             int -30..0
set.user.change_passwd          AES: {"account", "old", "new"}
set.user.permission             {"user": "user1".., "permission": "cmd1,cmd2"} (super only)
==============================  ====================================================

AES params are ``base64(AES-256-ECB(json, key = SHA-256(cmd + password + salt + ts)))``.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from custom_components.hashwatt.clients.whatsminer import crypto

from . import physics
from .common import (
    Outcome,
    RecordedRequest,
    as_int,
    led_pattern_text,
    local_time_text,
)
from .conform import conform
from .faults import Fault
from .personas import STATIC_FIELDS
from .state import LedPattern, LogServer, NetworkSetting, PoolSetting

if TYPE_CHECKING:
    from .miner import SimulatedMiner

API_VERSION = "3.0.2"
PASSWORD_PATTERN = re.compile(r"[A-Za-z0-9_]{1,32}")
DEVICE_INFO_SECTIONS = ("miner", "system", "power", "network", "salt", "error-code")
STATUS_SECTIONS = ("summary", "pools", "edevs")
ENCRYPTED_PARAMS = frozenset({"set.miner.pools", "set.user.change_passwd"})
MAX_FIRMWARE_BYTES = 512 * 1024 * 1024
MODE_NAMES = {"low": "Low", "normal": "Normal", "high": "High"}


class V3Error(Exception):
    """A request the miner refuses, answered with a negative code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _frame(reply: dict[str, Any]) -> bytes:
    return json.dumps(reply, separators=(",", ":")).encode()


class V3Handler:
    """Answers API v3 requests for one simulated miner."""

    def __init__(self, miner: SimulatedMiner) -> None:
        self.miner = miner
        self._reads: dict[str, Callable[[Any, float], Any]] = {
            "get.device.info": self._device_info,
            "get.miner.status": self._miner_status,
            "get.miner.setting": self._miner_setting,
            "get.system.setting": self._system_setting,
            "get.fan.setting": self._fan_setting,
        }
        self._writes: dict[str, Callable[[Any, float], Any]] = {
            "set.miner.service": self._service,
            "set.miner.power": self._power_target,
            "set.miner.power_limit": self._power_limit,
            "set.miner.power_mode": self._power_mode,
            "set.miner.power_percent": self._power_percent,
            "set.miner.target_freq": self._target_freq,
            "set.miner.upfreq_speed": self._upfreq_speed,
            "set.miner.pre_power_on": self._pre_power_on,
            "set.miner.fastboot": self._fastboot,
            "set.miner.heat_mode": self._heat_mode,
            "set.miner.pools": self._pools,
            "set.miner.restore_setting": self._restore_setting,
            "set.miner.report": self._report,
            "set.system.led": self._led,
            "set.system.reboot": self._reboot,
            "set.system.factory_reset": self._factory_reset,
            "set.system.hostname": self._hostname,
            "set.system.timezone": self._timezone,
            "set.system.webpools": self._webpools,
            "set.system.net_config": self._net_config,
            "set.system.ntp_server": self._ntp_server,
            "set.system.update_firmware": self._update_firmware,
            "set.log.upload": self._log_upload,
            "set.fan.poweroff_cool": self._poweroff_cool,
            "set.fan.zero_speed": self._zero_speed,
            "set.fan.temp_offset": self._temp_offset,
            "set.user.change_passwd": self._change_passwd,
            "set.user.permission": self._permission,
        }

    def reply(self, code: int, msg: object, desc: str, now: float) -> bytes:
        """Build a v3 reply body (unframed)."""
        return _frame({"code": code, "when": int(now), "msg": msg, "desc": desc})

    def _record(
        self,
        command: str | None,
        params: dict[str, Any],
        ip: str,
        now: float,
        *,
        auth: bool,
    ) -> None:
        self.miner.requests.append(
            RecordedRequest("v3", command, params, ip, now, auth)
        )

    # -- entry point -----------------------------------------------------------------------

    def handle(self, raw: bytes, client_ip: str, now: float) -> Outcome:
        """Answer one request frame."""
        try:
            request = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError, ValueError:
            request = None
        if not isinstance(request, dict):
            self._record(None, {}, client_ip, now, auth=False)
            return Outcome(self.reply(-1, "json format error", "", now))
        command = request.get("cmd")
        params = {k: v for k, v in request.items() if k not in ("cmd", "token")}
        if not isinstance(command, str):
            self._record(None, params, client_ip, now, auth=False)
            return Outcome(self.reply(-2, "invalid command", "", now))
        if command == "get.log.download":
            self._record(command, params, client_ip, now, auth=False)
            return self._log_download(now)
        if command in self._reads:
            self._record(command, params, client_ip, now, auth=False)
            try:
                message = self._reads[command](request.get("param"), now)
            except V3Error as err:
                return Outcome(self.reply(err.code, err.message, command, now), command)
            message = self._shape(command, request.get("param"), message)
            return Outcome(self.reply(0, message, command, now), command)
        if command not in self._writes:
            self._record(command, params, client_ip, now, auth=False)
            return Outcome(self.reply(-2, "invalid command", command, now), command)
        return self._write(command, request, params, client_ip, now)

    def _shape(self, command: str, param: object, message: Any) -> Any:  # noqa: ANN401
        """Bring a read's ``msg`` into the shape of the capture the persona follows."""
        persona = self.miner.persona
        if not isinstance(message, dict):
            return message
        if command == "get.miner.status":
            # Joined sections ("summary+pools") each follow their own capture.
            for part, value in list(message.items()):
                template = persona.template(f"{command} {part}")
                if template is not None:
                    # A fragment capture holds the section alone (msg.edevs).
                    shape = template if isinstance(template, list) else template["msg"]
                    message[part] = self._conform(
                        f"{command} {part}",
                        value,
                        shape if isinstance(template, list) else shape[part],
                    )
            return message
        template = persona.template(command)
        if template is None:
            return message
        shape = template["msg"]
        if command == "get.device.info" and param in DEVICE_INFO_SECTIONS:
            if param not in shape:
                return message
            shape = {param: shape[param]}
        return self._conform(command, message, shape)

    def _conform(self, request: str, value: object, shape: object) -> Any:  # noqa: ANN401
        fills: list[str] = []
        shaped = conform(
            value,
            shape,
            passthrough=self.miner.persona.passthrough,
            fillable=STATIC_FIELDS,
            fills=fills,
        )
        self.miner.persona_fills[request] = fills
        return shaped

    # -- writes ----------------------------------------------------------------------------

    def _write(
        self,
        command: str,
        request: dict[str, Any],
        params: dict[str, Any],
        client_ip: str,
        now: float,
    ) -> Outcome:
        state = self.miner.state
        try:
            password, timestamp = self._authenticate(command, request, now)
        except V3Error as err:
            self._record(command, params, client_ip, now, auth=False)
            return Outcome(self.reply(err.code, err.message, command, now), command)
        account = request["account"]
        param = request.get("param")
        if command in ENCRYPTED_PARAMS:
            try:
                param = self._decrypt_param(command, password, timestamp, param)
            except V3Error as err:
                self._record(command, params, client_ip, now, auth=True)
                return Outcome(self.reply(err.code, err.message, command, now), command)
            params = {**params, "param": param}
        self._record(command, params, client_ip, now, auth=True)
        allowed = account == "super" or command in state.permissions.get(
            account, frozenset()
        )
        disabled = not state.write_enabled or (
            self.miner.faults.take(Fault.WRITE_DISABLED, "v3", command) is not None
        )
        if (
            disabled
            or not allowed
            or (command == "set.user.permission" and account != "super")
        ):
            return Outcome(self.reply(-4, "no permission", command, now), command)
        try:
            result = self._writes[command](param, now)
        except V3Error as err:
            return Outcome(self.reply(err.code, err.message, command, now), command)
        if isinstance(result, Outcome):
            result.command = command
            return result
        message = "ok" if result is None else result
        return Outcome(self.reply(0, message, command, now), command)

    def _authenticate(
        self, command: str, request: dict[str, Any], now: float
    ) -> tuple[str, int]:
        state = self.miner.state
        account, token, timestamp = (
            request.get("account"),
            request.get("token"),
            request.get("ts"),
        )
        if not isinstance(account, str) or not isinstance(token, str):
            raise V3Error(-3, "invalid json item")
        if isinstance(timestamp, bool) or not isinstance(timestamp, int):
            raise V3Error(-3, "invalid json item")
        password = state.accounts.get(account)
        if password is None:
            raise V3Error(-1, "account error")
        if token != crypto.v3_token(command, password, state.v3_salt, timestamp):
            raise V3Error(-1, "token error")
        if state.ts_window is not None and abs(now - timestamp) > state.ts_window:
            raise V3Error(-1, "timestamp error")
        return password, timestamp

    def _decrypt_param(
        self, command: str, password: str, timestamp: int, param: object
    ) -> Any:  # noqa: ANN401
        if not isinstance(param, str):
            raise V3Error(-3, "invalid json item")
        key = crypto.v3_digest(command, password, self.miner.state.v3_salt, timestamp)
        try:
            return json.loads(crypto.aes_decrypt(key, param).decode("utf-8"))
        except ValueError, UnicodeDecodeError:
            raise V3Error(-1, "param decrypt error") from None

    # -- reads -----------------------------------------------------------------------------

    def _device_info(self, param: object, now: float) -> dict[str, Any]:
        state = self.miner.state
        model = state.model
        if param not in (None, "", *DEVICE_INFO_SECTIONS):
            raise V3Error(-3, "invalid param")
        reading = self.miner.reading(now)
        miner: dict[str, Any] = {
            "working": "true" if reading.running else "false",
            "type": model.v3_type,
            "hash-board": model.variant[-3:],
            "detect-hash-rate": ":".join(
                str(round(board.factory * 1000)) for board in reading.boards
            ),
            "cointype": "BTC",
            "pool-strategy": "FAILOVER",
            "heatmode": state.heat_mode if model.hydro else "",
            "hash-percent": str(state.target_freq),
            "fast-boot": "enable" if state.fast_boot else "disable",
            "board-num": str(model.boards),
        }
        for index in range(model.boards):
            miner[f"chipdata{index}"] = model.chip
        for index, serial in enumerate(state.board_sns):
            miner[f"pcbsn{index}"] = serial
        miner |= {
            "miner-sn": state.miner_sn,
            "power-limit-set": str(state.power_limit),
        }
        sections: dict[str, Any] = {
            "network": {
                "ip": state.network.ip or self.miner.host,
                "proto": state.network.proto,
                "netmask": state.network.netmask,
                "dns": state.network.dns,
                "mac": state.mac,
                "gateway": state.network.gateway,
                "hostname": state.hostname,
            },
            "miner": miner,
            "system": {
                "api": self.miner.persona.v3_api_version or API_VERSION,
                "platform": "H616",
                "fwversion": state.firmware_version,
                "control-board-version": "CB6V10",
                "btrom": "1",
                "apiswitch": "1" if state.write_enabled else "0",
                "ledstatus": self._led_status(),
            },
            "power": {
                "type": model.psu_model,
                "mode": "1",
                "hwversion": "R00033",
                "swversion": "20201224_P00031.20210326_S00037",
                "model": f"{model.psu_model}-12-{model.power_limit}",
                "iin": round(reading.psu_iin, 2),
                "vin": round(reading.psu_vin, 1),
                "vout": 1209,
                "pin": self._power(reading, "get.device.info"),
                "fanspeed": reading.psu_fan,
                "temp0": reading.psu_temp,
                "sn": state.psu_sn,
                "vendor": "1",
            },
            "salt": state.v3_salt,
        }
        # Captured: no "error-code" key at all while the miner has no error.
        if state.errors or param == "error-code":
            sections["error-code"] = [
                {str(e.code): local_time_text(e.at, state.zonename), "reason": e.reason}
                for e in state.errors
            ]
        if self.miner.persona.v3_dialect == "2026":
            self._device_info_2026(sections, reading)
        if param in DEVICE_INFO_SECTIONS:
            return {str(param): sections[str(param)]}
        return sections

    def _device_info_2026(
        self, sections: dict[str, Any], reading: physics.Reading
    ) -> None:
        """API 3.0.5 (2026) sends less about the boards and more about power and coolant."""
        miner = sections["miner"]
        for key in [k for k in miner if k.startswith("pcbsn")]:
            del miner[key]
        miner.pop("board-num", None)
        miner.pop("fast-boot", None)
        power = sections["power"]
        if self.miner.state.model.hydro:
            power["liquid-temperature"] = round(reading.env_temp + 4.0, 1)
        power["fanspeed"] = 0 if self.miner.state.model.hydro else power["fanspeed"]

    def _led_status(self) -> str:
        led = self.miner.state.led
        if self.miner.persona.v3_dialect == "2026":
            return led_pattern_text(led)
        return "auto" if led == "auto" else "manual"

    def _power(self, reading: physics.Reading, command: str) -> int:
        if self.miner.faults.take(Fault.POWER_UNKNOWN, "v3", command) is not None:
            return -1
        return reading.power

    def _miner_status(self, param: object, now: float) -> dict[str, Any]:
        if not isinstance(param, str) or not param:
            raise V3Error(-3, "param missing")
        parts = param.split("+")
        if not all(part in STATUS_SECTIONS for part in parts):
            raise V3Error(-3, "invalid param")
        reading = self.miner.reading(now)
        message: dict[str, Any] = {}
        for part in parts:
            if part == "summary":
                message["summary"] = self._summary(reading)
            elif part == "pools":
                message["pools"] = self._pool_list(reading, now)
            else:
                message["edevs"] = self._edevs(reading)
        if self.miner.persona.v3_dialect == "2026":
            # API 3.0.5: boards without realtime rate or status, pools without counters.
            for board in message.get("edevs", ()):
                board.pop("hash-realtime", None)
                board.pop("status", None)
            for pool in message.get("pools", ()):
                for key in ("accepted", "rejected", "reject-rate"):
                    pool.pop(key, None)
        return message

    def _summary(self, reading: physics.Reading) -> dict[str, Any]:
        state = self.miner.state
        power = self._power(reading, "get.miner.status")
        return {
            "elapsed": reading.elapsed,
            "bootup-time": reading.uptime,
            "freq-avg": reading.frequency_avg,
            "target-freq": state.target_freq,
            "factory-hash": round(reading.factory, 3),
            "hash-average": round(reading.hashrate_avg, 3),
            "hash-1min": round(reading.hashrate_1m, 3),
            "hash-15min": round(reading.hashrate_15m, 3),
            "hash-realtime": round(reading.hashrate, 3),
            "power-rate": round(reading.power / reading.hashrate, 3)
            if reading.hashrate > 0
            else 0.0,
            "power-5min": reading.power_5min,
            "power-realtime": power,
            "environment-temperature": reading.env_temp,
            "board-temperature": [board.temperature for board in reading.boards],
            "chip-temp-min": reading.chip_min,
            "chip-temp-avg": reading.chip_avg,
            "chip-temp-max": reading.chip_max,
            "power-limit": state.power_limit,
            "up-freq-finish": 1 if reading.upfreq_complete else 0,
            "fan-speed-in": reading.fan_in,
            "fan-speed-out": reading.fan_out,
        }

    def _pool_list(self, reading: physics.Reading, now: float) -> list[dict[str, Any]]:
        pools: list[dict[str, Any]] = []
        for index, pool in enumerate(self.miner.state.pools):
            active = index == 0 and reading.running
            accepted = reading.accepted if index == 0 else 0
            rejected = reading.rejected if index == 0 else 0
            pools.append(
                {
                    "id": index + 1,
                    "url": pool.url,
                    "account": pool.worker,
                    "status": "alive",
                    "stratum-active": active,
                    "pool-priority": index,
                    "accepted": accepted,
                    "rejected": rejected,
                    "reject-rate": round(100 * rejected / max(1, accepted), 4),
                    "last-share-time": int(now) - 3 if active and accepted else 0,
                    "difficulty": physics.POOL_DIFFICULTY if active else 0.0,
                }
            )
        return pools

    def _edevs(self, reading: physics.Reading) -> list[dict[str, Any]]:
        return [
            {
                "id": board.index,
                "slot": board.index,
                "hash-realtime": round(board.hashrate, 3),
                "hash-average": round(board.hashrate_avg, 3),
                "factory-hash": round(board.factory, 3),
                "chip-temp-min": board.chip_min,
                "chip-temp-avg": board.chip_avg,
                "chip-temp-max": board.chip_max,
                "effective-chips": board.effective_chips,
                "freq": board.frequency,
                "status": "alive" if board.alive else "dead",
            }
            for board in reading.boards
        ]

    def _miner_setting(self, _param: object, now: float) -> dict[str, Any]:
        state = self.miner.state
        return {
            "power-limit": state.power_limit,
            "power-mode": state.power_mode.lower(),
            "power-percent": round(physics.effective_percent(state, now)),
            "target-freq": state.target_freq,
            "upfreq-speed": state.upfreq_speed,
            "fast-boot": "enable" if state.fast_boot else "disable",
            "heat-mode": state.heat_mode if state.model.hydro else "",
            "service": "enable" if state.autostart else "disable",
            "cointype": "BTC",
            "pools": [
                {"id": index + 1, "pool": pool.url, "worker": pool.worker}
                for index, pool in enumerate(state.pools)
            ],
        }

    def _system_setting(self, _param: object, _now: float) -> dict[str, Any]:
        state = self.miner.state
        log = state.log_server
        return {
            "timezone": state.timezone,
            "zonename": state.zonename,
            "hostname": state.hostname,
            "log-upload": {"ip": log.ip, "port": log.port, "proto": log.proto}
            if log
            else {"ip": "", "port": "", "proto": ""},
            "time-randomized": {"start": 0, "stop": 0},
            "ntp-server": list(state.ntp_servers),
        }

    def _fan_setting(self, _param: object, _now: float) -> dict[str, Any]:
        state = self.miner.state
        return {
            "fan-poweroff-cool": 1 if state.poweroff_cool else 0,
            "fan-zero-speed": 1 if state.fan_zero_speed else 0,
            "fan-temp-offset": state.temp_offset,
        }

    def _log_download(self, now: float) -> Outcome:
        archive = self.miner.log_archive(now)

        async def send(
            _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            for start in range(0, len(archive), 10 * 1024):  # streamed in 10 KB chunks
                writer.write(archive[start : start + 10 * 1024])
                await writer.drain()

        body = self.reply(0, {"logsize": str(len(archive))}, "get.log.download", now)
        # The raw archive follows the reply; the connection cannot carry frames after it.
        return Outcome(body, "get.log.download", follow_up=send, close=True)

    # -- write handlers --------------------------------------------------------------------

    @staticmethod
    def _choice(param: object, choices: tuple[str, ...]) -> str:
        if not isinstance(param, str) or param not in choices:
            raise V3Error(-3, "invalid param")
        return param

    @staticmethod
    def _int(param: object, low: int, high: int) -> int:
        value = as_int(param)
        if value is None:
            raise V3Error(-3, "invalid param")
        if not low <= value <= high:
            raise V3Error(-1, "param out of range")
        return value

    @staticmethod
    def _object(param: object, *names: str) -> dict[str, Any]:
        if not isinstance(param, dict) or not all(
            isinstance(param.get(name), str) and param.get(name) for name in names
        ):
            raise V3Error(-3, "invalid param")
        return param

    def _service(self, param: object, now: float) -> None:
        action = self._choice(param, ("start", "stop", "restart", "enable", "disable"))
        miner = self.miner
        if action == "start":
            miner.set_mining(now, mining=True)
        elif action == "stop":
            miner.set_mining(now, mining=False)
        elif action == "restart":
            miner.set_mining(now, mining=True)
            miner.restart_mining(now)
        else:
            miner.state.autostart = action == "enable"

    def _power_target(self, param: object, now: float) -> None:
        # Vendor: "after tuning, dynamic effective" - btminer keeps mining.
        watts = self._int(param, 0, 99999)
        self.miner.settle(now)
        self.miner.state.power_target = watts

    def _power_limit(self, param: object, now: float) -> None:
        limit = self._int(param, 0, 99999)
        self.miner.settle(now)
        self.miner.state.power_limit = limit
        self.miner.restart_mining(now)

    def _power_mode(self, param: object, now: float) -> None:
        mode = self._choice(param, tuple(MODE_NAMES))
        self.miner.settle(now)
        self.miner.state.power_mode = MODE_NAMES[mode]
        self.miner.restart_mining(now)

    def _power_percent(self, param: object, now: float) -> None:
        if not isinstance(param, dict):
            raise V3Error(-3, "invalid param")
        percent = self._int(param.get("percent"), 0, 100)
        mode = self._choice(param.get("mode", "fast"), ("fast", "normal"))
        state = self.miner.state
        if mode == "normal" and state.air_cooled and state.power_mode == "High":
            raise V3Error(-1, "not allowed in high power mode")
        self.miner.set_power_percent(now, percent, mode)

    def _target_freq(self, param: object, now: float) -> None:
        percent = self._int(param, -100, 100)
        if percent > 0 and self.miner.state.air_cooled:
            raise V3Error(-1, "air-cooled miners only support underclocking")
        self.miner.settle(now)
        self.miner.state.target_freq = percent
        self.miner.restart_mining(now)

    def _upfreq_speed(self, param: object, _now: float) -> None:
        self.miner.state.upfreq_speed = self._int(param, 0, 10)

    def _pre_power_on(self, _param: object, now: float) -> dict[str, Any]:
        progress = self.miner.pre_power_on(now)
        if progress is None:
            raise V3Error(-1, "stop the mining service before pre power on")
        complete, text = progress
        return {"complete": complete, "msg": text}

    def _fastboot(self, param: object, _now: float) -> None:
        self.miner.state.fast_boot = (
            self._choice(param, ("enable", "disable")) == "enable"
        )

    def _heat_mode(self, param: object, _now: float) -> None:
        mode = self._choice(param, ("heating", "normal", "anti-freezing"))
        if self.miner.state.air_cooled:
            raise V3Error(-1, "heat mode needs a liquid-cooled miner")
        self.miner.state.heat_mode = mode

    def _pools(self, param: object, _now: float) -> None:
        if not isinstance(param, list) or not 1 <= len(param) <= 3:
            raise V3Error(-3, "invalid param")
        pools: list[PoolSetting] = []
        for entry in param:
            if not isinstance(entry, dict):
                raise V3Error(-3, "invalid param")
            url, worker, password = (
                entry.get("pool"),
                entry.get("worker"),
                entry.get("passwd", ""),
            )
            if not isinstance(url, str) or not url or not isinstance(worker, str):
                raise V3Error(-3, "invalid param")
            if not isinstance(password, str):
                raise V3Error(-3, "invalid param")
            pools.append(PoolSetting(url, worker, password))
        self.miner.state.pools = pools

    def _restore_setting(self, _param: object, now: float) -> None:
        state = self.miner.state
        self.miner.settle(now)
        state.power_mode = "Normal"
        state.power_limit = state.model.power_limit
        state.target_freq = 0
        state.upfreq_speed = 0
        state.fast_boot = False
        state.power_target = 0
        self.miner.set_power_percent(now, 100, "fast")
        self.miner.restart_mining(now)

    def _report(self, param: object, _now: float) -> None:
        # Recorded only: the simulator never pushes status reports on a connection.
        if not isinstance(param, dict):
            raise V3Error(-3, "invalid param")
        self.miner.state.extra["report_gap"] = self._int(param.get("gap"), 0, 285)

    def _led(self, param: object, _now: float) -> None:
        if param == "auto":
            self.miner.state.led = "auto"
            return
        if not isinstance(param, list) or not param:
            raise V3Error(-3, "invalid param")
        patterns: list[LedPattern] = []
        for entry in param:
            if not isinstance(entry, dict) or entry.get("color") not in (
                "red",
                "green",
            ):
                raise V3Error(-3, "invalid param")
            patterns.append(
                LedPattern(
                    color=str(entry["color"]),
                    period=self._int(entry.get("period"), 1, 60000),
                    duration=self._int(entry.get("duration"), 0, 60000),
                    start=self._int(entry.get("start"), 0, 60000),
                )
            )
        self.miner.state.led = tuple(patterns)

    def _reboot(self, _param: object, now: float) -> Outcome:
        miner = self.miner
        return Outcome(
            self.reply(0, "ok", "set.system.reboot", now),
            after=lambda: miner.reboot(miner.clock(), miner.reboot_downtime),
            close=True,
        )

    def _factory_reset(self, _param: object, now: float) -> Outcome:
        miner = self.miner

        def reset() -> None:
            miner.factory_reset()
            miner.reboot(miner.clock(), miner.reboot_downtime)

        return Outcome(
            self.reply(0, "ok", "set.system.factory_reset", now),
            after=reset,
            close=True,
        )

    def _hostname(self, param: object, _now: float) -> None:
        self.miner.state.hostname = self._object(param, "hostname")["hostname"]

    def _timezone(self, param: object, _now: float) -> None:
        values = self._object(param, "timezone", "zonename")
        self.miner.state.timezone = values["timezone"]
        self.miner.state.zonename = values["zonename"]

    def _webpools(self, param: object, _now: float) -> None:
        self.miner.state.web_pools = (
            self._choice(param, ("enable", "disable")) == "enable"
        )

    def _net_config(self, param: object, now: float) -> Outcome:
        state = self.miner.state
        hostname = state.hostname
        if param == "dhcp":
            network = NetworkSetting()
        else:
            values = self._object(param, "ip", "netmask", "gateway", "dns")
            network = NetworkSetting(
                "static",
                values["ip"],
                values["netmask"],
                values["gateway"],
                values["dns"],
            )
            if isinstance(values.get("hostname"), str) and values["hostname"]:
                hostname = values["hostname"]
        miner = self.miner

        def apply() -> None:
            state.network = network
            state.hostname = hostname
            miner.reboot(miner.clock(), miner.reboot_downtime)

        return Outcome(
            self.reply(0, "ok", "set.system.net_config", now), after=apply, close=True
        )

    def _ntp_server(self, param: object, _now: float) -> None:
        if not isinstance(param, str) or not param.strip():
            raise V3Error(-3, "invalid param")
        self.miner.state.ntp_servers = tuple(
            s.strip() for s in param.split(",") if s.strip()
        )

    def _update_firmware(self, _param: object, now: float) -> Outcome:
        miner = self.miner
        received: list[int] = []

        async def receive(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            async with asyncio.timeout(60):
                size = struct.unpack("<I", await reader.readexactly(4))[0]
                if size > MAX_FIRMWARE_BYTES:
                    return
                await reader.readexactly(size)
            received.append(size)
            miner.state.firmware_uploads.append(size)
            final = self.reply(0, "ok", "set.system.update_firmware", miner.clock())
            writer.write(len(final).to_bytes(4, "little") + final)
            await writer.drain()

        def install() -> None:
            if received:  # the image came in whole: flash it and reboot
                miner.reboot(miner.clock(), miner.reboot_downtime)

        return Outcome(
            self.reply(0, "ready", "set.system.update_firmware", now),
            follow_up=receive,
            after=install,
            close=True,
        )

    def _log_upload(self, param: object, _now: float) -> None:
        values = self._object(param, "ip", "port", "proto")
        if values["proto"] not in ("tcp", "udp") or as_int(values["port"]) is None:
            raise V3Error(-3, "invalid param")
        self.miner.state.log_server = LogServer(
            values["ip"], values["port"], values["proto"]
        )

    def _poweroff_cool(self, param: object, _now: float) -> None:
        self.miner.state.poweroff_cool = bool(self._int(param, 0, 1))

    def _zero_speed(self, param: object, _now: float) -> None:
        self.miner.state.fan_zero_speed = bool(self._int(param, 0, 1))

    def _temp_offset(self, param: object, now: float) -> None:
        offset = self._int(param, -30, 0)
        self.miner.settle(now)
        self.miner.state.temp_offset = offset

    def _change_passwd(self, param: object, _now: float) -> None:
        values = self._object(param, "account", "old", "new")
        accounts = self.miner.state.accounts
        account = values["account"]
        if account not in accounts:
            raise V3Error(-1, "account error")
        if values["old"] != accounts[account]:
            raise V3Error(-1, "old password error")
        if not PASSWORD_PATTERN.fullmatch(values["new"]):
            raise V3Error(-1, "new password invalid")
        accounts[account] = values["new"]

    def _permission(self, param: object, _now: float) -> None:
        values = self._object(param, "user", "permission")
        if values["user"] not in ("user1", "user2", "user3"):
            raise V3Error(-3, "invalid param")
        commands = frozenset(
            c.strip() for c in values["permission"].split(",") if c.strip()
        )
        self.miner.state.permissions[values["user"]] = commands
