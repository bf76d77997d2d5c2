"""Config, reconfigure and options flows of the Bitcoin-network entry, against the mock."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.hashwatt.config_flow import network_title
from custom_components.hashwatt.const import (
    CONF_CURRENCY,
    CONF_ENTRY_TYPE,
    CONF_POOL_FEE,
    DOMAIN,
    ENTRY_TYPE_BITCOIN_NETWORK,
)
from simulator.mempool import Fault, MempoolServer

from .network_helpers import network_entry


async def start(hass: HomeAssistant) -> str:
    """Open the menu, choose the Bitcoin network, and return the flow's ID."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert "bitcoin_network" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bitcoin_network"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bitcoin_network"
    return result["flow_id"]


async def test_add_the_network(
    hass: HomeAssistant, mempool_mock: MempoolServer
) -> None:
    """The API is read before the entry is made; the URL is stored normalized."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: f" {mempool_mock.url}/ "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (
        result["title"] == "Bitcoin network (127.0.0.1:" + str(mempool_mock.port) + ")"
    )
    assert result["data"] == {
        CONF_ENTRY_TYPE: ENTRY_TYPE_BITCOIN_NETWORK,
        CONF_URL: mempool_mock.url,
    }
    assert mempool_mock.requests_to("/api/v1/mining/reward-stats/144") >= 1
    await hass.async_block_till_done()

    # The same API again: refused.
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: f"{mempool_mock.url}/"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "bitcoin_network_already_configured"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.GARBAGE, "bitcoin_network_invalid_reply"),
        (Fault.SERVER_ERROR, "bitcoin_network_failed"),
        (Fault.RATE_LIMIT, "bitcoin_network_rate_limited"),
    ],
)
async def test_errors_then_recovery(
    hass: HomeAssistant, mempool_mock: MempoolServer, fault: Fault, error: str
) -> None:
    """A failing API shows a translated error; the form works once it answers."""
    mempool_mock.retry_after = 3600  # not waited for: told to the user
    mempool_mock.inject(None, fault, None)
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: mempool_mock.url}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert hass.config_entries.async_entries(DOMAIN) == []
    mempool_mock.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: mempool_mock.url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("mempool.space/api", "bitcoin_network_invalid_url"),
        ("https://user:pw@mempool.space/api", "bitcoin_network_invalid_url"),
        ("http://127.0.0.1:9/api", "bitcoin_network_cannot_connect"),
    ],
)
async def test_bad_addresses(
    hass: HomeAssistant, socket_enabled: None, url: str, error: str
) -> None:
    """Not a URL, credentials in it, nothing listening."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_URL: url})
    assert result["errors"] == {"base": error}


async def test_not_a_mempool_api(
    hass: HomeAssistant, mempool_mock: MempoolServer
) -> None:
    """The site's root instead of its API: 404, said as such."""
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: mempool_mock.url.removesuffix("/api")}
    )
    assert result["errors"] == {"base": "bitcoin_network_not_mempool"}


async def test_reconfigure(
    hass: HomeAssistant, mempool_mock: MempoolServer, socket_enabled: None
) -> None:
    """Another API: checked, then stored; one already used by another entry: refused."""
    entry = network_entry("http://127.0.0.1:9/api")
    entry.add_to_hass(hass)
    other = network_entry(mempool_mock.url, entry_id="01KOTHERNETWORKENTRY000000")
    other.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "bitcoin_network_reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "http://127.0.0.1:9/api"}
    )
    assert result["errors"] == {"base": "bitcoin_network_cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: mempool_mock.url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "bitcoin_network_already_configured"

    assert await hass.config_entries.async_remove(other.entry_id)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: mempool_mock.url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_URL] == mempool_mock.url
    assert entry.unique_id == f"bitcoin_network_{mempool_mock.url}"
    await hass.async_block_till_done()


async def test_options(hass: HomeAssistant, mempool_mock: MempoolServer) -> None:
    """Currency (Home Assistant's by default) and pool fee; the entry reloads."""
    hass.config.currency = "GBP"
    entry = network_entry(mempool_mock.url)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "bitcoin_network"
    schema = result["data_schema"].schema
    defaults = {str(key): key.default() for key in schema}
    assert defaults == {CONF_CURRENCY: "GBP", CONF_POOL_FEE: 2.0}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CURRENCY: "AUD", CONF_POOL_FEE: 1.5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_CURRENCY: "AUD", CONF_POOL_FEE: 1.5}
    prices = [
        state
        for state in hass.states.async_all("sensor")
        if state.attributes.get("unit_of_measurement") == "AUD/BTC"
    ]
    assert len(prices) == 1


def test_titles() -> None:
    """The public mempool.space is "Bitcoin network"; another API says its host."""
    assert network_title("https://mempool.space/api") == "Bitcoin network"
    assert (
        network_title("http://umbrel.local:3006/api")
        == "Bitcoin network (umbrel.local:3006)"
    )


def test_an_options_form_needs_a_step_for_its_answers() -> None:
    """A kind's options form whose answers would reach no step fails at import."""
    from custom_components.hashwatt.config_flow import _EntryOptionsFlow

    with pytest.raises(TypeError, match="async_step_fee = async_step_init"):

        class _Forgotten(_EntryOptionsFlow):
            form_step = "fee"
            option_types = ()
