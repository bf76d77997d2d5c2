"""Read API v3 replies into the shared models.

Every function here takes what a miner sent and returns a model or a plain
value, or raises :class:`.errors.WhatsminerError`: whatever the bytes, nothing
else escapes (the tests fuzz this). A field the miner leaves out, or reports in
a shape we cannot read, becomes ``None`` rather than failing the whole reply.

Units: API v3 already reports hashrates in TH/s, power in W, temperatures in °C
and fans in RPM, so values pass through unchanged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from .errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerInvalidReplyError,
    WhatsminerUnsupportedError,
    WhatsminerWriteDisabledError,
)
from .models import (
    ApiVersion,
    Board,
    FastData,
    HeatMode,
    MinerError,
    MinerIdentity,
    MinerInfo,
    MinerSettings,
    Pool,
    PowerMode,
    PrePowerOnState,
    Psu,
    SlowData,
    Summary,
    Version,
)
from .parse_v2 import normalise_mac
from .repair import parse_reply

CODE_OK: Final = 0
CODE_FAILED: Final = -1  # also a wrong token (password) and unreadable JSON
CODE_INVALID_COMMAND: Final = -2
CODE_NO_PERMISSION: Final = -4

# A -1 answer to a write means "failed"; the firmware uses the same code for a
# token that does not check out. Its message is then about the token or the
# password, which is how we tell a wrong password from a refused value.
_AUTH_FAILURE: Final = re.compile(r"token|passw|auth|salt|sign", re.IGNORECASE)
_MAX_MESSAGE: Final = 200
_ERROR_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_TRUE_TEXT: Final = frozenset({"true", "enable", "enabled", "1", "on", "yes"})
_FALSE_TEXT: Final = frozenset({"false", "disable", "disabled", "0", "off", "no"})
# Some firmware misspells these keys ("tempurature"); read both.
_ENVIRONMENT_TEMPERATURE: Final = ("environment-temperature", "environment-tempurature")
_BOARD_TEMPERATURE: Final = ("board-temperature", "board-tempurature")
_DEVICE_SECTIONS: Final = frozenset(
    {"miner", "system", "network", "power", "salt", "error-code"}
)

type Json = Mapping[str, Any]


# Envelope


def parse_envelope(command: str, body: bytes) -> dict[str, Any]:
    """Decode one reply frame into its envelope ``{"code", "when", "msg", "desc"}``."""
    reply = parse_reply(body)
    code = reply.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        msg = f"{command}: the reply has no status code"
        raise WhatsminerInvalidReplyError(msg)
    return reply


def reply_time(reply: Json) -> int | None:
    """Return the miner's clock (``when``, unix seconds) if it looks set."""
    when = reply.get("when")
    if isinstance(when, bool) or not isinstance(when, int) or when <= 0:
        return None
    return when


