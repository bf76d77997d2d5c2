"""Read API v3 replies into the shared models.

Every function here takes what a miner sent and returns a model or a plain
value, or raises :class:`.errors.WhatsminerError`: whatever the bytes, nothing
else escapes (the tests fuzz this). A field the miner leaves out, or reports in
a shape we cannot read, becomes ``None`` rather than failing the whole reply.

Units: API v3 already reports hashrates in TH/s, power in W, temperatures in °C,
fans in RPM and the PSU's input in V, A and W, so values pass through unchanged.

Firmware differs in what it sends: API 3.0.5 (2026) leaves ``hash-realtime``
and ``status`` out of edevs, accepted/rejected out of pools, and ``board-num``,
``fast-boot`` and ``pcbsn*`` out of device info, and its ``ledstatus`` can be a
blink pattern. Hydro models report ``power.liquid-temperature`` (coolant) and
the PSU's ``iin``/``vin``/``pin``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
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
from .repair import parse_reply
from .values import (
    as_count,
    as_flag,
    as_heat_mode,
    as_led_pattern,
    as_mapping,
    as_measure,
    as_model,
    as_number,
    as_power_mode,
    as_records,
    as_share_time,
    as_text,
    as_whole,
    fans_still_while_hashing,
    is_liquid_cooled_model,
    mining_efficiency,
    normalise_mac,
    parse_local_time,
)

CODE_OK: Final = 0
CODE_FAILED: Final = -1  # also a wrong token (password) and unreadable JSON
CODE_INVALID_COMMAND: Final = -2
CODE_NO_PERMISSION: Final = -4

# A -1 answer to a write means "failed"; the firmware uses the same code for a
# token that does not check out. Its message is then about the token or the
# password, which is how we tell a wrong password from a refused value.
_AUTH_FAILURE: Final = re.compile(r"token|passw|auth|salt|sign", re.IGNORECASE)
_MAX_MESSAGE: Final = 200
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


# Reply sections


def _either(values: Json, *keys: str) -> object:
    """Return the first of ``keys`` that ``values`` has (spellings differ by firmware)."""
    return next((values[key] for key in keys if key in values), None)


def _section(message: object, name: str) -> Json:
    """Return one section of a reply, whether or not the miner nested it.

    ``get.device.info`` with ``param: "miner"`` may answer ``{"miner": {...}}``
    or the section itself.
    """
    body = as_mapping(message)
    inner = body.get(name)
    if isinstance(inner, Mapping):
        return inner
    if any(section in body for section in _DEVICE_SECTIONS):
        return {}  # a full reply without this section
    return body


# get.miner.status


def parse_pools(pools: object) -> tuple[Pool, ...]:
    """Read ``msg.pools``: the miner lists them in priority order."""
    result = []
    for position, pool in enumerate(as_records(pools), start=1):
        accepted = as_count(pool.get("accepted"))
        rejected = as_count(pool.get("rejected"))
        rejected_percent = as_measure(_either(pool, "reject-rate", "reject-percent"))
        if rejected_percent is None and accepted is not None and rejected is not None:
            total = accepted + rejected
            rejected_percent = rejected * 100 / total if total else None
        result.append(
            Pool(
                index=position,
                url=as_text(pool.get("url")) or "",
                worker=as_text(pool.get("account"))
                or as_text(pool.get("worker"))
                or "",
                status=as_text(pool.get("status")) or "",
                priority=as_whole(pool.get("pool-priority")),
                stratum_active=as_flag(pool.get("stratum-active")) or False,
                accepted=accepted,
                rejected=rejected,
                rejected_percent=rejected_percent,
                last_share_time=as_share_time(pool.get("last-share-time")),
                raw=pool,
            )
        )
    return tuple(result)


def _share_total(pools: tuple[Pool, ...], attribute: str) -> int | None:
    values = [getattr(pool, attribute) for pool in pools]
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def parse_summary(  # noqa: PLR0913
    summary: object,
    pools: tuple[Pool, ...],
    miner: Json,
    power_mode: PowerMode | None,
    power: Json | None = None,
) -> Summary:
    """Read ``msg.summary``; shares add up over the pools, fast boot is ``miner``'s."""
    values = as_mapping(summary)
    hashrate = as_measure(values.get("hash-realtime"))
    factory = as_measure(values.get("factory-hash"))
    watts = as_measure(values.get("power-realtime"))
    efficiency = mining_efficiency(
        as_measure(values.get("power-rate")), watts, hashrate, factory
    )
    accepted = _share_total(pools, "accepted")
    rejected = _share_total(pools, "rejected")
    rejected_percent = None
    if accepted is not None and rejected is not None and accepted + rejected:
        rejected_percent = rejected * 100 / (accepted + rejected)
    elif active := next((pool for pool in pools if pool.stratum_active), None):
        # API 3.0.5 counts no shares; its pools report their reject rate.
        rejected_percent = active.rejected_percent
    fast_boot = as_flag(miner.get("fast-boot"))
    return Summary(
        hashrate_realtime=hashrate,
        hashrate_average=as_measure(values.get("hash-average")),
        hashrate_factory=factory,
        power=watts,
        power_limit=as_measure(values.get("power-limit")),
        efficiency=efficiency,
        power_mode=power_mode,
        environment_temperature=as_number(_either(values, *_ENVIRONMENT_TEMPERATURE)),
        chip_temperature_min=as_number(values.get("chip-temp-min")),
        chip_temperature_max=as_number(values.get("chip-temp-max")),
        chip_temperature_avg=as_number(values.get("chip-temp-avg")),
        fan_speed_in=as_count(values.get("fan-speed-in")),
        fan_speed_out=as_count(values.get("fan-speed-out")),
        mining_elapsed=as_count(values.get("elapsed")),
        system_uptime=as_count(values.get("bootup-time")),
        accepted_shares=accepted,
        rejected_shares=rejected,
        pool_rejected_percent=rejected_percent,
        frequency_avg=as_measure(values.get("freq-avg")),
        fast_boot=fast_boot,
        liquid_temperature=as_number((power or {}).get("liquid-temperature")),
        raw=values,
    )


