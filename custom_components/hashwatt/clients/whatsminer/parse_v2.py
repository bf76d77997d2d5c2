"""Pure parsers: API v2 replies (already repaired into dicts) to the shared models.

Units are normalised here: the cgminer-style hashrates (``MHS …``) are MH/s,
``Factory GHS`` and ``HS Factory`` GH/s; models want TH/s. The compatibility
layer of 2024-11+ firmware reports its edevs in TH/s despite the name (its
summary stays MH/s); which unit a reply is in is decided by the caller from
the replies (:mod:`.units`) and passed as ``divisor``.

PSU input: ``vin`` is hundredths of a volt, ``iin`` thousandths of an ampere and
``pin`` watts (captured: ``"vin":"22575"``, ``"iin":"15093"``, ``"pin":"3400"``).
Neither the vendor text nor pyasic (which never reads them) states the scale;
the vendor's own example (``"vin":"22400"``, ``"iin":"8718"`` on a P221B, a
~3.6 kW supply) is 224.00 V and 8.718 A (~2 kW) — read as hundredths, the
current would be 87 A (~19.5 kW), beyond that supply. Replies of hydro models
in public mocks (``"vin":"39600"``) agree: 396 V three-phase.

Any value that is missing, of the wrong type or out of its domain becomes
``None``; no parser raises for bad data except :class:`WhatsminerInvalidReplyError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from .errors import WhatsminerInvalidReplyError
from .models import (
    Board,
    MinerError,
    MinerInfo,
    MinerSettings,
    MinerStatus,
    Pool,
    PrePowerOnState,
    Psu,
    Summary,
    Version,
)
from .units import MHS_PER_THS
from .values import (
    as_count,
    as_flag,
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
    mining_efficiency,
    normalise_mac,
    parse_local_time,
)

GHS_PER_THS: Final = 1_000.0
PSU_VOLTAGE_SCALE: Final = 100.0  # vin: V x 100
PSU_CURRENT_SCALE: Final = 1000.0  # iin: A x 1000

# btminer's failure codes, for replies that carry no status letter.
_ERROR_CODES: Final = frozenset({14, 23, 45, 132, 135, 136, 137})
_ERROR_STATUSES: Final = frozenset({"E", "F"})
_COLON_IPV4: Final = re.compile(r"\d{1,3}(?::\d{1,3}){3}")
# Old firmware lists its errors in summary: "Error Code 0": 2010, "Error Code 1": …
_SUMMARY_ERROR_KEY: Final = re.compile(r"Error Code \d+")
# Firmware before 2020-12 has no "HS RT"; its "MHS 5s" overshoots by up to 20 %
# (captured), so the 1-minute figure comes first.
_REALTIME_KEYS: Final = ("HS RT", "MHS 1m", "MHS 5s")
_API_VERSION_PREFIX: Final = "whatsminer v"
# The list each cgminer-forwarded command answers in.
_SECTIONS: Final = {
    "summary": "SUMMARY",
    "pools": "POOLS",
    "edevs": "DEVS",
    "devs": "DEVS",
    "devdetails": "DEVDETAILS",
}


# Envelopes.


def reply_status(reply: Mapping[str, Any]) -> tuple[str | None, int | None, str]:
    """Return (status letter, code, message) of either reply envelope."""
    status = reply.get("STATUS")
    records = as_records(status)
    if (
        records
    ):  # cgminer-forwarded: {"STATUS":[{"STATUS":"S","Code":11,"Msg":..}], ...}
        first = records[0]
        return (
            as_text(first.get("STATUS")),
            as_whole(first.get("Code")),
            message_text(first.get("Msg")),
        )
    return as_text(status), as_whole(reply.get("Code")), message_text(reply.get("Msg"))


def message_text(message: object) -> str:
    """Return a miner message as text, whatever its type."""
    if message is None:
        return ""
    if isinstance(message, str):
        return message
    return str(message)


def is_error(reply: Mapping[str, Any]) -> bool:
    """Return whether a reply reports a failure.

    The status letter decides (cgminer's success codes overlap btminer's error
    codes); only a reply without one is judged by its code.
    """
    status, code, _ = reply_status(reply)
    if status is not None:
        return status.upper() in _ERROR_STATUSES
    return code in _ERROR_CODES


def message_body(reply: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the ``Msg`` object of a btminer-native reply (``{}`` when not an object)."""
    return as_mapping(reply.get("Msg"))