def _message_text(message: object) -> str:
    if isinstance(message, str):
        text = message
    elif message is None:
        text = ""
    else:
        text = json.dumps(message, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text[:_MAX_MESSAGE] or "no message"


def reply_message(command: str, reply: Json, *, write: bool) -> Any:  # noqa: ANN401
    """Return ``msg`` of a successful reply, or raise what its code means.

    - ``-4`` (no permission) on a write: the write API is switched off, or the
      factory password is still set (the firmware refuses writes until it is
      changed) → :class:`WhatsminerWriteDisabledError`.
    - ``-1`` on a write whose message speaks of the token or the password
      → :class:`WhatsminerAuthError`; any other ``-1`` is a refused command.
    - ``-2`` (invalid command) → :class:`WhatsminerUnsupportedError`.
    - Anything else → :class:`WhatsminerCommandError` with the miner's message.
    """
    code = reply["code"]
    if code == CODE_OK:
        return reply.get("msg")
    text = _message_text(reply.get("msg"))
    if write and code == CODE_NO_PERMISSION:
        msg = (
            f"{command}: the miner refuses writes (code {code}: {text}); enable the "
            "API write switch and change the factory password with WhatsMinerTool"
        )
        raise WhatsminerWriteDisabledError(msg)
    if write and code == CODE_FAILED and _AUTH_FAILURE.search(text):
        msg = f"{command}: the miner rejected the password (code {code}: {text})"
        raise WhatsminerAuthError(msg)
    if code == CODE_INVALID_COMMAND:
        raise WhatsminerUnsupportedError(command, code, text)
    raise WhatsminerCommandError(command, code, text)


# Values


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def _measure(value: object) -> float | None:
    """A reading that cannot be negative; the firmware writes -1 for unknown."""
    number = _number(value)
    return number if number is not None and number >= 0 else None


def _count(value: object) -> int | None:
    """A whole, non-negative number (fan RPM, seconds, shares, chips)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    number = _measure(value)
    return round(number) if number is not None else None


def _whole(value: object) -> int | None:
    """A whole number that may be negative (offsets, percent adjustments)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _number(value)
    return round(number) if number is not None else None


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_TEXT:
            return True
        if text in _FALSE_TEXT:
            return False
    return None


def _power_mode(value: object) -> PowerMode | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return PowerMode(text.lower())
    except ValueError:
        return None


def _heat_mode(value: object) -> HeatMode | None:
    """Air-cooled miners report ``""``: they have no heat mode."""
    text = _text(value)
    if text is None:
        return None
    try:
        return HeatMode(text.lower())
    except ValueError:
        return None


def _share_time(value: object) -> datetime | None:
    """A pool's last share: unix seconds, or the firmware's local-time text."""
    seconds = _measure(value)
    if seconds is not None:
        if seconds <= 0:
            return None
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except OverflowError, OSError, ValueError:
            return None
    return _local_time(value)


def _local_time(value: object) -> datetime | None:
    """Parse ``2025-03-12 14:52:35``: the miner's own local time, zone unknown."""
    text = _text(value)
    if text is None:
        return None
    try:
        return datetime.strptime(text, _ERROR_TIME_FORMAT)  # noqa: DTZ007  # the miner does not say its zone
    except ValueError:
        return None


def _either(values: Json, *keys: str) -> object:
    """Return the first of ``keys`` that ``values`` has (spellings differ by firmware)."""
    return next((values[key] for key in keys if key in values), None)


def _mapping(value: object) -> Json:
    return value if isinstance(value, Mapping) else {}


def _section(message: object, name: str) -> Json:
    """Return one section of a reply, whether or not the miner nested it.

    ``get.device.info`` with ``param: "miner"`` may answer ``{"miner": {...}}``
    or the section itself.
    """
    body = _mapping(message)
    inner = body.get(name)
    if isinstance(inner, Mapping):
        return inner
    if any(section in body for section in _DEVICE_SECTIONS):
        return {}  # a full reply without this section
    return body


def _records(value: object) -> list[Json]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


# get.miner.status


def parse_pools(pools: object) -> tuple[Pool, ...]:
    """Read ``msg.pools``: the miner lists them in priority order."""
    result = []
    for position, pool in enumerate(_records(pools), start=1):
        accepted = _count(pool.get("accepted"))
        rejected = _count(pool.get("rejected"))
        rejected_percent = _measure(_either(pool, "reject-rate", "reject-percent"))
        if rejected_percent is None and accepted is not None and rejected is not None:
            total = accepted + rejected
            rejected_percent = rejected * 100 / total if total else None
        result.append(
            Pool(
                index=position,
                url=_text(pool.get("url")) or "",
                worker=_text(pool.get("account")) or _text(pool.get("worker")) or "",
                status=_text(pool.get("status")) or "",
                priority=_whole(pool.get("pool-priority")),
                stratum_active=_flag(pool.get("stratum-active")) or False,
                accepted=accepted,
                rejected=rejected,
                rejected_percent=rejected_percent,
                last_share_time=_share_time(pool.get("last-share-time")),
                raw=pool,
            )
        )
    return tuple(result)


def _share_total(pools: tuple[Pool, ...], attribute: str) -> int | None:
    values = [getattr(pool, attribute) for pool in pools]
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def parse_summary(
    summary: object,
    pools: tuple[Pool, ...],
    miner: Json,
    power_mode: PowerMode | None,
) -> Summary:
    """Read ``msg.summary``; shares add up over the pools, fast boot is ``miner``'s."""
    values = _mapping(summary)
    hashrate = _measure(values.get("hash-realtime"))
    power = _measure(values.get("power-realtime"))
    efficiency = _measure(values.get("power-rate")) or None
    if efficiency is None and power and hashrate:
        efficiency = power / hashrate
    accepted = _share_total(pools, "accepted")
    rejected = _share_total(pools, "rejected")
    rejected_percent = None
    if accepted is not None and rejected is not None and accepted + rejected:
        rejected_percent = rejected * 100 / (accepted + rejected)
    fast_boot = _flag(miner.get("fast-boot"))
    return Summary(
        hashrate_realtime=hashrate,
        hashrate_average=_measure(values.get("hash-average")),
        hashrate_factory=_measure(values.get("factory-hash")),
        power=power,
        power_limit=_measure(values.get("power-limit")),
        efficiency=efficiency,
        power_mode=power_mode,
        environment_temperature=_number(_either(values, *_ENVIRONMENT_TEMPERATURE)),
        chip_temperature_min=_number(values.get("chip-temp-min")),
        chip_temperature_max=_number(values.get("chip-temp-max")),
        chip_temperature_avg=_number(values.get("chip-temp-avg")),
        fan_speed_in=_count(values.get("fan-speed-in")),
        fan_speed_out=_count(values.get("fan-speed-out")),
        mining_elapsed=_count(values.get("elapsed")),
        system_uptime=_count(values.get("bootup-time")),
        accepted_shares=accepted,
        rejected_shares=rejected,
        pool_rejected_percent=rejected_percent,
        frequency_avg=_measure(values.get("freq-avg")),
        fast_boot=fast_boot,
        raw=values,
    )


def parse_boards(
    edevs: object, board_temperatures: object, miner: Json
) -> tuple[Board, ...]:
    """Read ``msg.edevs``; PCB temperatures come from the summary, serials from ``miner``."""
    temperatures = board_temperatures if isinstance(board_temperatures, list) else []
    result = []
    for position, board in enumerate(_records(edevs)):
        index = _count(board.get("id"))
        if index is None:
            index = position
        temperature = (
            _number(temperatures[index]) if index < len(temperatures) else None
        )
        result.append(
            Board(
                index=index,
                status=_text(board.get("status")),
                temperature=temperature,
                chip_temperature_min=_number(board.get("chip-temp-min")),
                chip_temperature_max=_number(board.get("chip-temp-max")),
                chip_temperature_avg=_number(board.get("chip-temp-avg")),
                hashrate_realtime=_measure(board.get("hash-realtime")),
                hashrate_average=_measure(board.get("hash-average")),
                hashrate_factory=_measure(board.get("factory-hash")),
                chip_frequency=_measure(board.get("freq")),
                effective_chips=_count(board.get("effective-chips")),
                serial_number=_text(miner.get(f"pcbsn{index}")),
                raw=board,
            )
        )
    return tuple(result)


def fast_boot_of(device: object) -> bool | None:
    """Return whether fast boot is on, from ``get.device.info`` (``miner`` section)."""
    return _flag(_section(device, "miner").get("fast-boot"))


def is_mining(summary: Summary, miner: Json) -> bool:
    """Tell whether btminer is mining.

    ``get.device.info`` reports it as ``miner.working``; a miner that leaves the
    field out is mining when it reports any hashrate.
    """
    working = _flag(miner.get("working"))
    if working is not None:
        return working
    return bool(summary.hashrate_realtime)


def parse_fast(
    status: object, device: object, power_mode: PowerMode | None
) -> FastData:
    """Build the fast poll from ``get.miner.status`` (summary+pools+edevs) and ``miner`` info."""
    body = _mapping(status)
    miner = _section(device, "miner")
    summary_values = _mapping(body.get("summary"))
    pools = parse_pools(body.get("pools"))
    summary = parse_summary(summary_values, pools, miner, power_mode)
    boards = parse_boards(
        body.get("edevs"), _either(summary_values, *_BOARD_TEMPERATURE), miner
    )
    return FastData(summary=summary, boards=boards, mining=is_mining(summary, miner))


def idle_fast(device: object, power_mode: PowerMode | None) -> FastData:
    """Build the fast poll of a stopped miner that refused ``get.miner.status``."""
    miner = _section(device, "miner")
    summary = parse_summary({}, (), miner, power_mode)
    return FastData(summary=summary, boards=(), mining=is_mining(summary, miner))


# get.device.info


def salt_of(message: object) -> str | None:
    """Return the salt in a ``get.device.info`` reply, if it has one."""
    return _text(_mapping(message).get("salt"))


def parse_salt(message: object) -> str:
    """Return the salt that write tokens are made with."""
    salt = salt_of(message)
    if salt is None:
        msg = "get.device.info: the reply has no salt"
        raise WhatsminerInvalidReplyError(msg)
    return salt


def parse_errors(error_codes: object) -> tuple[MinerError, ...]:
    """Read ``error-code``: ``[{"531": "2025-03-12 14:52:35", "reason": "..."}]``."""
    items: list[object]
    if isinstance(error_codes, Mapping):
        items = [error_codes]
    elif isinstance(error_codes, list):
        items = error_codes
    else:
        return ()
    result: list[MinerError] = []
    for item in items:
        if isinstance(item, Mapping):
            result.extend(
                MinerError(code=int(key), reported_at=_local_time(value))
                for key, value in item.items()
                if isinstance(key, str) and key.isascii() and key.isdigit()
            )
        elif (code := _whole(item)) is not None:
            result.append(MinerError(code=code, reported_at=None))
    return tuple(result)


def parse_identity(message: object) -> MinerIdentity:
    """Read who the miner is from a full ``get.device.info``."""
    network = _section(message, "network")
    miner = _section(message, "miner")
    system = _section(message, "system")
    return MinerIdentity(
        mac=normalise_mac(network.get("mac")),
        hostname=_text(network.get("hostname")),
        model=_text(miner.get("type")),
        serial_number=_text(miner.get("miner-sn")),
        firmware_version=_text(system.get("fwversion")),
        api=ApiVersion.V3,
    )


def parse_version(message: object) -> Version:
    """Read the API and firmware versions from ``get.device.info``."""
    miner = _section(message, "miner")
    system = _section(message, "system")
    return Version(
        api_version=_text(system.get("api")),
        firmware_version=_text(system.get("fwversion")),
        platform=_text(system.get("platform")),
        chip=_text(miner.get("chipdata0")),
        raw=system,
    )


def parse_info(message: object) -> MinerInfo:
    """Read network identity and serial numbers from ``get.device.info``."""
    network = _section(message, "network")
    miner = _section(message, "miner")
    system = _section(message, "system")
    power = _section(message, "power")
    return MinerInfo(
        mac=normalise_mac(network.get("mac")),
        hostname=_text(network.get("hostname")),
        ip=_text(network.get("ip")),
        proto=_text(network.get("proto")),
        netmask=_text(network.get("netmask")),
        gateway=_text(network.get("gateway")),
        dns=_text(network.get("dns")),
        led_status=_text(system.get("ledstatus")),
        miner_serial=_text(miner.get("miner-sn")),
        power_serial=_text(power.get("sn")),
        raw=network,
    )


def parse_psu(message: object) -> Psu | None:
    """Read the power supply from ``get.device.info`` (``None`` when not reported)."""
    power = _mapping(message).get("power")
    if not isinstance(power, Mapping) or not power:
        return None
    return Psu(
        model=_text(power.get("model")),
        serial_number=_text(power.get("sn")),
        hardware_version=_text(power.get("hwversion")),
        firmware_version=_text(power.get("swversion")),
        fan_speed=_count(power.get("fanspeed")),
        temperature=_number(power.get("temp0")),
        input_voltage=_measure(power.get("vin")),
        input_current=_measure(power.get("iin")),
        raw=power,
    )


def parse_settings(
    device: object, miner_setting: object | None, fan_setting: object | None
) -> MinerSettings:
    """Read back settings from ``get.miner.setting``, ``get.fan.setting`` and device info."""
    miner = _section(device, "miner")
    setting = _mapping(miner_setting)
    fan = _mapping(fan_setting)
    return MinerSettings(
        power_percent=_whole(setting.get("power-percent")),
        target_frequency=_whole(setting.get("target-freq")),
        temperature_offset=_whole(fan.get("fan-temp-offset")),
        upfreq_speed=_whole(setting.get("upfreq-speed")),
        web_pools=_flag(miner.get("web-pool")),
        fan_zero_speed=_flag(fan.get("fan-zero-speed")),
        poweroff_cool=_flag(fan.get("fan-poweroff-cool")),
        heat_mode=_heat_mode(setting.get("heat-mode")),
        raw={"miner-setting": setting, "fan-setting": fan},
    )


def parse_power_mode(miner_setting: object | None) -> PowerMode | None:
    """Return the power mode ``get.miner.setting`` reports (``Normal`` → normal)."""
    return _power_mode(_mapping(miner_setting).get("power-mode"))


def parse_slow(
    device: object,
    status: object,
    miner_setting: object | None,
    fan_setting: object | None,
) -> SlowData:
    """Build the slow poll from a full ``get.device.info``, pools and the settings."""
    return SlowData(
        identity=parse_identity(device),
        version=parse_version(device),
        info=parse_info(device),
        psu=parse_psu(device),
        errors=parse_errors(_mapping(device).get("error-code")),
        pools=parse_pools(_mapping(status).get("pools")),
        settings=parse_settings(device, miner_setting, fan_setting),
    )


# Writes that answer with data


def parse_log_size(message: object, limit: int) -> int:
    """Return the size of the log archive that follows a ``get.log.download`` reply."""
    size = _count(_mapping(message).get("logsize"))
    if size is None or size > limit:
        msg = f"get.log.download: unusable log size {_message_text(message)}"
        raise WhatsminerInvalidReplyError(msg)
    return size


def parse_pre_power_on(message: object) -> PrePowerOnState:
    """Read how far preheating has come: a state text, or ``{"msg": ..., "complete": ...}``."""
    text = _text(message)
    if text is None:
        body = _mapping(message)
        text = _text(body.get("msg"))
        if text is None and _flag(body.get("complete")) is True:
            return PrePowerOnState.COMPLETE
    try:
        return PrePowerOnState((text or "").lower())
    except ValueError:
        msg = f"set.miner.pre_power_on: unknown state {_message_text(message)}"
        raise WhatsminerInvalidReplyError(msg) from None