def parse_boards(
    edevs: object, board_temperatures: object, miner: Json
) -> tuple[Board, ...]:
    """Read ``msg.edevs``; PCB temperatures come from the summary, serials from ``miner``.

    ``board-temperature`` has one entry per board, or (hydro M7BS, API 3.0.5:
    ``[57, 57, 48.5, 48.5]`` for two boards) several: then each board's are
    together, and the hottest counts.
    """
    temperatures = board_temperatures if isinstance(board_temperatures, list) else []
    records = as_records(edevs)
    per_board = 1
    if records and len(temperatures) > len(records):
        per_board = max(1, len(temperatures) // len(records))
    result = []
    for position, board in enumerate(records):
        index = as_count(board.get("id"))
        if index is None:
            index = position
        readings = [
            number
            for value in temperatures[index * per_board : (index + 1) * per_board]
            if (number := as_number(value)) is not None
        ]
        temperature = max(readings) if readings else None
        result.append(
            Board(
                index=index,
                status=as_text(board.get("status")),
                temperature=temperature,
                chip_temperature_min=as_number(board.get("chip-temp-min")),
                chip_temperature_max=as_number(board.get("chip-temp-max")),
                chip_temperature_avg=as_number(board.get("chip-temp-avg")),
                # API 3.0.5 sends only the average.
                hashrate_realtime=as_measure(
                    _either(board, "hash-realtime", "hash-average")
                ),
                hashrate_average=as_measure(board.get("hash-average")),
                hashrate_factory=as_measure(board.get("factory-hash")),
                chip_frequency=as_measure(board.get("freq")),
                effective_chips=as_count(board.get("effective-chips")),
                serial_number=as_text(miner.get(f"pcbsn{index}")),
                raw=board,
            )
        )
    return tuple(result)


def fast_boot_of(device: object) -> bool | None:
    """Return whether fast boot is on, from ``get.device.info`` (``miner`` section)."""
    return as_flag(_section(device, "miner").get("fast-boot"))


def is_mining(summary: Summary, miner: Json) -> bool:
    """Tell whether btminer is mining.

    ``get.device.info`` reports it as ``miner.working``; a miner that leaves the
    field out is mining when it reports any hashrate.
    """
    working = as_flag(miner.get("working"))
    if working is not None:
        return working
    return bool(summary.hashrate_realtime)


def is_liquid_cooled(device: object) -> bool | None:
    """Tell from ``get.device.info`` whether liquid cools the miner.

    ``True`` when it reports a coolant temperature or is a hydro/immersion
    model; ``None`` when the reply has neither the model nor the power section.
    """
    power = as_mapping(as_mapping(device).get("power"))
    if as_number(power.get("liquid-temperature")) is not None:
        return True
    model = as_text(_section(device, "miner").get("type"))
    if model is None and not power:
        return None
    return is_liquid_cooled_model(model)


def parse_fast(
    status: object,
    device: object,
    power_mode: PowerMode | None,
    *,
    liquid_cooled: bool = False,
) -> FastData:
    """Build the fast poll from ``get.miner.status`` (summary+pools+edevs) and device info.

    ``device`` is the ``miner`` section, or all of device info (hydro miners:
    the coolant temperature is in its ``power`` section).
    """
    body = as_mapping(status)
    miner = _section(device, "miner")
    summary_values = as_mapping(body.get("summary"))
    pools = parse_pools(body.get("pools"))
    power = as_mapping(as_mapping(device).get("power"))
    summary = parse_summary(summary_values, pools, miner, power_mode, power)
    boards = parse_boards(
        body.get("edevs"), _either(summary_values, *_BOARD_TEMPERATURE), miner
    )
    return FastData(
        summary=summary,
        boards=boards,
        mining=is_mining(summary, miner),
        liquid_cooled=liquid_cooled
        or bool(is_liquid_cooled(device))
        or fans_still_while_hashing(summary),
    )


def idle_fast(
    device: object, power_mode: PowerMode | None, *, liquid_cooled: bool = False
) -> FastData:
    """Build the fast poll of a stopped miner that refused ``get.miner.status``."""
    miner = _section(device, "miner")
    power = as_mapping(as_mapping(device).get("power"))
    summary = parse_summary({}, (), miner, power_mode, power)
    return FastData(
        summary=summary,
        boards=(),
        mining=is_mining(summary, miner),
        liquid_cooled=liquid_cooled or bool(is_liquid_cooled(device)),
    )


# get.device.info


def salt_of(message: object) -> str | None:
    """Return the salt in a ``get.device.info`` reply, if it has one."""
    return as_text(as_mapping(message).get("salt"))


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
                MinerError(code=int(key), reported_at=parse_local_time(value))
                for key, value in item.items()
                if isinstance(key, str) and key.isascii() and key.isdigit()
            )
        elif (code := as_whole(item)) is not None:
            result.append(MinerError(code=code, reported_at=None))
    return tuple(result)