def split_joined(
    reply: Mapping[str, Any], commands: Sequence[str]
) -> dict[str, Mapping[str, Any]] | None:
    """Split a joined reply (``"summary+edevs"``) into one reply per command.

    Two shapes are known: one reply per command under its name
    (``{"summary": [{...}], "edevs": [{...}]}``, as cgminer joins), or one
    merged cgminer reply (``{"STATUS": [s1, s2], "SUMMARY": [...], "DEVS": [...]}``).
    Returns ``None`` when the reply is neither (the miner did not join).
    """
    parts: dict[str, Mapping[str, Any]] = {}
    for command in commands:
        value = reply.get(command)
        if isinstance(value, Mapping):
            parts[command] = value
        elif records := as_records(value):
            parts[command] = records[0]
    if len(parts) == len(commands):
        return parts
    statuses = as_records(reply.get("STATUS"))
    sections = [_SECTIONS.get(command) for command in commands]
    if not statuses or any(
        section is None or section not in reply for section in sections
    ):
        return None
    return {
        command: {
            "STATUS": [statuses[index] if index < len(statuses) else statuses[0]],
            str(section): reply[str(section)],
        }
        for index, (command, section) in enumerate(zip(commands, sections, strict=True))
    }


# Fast poll.


def is_compat_summary(reply: Mapping[str, Any]) -> bool:
    """Return whether a summary comes from the compatibility layer of new firmware.

    It answers ``{"STATUS":"S","Code":131,"Msg":{..."MHS av"...}}`` with no
    SUMMARY list: btminer's own envelope around cgminer's fields.
    """
    return not as_records(reply.get("SUMMARY")) and bool(message_body(reply))


def _summary_record(reply: Mapping[str, Any]) -> Mapping[str, Any]:
    records = as_records(reply.get("SUMMARY"))
    return records[0] if records else message_body(reply)


def _hashrate(
    record: Mapping[str, Any], keys: Sequence[str], divisor: float
) -> float | None:
    for key in keys:
        value = as_measure(record.get(key))
        if value is not None:
            # 1 MH/s resolution: what the miner reports, without float noise.
            return round(value / divisor, 6)
    return None


def _raw_hashrate(record: Mapping[str, Any], keys: Sequence[str]) -> float | None:
    for key in keys:
        if (value := as_measure(record.get(key))) is not None:
            return value
    return None


def summary_hashrate(reply: Mapping[str, Any]) -> float | None:
    """Return the summary's hashrate as sent, in whatever unit it is."""
    record = _summary_record(reply)
    return _raw_hashrate(record, _REALTIME_KEYS) or _raw_hashrate(record, ("MHS av",))


def summary_liquid_cooled(reply: Mapping[str, Any]) -> bool | None:
    """Return the summary's ``Liquid Cooling`` flag (``None`` when not reported)."""
    return as_flag(_summary_record(reply).get("Liquid Cooling"))


def summary_mac(reply: Mapping[str, Any]) -> str | None:
    """Return the MAC old firmware reports in its summary (it has no get_miner_info)."""
    return normalise_mac(_summary_record(reply).get("MAC"))


def summary_errors(reply: Mapping[str, Any]) -> tuple[MinerError, ...]:
    """Return the ``Error Code N`` entries old firmware reports in its summary."""
    record = _summary_record(reply)
    errors = []
    for key, value in record.items():
        if _SUMMARY_ERROR_KEY.fullmatch(key) and (code := as_count(value)):
            errors.append(MinerError(code=code, reported_at=None))
    return tuple(errors)


def summary_psu_fan(reply: Mapping[str, Any]) -> int | None:
    """Return the PSU fan speed old firmware reports in its summary."""
    return as_count(_summary_record(reply).get("Power Fanspeed"))


