"""Diagnostics of the pool entries: keys, payout details and names redacted."""

import json

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from simulator.whitepool import WhitePoolServer

from .conftest import WEBMINEPOOL_SECRET_KEY, WHITEPOOL_API_KEY, WHITEPOOL_API_SECRET

ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


@pytest.fixture
def external_payouts(whitepool_mock: WhitePoolServer) -> None:
    """The account has paid out to an address of its own from the start.

    (A reward once paid keeps the destination it was paid to.)
    """
    account = whitepool_mock.accounts["my_miner_01"]
    account.payout_destination = "external_address"
    account.external_address = ADDRESS


@pytest.mark.usefixtures("external_payouts")
async def test_whitepool_diagnostics(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """The key, the payout address, and account and worker names are not in them."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_whitepool
    )

    assert diagnostics == snapshot
    text = json.dumps(diagnostics)
    for private in (
        WHITEPOOL_API_KEY,
        WHITEPOOL_API_SECRET,
        ADDRESS,
        "my_miner_01",
        "m30s_01",
    ):
        assert private not in text


async def test_webminepool_diagnostics(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """The key, the users' names and the site key are not in them."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_webminepool
    )

    assert diagnostics == snapshot
    text = json.dumps(diagnostics)
    for private in (WEBMINEPOOL_SECRET_KEY, "alice", "bob", "SK_demo_site_key"):
        assert private not in text