def parse_identity(message: object) -> MinerIdentity:
    """Read who the miner is from a full ``get.device.info``."""
    network = _section(message, "network")
    miner = _section(message, "miner")
    system = _section(message, "system")
    return MinerIdentity(
        mac=normalise_mac(network.get("mac")),
        hostname=as_text(network.get("hostname")),
        model=as_model(miner.get("type")),
        serial_number=as_text(miner.get("miner-sn")),
        firmware_version=as_text(system.get("fwversion")),
        api=ApiVersion.V3,
    )


def parse_version(message: object) -> Version:
    """Read the API and firmware versions from ``get.device.info``."""
    miner = _section(message, "miner")
    system = _section(message, "system")
    return Version(
        api_version=as_text(system.get("api")),
        firmware_version=as_text(system.get("fwversion")),
        platform=as_text(system.get("platform")),
        chip=as_text(miner.get("chipdata0")),
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
        hostname=as_text(network.get("hostname")),
        ip=as_text(network.get("ip")),
        proto=as_text(network.get("proto")),
        netmask=as_text(network.get("netmask")),
        gateway=as_text(network.get("gateway")),
        dns=as_text(network.get("dns")),
        led_status=as_text(system.get("ledstatus")),
        miner_serial=as_text(miner.get("miner-sn")),
        power_serial=as_text(power.get("sn")),
        led_pattern=as_led_pattern(system.get("ledstatus")),
        raw=network,
    )


