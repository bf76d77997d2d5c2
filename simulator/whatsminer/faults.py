"""Faults a simulated miner can be told to show, and the rules that arm them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    """A misbehaviour; the value is the name the CLI's ``--fault`` takes."""

    REFUSE = "refuse"
    HANG = "hang"
    RESET = "reset"
    TRUNCATE = "truncate"
    GARBAGE = "garbage"
    NUL_TERMINATED = "nul_terminated"
    TRAILING_COMMA = "trailing_comma"
    OBJECT_JOIN = "object_join"
    LIST_LEADING_COMMA = "list_leading_comma"
    PSU_TEMP0_COMMA = "psu_temp0_comma"
    ERROR_CODE_LIST = "error_code_list"
    QUOTED_FIRMWARE = "quoted_firmware"
    BAD_UTF8 = "bad_utf8"
    OLD_STATUS = "old_status"
    POWER_UNKNOWN = "power_unknown"
    API_VER_TEXT = "api_ver_text"
    SLOW = "slow"
    TOKEN_CHECK_ERROR = "token_check_error"
    TOKEN_LIMIT = "token_limit"
    WRITE_DISABLED = "write_disabled"
    SILENT_REBOOT = "silent_reboot"
    SILENT_POWER_OFF = "silent_power_off"
    COMPAT_LAYER = "compat_layer"

    @property
    def description(self) -> str:
        """Return one line saying what the miner does."""
        return FAULT_DESCRIPTIONS[self]


FAULT_DESCRIPTIONS: dict[Fault, str] = {
    Fault.REFUSE: "stop listening: connections are refused until the fault is cleared",
    Fault.HANG: "read the request, then never answer (the connection stays open)",
    Fault.RESET: "send part of the reply, then reset the connection (RST)",
    Fault.TRUNCATE: "cut the reply in the middle, then close normally",
    Fault.GARBAGE: "answer with random bytes that are not JSON",
    Fault.NUL_TERMINATED: "end v2 replies with a \\x00 byte",
    Fault.TRAILING_COMMA: 'v2 quirk: a trailing comma before the last "}" (",}")',
    Fault.OBJECT_JOIN: 'v2 quirk: no comma between list objects ("}{")',
    Fault.LIST_LEADING_COMMA: 'v2 quirk: a comma opening object lists ("[,{")',
    Fault.PSU_TEMP0_COMMA: 'v2 quirk: get_psu misses the comma before "temp0"',
    Fault.ERROR_CODE_LIST: 'v2 quirk: API 2.0.4 error codes as ["329":"2022-01-17 11:28:11"]',
    Fault.QUOTED_FIRMWARE: "v2 quirk: status reports the firmware version quoted: \"'20210322.22.REL'\"",
    Fault.BAD_UTF8: "v2 quirk: invalid UTF-8 bytes inside a string",
    Fault.OLD_STATUS: 'v2 quirk: status says "btmineroff" (old firmware) instead of "mineroff"',
    Fault.POWER_UNKNOWN: "report power as -1 (unknown)",
    Fault.API_VER_TEXT: 'v2 quirk: get_version api_ver is "whatsminer v1.4.0"',
    Fault.SLOW: "answer only after a delay (inject(..., delay=seconds))",
    Fault.TOKEN_CHECK_ERROR: "encrypted v2 commands fail with 135 (check token error)",
    Fault.TOKEN_LIMIT: 'get_token fails with 136 "over max connect"',
    Fault.WRITE_DISABLED: 'the write API is switched off (v2 "can\'t access write cmd", v3 -4)',
    Fault.SILENT_REBOOT: "answer, then reboot on its own (down for inject(..., downtime=seconds))",
    Fault.SILENT_POWER_OFF: "answer, then stop mining on its own",
    Fault.COMPAT_LAYER: "answer on 4028 like new (2024-11+) firmware's compatibility layer",
}

# Faults that only change how a v2 reply is written (applied to plaintext replies).
V2_QUIRKS = frozenset(
    {
        Fault.TRAILING_COMMA,
        Fault.OBJECT_JOIN,
        Fault.LIST_LEADING_COMMA,
        Fault.PSU_TEMP0_COMMA,
        Fault.ERROR_CODE_LIST,
        Fault.QUOTED_FIRMWARE,
        Fault.BAD_UTF8,
        Fault.OLD_STATUS,
        Fault.API_VER_TEXT,
        Fault.NUL_TERMINATED,
    }
)


@dataclass(slots=True)
class FaultRule:
    """One armed fault: which requests it hits and how many more times."""

    fault: Fault
    remaining: int | None = None  # None: until cleared
    commands: frozenset[str] | None = None  # None: every command
    api: str | None = None  # "v2", "v3" or None for both
    delay: float = 2.0  # SLOW: seconds before answering
    downtime: float = 60.0  # SILENT_REBOOT: seconds unreachable

    def matches(self, api: str, command: str | None) -> bool:
        """Tell whether this rule applies to a request."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.api is not None and self.api != api:
            return False
        if self.commands is None:
            return True
        if command is None:
            return False
        return command in self.commands or any(
            part in self.commands for part in command.split("+")
        )


def make_rule(
    fault: Fault,
    *,
    count: int | None,
    commands: Iterable[str] | None,
    api: str | None,
    delay: float,
    downtime: float,
) -> FaultRule:
    """Validate the arguments of ``SimulatedMiner.inject`` and build the rule."""
    if count is not None and count < 1:
        msg = "count must be at least 1 (or None for until cleared)"
        raise ValueError(msg)
    if api not in (None, "v2", "v3"):
        msg = f"api must be 'v2', 'v3' or None, not {api!r}"
        raise ValueError(msg)
    if isinstance(commands, str):
        commands = {commands}
    return FaultRule(
        fault=Fault(fault),
        remaining=count,
        commands=frozenset(commands) if commands is not None else None,
        api=api,
        delay=delay,
        downtime=downtime,
    )


class FaultBook:
    """The armed fault rules of one miner."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        """Arm a rule."""
        self.rules.append(rule)

    def clear(self, fault: Fault | None = None) -> None:
        """Disarm every rule, or every rule of one fault."""
        self.rules = [r for r in self.rules if fault is not None and r.fault != fault]

    def active(self, fault: Fault, api: str | None = None) -> bool:
        """Tell whether a fault is armed at all (for any command)."""
        return any(
            r.fault == fault
            and (r.remaining is None or r.remaining > 0)
            and (api is None or r.api in (None, api))
            for r in self.rules
        )

    def find(self, fault: Fault, api: str, command: str | None) -> FaultRule | None:
        """Return the first rule of a fault that applies to a request, without using it."""
        for rule in self.rules:
            if rule.fault == fault and rule.matches(api, command):
                return rule
        return None

    def consume(self, rule: FaultRule) -> None:
        """Count one use of a rule; a used-up rule is dropped."""
        if rule.remaining is not None:
            rule.remaining -= 1
            if rule.remaining <= 0 and rule in self.rules:
                self.rules.remove(rule)

    def take(self, fault: Fault, api: str, command: str | None) -> FaultRule | None:
        """Find a rule that applies to a request and count its use."""
        rule = self.find(fault, api, command)
        if rule is not None:
            self.consume(rule)
        return rule