def with_summary_psu(psu: Psu | None, summary_reply: Mapping[str, Any]) -> Psu | None:
    """Fill in what old firmware's ``get_psu`` lacks from its summary.

    Its get_psu has only names and versions; its summary has ``Power Fanspeed``
    (RPM), ``Power Voltage Input`` (V) and ``Power Current Input`` (A).
    (``Power Current`` has no fixed unit across firmware: not read.)
    """
    record = _summary_record(summary_reply)
    fan = summary_psu_fan(summary_reply)
    voltage = as_measure(record.get("Power Voltage Input"))
    current = as_measure(record.get("Power Current Input"))
    if psu is None:
        if fan is None and voltage is None and current is None:
            return None
        psu = Psu(None, None, None, None, None, None, None, None)
    return replace(
        psu,
        fan_speed=psu.fan_speed if psu.fan_speed is not None else fan,
        input_voltage=psu.input_voltage if psu.input_voltage is not None else voltage,
        input_current=psu.input_current if psu.input_current is not None else current,
    )


def parse_summary(reply: Mapping[str, Any], *, divisor: float = MHS_PER_THS) -> Summary:
    """Parse ``summary`` (the cgminer envelope, or the compat layer's ``Msg``).

    ``divisor`` turns its hashrates into TH/s (:mod:`.units` decides it).
    """
    record = _summary_record(reply)
    realtime = _hashrate(record, _REALTIME_KEYS, divisor)
    average = _hashrate(record, ("MHS av",), divisor)
    factory = _hashrate(record, ("Factory GHS",), GHS_PER_THS)
    power = as_measure(record.get("Power"))
    # A realtime 0 means not hashing now, whatever the average since start says.
    basis = realtime if realtime is not None else average
    return Summary(
        hashrate_realtime=realtime,
        hashrate_average=average,
        hashrate_factory=factory,
        power=power,
        power_limit=as_measure(record.get("Power Limit")),
        efficiency=mining_efficiency(
            as_measure(record.get("Power Rate")), power, basis, factory
        ),
        power_mode=as_power_mode(record.get("Power Mode")),
        environment_temperature=as_number(record.get("Env Temp")),
        chip_temperature_min=as_number(record.get("Chip Temp Min")),
        chip_temperature_max=as_number(record.get("Chip Temp Max")),
        chip_temperature_avg=as_number(record.get("Chip Temp Avg")),
        fan_speed_in=as_count(record.get("Fan Speed In")),
        fan_speed_out=as_count(record.get("Fan Speed Out")),
        mining_elapsed=as_count(record.get("Elapsed")),
        system_uptime=as_count(record.get("Uptime")),
        accepted_shares=as_count(record.get("Accepted")),
        rejected_shares=as_count(record.get("Rejected")),
        pool_rejected_percent=as_measure(record.get("Pool Rejected%")),
        frequency_avg=as_measure(record.get("freq_avg")),
        fast_boot=as_flag(record.get("Btminer Fast Boot")),
        raw=record,
    )