def parse_psu(message: object) -> Psu | None:
    """Read the power supply from ``get.device.info`` (``None`` when not reported)."""
    power = as_mapping(message).get("power")
    if not isinstance(power, Mapping) or not power:
        return None
    return Psu(
        model=as_text(power.get("model")),
        serial_number=as_text(power.get("sn")),
        hardware_version=as_text(power.get("hwversion")),
        firmware_version=as_text(power.get("swversion")),
        fan_speed=as_count(power.get("fanspeed")),
        temperature=as_number(power.get("temp0")),
        input_voltage=as_measure(power.get("vin")),
        input_current=as_measure(power.get("iin")),
        input_power=as_measure(power.get("pin")),
        raw=power,
    )


def parse_settings(
    miner_setting: object | None, fan_setting: object | None
) -> MinerSettings:
    """Read back settings from ``get.miner.setting`` and ``get.fan.setting``."""
    setting = as_mapping(miner_setting)
    fan = as_mapping(fan_setting)
    return MinerSettings(
        power_percent=as_whole(setting.get("power-percent")),
        target_frequency=as_whole(setting.get("target-freq")),
        temperature_offset=as_whole(fan.get("fan-temp-offset")),
        upfreq_speed=as_whole(setting.get("upfreq-speed")),
        fan_zero_speed=as_flag(fan.get("fan-zero-speed")),
        poweroff_cool=as_flag(fan.get("fan-poweroff-cool")),
        heat_mode=as_heat_mode(setting.get("heat-mode")),
        raw={"miner-setting": setting, "fan-setting": fan},
    )


def parse_power_mode(miner_setting: object | None) -> PowerMode | None:
    """Return the power mode ``get.miner.setting`` reports (``Normal`` → normal)."""
    return as_power_mode(as_mapping(miner_setting).get("power-mode"))


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
        errors=parse_errors(as_mapping(device).get("error-code")),
        pools=parse_pools(as_mapping(status).get("pools")),
        settings=parse_settings(miner_setting, fan_setting),
    )


# Writes that answer with data


def parse_log_size(message: object, limit: int) -> int:
    """Return the size of the log archive that follows a ``get.log.download`` reply."""
    size = as_count(as_mapping(message).get("logsize"))
    if size is None or size > limit:
        msg = f"get.log.download: unusable log size {_message_text(message)}"
        raise WhatsminerInvalidReplyError(msg)
    return size


def parse_pre_power_on(message: object) -> PrePowerOnState:
    """Read how far preheating has come: a state text, or ``{"msg": ..., "complete": ...}``."""
    text = as_text(message)
    if text is None:
        body = as_mapping(message)
        text = as_text(body.get("msg"))
        if text is None and as_flag(body.get("complete")) is True:
            return PrePowerOnState.COMPLETE
    try:
        return PrePowerOnState((text or "").lower())
    except ValueError:
        msg = f"set.miner.pre_power_on: unknown state {_message_text(message)}"
        raise WhatsminerInvalidReplyError(msg) from None
