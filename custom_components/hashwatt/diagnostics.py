"""Diagnostics of a miner entry: what it is set up with and what the miner last said.

Pool entries give their settings and last poll, keys and payout details redacted and
account, worker and user names replaced by stand-ins. A Bitcoin-network entry gives its
options and last figures; the address of a self-hosted API is redacted (it names a host
on the user's network), the public mempool.space's is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .clients.mempool import DEFAULT_BASE_URL as MEMPOOL_DEFAULT_URL
from .clients.whatsminer import capture_document
from .const import (
    CONF_API_SECRET,
    CONF_SECRET_KEY,
)
from .coordinator import (
    BitcoinNetworkConfigEntry,
    HashwattConfigEntry,
    PoolAccountConfigEntry,
    WebMinePoolData,
    WhitePoolData,
    is_miner_entry,
    is_network_entry,
    is_pool_account_entry,
    is_webminepool_entry,
    is_whitepool_entry,
)
from .helpers import without_url_credentials

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
    if isinstance(value, str):
        return without_url_credentials(value, f"{REDACTED}@")
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HashwattConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings, both polls' last data and the miner's last raw replies.

    The raw replies are in the capture format (docs/firmware.md), redacted as
    ``capture --redact`` does: MAC, serials, addresses, hostname and workers
    replaced by stand-ins.
    """
    if is_network_entry(entry):
        return _network_diagnostics(entry)
    if is_pool_account_entry(entry):
        return _pool_account_diagnostics(entry)
    if not is_miner_entry(entry):
        return {}
    runtime = entry.runtime_data
    client = runtime.client
    raw_replies = capture_document(
        entry.data[CONF_HOST],
        client.exchanges(),
        v2_port=client.v2_port,
        v3_port=client.v3_port,
        redacted=True,
        captured_at=dt_util.utcnow(),
    )
    diagnostics = _redact(
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
    # Already redacted with stand-ins that keep the replies consistent.
    diagnostics["raw_replies"] = raw_replies
    return diagnostics


# --- Mining pools ------------------------------------------------------------------------

_POOL_SECRETS = frozenset({CONF_API_KEY, CONF_API_SECRET, CONF_SECRET_KEY})
# Where the money goes, and the site's public key and its users' referrals.
_POOL_PRIVATE = frozenset(
    {
        "external_address",
        "payout_address",
        "payout_transaction_hash",
        "site_key",
        "referral",
    }
)


class _Pseudonyms:
    """Stand-ins for account, worker and user names: they can name places or people."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, name: str) -> str:
        key = (kind, name)
        if key not in self._names:
            count = sum(1 for known_kind, _ in self._names if known_kind == kind)
            self._names[key] = f"{kind} {count + 1}"
        return self._names[key]


def _jsonable(value: Any) -> Any:  # noqa: ANN401  # any dataclass field
    """Turn what the pool clients return into JSON values, private fields redacted."""
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if key in _POOL_PRIVATE and item else _jsonable(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")  # str() would write 5E-7
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _whitepool_data(data: WhitePoolData, pseudonym: _Pseudonyms) -> dict[str, Any]:
    accounts = []
    for account in data.accounts.values():
        fields = asdict(account)
        fields["name"] = pseudonym("account", account.name)
        fields["workers"] = {
            pseudonym("worker", worker): hashrate
            for worker, hashrate in account.workers.items()
        }
        for reward in fields["rewards"]:
            reward["account"] = pseudonym("account", reward["account"])
        accounts.append(fields)
    return {
        "accounts": accounts,
        "btc_price": data.btc_price,
        "btc_quote": data.btc_quote,
    }


def _webminepool_data(data: WebMinePoolData, pseudonym: _Pseudonyms) -> dict[str, Any]:
    users = []
    for user in data.users.values():
        fields = asdict(user)
        fields["name"] = pseudonym("user", user.name)
        users.append(fields)
    return {
        "balance": data.balance,
        "hashes": data.hashes,
        "rates": asdict(data.rates),
        "users": users,
    }


def _pool_account_diagnostics(entry: PoolAccountConfigEntry) -> dict[str, Any]:
    """Return a pool entry's settings and last poll: keys, payout details and names hidden."""
    coordinator = entry.runtime_data.coordinator
    pseudonym = _Pseudonyms()
    if is_whitepool_entry(entry):
        data = _whitepool_data(entry.runtime_data.coordinator.data, pseudonym)
    elif is_webminepool_entry(entry):
        data = _webminepool_data(entry.runtime_data.coordinator.data, pseudonym)
    else:
        return {}
    diagnostics: dict[str, Any] = _jsonable(
        {
            "entry": {
                # The title names a mining account.
                "title": REDACTED,
                "data": {
                    key: REDACTED if key in _POOL_SECRETS else value
                    for key, value in entry.data.items()
                },
            },
            "last_update_success": coordinator.last_update_success,
            "update_interval": str(coordinator.update_interval),
            "data": data,
        }
    )
    return diagnostics


def _network_diagnostics(entry: BitcoinNetworkConfigEntry) -> dict[str, Any]:
    """Return a Bitcoin-network entry's settings and last figures."""
    coordinator = entry.runtime_data.coordinator
    public = entry.data[CONF_URL] == MEMPOOL_DEFAULT_URL
    data = coordinator.data
    diagnostics: dict[str, Any] = _jsonable(
        {
            "entry": {
                "title": entry.title if public else REDACTED,
                "data": {
                    key: REDACTED if key == CONF_URL and not public else value
                    for key, value in entry.data.items()
                },
                "options": dict(entry.options),
            },
            "last_update_success": coordinator.last_update_success,
            "update_interval": str(coordinator.update_interval),
            "data": None
            if data is None
            else {
                **asdict(data),
                "hashprice": data.hashprice,
                "hashprice_in_currency": data.hashprice_in_currency,
                "revenue": data.revenue,
            },
        }
    )
    return diagnostics
