"""Diagnostics of a miner entry: what it is set up with and what the miner last said."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from homeassistant.core import HomeAssistant

from .coordinator import HashwattConfigEntry

REDACTED = "**REDACTED**"

# Passwords, serial numbers ("minersn", "PCB SN", "serial_no", ...) and pool
# accounts (a worker is "account.rig"), matched once spaces, - and _ are dropped.
_SECRET_KEY = re.compile(r".*passw.*|.*serial.*|.*sn\d*|user|worker\d*|account")


def _is_secret(key: object) -> bool:
    return bool(_SECRET_KEY.fullmatch(re.sub(r"[\s_-]", "", str(key)).lower()))


def _redact(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: REDACTED if _is_secret(key) else _redact_value(item)
        for key, item in data.items()
    }


def _redact_value(value: Any) -> Any:  # noqa: ANN401  # any JSON-like value
    if isinstance(value, Mapping):
        return _redact(value)
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HashwattConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings and both polls' last data, secrets redacted."""
    runtime = entry.runtime_data
    return _redact(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "api": runtime.client.api,
            "writable": runtime.writable,
            "fast": {
                "last_update_success": runtime.fast.last_update_success,
                "data": asdict(runtime.fast.data),
            },
            "slow": {
                "last_update_success": runtime.slow.last_update_success,
                "data": asdict(runtime.slow.data),
            },
        }
    )
