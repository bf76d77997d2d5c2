"""Pieces both API versions share: recorded requests, handler outcomes, helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SALT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

type FollowUp = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the miner understood it (encrypted parts decrypted)."""

    api: str  # "v2" or "v3"
    command: str | None  # None when the request could not be read as a command
    params: Mapping[str, Any]
    client_ip: str
    time: float
    authenticated: bool


@dataclass(slots=True)
class Outcome:
    """What a protocol handler wants sent back, and what happens next."""

    body: bytes
    command: str | None = None
    encrypted: bool = False  # v2: body is an {"enc": ...} reply, quirks do not apply
    follow_up: FollowUp | None = (
        None  # more traffic on the same connection after the body
    )
    after: Callable[[], None] | None = None  # runs once the reply went out (reboots)
    close: bool = False  # v3: close the connection after this reply


def make_salt(rng: random.Random, *, with_punctuation: bool = False) -> str:
    """Return an 8-character crypt salt; optionally force a ``.`` or ``/`` into it."""
    chars = [rng.choice(SALT_ALPHABET) for _ in range(8)]
    if with_punctuation and not {".", "/"} & set(chars):
        chars[rng.randrange(8)] = rng.choice("./")
    return "".join(chars)


def local_time_text(timestamp: float, zonename: str) -> str:
    """Format a Unix time as the miner prints it, in its configured zone."""
    try:
        zone: dt.tzinfo = ZoneInfo(zonename)
    except ZoneInfoNotFoundError, ValueError:
        zone = dt.UTC
    return dt.datetime.fromtimestamp(timestamp, zone).strftime("%Y-%m-%d %H:%M:%S")


def as_int(value: object) -> int | None:
    """Read an integer the way btminer does: numbers or numeric strings, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def led_pattern_text(led: object) -> str:
    """Write the LED setting as 2026 firmware reports it: a blink pattern per LED.

    Red then green, each ``on,period,duration,start`` followed by a space; a unit in
    automatic mode was captured sending ``"1,200,100,0 0,200,100,0 "``.
    """
    if led == "auto" or not isinstance(led, tuple):
        return "1,200,100,0 0,200,100,0 "
    patterns = {pattern.color: pattern for pattern in led}
    text = ""
    for color in ("red", "green"):
        pattern = patterns.get(color)
        if pattern is None:
            text += "0,0,0,0 "
        else:
            text += f"1,{pattern.period},{pattern.duration},{pattern.start} "
    return text
