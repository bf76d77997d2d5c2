"""Constants for the Hashwatt integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Final

from homeassistant.config_entries import ConfigEntry

DOMAIN: Final = "hashwatt"
LOGGER: Final = logging.getLogger(__package__)

MANUFACTURER: Final = "MicroBT"

# Config entry data. Every entry says what it is (``CONF_ENTRY_TYPE``); that, not
# the runtime data, is what code narrows an entry by (see coordinator.py).
CONF_ENTRY_TYPE: Final = "entry_type"


class EntryType(StrEnum):
    """What a config entry is: a miner, a pool account, or the Bitcoin network."""

    WHATSMINER = "whatsminer"
    WHITEPOOL = "whitepool"
    WEBMINEPOOL = "webminepool"
    BITCOIN_NETWORK = "bitcoin_network"


def entry_type[T](entry: ConfigEntry[T]) -> EntryType | None:
    """Return what a Hashwatt entry is (None for another domain's or an unknown one)."""
    if entry.domain != DOMAIN:
        return None
    try:
        return EntryType(str(entry.data.get(CONF_ENTRY_TYPE)))
    except ValueError:
        return None


ENTRY_TYPE_WHATSMINER: Final = EntryType.WHATSMINER
ENTRY_TYPE_WHITEPOOL: Final = EntryType.WHITEPOOL
ENTRY_TYPE_WEBMINEPOOL: Final = EntryType.WEBMINEPOOL
ENTRY_TYPE_BITCOIN_NETWORK: Final = EntryType.BITCOIN_NETWORK

# WhiteBIT mining pool ("WhitePool") entries: an API key, its secret, and the host
# serving the account (CONF_API_KEY from homeassistant.const).
CONF_API_SECRET: Final = "api_secret"
CONF_REGION: Final = "region"
# WhitePool option: the currency the BTC price (and the break-even price) is in.
CONF_BTC_QUOTE: Final = "btc_quote"
REGION_COM: Final = "com"
REGION_EU: Final = "eu"

# WebMinePool entries: the site's secret key (it is part of every request's URL).
CONF_SECRET_KEY: Final = "secret_key"

# Bitcoin-network entries: a mempool.space-compatible API root (CONF_URL from
# homeassistant.const); options: the currency of the BTC price and the pool fee taken
# off the network's hashprice for miners without a pool entry of their own.
CONF_CURRENCY: Final = "currency"
CONF_POOL_FEE: Final = "pool_fee"
DEFAULT_POOL_FEE: Final = 2.0  # percent
# Blocks come every 10 minutes on average: the tip is checked this often (one
# request while nothing changed); the BTC price at most this often.
BITCOIN_NETWORK_SCAN_INTERVAL: Final = timedelta(minutes=3)
BITCOIN_PRICE_INTERVAL: Final = timedelta(minutes=30)

# Pool polls; see coordinator.py for the requests each one makes.
WHITEPOOL_SCAN_INTERVAL: Final = timedelta(minutes=5)
WHITEPOOL_SLOW_INTERVAL: Final = timedelta(minutes=15)
WEBMINEPOOL_SCAN_INTERVAL: Final = timedelta(minutes=10)
WEBMINEPOOL_RATES_INTERVAL: Final = timedelta(hours=1)

CONF_V2_PORT: Final = "v2_port"
CONF_V3_PORT: Final = "v3_port"
# The API found when the miner was added, so setup doesn't probe again; the
# client detects again by itself when the miner stops answering that way.
CONF_API: Final = "api"
# Added while the miner's write API was off, so the password is not verified yet.
CONF_READ_ONLY: Final = "read_only"
# The API v3 account writes are signed with: "super" (the default, then not
# stored) or "user1".."user3" with the rights super granted them.
CONF_ACCOUNT: Final = "account"

# Options: the fast poll's interval in seconds (CONF_SCAN_INTERVAL from homeassistant.const).
DEFAULT_SCAN_INTERVAL: Final = 30
MIN_SCAN_INTERVAL: Final = 10
MAX_SCAN_INTERVAL: Final = 600

# Identity, firmware, PSU, error codes, pools and settings change little.
SLOW_SCAN_INTERVAL: Final = timedelta(minutes=5)

# The factory hostname of every Whatsminer: useless as a name for one of many.
FACTORY_HOSTNAME: Final = "whatsminer"