def _device_records(reply: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    for key in ("DEVS", "EDEVS"):
        if records := as_records(reply.get(key)):
            return records
    body = reply.get("Msg")
    if isinstance(body, Mapping):
        for key in ("DEVS", "EDEVS", "devs", "edevs"):
            if records := as_records(body.get(key)):
                return records
    return as_records(body)


def boards_hashrate(reply: Mapping[str, Any]) -> float | None:
    """Return the boards' hashrates added up as sent, in whatever unit they are."""
    values = [
        _raw_hashrate(record, _REALTIME_KEYS) or _raw_hashrate(record, ("MHS av",))
        for record in _device_records(reply)
    ]
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def parse_boards(
    reply: Mapping[str, Any], *, divisor: float = MHS_PER_THS
) -> tuple[Board, ...]:
    """Parse ``edevs``/``devs`` into hashboards, ordered by index.

    ``divisor`` turns their hashrates into TH/s (:mod:`.units` decides it).
    """
    hash_divisor = divisor
    boards: dict[int, Board] = {}
    for position, record in enumerate(_device_records(reply)):
        # The slot is the board's place; 2024+ firmware sends no ASC at all.
        index = as_count(record.get("Slot"))
        if index is None:
            index = as_count(record.get("ASC"))
        if index is None or index in boards:
            index = position
            while index in boards:
                index += 1
        boards[index] = Board(
            index=index,
            status=as_text(record.get("Status")),
            temperature=as_number(record.get("Temperature")),
            chip_temperature_min=as_number(record.get("Chip Temp Min")),
            chip_temperature_max=as_number(record.get("Chip Temp Max")),
            chip_temperature_avg=as_number(record.get("Chip Temp Avg")),
            hashrate_realtime=_hashrate(record, _REALTIME_KEYS, hash_divisor),
            hashrate_average=_hashrate(record, ("MHS av",), hash_divisor),
            hashrate_factory=_hashrate(
                record, ("HS Factory", "Factory GHS"), GHS_PER_THS
            ),
            chip_frequency=as_measure(record.get("Chip Frequency")),
            effective_chips=as_count(record.get("Effective Chips")),
            serial_number=as_text(record.get("PCB SN")),
            raw=record,
        )
    return tuple(boards[index] for index in sorted(boards))


def parse_status(reply: Mapping[str, Any]) -> MinerStatus | None:
    """Parse ``status``; ``None`` when it does not say whether the miner mines.

    Old firmware says ``btmineroff``, newer ``mineroff``; the vendor text shows
    the fields at the top level, real miners inside ``Msg``.
    """
    body = message_body(reply) or reply
    stopped = as_flag(body.get("mineroff"))
    if stopped is None:
        stopped = as_flag(body.get("btmineroff"))
    if stopped is None:
        return None
    firmware = body.get("Firmware Version", body.get("FirmwareVersion"))
    return MinerStatus(
        mining=not stopped,
        firmware_version=as_text(firmware),
        power_mode=as_power_mode(body.get("power_mode")),
        hash_percent=as_whole(body.get("hash_percent")),
        power_limit=as_measure(body.get("power_limit_set")),
        liquid_temperature=as_number(body.get("liquid_temp")),
        raw=body,
    )


# Slow poll.


def parse_pools(reply: Mapping[str, Any]) -> tuple[Pool, ...]:
    """Parse ``pools``."""
    pools: list[Pool] = []
    for position, record in enumerate(as_records(reply.get("POOLS")), start=1):
        pools.append(
            Pool(
                index=as_count(record.get("POOL")) or position,
                url=as_text(record.get("URL")) or "",
                worker=as_text(record.get("User")) or "",
                status=as_text(record.get("Status")) or "",
                priority=as_count(record.get("Priority")),
                stratum_active=as_flag(record.get("Stratum Active")) is True,
                accepted=as_count(record.get("Accepted")),
                rejected=as_count(record.get("Rejected")),
                rejected_percent=as_measure(record.get("Pool Rejected%")),
                last_share_time=as_share_time(record.get("Last Share Time")),
                raw=record,
            )
        )
    return tuple(pools)


def parse_model(reply: Mapping[str, Any]) -> str | None:
    """Return the full model name from ``devdetails`` (e.g. ``M30S+VE40``)."""
    for record in as_records(reply.get("DEVDETAILS")):
        if model := as_model(record.get("Model")):
            return model
    return None


def _scaled(value: object, divisor: float) -> float | None:
    number = as_measure(value)
    return None if number is None else number / divisor


def parse_psu(reply: Mapping[str, Any]) -> Psu | None:
    """Parse ``get_psu``; ``None`` when the reply holds no PSU object."""
    body = message_body(reply)
    if not body:
        return None
    return Psu(
        model=as_text(body.get("model")) or as_text(body.get("name")),
        serial_number=as_text(body.get("serial_no")),
        hardware_version=as_text(body.get("hw_version")),
        firmware_version=as_text(body.get("sw_version")),
        fan_speed=as_count(body.get("fan_speed")),
        temperature=as_number(body.get("temp0")),
        input_voltage=_scaled(body.get("vin"), PSU_VOLTAGE_SCALE),
        input_current=_scaled(body.get("iin"), PSU_CURRENT_SCALE),
        # Watts as they are: "pin":"3400" next to 225.75 V x 15.093 A (captured).
        input_power=as_measure(body.get("pin")),
        raw=body,
    )


def parse_version(reply: Mapping[str, Any]) -> Version:
    """Parse ``get_version``; ``api_ver`` "whatsminer v1.4.0" becomes "1.4.0"."""
    message = reply.get("Msg")
    body = as_mapping(message)
    api = as_text(body.get("api_ver")) if body else as_text(message)
    if api is not None and api.lower().startswith(_API_VERSION_PREFIX):
        api = api[len(_API_VERSION_PREFIX) :].strip() or None
    return Version(
        api_version=api,
        firmware_version=as_text(body.get("fw_ver")),
        platform=as_text(body.get("platform")),
        chip=as_text(body.get("chip")),
        # The compatibility layer names the model here (its devdetails is gone).
        model=as_model(body.get("miner_type")),
        raw=body,
    )


def _ip(value: object) -> str | None:
    text = as_text(value)
    if text is not None and _COLON_IPV4.fullmatch(text):
        return text.replace(":", ".")  # "192:168:2:16", as the vendor example shows
    return text


def parse_miner_info(reply: Mapping[str, Any]) -> MinerInfo:
    """Parse ``get_miner_info`` (all fields requested)."""
    body = message_body(reply)
    return MinerInfo(
        mac=normalise_mac(body.get("mac")),
        hostname=as_text(body.get("hostname")),
        ip=_ip(body.get("ip")),
        proto=as_text(body.get("proto")),
        netmask=as_text(body.get("netmask")),
        gateway=as_text(body.get("gateway")),
        dns=as_text(body.get("dns")),
        led_status=as_text(body.get("ledstat")),
        miner_serial=as_text(body.get("minersn")),
        power_serial=as_text(body.get("powersn")),
        led_pattern=as_led_pattern(body.get("ledstat")),
        raw=body,
    )


def parse_settings(info_reply: Mapping[str, Any]) -> MinerSettings:
    """Return the settings ``get_miner_info`` reports back (only some firmware does)."""
    body = message_body(info_reply)
    return MinerSettings(upfreq_speed=as_count(body.get("upfreq_speed")), raw=body)


def parse_errors(reply: Mapping[str, Any]) -> tuple[MinerError, ...]:
    """Parse ``get_error_code``: ``[{"218": "2024-06-15 10:30:00"}]``, ``[]`` or plain codes."""
    message = reply.get("Msg")
    entries = as_mapping(message).get("error_code", message)
    if isinstance(entries, Mapping):
        entries = [entries]  # {"329": "…"}: one object instead of a list of them
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
        return ()
    errors: list[MinerError] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            for code, reported in entry.items():
                if (number := as_count(code)) is not None:
                    errors.append(
                        MinerError(code=number, reported_at=parse_local_time(reported))
                    )
        elif (number := as_count(entry)) is not None:
            errors.append(MinerError(code=number, reported_at=None))
    return tuple(errors)


# Writes.


_PRE_POWER_ON_STATES: Final = {state.value: state for state in PrePowerOnState}


def parse_pre_power_on(message: object) -> PrePowerOnState:
    """Return the preheating state of a ``pre_power_on`` reply's ``Msg``."""
    body = as_mapping(message)
    if as_flag(body.get("complete")) is True:
        return PrePowerOnState.COMPLETE
    text = (as_text(body.get("msg")) or message_text(message)).strip().lower()
    if state := _PRE_POWER_ON_STATES.get(text):
        return state
    msg = f"pre_power_on answered an unknown state: {text[:80]!r}"
    raise WhatsminerInvalidReplyError(msg)


def log_file_length(message: object) -> int:
    """Return ``logfilelen`` from the first phase of ``download_logs``."""
    length = as_count(as_mapping(message).get("logfilelen"))
    if length is None:
        msg = "download_logs did not announce the log size"
        raise WhatsminerInvalidReplyError(msg)
    return length
