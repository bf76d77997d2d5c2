"""API v2 (TCP 4028) as a Whatsminer speaks it: envelopes, tokens, AES, writes.

The handler works on one complete request and returns an :class:`Outcome`; the
miner's connection code (``miner.py``) does the socket work and the faults that
mangle bytes on the wire. Reply shapes, field names and units follow the vendor
document and the project reference (``MHS`` in MH/s, ``Factory GHS`` in GH/s,
``Power`` in W, PSU ``vin`` in 0.01 V and ``iin`` in mA as strings).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import struct
import tarfile
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

TOKEN_LIFETIME = 30 * 60.0
TOKENS_PER_IP = 32
TOKEN_CLIENT_IPS = 16
PASSWORD_PATTERN = re.compile(r"[A-Za-z0-9_]{1,8}")
CGMINER_DESCRIPTION = "cgminer 4.9.2"
MAX_FIRMWARE_BYTES = 512 * 1024 * 1024

# cgminer-forwarded reads: command -> (section, status code)
CGMINER_READS = {
    "summary": ("SUMMARY", 11),
    "pools": ("POOLS", 7),
    "edevs": ("DEVS", 9),
    "devs": ("DEVS", 9),
    "devdetails": ("DEVDETAILS", 69),
}
NATIVE_READS = frozenset(
    {
        "get_token",
        "get_version",
        "get_psu",
        "status",
        "get_miner_info",
        "get_error_code",
    }
)
WRITES = frozenset(
    {
        "update_pools",
        "restart_btminer",
        "power_off",
        "power_on",
        "set_led",
        "set_low_power",
        "set_normal_power",
        "set_high_power",
        "update_firmware",
        "reboot",
        "factory_reset",
        "update_pwd",
        "net_config",
        "download_logs",
        "set_target_freq",
        "enable_btminer_fast_boot",
        "disable_btminer_fast_boot",
        "enable_web_pools",
        "disable_web_pools",
        "set_hostname",
        "set_zone",
        "load_log",
        "set_power_pct",
        "set_power_pct_v2",
        "pre_power_on",
        "set_temp_offset",
        "adjust_power_limit",
        "adjust_upfreq_speed",
        "set_poweroff_cool",
        "set_fan_zero_speed",
    }
)
# Through the new firmware's compatibility layer these answer OK and change nothing.
COMPAT_BROKEN_WRITES = frozenset(
    {
        "power_off",
        "power_on",
        "set_low_power",
        "set_normal_power",
        "set_high_power",
        "adjust_power_limit",
        "set_power_pct",
        "set_power_pct_v2",
    }
)
MINER_INFO_FIELDS = (
    "ip",
    "proto",
    "netmask",
    "gateway",
    "dns",
    "hostname",
    "mac",
    "ledstat",
    "minersn",
    "powersn",
)


def dumps(value: object) -> bytes:
    """Serialise compactly, as btminer does."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class CommandError(Exception):
    """A write the miner refuses: answered with a native error envelope."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class V2Handler:
    """Answers API v2 requests for one simulated miner."""

    def __init__(self, miner: SimulatedMiner) -> None:
        self.miner = miner
        # client ip -> [(sign, issued at)]
        self.tokens: dict[str, list[tuple[str, float]]] = {}
        self._key_cache: tuple[str, str, str, bytes] | None = None

    # -- helpers ---------------------------------------------------------------------------

    @property
    def compat(self) -> bool:
        """Tell whether 4028 answers as new firmware's compatibility layer."""
        return self.miner.persona.v2_dialect == "compat"

    def _compat_for(self, command: str | None) -> bool:
        return (
            self.compat
            or self.miner.faults.find(Fault.COMPAT_LAYER, "v2", command) is not None
        )

    def keys(self) -> tuple[str, bytes]:
        """Return (key, AES key) for the current admin password and salt."""
        state = self.miner.state
        cached = self._key_cache
        if cached is None or cached[0] != state.password or cached[1] != state.salt:
            key = crypto.v2_key(state.password, state.salt)
            cached = (state.password, state.salt, key, crypto.v2_aes_key(key))
            self._key_cache = cached
        return cached[2], cached[3]

    def native(
        self, code: int, msg: object, now: float, status: str = "S"
    ) -> dict[str, Any]:
        """Build a btminer-native envelope."""
        return {
            "STATUS": status,
            "When": int(now),
            "Code": code,
            "Msg": msg,
            "Description": self.miner.persona.native_description,
        }

    def _record(
        self,
        command: str | None,
        params: dict[str, Any],
        client_ip: str,
        now: float,
        *,
        authenticated: bool,
    ) -> None:
        self.miner.requests.append(
            RecordedRequest("v2", command, params, client_ip, now, authenticated)
        )

    def _fault(self, fault: Fault, command: str | None) -> bool:
        return self.miner.faults.take(fault, "v2", command) is not None

    # -- entry point -----------------------------------------------------------------------

    def handle(self, raw: bytes, client_ip: str, now: float) -> Outcome:
        """Answer one request (the bytes of one JSON object, possibly invalid)."""
        try:
            request = json.loads(
                raw.decode("utf-8", errors="strict").strip().rstrip("\x00")
            )
        except UnicodeDecodeError, ValueError:
            request = None
        if not isinstance(request, dict):
            self._record(None, {}, client_ip, now, authenticated=False)
            body = self.native(23, "invalid JSON message", now, "E")
            return Outcome(dumps(body))
        if "enc" in request:
            return self._handle_encrypted(request, client_ip, now)
        command = request.get("cmd", request.get("command"))
        params = {k: v for k, v in request.items() if k not in ("cmd", "command")}
        if not isinstance(command, str):
            self._record(None, params, client_ip, now, authenticated=False)
            return Outcome(
                dumps(self.native(14, "invalid API command or data", now, "E"))
            )
        self._record(command, params, client_ip, now, authenticated=False)
        if (
            self.miner.persona.cgminer_reads_need_command
            and "command" not in request
            and all(part in CGMINER_READS for part in command.split("+"))
        ):
            status = {
                "STATUS": "E",
                "When": int(now),
                "Code": 24,
                "Msg": "Missing JSON 'command'",
                "Description": CGMINER_DESCRIPTION,
            }
            return Outcome(dumps({"STATUS": [status], "id": 1}), command)
        if command in WRITES:
            return Outcome(
                dumps(self.native(45, "Permission denied", now, "E")), command
            )
        return self.read(command, request, client_ip, now)

    # -- reads -----------------------------------------------------------------------------

    def read(
        self, command: str, request: dict[str, Any], client_ip: str, now: float
    ) -> Outcome:
        """Answer a read command (plaintext or decrypted) as the persona's firmware does."""
        refusal = self.miner.persona.refusals.get(command)
        if refusal is not None:
            body = self.native(refusal.code, refusal.message, now, refusal.status)
            return Outcome(dumps(body), command)
        outcome = self._build_read(command, request, client_ip, now)
        try:
            reply = json.loads(outcome.body)
        except ValueError:
            return outcome  # a quirk made it invalid JSON on purpose
        if not isinstance(reply, dict):
            return outcome
        if command == "get_miner_info" and isinstance(request.get("info"), str):
            pass  # asked for some fields only: the capture (all fields) does not apply
        elif "+" in command and "STATUS" not in reply:
            for part in command.split("+"):
                if isinstance(reply.get(part), list) and reply[part]:
                    reply[part] = [self._conform(part, reply[part][0])]
        else:
            reply = self._conform(command, reply)
        if command == "status" and self._fault(Fault.OLD_STATUS, "status"):
            message = reply.get("Msg")
            if isinstance(message, dict) and "mineroff" in message:
                message["btmineroff"] = message.pop("mineroff")
        outcome.body = dumps(reply)
        return outcome

    def _conform(self, command: str, reply: dict[str, Any]) -> dict[str, Any]:
        persona = self.miner.persona
        template = persona.template(command)
        if template is None or reply.get("STATUS") == "E":
            return reply
        if self._compat_for(command) and not self.compat:
            return reply  # the compat-layer fault on an older persona: no capture fits
        if isinstance(reply.get("STATUS"), list) and reply["STATUS"][0].get(
            "STATUS"
        ) not in (None, "S"):
            return reply
        fills: list[str] = []
        shaped: dict[str, Any] = conform(
            reply,
            template,
            passthrough=persona.passthrough,
            fillable=STATIC_FIELDS,
            fills=fills,
        )
        self.miner.persona_fills[command] = fills
        return shaped

    def _build_read(
        self, command: str, request: dict[str, Any], client_ip: str, now: float
    ) -> Outcome:
        parts = command.split("+")
        if len(parts) > 1:
            # btminer's reads are cgminer's: it joins any number of forwarded
            # reads and keys each command's whole reply by its name (pyasic, which
            # works against real miners, asks for "summary+devs+pools" that way).
            if not all(part in CGMINER_READS for part in parts) or self._compat_for(
                command
            ):
                return Outcome(dumps(self._invalid_command(now, command)), command)
            keyed: dict[str, Any] = {
                part: [self._cgminer([part], now)] for part in parts
            }
            return Outcome(dumps({**keyed, "id": 1}), command)
        if command in CGMINER_READS:
            if self._compat_for(command):
                return Outcome(dumps(self._compat_read(command, now)), command)
            return Outcome(dumps(self._cgminer([command], now)), command)
        builders: dict[str, Callable[[dict[str, Any], str, float], Outcome]] = {
            "get_token": self._get_token,
            "get_version": self._get_version,
            "get_psu": self._get_psu,
            "status": self._status,
            "get_miner_info": self._get_miner_info,
            "get_error_code": self._get_error_code,
        }
        builder = builders.get(command)
        if builder is None:
            return Outcome(dumps(self._invalid_command(now, command)), command)
        outcome = builder(request, client_ip, now)
        outcome.command = command
        return outcome

    def _invalid_command(self, now: float, command: str) -> dict[str, Any]:
        if self._compat_for(command):
            return self.native(14, "invalid cmd", now, "E")
        status = {
            "STATUS": "E",
            "When": int(now),
            "Code": 14,
            "Msg": "Invalid command",
            "Description": CGMINER_DESCRIPTION,
        }
        return {"STATUS": [status], "id": 1}

    def _cgminer(self, commands: list[str], now: float) -> dict[str, Any]:
        reading = self.miner.reading(now)
        statuses: list[dict[str, Any]] = []
        reply: dict[str, Any] = {"STATUS": statuses}
        for command in commands:
            section, code = CGMINER_READS[command]
            if command == "summary":
                items = [self._summary_item(reading, now)]
                message = "Summary"
            elif command == "pools":
                items = self._pool_items(reading, now)
                message = f"{len(items)} Pool(s)"
            elif command == "devdetails":
                items = self._devdetail_items()
                message = "Device Details"
            else:
                items = self._dev_items(reading, now, th_units=False)
                message = f"{len(items)} ASC(s)"
            description = "btminer" if command == "devdetails" else CGMINER_DESCRIPTION
            statuses.append(
                {
                    "STATUS": "S",
                    "When": int(now),
                    "Code": code,
                    "Msg": message,
                    "Description": description,
                }
            )
            reply[section] = items
        reply["id"] = 1
        return reply

    def _compat_read(self, command: str, now: float) -> dict[str, Any]:
        reading = self.miner.reading(now)
        if command == "summary":
            # Still MH/s (a captured M60S-class reply: "HS RT":140544208, the sum of
            # its three boards' 45.61 + 50.13 + 44.80 TH/s); only edevs are in TH/s.
            return self.native(131, self._summary_item(reading, now), now)
        if command == "devdetails":
            return self.native(132, "This command is deprecated.", now, "E")
        if command == "pools":
            return self._cgminer(["pools"], now)
        items = self._dev_items(reading, now, th_units=True)
        status = {
            "STATUS": "S",
            "When": int(now),
            "Code": 9,
            "Msg": f"{len(items)} ASC(s)",
            "Description": "btminer",
        }
        return {"STATUS": [status], "DEVS": items, "id": 1}

    def _summary_item(self, reading: physics.Reading, now: float) -> dict[str, Any]:
        """Every summary field any firmware sends; the persona keeps its own (MH/s)."""
        state = self.miner.state
        miner = self.miner

        def rate(value: float) -> float:
            return round(value * 1e6, 2)

        power: int = reading.power
        if self._fault(Fault.POWER_UNKNOWN, "summary"):
            power = -1
        power_rate = (
            round(reading.power / reading.hashrate, 2) if reading.hashrate > 0 else 0.0
        )
        board_temps = [board.temperature for board in reading.boards]
        boards_realtime = sum(board.hashrate for board in reading.boards)
        compat = self._compat_for("summary")
        errors = state.errors
        firmware = state.firmware_version
        if miner.persona.v2_dialect == "v1":
            firmware = f"'{firmware}'"  # old firmware quotes it (captured)
        difficulty = physics.POOL_DIFFICULTY
        item: dict[str, Any] = {
            "Elapsed": reading.elapsed,
            "MHS av": rate(reading.hashrate_avg),
            "MHS 5s": rate(reading.hashrate),
            "MHS 1m": rate(reading.hashrate_1m),
            "MHS 5m": rate(reading.hashrate_5m),
            "MHS 15m": rate(reading.hashrate_15m),
            # The compatibility layer's HS RT is the sum of the boards' realtime rates
            # (captured); older firmware repeats MHS 5m there (captured, v1.4.0).
            "HS RT": rate(boards_realtime if compat else reading.hashrate_5m),
            "Accepted": reading.accepted,
            "Rejected": reading.rejected,
            "Total MH": round(reading.hashrate_avg * 1e6 * reading.elapsed, 4),
            "Temperature": round(sum(board_temps) / len(board_temps), 2),
            "freq_avg": reading.frequency_avg,
            "Fan Speed In": reading.fan_in,
            "Fan Speed Out": reading.fan_out,
            "Power": power,
            "Power Rate": power_rate,
            "Pool Rejected%": round(
                100 * reading.rejected / max(1, reading.accepted), 4
            ),
            "Pool Stale%": 0.0,
            "Last getwork": int(now) if reading.running else 0,
            "Uptime": reading.uptime,
            "Security Mode": 0,
            "Hash Stable": reading.hash_stable,
            "Hash Stable Cost Seconds": min(
                reading.elapsed, int(physics.warmup_seconds(state))
            ),
            "Hash Deviation%": round(
                100 * (reading.hashrate / reading.target_hashrate - 1), 4
            )
            if reading.running and reading.target_hashrate
            else 0.0,
            "Target Freq": reading.target_frequency,
            "Target MHS": round(reading.target_hashrate * 1e6),
            "Env Temp": reading.env_temp,
            "Power Mode": state.power_mode,
            "Factory GHS": round(reading.factory * 1000),
            "Power Limit": state.power_limit,
            "Chip Temp Min": reading.chip_min,
            "Chip Temp Max": reading.chip_max,
            "Chip Temp Avg": reading.chip_avg,
            "Debug": f"-0.0_100.0_{int(reading.env_temp * 10)}",
            "Btminer Fast Boot": "enable" if state.fast_boot else "disable",
            "Upfreq Complete": 1 if reading.upfreq_complete else 0,
        }
        if miner.persona.v2_dialect != "v1":
            return item
        # Old firmware (captured, API v1.4.0) also reports these.
        item |= {
            "Power_RT": power,
            "MAC": state.mac,
            "Firmware Version": firmware,
            "Chip Data": state.model.chip,
            "Liquid Cooling": state.model.hydro,
            "Power Fanspeed": reading.psu_fan,
            "Power Current": round(power / 11.8) if power > 0 else 0,
            "Voltage": 1180 if reading.running else 0,
            "Getworks": reading.accepted // 8 + (1 if reading.running else 0),
            "Difficulty Accepted": float(reading.accepted * difficulty),
            "Hardware Errors": reading.accepted // 40,
            "Utility": round(60 * reading.accepted / reading.elapsed, 2)
            if reading.elapsed
            else 0.0,
            "Error Code Count": len(errors),
        }
        for index, entry in enumerate(errors):
            item[f"Error Code {index}"] = entry.code
        return item

    def _pool_items(self, reading: physics.Reading, now: float) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for index, pool in enumerate(self.miner.state.pools):
            active = index == 0 and reading.running
            host = pool.url.split("://", 1)[-1].rsplit(":", 1)[0]
            accepted = reading.accepted if index == 0 else 0
            rejected = reading.rejected if index == 0 else 0
            items.append(
                {
                    "POOL": index + 1,
                    "URL": pool.url,
                    "Status": "Alive",
                    "Priority": index,
                    "Quota": 1,
                    "Long Poll": "N",
                    "Getworks": accepted // 8 + (1 if active else 0),
                    "Accepted": accepted,
                    "Rejected": rejected,
                    "Works": accepted * 4,
                    "Discarded": 0,
                    "Stale": 0,
                    "Get Failures": 0,
                    "Remote Failures": 0,
                    "User": pool.worker,
                    "Last Share Time": int(now) - 3 if active and accepted else 0,
                    "Diff1 Shares": 0,
                    "Proxy Type": "",
                    "Proxy": "",
                    "Difficulty Accepted": float(accepted * physics.POOL_DIFFICULTY),
                    "Difficulty Rejected": float(rejected * physics.POOL_DIFFICULTY),
                    "Difficulty Stale": 0.0,
                    "Last Share Difficulty": physics.POOL_DIFFICULTY if active else 0.0,
                    "Work Difficulty": physics.POOL_DIFFICULTY if active else 0.0,
                    "Has Stratum": 1,
                    "Stratum Active": active,
                    "Stratum URL": host if active else "",
                    "Stratum Difficulty": physics.POOL_DIFFICULTY if active else 0.0,
                    "Best Share": accepted * 131072,
                    "Pool Rejected%": round(100 * rejected / max(1, accepted), 4),
                    "Pool Stale%": 0.0,
                    "Bad Work": 0,
                    "Current Block Height": 880000 + int(now // 600) % 100000
                    if active
                    else 0,
                    "Current Block Version": 536870916,
                }
            )
            items[-1]["To Remove"] = False  # 2024+ firmware (captured)
        return items

    def _dev_items(
        self, reading: physics.Reading, now: float, *, th_units: bool
    ) -> list[dict[str, Any]]:
        state = self.miner.state
        scale = 1.0 if th_units else 1e6
        old_firmware = self.miner.persona.v2_dialect == "v1"
        items: list[dict[str, Any]] = []
        for board in reading.boards:
            accepted = reading.accepted // len(reading.boards)
            item: dict[str, Any] = {
                "ASC": board.index,
                "Slot": board.index,
                "Enabled": "Y",
                "Status": "Alive" if board.alive else "Dead",
                "Temperature": board.temperature,
                "Chip Frequency": board.frequency,
                "MHS av": round(board.hashrate_avg * scale, 2),
                "MHS 5s": round(board.hashrate * scale, 2),
                "MHS 1m": round(board.hashrate * scale, 2),
                "MHS 5m": round(board.hashrate * scale, 2),
                "MHS 15m": round(board.hashrate_avg * scale, 2),
                "HS RT": round(board.hashrate * scale, 2),
                "HS Factory": round(board.factory * 1000),
                "Accepted": accepted,
                "Rejected": 0,
                "Last Valid Work": int(now) - 1 if board.alive else 0,
                "Upfreq Complete": 1 if reading.upfreq_complete else 0,
                "Effective Chips": board.effective_chips,
                "PCB SN": state.board_sns[board.index],
                "Chip Data": state.model.chip,
                "Chip Temp Min": board.chip_min,
                "Chip Temp Max": board.chip_max,
                "Chip Temp Avg": board.chip_avg,
                "chip_vol_diff": 9,
            }
            # Per-board factory GH/s (captured on 2022 firmware and the compat layer).
            item["Factory GHS"] = round(board.factory * 1000)
            if old_firmware:  # captured on API v1.4.0
                item |= {
                    "ID": board.index,
                    "Name": "SM",
                    "Device Elapsed": reading.elapsed,
                    "Fan Speed In": reading.fan_in,
                    "Fan Speed Out": reading.fan_out,
                    "Total MH": round(board.hashrate_avg * 1e6 * reading.elapsed, 1),
                    "Difficulty Accepted": float(accepted * physics.POOL_DIFFICULTY),
                    "Diff1 Work": accepted * 263,
                    "Last Share Time": int(now) - 10 if accepted else 0,
                    "Hardware Errors": accepted // 40,
                    "Utility": round(60 * accepted / reading.elapsed, 2)
                    if reading.elapsed
                    else 0.0,
                }
            items.append(item)
        return items

    def _devdetail_items(self) -> list[dict[str, Any]]:
        model = self.miner.state.model
        return [
            {
                "DEVDETAILS": index,
                "Name": "SM",
                "ID": index,
                "Driver": "bitmicro",
                "Kernel": "",
                "Model": model.variant,
            }
            for index in range(model.boards)
        ]

    def _get_token(
        self, _request: dict[str, Any], client_ip: str, now: float
    ) -> Outcome:
        if self._fault(Fault.TOKEN_LIMIT, "get_token") or not self._token_room(
            client_ip, now
        ):
            return Outcome(dumps(self.native(136, "over max connect", now, "E")))
        key, _ = self.keys()
        time_text = f"{int(now) % 10000:04d}"
        newsalt = self.miner.new_salt()
        sign = crypto.v2_sign(key, time_text, newsalt)
        self.tokens.setdefault(client_ip, []).append((sign, now))
        self.miner.tokens_issued += 1
        message = {"time": time_text, "salt": self.miner.state.salt, "newsalt": newsalt}
        return Outcome(dumps(self.native(134, message, now)))

    def _token_room(self, client_ip: str, now: float) -> bool:
        for ip in list(self.tokens):
            live = [(s, t) for s, t in self.tokens[ip] if now - t < TOKEN_LIFETIME]
            if live:
                self.tokens[ip] = live
            else:
                del self.tokens[ip]
        mine = self.tokens.get(client_ip)
        if mine is None:
            return len(self.tokens) < TOKEN_CLIENT_IPS
        return len(mine) < TOKENS_PER_IP

    def token_valid(self, sign: object, client_ip: str, now: float) -> bool:
        """Tell whether a sign belongs to a live token issued to this client."""
        if not isinstance(sign, str):
            return False
        return any(
            s == sign and now - t < TOKEN_LIFETIME
            for s, t in self.tokens.get(client_ip, ())
        )

    def _get_version(
        self, _request: dict[str, Any], _client_ip: str, now: float
    ) -> Outcome:
        state = self.miner.state
        api_ver = state.api_version
        if self._fault(Fault.API_VER_TEXT, "get_version"):
            api_ver = "whatsminer v1.4.0"
        message = {
            "api_ver": api_ver,
            "fw_ver": state.firmware_version,
            "platform": "H6OS" if state.api == "v2" else "H616",
            "chip": state.model.chip,
        }
        if self._compat_for("get_version"):
            message["miner_type"] = state.model.v3_type  # new firmware names the model
        return Outcome(dumps(self.native(131, message, now)))

    def _get_psu(
        self, _request: dict[str, Any], _client_ip: str, now: float
    ) -> Outcome:
        state = self.miner.state
        reading = self.miner.reading(now)
        message = {
            "name": state.model.psu_model,
            "hw_version": "V01.00",
            "sw_version": "V01.00.V01.03",
            "model": state.model.psu_model,
            "enable": "1",
            "iin": str(round(reading.psu_iin * 1000)),  # mA
            "vin": str(round(reading.psu_vin * 100)),  # 0.01 V
            "pin": str(round(reading.psu_vin * reading.psu_iin * 0.96)),  # W
            "fan_speed": str(reading.psu_fan),
            "version": "-1",
            "serial_no": state.psu_sn,
            "vendor": "7",
            "temp0": f"{reading.psu_temp:.1f}",
        }
        return Outcome(dumps(self.native(131, message, now)))

    def _status(self, _request: dict[str, Any], _client_ip: str, now: float) -> Outcome:
        state = self.miner.state
        off = "false" if physics.running(state, now) else "true"
        firmware = state.firmware_version
        quoted = self._fault(Fault.QUOTED_FIRMWARE, "status")
        message: dict[str, Any]
        if self.miner.persona.v2_dialect == "v1":
            # Captured on API v1.4.0: the version quoted, and "btmineroff" "true" while
            # the same miner's summary shows it hashing: old firmware's flag says nothing.
            message = {"btmineroff": "true", "Firmware Version": f"'{firmware}'"}
        else:
            # Captured on 2024 firmware (API 2.0.x): every value a string, the mode in
            # lower case, the version under "FirmwareVersion" (no space, no quotes).
            message = {
                "mineroff": off,
                "mineroff_reason": "",
                "mineroff_time": "",
                "FirmwareVersion": f"'{firmware}'" if quoted else firmware,
                "power_mode": state.power_mode.lower(),
                "power_limit_set": str(state.power_limit),
                "hash_percent": str(state.target_freq),
            }
        for key, value in self.miner.persona.status_values.items():
            if key in message:
                message[key] = value
        if self.miner.persona.v3_dialect == "2026":
            reading = self.miner.reading(now)
            message |= {  # captured on 20260312.16.REL3 (numbers, not strings)
                "fast_mining": "false",
                "fast_hash": "false",
                "liquid_temp": round(reading.env_temp + 4.0),
                "power_pct": round(physics.effective_percent(state, now)),
            }
        return Outcome(dumps(self.native(131, message, now)))

    def _get_miner_info(
        self, request: dict[str, Any], _client_ip: str, now: float
    ) -> Outcome:
        state = self.miner.state
        network = state.network
        values: dict[str, Any] = {
            "ip": network.ip or self.miner.host,
            "proto": network.proto,
            "netmask": network.netmask,
            "gateway": network.gateway,
            "dns": network.dns,
            "hostname": state.hostname,
            "mac": state.mac,
            "ledstat": "auto" if state.led == "auto" else "manual",
            "minersn": state.miner_sn,
            "powersn": state.psu_sn,
        }
        values["upfreq_speed"] = str(state.upfreq_speed)  # 2024+ firmware (captured)
        if self._compat_for("get_miner_info"):  # new firmware (captured)
            values["ntp"] = list(state.ntp_servers)
        if self.miner.persona.v3_dialect == "2026":
            values["ledstat"] = led_pattern_text(state.led)
        wanted = request.get("info")
        if isinstance(wanted, str):
            names = [name.strip() for name in wanted.split(",")]
            message = {name: values[name] for name in names if name in values}
        else:
            message = values
        return Outcome(dumps(self.native(131, message, now)))

    def _get_error_code(
        self, _request: dict[str, Any], _client_ip: str, now: float
    ) -> Outcome:
        state = self.miner.state
        entries = [
            (str(e.code), local_time_text(e.at, state.zonename)) for e in state.errors
        ]
        if self._fault(Fault.ERROR_CODE_LIST, "get_error_code"):
            # API 2.0.4 wrote the codes as invalid JSON: a list of bare "key":"value" pairs.
            pairs = ",".join(
                f"{json.dumps(code)}:{json.dumps(at)}" for code, at in entries
            )
            text = (
                f'{{"STATUS":"S","When":{int(now)},"Code":131,'
                f'"Msg":{{"error_code":[{pairs}]}},"Description":""}}'
            )
            return Outcome(text.encode())
        message = {"error_code": [{code: at} for code, at in entries]}
        return Outcome(dumps(self.native(131, message, now)))

    # -- encrypted commands ----------------------------------------------------------------

    def _handle_encrypted(
        self, request: dict[str, Any], client_ip: str, now: float
    ) -> Outcome:
        state = self.miner.state
        key, aes_key = self.keys()
        data = request.get("data")
        decrypted: dict[str, Any] | None = None
        base64_error = False
        if isinstance(data, str):
            try:
                plain = crypto.aes_decrypt(aes_key, data)
                value = json.loads(plain.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as err:
                base64_error = (
                    "base64" in str(err).lower() or "padding" in str(err).lower()
                )
            else:
                if isinstance(value, dict):
                    decrypted = value
        command = decrypted.get("cmd", decrypted.get("command")) if decrypted else None
        command = command if isinstance(command, str) else None
        params = {
            k: v
            for k, v in (decrypted or {}).items()
            if k not in ("cmd", "command", "token")
        }
        if not state.write_enabled or self._fault(Fault.WRITE_DISABLED, command):
            self._record(command, params, client_ip, now, authenticated=False)
            body = self.native(45, "can't access write cmd", now, "E")
            return Outcome(dumps(body), command)
        if base64_error:
            self._record(None, {}, client_ip, now, authenticated=False)
            return Outcome(dumps(self.native(137, "base64 decode error", now, "E")))
        if decrypted is None or command is None:
            self._record(command, params, client_ip, now, authenticated=False)
            # The whole btminer envelope (captured:
            # v2/whatsminer-api-issue3__unknown__reboot.raw).
            body = self.native(23, "enc json load err", now, "E")
            return Outcome(dumps(body), command)
        token_ok = self.token_valid(decrypted.get("token"), client_ip, now)
        if token_ok and self._fault(Fault.TOKEN_CHECK_ERROR, command):
            token_ok = False
        self._record(command, params, client_ip, now, authenticated=token_ok)
        if not token_ok:
            return self._encrypted(
                self.native(135, "check token error", now, "E"), key, command
            )
        if command in WRITES:
            outcome = self._write(command, decrypted, client_ip, now)
        else:
            outcome = self.read(command, decrypted, client_ip, now)
        try:
            reply = json.loads(outcome.body)
        except ValueError:
            # A read's quirky text cannot be re-encrypted as JSON; send its bytes.
            reply = None
        if reply is None:
            return outcome
        encrypted = self._encrypted(reply, key, command)
        encrypted.follow_up = outcome.follow_up
        encrypted.after = outcome.after
        return encrypted

    def _encrypted(
        self, reply: dict[str, Any], key: str, command: str | None
    ) -> Outcome:
        aes_key = crypto.v2_aes_key(key)
        body = dumps({"enc": crypto.aes_encrypt(aes_key, dumps(reply))})
        return Outcome(body, command, encrypted=True)

    # -- writes ----------------------------------------------------------------------------

    def _write(
        self, command: str, request: dict[str, Any], client_ip: str, now: float
    ) -> Outcome:
        if self._compat_for(command) and command in COMPAT_BROKEN_WRITES:
            return Outcome(dumps(self.native(131, "OK", now)), command)
        handler = getattr(self, f"_w_{command}")
        try:
            result: Outcome | Any = handler(request, client_ip, now)
        except CommandError as err:
            return Outcome(dumps(self.native(err.code, err.message, now, "E")), command)
        if isinstance(result, Outcome):
            result.command = command
            return result
        return Outcome(
            dumps(self.native(131, "OK" if result is None else result, now)), command
        )

    def _number(self, request: dict[str, Any], name: str, low: int, high: int) -> int:
        value = as_int(request.get(name))
        if value is None:
            raise CommandError(14, "invalid API command or data")
        if not low <= value <= high:
            raise CommandError(132, f"{name} out of range")
        return value

    def _w_update_pools(self, request: dict[str, Any], _ip: str, _now: float) -> None:
        pools: list[PoolSetting] = []
        for slot in (1, 2, 3):
            url, worker, password = (
                request.get(f"pool{slot}", ""),
                request.get(f"worker{slot}", ""),
                request.get(f"passwd{slot}", ""),
            )
            if not all(isinstance(v, str) for v in (url, worker, password)):
                raise CommandError(14, "invalid API command or data")
            if url:
                pools.append(PoolSetting(url, worker, password))
        if not pools:
            raise CommandError(132, "pool1 is empty")
        self.miner.state.pools = pools

    def _w_restart_btminer(
        self, _request: dict[str, Any], _ip: str, now: float
    ) -> None:
        self.miner.restart_mining(now)

    def _w_power_off(self, _request: dict[str, Any], _ip: str, now: float) -> None:
        self.miner.set_mining(now, mining=False)

    def _w_power_on(self, _request: dict[str, Any], _ip: str, now: float) -> None:
        self.miner.set_mining(now, mining=True)

    def _w_set_led(self, request: dict[str, Any], _ip: str, _now: float) -> None:
        if request.get("param") == "auto":
            self.miner.state.led = "auto"
            return
        color = request.get("color")
        if color not in ("red", "green"):
            raise CommandError(14, "invalid API command or data")
        pattern = LedPattern(
            color=color,
            period=self._number(request, "period", 1, 60000),
            duration=self._number(request, "duration", 0, 60000),
            start=self._number(request, "start", 0, 60000),
        )
        self.miner.state.led = (pattern,)

    def _set_mode(self, mode: str, now: float) -> None:
        self.miner.settle(now)
        self.miner.state.power_mode = mode
        self.miner.restart_mining(now)

    def _w_set_low_power(self, _request: dict[str, Any], _ip: str, now: float) -> None:
        self._set_mode("Low", now)

    def _w_set_normal_power(
        self, _request: dict[str, Any], _ip: str, now: float
    ) -> None:
        self._set_mode("Normal", now)

    def _w_set_high_power(self, _request: dict[str, Any], _ip: str, now: float) -> None:
        self._set_mode("High", now)

    def _w_update_firmware(
        self, _request: dict[str, Any], _ip: str, now: float
    ) -> Outcome:
        miner = self.miner

        async def receive(
            reader: asyncio.StreamReader, _writer: asyncio.StreamWriter
        ) -> None:
            async with asyncio.timeout(60):
                size = struct.unpack("<I", await reader.readexactly(4))[0]
                if size > MAX_FIRMWARE_BYTES:
                    return
                await reader.readexactly(size)
            miner.state.firmware_uploads.append(size)
            # The miner flashes the image and reboots; the connection just closes.
            miner.reboot(miner.clock(), miner.reboot_downtime)

        return Outcome(dumps(self.native(131, "ready", now)), follow_up=receive)

    def _w_reboot(self, _request: dict[str, Any], _ip: str, now: float) -> Outcome:
        miner = self.miner
        body = dumps(self.native(131, "OK", now))
        return Outcome(
            body, after=lambda: miner.reboot(miner.clock(), miner.reboot_downtime)
        )

    def _w_factory_reset(
        self, _request: dict[str, Any], _ip: str, now: float
    ) -> Outcome:
        miner = self.miner

        def reset() -> None:
            miner.factory_reset()
            miner.reboot(miner.clock(), miner.reboot_downtime)

        return Outcome(dumps(self.native(131, "OK", now)), after=reset)

    def _w_update_pwd(self, request: dict[str, Any], _ip: str, _now: float) -> None:
        old, new = request.get("old"), request.get("new")
        if not isinstance(old, str) or not isinstance(new, str):
            raise CommandError(14, "invalid API command or data")
        if old != self.miner.state.password:
            raise CommandError(132, "old password error")
        if not PASSWORD_PATTERN.fullmatch(new):
            raise CommandError(132, "new password invalid")
        self.miner.change_admin_password(new)

    def _w_net_config(self, request: dict[str, Any], _ip: str, now: float) -> Outcome:
        state = self.miner.state
        if request.get("param") == "dhcp":
            network = NetworkSetting()
            hostname = state.hostname
        else:
            fields = [
                request.get(name) for name in ("ip", "mask", "gate", "dns", "host")
            ]
            if not all(isinstance(value, str) and value for value in fields):
                raise CommandError(14, "invalid API command or data")
            ip, mask, gate, dns, hostname = (str(value) for value in fields)
            network = NetworkSetting("static", ip, mask, gate, dns)
        miner = self.miner

        def apply() -> None:
            state.network = network
            state.hostname = hostname
            miner.reboot(miner.clock(), miner.reboot_downtime)

        return Outcome(dumps(self.native(131, "OK", now)), after=apply)

    def _w_download_logs(
        self, _request: dict[str, Any], _ip: str, now: float
    ) -> Outcome:
        archive = self.miner.log_archive(now)

        async def send(
            _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            await asyncio.sleep(0.01)  # the miner sends the file 10 ms after the header
            writer.write(archive)
            await writer.drain()

        message = {"logfilelen": str(len(archive))}
        return Outcome(dumps(self.native(131, message, now)), follow_up=send)

    def _w_set_target_freq(self, request: dict[str, Any], _ip: str, now: float) -> None:
        percent = self._number(request, "percent", -100, 100)
        if percent > 0 and self.miner.state.air_cooled:
            raise CommandError(132, "fan-cooled miners only support underclocking")
        self.miner.settle(now)
        self.miner.state.target_freq = percent
        self.miner.restart_mining(now)

    def _w_enable_btminer_fast_boot(
        self, _r: dict[str, Any], _ip: str, _now: float
    ) -> None:
        self.miner.state.fast_boot = True

    def _w_disable_btminer_fast_boot(
        self, _r: dict[str, Any], _ip: str, _now: float
    ) -> None:
        self.miner.state.fast_boot = False

    def _w_enable_web_pools(self, _r: dict[str, Any], _ip: str, _now: float) -> None:
        self.miner.state.web_pools = True

    def _w_disable_web_pools(self, _r: dict[str, Any], _ip: str, _now: float) -> None:
        self.miner.state.web_pools = False

    def _w_set_hostname(self, request: dict[str, Any], _ip: str, _now: float) -> None:
        hostname = request.get("hostname")
        if not isinstance(hostname, str) or not hostname:
            raise CommandError(14, "invalid API command or data")
        self.miner.state.hostname = hostname

    def _w_set_zone(self, request: dict[str, Any], _ip: str, _now: float) -> None:
        timezone, zonename = request.get("timezone"), request.get("zonename")
        if not isinstance(timezone, str) or not isinstance(zonename, str):
            raise CommandError(14, "invalid API command or data")
        self.miner.state.timezone = timezone
        self.miner.state.zonename = zonename

    def _w_load_log(self, request: dict[str, Any], _ip: str, _now: float) -> None:
        ip, port, proto = request.get("ip"), request.get("port"), request.get("proto")
        if (
            not isinstance(ip, str)
            or as_int(port) is None
            or proto not in ("tcp", "udp")
        ):
            raise CommandError(14, "invalid API command or data")
        self.miner.state.log_server = LogServer(ip, str(port), str(proto))

    def _set_percent(self, request: dict[str, Any], now: float, *, mode: str) -> None:
        percent = self._number(request, "percent", 0, 100)
        state = self.miner.state
        if mode == "normal" and state.air_cooled and state.power_mode == "High":
            raise CommandError(132, "not allowed in high power mode")
        self.miner.set_power_percent(now, percent, mode)

    def _w_set_power_pct(self, request: dict[str, Any], _ip: str, now: float) -> None:
        self._set_percent(request, now, mode="fast")

    def _w_set_power_pct_v2(
        self, request: dict[str, Any], _ip: str, now: float
    ) -> None:
        self._set_percent(request, now, mode="normal")

    def _w_pre_power_on(
        self, _request: dict[str, Any], _ip: str, now: float
    ) -> dict[str, str]:
        progress = self.miner.pre_power_on(now)
        if progress is None:
            raise CommandError(132, "power off btminer before pre_power_on")
        complete, text = progress
        return {"complete": "true" if complete else "false", "msg": text}

    def _w_set_temp_offset(self, request: dict[str, Any], _ip: str, now: float) -> None:
        offset = self._number(request, "temp_offset", -30, 0)
        self.miner.settle(now)
        self.miner.state.temp_offset = offset

    def _w_adjust_power_limit(
        self, request: dict[str, Any], _ip: str, now: float
    ) -> None:
        limit = self._number(request, "power_limit", 0, 99999)
        self.miner.settle(now)
        self.miner.state.power_limit = limit
        self.miner.restart_mining(now)

    def _w_adjust_upfreq_speed(
        self, request: dict[str, Any], _ip: str, _now: float
    ) -> None:
        self.miner.state.upfreq_speed = self._number(request, "upfreq_speed", 0, 9)

    def _w_set_poweroff_cool(
        self, request: dict[str, Any], _ip: str, _now: float
    ) -> None:
        self.miner.state.poweroff_cool = bool(
            self._number(request, "poweroff_cool", 0, 1)
        )

    def _w_set_fan_zero_speed(
        self, request: dict[str, Any], _ip: str, _now: float
    ) -> None:
        self.miner.state.fan_zero_speed = bool(
            self._number(request, "fan_zero_speed", 0, 1)
        )


def build_log_archive(lines: list[str]) -> bytes:
    """Pack log lines as the .tgz the miner sends."""
    payload = "\n".join(lines).encode() + b"\n"
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w:gz", format=tarfile.USTAR_FORMAT
    ) as archive:
        info = tarfile.TarInfo("btminer.log")
        info.size = len(payload)
        info.mtime = 0
        archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()
