"""Helpers of the Bitcoin-network tests."""

from typing import Any

from homeassistant.const import CONF_URL
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import (
    CONF_ENTRY_TYPE,
    DOMAIN,
    ENTRY_TYPE_BITCOIN_NETWORK,
)

NETWORK_ENTRY_ID = "01KBITCOINNETWORKENTRY0000"


def network_entry(
    url: str,
    entry_id: str = NETWORK_ENTRY_ID,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A Bitcoin-network entry for the API at ``url``, as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title="Bitcoin network (127.0.0.1)",
        unique_id=f"{ENTRY_TYPE_BITCOIN_NETWORK}_{url.lower()}",
        data={CONF_ENTRY_TYPE: ENTRY_TYPE_BITCOIN_NETWORK, CONF_URL: url},
        options=options or {},
    )
