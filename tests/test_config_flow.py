"""Tests of the config flow, against simulated miners over real TCP."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
import pytest_socket
from homeassistant.config_entries import SOURCE_DHCP, SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_SCAN_INTERVAL
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import (
    EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE,
    EVENT_DATA_ENTRY_FLOW_PROGRESSED,
    FlowResultType,
)
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.translation import async_get_translations
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.hashwatt.config_flow import (
    CONF_ADDRESS_RANGE,
    CONF_MINERS,
    CONF_PORTS,
    MAX_SCAN_ADDRESSES,
    SOURCE_ADD_SCANNED,
    AddressRangeError,
    parse_address_range,
)
from custom_components.hashwatt.const import (
    CONF_ACCOUNT,
    CONF_API,
    CONF_ENTRY_TYPE,
    CONF_READ_ONLY,
    CONF_V2_PORT,
    CONF_V3_PORT,
    DOMAIN,
    ENTRY_TYPE_WHATSMINER,
)
from simulator.whatsminer import Fault, MinerFleet, SimulatedMiner

from .conftest import PASSWORD, TITLE, miner_entry_data, unused_tcp_port

# Scans and DHCP reach miners on their real ports (4028/4433), each on its own
# loopback address in this block; nothing else in the test suite uses it.
FLEET_NETWORK = "127.0.55.0/24"


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Keep created entries from setting up: these tests are about the flow."""
    with patch(
        "custom_components.hashwatt.async_setup_entry", return_value=True
    ) as mock:
        yield mock


@pytest.fixture
def loopback_network(socket_enabled: None) -> Iterator[None]:
    """Allow connections to the fleet's loopback addresses, not only 127.0.0.1."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", FLEET_NETWORK])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
async def fleet(loopback_network: None) -> AsyncIterator[MinerFleet]:
    """Three miners on 127.0.55.1-3 (v2, v3, v2) on the real API ports."""
    miners = MinerFleet(
        count=3, first_ip="127.0.55.1", api="mixed", password=PASSWORD, seed=7
    )
    await miners.start()
    yield miners
    await miners.stop()


def miner_input(miner: SimulatedMiner, **changes: Any) -> dict[str, Any]:
    """Return the single-miner form filled in for a simulated miner."""
    ports = {
        CONF_V2_PORT: miner.v2_port,
        CONF_V3_PORT: miner.v3_port or unused_tcp_port(),
    }
    return {
        CONF_HOST: miner.host,
        CONF_PASSWORD: PASSWORD,
        CONF_PORTS: ports,
        **changes,
    }


async def start_single_miner_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Open the menu, choose one miner, and return its form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"][:2] == ["whatsminer", "scan"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "whatsminer"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "whatsminer"
    return result


# --- One miner -----------------------------------------------------------------------------


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_add_one_miner(
    hass: HomeAssistant, simulated_miner: SimulatedMiner, mock_setup_entry: AsyncMock
) -> None:
    """The miner is identified, its password verified, and the entry keyed by its MAC."""
    flow_id = (await start_single_miner_flow(hass))["flow_id"]
    user_input = miner_input(simulated_miner)

    result = await hass.config_entries.flow.async_configure(flow_id, user_input)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == format_mac(simulated_miner.state.mac)
    # The factory hostname names no miner: model and the end of the MAC do.
    assert result["title"].startswith(simulated_miner.model)
    assert result["title"].endswith(" " + format_mac(simulated_miner.state.mac)[-8:])
    assert result["data"] == {
        CONF_ENTRY_TYPE: ENTRY_TYPE_WHATSMINER,
        CONF_HOST: "127.0.0.1",
        CONF_PASSWORD: PASSWORD,
        CONF_V2_PORT: simulated_miner.v2_port,
        CONF_V3_PORT: user_input[CONF_PORTS][CONF_V3_PORT],
        CONF_API: simulated_miner.api,
        CONF_READ_ONLY: False,
    }
    assert len(mock_setup_entry.mock_calls) == 1
    # The password was checked with an authenticated request.
    assert any(request.authenticated for request in simulated_miner.requests)


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_add_a_miner_with_a_limited_account(
    hass: HomeAssistant, simulated_miner: SimulatedMiner
) -> None:
    """An API v3 user account is checked with its own password and stored."""
    simulated_miner.state.accounts["user2"] = "ha_user2"
    # The account may not run the password probe: "no permission" still proves
    # the token, so the password, right.
    simulated_miner.state.permissions["user2"] = frozenset({"set.miner.power"})
    flow_id = (await start_single_miner_flow(hass))["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, miner_input(simulated_miner, **{CONF_ACCOUNT: "user2"})
    )
    assert result["errors"] == {"base": "invalid_auth"}  # super's password

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        miner_input(
            simulated_miner, **{CONF_ACCOUNT: "user2", CONF_PASSWORD: "ha_user2"}
        ),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ACCOUNT] == "user2"
    assert result["data"][CONF_PASSWORD] == "ha_user2"
    assert result["data"][CONF_READ_ONLY] is False
    signed = [r for r in simulated_miner.requests if r.authenticated]
    assert signed
    assert signed[-1].params["account"] == "user2"


async def test_a_user_account_needs_api_v3(
    hass: HomeAssistant, simulated_miner: SimulatedMiner
) -> None:
    """API v2 has one account: another is refused on the account field."""
    flow_id = (await start_single_miner_flow(hass))["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, miner_input(simulated_miner, **{CONF_ACCOUNT: "user1"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ACCOUNT: "account_needs_v3"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, miner_input(simulated_miner, **{CONF_ACCOUNT: "super"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_ACCOUNT not in result["data"]


async def test_custom_hostname_is_the_title(
    hass: HomeAssistant, simulated_miner: SimulatedMiner
) -> None:
    """A hostname someone gave the miner names it better than its model."""
    simulated_miner.state.hostname = "rack3-slot14"
    flow_id = (await start_single_miner_flow(hass))["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, miner_input(simulated_miner)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "rack3-slot14"


async def test_ports_default_to_the_api_ports(hass: HomeAssistant) -> None:
    """The ports sit in a collapsed section, set to 4028 and 4433."""
    result = await start_single_miner_flow(hass)

    ports = result["data_schema"](
        {CONF_HOST: "miner", CONF_PASSWORD: "x", CONF_PORTS: {}}
    )
    assert ports[CONF_PORTS] == {CONF_V2_PORT: 4028, CONF_V3_PORT: 4433}


@pytest.mark.parametrize(
    ("break_it", "error"),
    [
        (
            lambda miner, form: form.update(
                ports={**form[CONF_PORTS], CONF_V2_PORT: unused_tcp_port()}
            ),
            "cannot_connect",
        ),
        (lambda miner, form: form.update(password="wrong_pw"), "invalid_auth"),
        (lambda miner, form: miner.inject(Fault.TOKEN_LIMIT, count=1), "token_limit"),
        (
            lambda miner, form: miner.inject(
                Fault.GARBAGE, count=1, commands={"get_miner_info"}
            ),
            "invalid_reply",
        ),
    ],
    ids=["cannot_connect", "invalid_auth", "token_limit", "invalid_reply"],
)
async def test_single_miner_errors_recover(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    break_it: Any,
    error: str,
) -> None:
    """Each failure shows its error on the form, and the next try succeeds."""
    flow_id = (await start_single_miner_flow(hass))["flow_id"]
    user_input = miner_input(simulated_miner)
    broken = dict(user_input)
    break_it(simulated_miner, broken)

    result = await hass.config_entries.flow.async_configure(flow_id, broken)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(flow_id, user_input)

    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_write_disabled_adds_read_only(
    hass: HomeAssistant, simulated_miner: SimulatedMiner
) -> None:
    """A miner that refuses commands is offered read-only, and added so when accepted."""
    simulated_miner.state.write_enabled = False
    flow_id = (await start_single_miner_flow(hass))["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, miner_input(simulated_miner)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "write_disabled"
    assert result["description_placeholders"]["host"] == "127.0.0.1"

    result = await hass.config_entries.flow.async_configure(flow_id, {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_READ_ONLY] is True
    assert result["result"].unique_id == format_mac(simulated_miner.state.mac)


@pytest.mark.parametrize("mac", ["00:00:00:00:00:00", ""])
async def test_missing_mac_is_never_an_identity(
    hass: HomeAssistant, simulated_miner: SimulatedMiner, mac: str
) -> None:
    """A miner reporting no MAC (or zeros) is refused: it would duplicate after a reboot."""
    simulated_miner.state.mac = mac
    flow_id = (await start_single_miner_flow(hass))["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, miner_input(simulated_miner)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_mac"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_same_miner_again_updates_its_address(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Adding a configured miner again aborts, keeping the address it was found at."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_V2_PORT: 1, CONF_HOST: "10.0.0.9"},
    )
    flow_id = (await start_single_miner_flow(hass))["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, miner_input(simulated_miner)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_HOST] == "127.0.0.1"
    assert mock_config_entry.data[CONF_V2_PORT] == simulated_miner.v2_port


async def test_abandoned_dialog_never_blocks_the_miner(
    hass: HomeAssistant, simulated_miner: SimulatedMiner
) -> None:
    """A dialog left at a wrong password does not stop a new one adding the miner."""
    abandoned = (await start_single_miner_flow(hass))["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        abandoned, miner_input(simulated_miner, **{CONF_PASSWORD: "wrong_pw"})
    )
    assert result["errors"] == {"base": "invalid_auth"}  # and the browser closes

    flow_id = (await start_single_miner_flow(hass))["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, miner_input(simulated_miner)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == format_mac(simulated_miner.state.mac)
    # The abandoned dialog ended with the miner added.
    assert not hass.config_entries.flow.async_progress()


# --- DHCP ----------------------------------------------------------------------------------


def dhcp_info(ip: str, mac: str, hostname: str = "whatsminer") -> DhcpServiceInfo:
    """DHCP discovery data as Home Assistant passes it (MAC without colons)."""
    return DhcpServiceInfo(
        ip=ip, hostname=hostname, macaddress=mac.replace(":", "").lower()
    )


async def test_dhcp_follows_a_known_miner(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A configured miner seen at a new address gets its entry updated, without a probe."""
    mock_config_entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=dhcp_info("192.168.7.7", simulated_miner.state.mac),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_HOST] == "192.168.7.7"
    assert not simulated_miner.requests


async def test_dhcp_discovers_a_new_miner(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """A Whatsminer found by DHCP is offered; its password is asked, checked, and it's added."""
    miner = fleet.miners[1]  # API v3

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=dhcp_info(miner.host, miner.state.mac),
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"]["host"] == miner.host

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "wrong_pw"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: PASSWORD}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == format_mac(miner.state.mac)
    assert result["data"][CONF_HOST] == miner.host
    assert result["data"][CONF_API] == "v3"
    assert result["data"][CONF_V3_PORT] == 4433


async def test_pending_discovery_never_blocks_a_manual_add(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """A discovered miner waiting for its password can be added by hand meanwhile."""
    miner = fleet.miners[0]
    discovered = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=dhcp_info(miner.host, miner.state.mac),
    )
    assert discovered["step_id"] == "discovery_confirm"

    flow_id = (await start_single_miner_flow(hass))["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, miner_input(miner))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == format_mac(miner.state.mac)
    # The discovery is over: its miner is configured.
    assert not hass.config_entries.flow.async_progress()


async def test_discovery_is_offered_once(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """Discovery keeps the default: the same miner seen twice is offered once."""
    miner = fleet.miners[0]
    for _ in range(2):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=dhcp_info(miner.host, miner.state.mac),
        )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"


async def test_scan_adds_a_miner_with_a_pending_discovery(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """Miners chosen in a scan are added though discoveries of them wait."""
    for miner in fleet.miners:
        await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=dhcp_info(miner.host, miner.state.mac),
        )
    result = await start_scan(hass, "127.0.55.1-3")
    macs = [format_mac(miner.state.mac) for miner in fleet.miners]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MINERS: macs, CONF_PASSWORD: PASSWORD}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entries = hass.config_entries.async_entries(DOMAIN)
    assert {entry.unique_id for entry in entries} == set(macs)
    assert not hass.config_entries.flow.async_progress()


async def test_dhcp_write_disabled_adds_read_only(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """A discovered miner that refuses commands is offered read-only too."""
    miner = fleet.miners[0]
    miner.state.write_enabled = False
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=dhcp_info(miner.host, miner.state.mac),
    )

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: PASSWORD}
    )

    assert result["step_id"] == "write_disabled"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_READ_ONLY] is True


async def test_dhcp_ignores_what_is_not_a_whatsminer(
    hass: HomeAssistant, loopback_network: None
) -> None:
    """A device named like a Whatsminer but not answering as one is not offered."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=dhcp_info("127.0.55.200", "c6:07:00:00:00:01"),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_whatsminer"


async def test_dhcp_mac_must_match_the_miner(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """When the miner at the address reports another MAC, nothing is offered."""
    miner = fleet.miners[0]

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=dhcp_info(miner.host, "c6:07:00:00:00:99"),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unexpected_miner"


# --- Scanning an address range -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("127.0.55.1", ["127.0.55.1"]),
        ("127.0.55.0/30", ["127.0.55.1", "127.0.55.2"]),
        ("127.0.55.8-127.0.55.10", ["127.0.55.8", "127.0.55.9", "127.0.55.10"]),
        (" 127.0.55.8 - 9 ", ["127.0.55.8", "127.0.55.9"]),
        ("10.0.0.255-10.0.1.0", ["10.0.0.255", "10.0.1.0"]),
    ],
)
def test_parse_address_range(text: str, addresses: list[str]) -> None:
    """Networks, ranges and short ranges become lists of addresses."""
    assert parse_address_range(text) == addresses


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("miners", "invalid_range"),
        ("127.0.55.9-127.0.55.8", "invalid_range"),
        ("127.0.55.1-x", "invalid_range"),
        ("10.0.0.0/33", "invalid_range"),
        ("10.0.0.0/21", "range_too_large"),
        ("10.0.0.0-10.0.4.0", "range_too_large"),
    ],
)
def test_parse_address_range_refuses(text: str, reason: str) -> None:
    """Nonsense and ranges beyond the cap are refused with a reason."""
    with pytest.raises(AddressRangeError) as caught:
        parse_address_range(text)
    assert caught.value.reason == reason


def test_scan_cap_is_a_22() -> None:
    """A /22 (1024 addresses) is the most one scan covers."""
    assert MAX_SCAN_ADDRESSES == 1024
    assert len(parse_address_range("10.0.0.0/22")) == 1022


async def show_scan_progress(hass: HomeAssistant, address_range: str) -> str:
    """Open the menu, choose scanning, enter a range; return the flow's ID."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "scan"}
    )
    assert result["step_id"] == "scan"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESS_RANGE: address_range}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "scan"
    flow_id: str = result["flow_id"]
    return flow_id


async def start_scan(hass: HomeAssistant, address_range: str) -> dict[str, Any]:
    """Scan as the frontend does: listen once the progress shows, await the news."""
    flow_id = await show_scan_progress(hass, address_range)
    progressed: asyncio.Future[Event] = hass.loop.create_future()

    @callback
    def async_progressed(event: Event) -> None:
        if not progressed.done():
            progressed.set_result(event)

    unsubscribe = hass.bus.async_listen(
        EVENT_DATA_ENTRY_FLOW_PROGRESSED, async_progressed
    )
    try:
        async with asyncio.timeout(10):
            event = await progressed
    finally:
        unsubscribe()
    assert event.data["flow_id"] == flow_id
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)


async def test_scan_result_shows_on_a_page_that_subscribes_late(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, fleet: MinerFleet
) -> None:
    """A scan done before the page listens is still announced to the page.

    The frontend subscribes to the flow's events only after it shows the progress
    step; a scan of three addresses is over by then.
    """
    probed: asyncio.Queue[float] = asyncio.Queue()

    @callback
    def async_probed(event: Event) -> None:
        probed.put_nowait(event.data["progress"])

    hass.bus.async_listen(EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE, async_probed)
    flow_id = await show_scan_progress(hass, "127.0.55.1-3")
    async with asyncio.timeout(10):
        while await probed.get() < 1:
            pass
    await asyncio.sleep(0.3)  # the scan is done, and nobody listens yet

    assert hass.config_entries.flow.async_get(flow_id)["step_id"] == "scan_progress"

    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "subscribe_events", "event_type": EVENT_DATA_ENTRY_FLOW_PROGRESSED}
    )
    assert (await client.receive_json())["success"]
    async with asyncio.timeout(10):
        event = await client.receive_json()
    assert event["event"]["data"]["flow_id"] == flow_id
    await hass.async_block_till_done()

    result = await hass.config_entries.flow.async_configure(flow_id)

    assert result["step_id"] == "scan_select"
    assert result["description_placeholders"]["count"] == "3"


async def test_scan_result_shows_without_a_listener(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """A client that never listens (the REST API) gets the result all the same."""
    with patch("custom_components.hashwatt.config_flow.SCAN_LISTENER_WAIT", 0.2):
        flow_id = await show_scan_progress(hass, "127.0.55.1-3")
        await hass.async_block_till_done()

    result = await hass.config_entries.flow.async_configure(flow_id)

    assert result["step_id"] == "scan_select"


async def test_scan_range_errors(hass: HomeAssistant) -> None:
    """A range that can't be scanned is refused on the form, then corrected."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "scan"}
    )
    assert result["description_placeholders"] == {"max": "1024"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESS_RANGE: "192.168.0.0/16"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ADDRESS_RANGE: "range_too_large"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESS_RANGE: "everything"}
    )

    assert result["errors"] == {CONF_ADDRESS_RANGE: "invalid_range"}


async def test_scan_adds_the_chosen_miners(
    hass: HomeAssistant, fleet: MinerFleet, mock_setup_entry: AsyncMock
) -> None:
    """A scan lists what answers; each chosen miner becomes its own entry."""
    first, second, third = fleet.miners
    third.state.write_enabled = False
    # Something answering on the API ports that is no Whatsminer is not listed.
    fourth = SimulatedMiner(model="M50", api="v2", password=PASSWORD, seed=99)
    fourth.inject(Fault.GARBAGE)
    await fourth.start(host="127.0.55.4", v2_port=4028)
    try:
        result = await start_scan(hass, "127.0.55.1-6")
    finally:
        await fourth.stop()

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "scan_select"
    assert result["description_placeholders"]["count"] == "3"
    options = result["data_schema"].schema[CONF_MINERS].config["options"]
    assert [option["value"] for option in options] == [
        format_mac(miner.state.mac) for miner in fleet.miners
    ]
    label = options[1]["label"]
    assert label.startswith(f"127.0.55.2 — {second.model}")
    assert format_mac(second.state.mac) in label
    assert "API v3" in label

    chosen = [format_mac(first.state.mac), format_mac(third.state.mac)]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MINERS: chosen, CONF_PASSWORD: PASSWORD}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description_placeholders"] == {"count": "2"}
    entries = {
        entry.unique_id: entry for entry in hass.config_entries.async_entries(DOMAIN)
    }
    assert set(entries) == set(chosen)
    assert entries[chosen[0]].data == {
        CONF_ENTRY_TYPE: ENTRY_TYPE_WHATSMINER,
        CONF_HOST: "127.0.55.1",
        CONF_PASSWORD: PASSWORD,
        CONF_V2_PORT: 4028,
        CONF_V3_PORT: 4433,
        CONF_API: "v2",
        CONF_READ_ONLY: False,
    }
    # The write-disabled miner was added read-only (its entry raises the repair).
    assert entries[chosen[1]].data[CONF_READ_ONLY] is True
    assert entries[chosen[1]].source == SOURCE_ADD_SCANNED
    assert len(mock_setup_entry.mock_calls) == 2


async def test_scan_skips_configured_miners(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """Miners already configured are not offered again; with none left, the flow ends."""
    for miner in fleet.miners:
        MockConfigEntry(
            domain=DOMAIN, unique_id=format_mac(miner.state.mac)
        ).add_to_hass(hass)

    result = await start_scan(hass, "127.0.55.0/29")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_miners_found"


async def test_scan_select_errors_recover(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """Choosing nothing, or a password some miners refuse, is said on the form."""
    result = await start_scan(hass, "127.0.55.1-3")
    macs = [format_mac(miner.state.mac) for miner in fleet.miners]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MINERS: [], CONF_PASSWORD: PASSWORD}
    )

    assert result["errors"] == {CONF_MINERS: "none_selected"}

    fleet.miners[2].state.password = "other_pw"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MINERS: macs, CONF_PASSWORD: PASSWORD}
    )

    assert result["errors"] == {
        "base": "scan_add_failed",
        CONF_PASSWORD: "scan_invalid_auth",
    }
    assert result["description_placeholders"] == {
        "count": "3",
        "refused_password": "127.0.55.3",
        "no_answer": "",
        "token_limit": "",
    }
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MINERS: macs[:2], CONF_PASSWORD: PASSWORD}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


async def test_scan_select_says_why_each_miner_failed(
    hass: HomeAssistant, fleet: MinerFleet
) -> None:
    """Miners failing for different reasons are listed under each reason's own error."""
    result = await start_scan(hass, "127.0.55.1-3")
    macs = [format_mac(miner.state.mac) for miner in fleet.miners]
    first, second, third = fleet.miners
    third.state.password = "other_pw"  # a v2 miner
    second.inject(Fault.REFUSE)  # a v3 miner gone since the scan
    first.inject(Fault.TOKEN_LIMIT, count=1)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MINERS: macs, CONF_PASSWORD: PASSWORD}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        "base": "scan_token_limit",
        CONF_PASSWORD: "scan_invalid_auth",
        CONF_MINERS: "scan_no_answer",
    }
    assert result["description_placeholders"] == {
        "count": "3",
        "refused_password": "127.0.55.3",
        "no_answer": "127.0.55.2",
        "token_limit": "127.0.55.1",
    }
    strings = await async_get_translations(hass, "en", "config", [DOMAIN])
    shown = {
        field: strings[f"component.{DOMAIN}.config.error.{error}"].format(
            **result["description_placeholders"]
        )
        for field, error in result["errors"].items()
    }
    assert "127.0.55.1" in shown["base"]
    assert "password" in shown[CONF_PASSWORD]
    assert "127.0.55.3" in shown[CONF_PASSWORD]
    assert "127.0.55.2" in shown[CONF_MINERS]
    assert not hass.config_entries.async_entries(DOMAIN)

    # Without the token limit, the miners that did not answer share one error,
    # and the top of the form says that nothing was added.
    first.inject(Fault.GARBAGE, count=1)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MINERS: macs, CONF_PASSWORD: PASSWORD}
    )

    assert result["errors"] == {
        "base": "scan_add_failed",
        CONF_PASSWORD: "scan_invalid_auth",
        CONF_MINERS: "scan_no_answer",
    }
    assert result["description_placeholders"]["no_answer"] == "127.0.55.1, 127.0.55.2"
    assert result["description_placeholders"]["token_limit"] == ""
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_scanned_miner_added_meanwhile_is_not_duplicated(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The flow adding one more scanned miner aborts if that miner got configured meanwhile."""
    mock_config_entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ADD_SCANNED},
        data={
            "unique_id": mock_config_entry.unique_id,
            "title": TITLE,
            "data": miner_entry_data(simulated_miner),
        },
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# --- Reauthentication, reconfiguration, options --------------------------------------------


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_reauth(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A new password is checked on the miner before it replaces the stored one."""
    mock_config_entry.add_to_hass(hass)
    simulated_miner.state.password = "new_pw"
    if simulated_miner.api == "v3":
        simulated_miner.state.accounts["super"] = "new_pw"
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": TITLE, "host": "127.0.0.1"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: PASSWORD}
    )

    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new_pw"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_PASSWORD] == "new_pw"


async def test_reauth_clears_read_only(
    hass: HomeAssistant, simulated_miner: SimulatedMiner, socket_enabled: None
) -> None:
    """A password that verifies proves writing works: the entry is no longer read-only."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=format_mac(simulated_miner.state.mac),
        data=miner_entry_data(simulated_miner, **{CONF_READ_ONLY: True}),
    )
    entry.add_to_hass(hass)
    simulated_miner.state.write_enabled = False
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: PASSWORD}
    )

    assert result["errors"] == {"base": "write_disabled"}

    simulated_miner.state.write_enabled = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: PASSWORD}
    )

    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_READ_ONLY] is False


async def test_reconfigure_moves_the_miner(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The address or ports change, once the same miner answers there."""
    mock_config_entry.add_to_hass(hass)
    old_port = simulated_miner.v2_port
    new_port = unused_tcp_port()
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert result["data_schema"]({})[CONF_V2_PORT] == old_port
    await simulated_miner.change_address(v2_port=new_port)
    moved = {
        CONF_HOST: "127.0.0.1",
        CONF_V2_PORT: new_port,
        CONF_V3_PORT: mock_config_entry.data[CONF_V3_PORT],
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**moved, CONF_V2_PORT: old_port}
    )

    assert result["errors"] == {"base": "cannot_connect"}
    assert result["data_schema"]({})[CONF_V2_PORT] == old_port

    result = await hass.config_entries.flow.async_configure(result["flow_id"], moved)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_V2_PORT] == new_port
    assert mock_config_entry.data[CONF_PASSWORD] == PASSWORD


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_reauth_with_another_account(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """On API v3 the account can change with the password."""
    mock_config_entry.add_to_hass(hass)
    simulated_miner.state.accounts["user3"] = "ha_user3"
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["data_schema"]({CONF_PASSWORD: "x"})[CONF_ACCOUNT] == "super"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "ha_user3", CONF_ACCOUNT: "user3"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_ACCOUNT] == "user3"
    assert mock_config_entry.data[CONF_PASSWORD] == "ha_user3"


async def test_reauth_of_an_api_v2_miner_asks_no_account(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert set(result["data_schema"].schema) == {CONF_PASSWORD}


@pytest.mark.parametrize("miner_api", ["v3"])
async def test_reconfigure_changes_the_account(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Another account is checked with its password before it is stored."""
    mock_config_entry.add_to_hass(hass)
    simulated_miner.state.accounts["user1"] = "ha_user1"
    simulated_miner.state.permissions["user1"] = frozenset({"set.miner.power"})
    where = {
        CONF_HOST: "127.0.0.1",
        CONF_V2_PORT: mock_config_entry.data[CONF_V2_PORT],
        CONF_V3_PORT: mock_config_entry.data[CONF_V3_PORT],
    }
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["data_schema"](where)[CONF_ACCOUNT] == "super"

    # The stored password is super's, not user1's.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**where, CONF_ACCOUNT: "user1"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert CONF_ACCOUNT not in mock_config_entry.data

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**where, CONF_ACCOUNT: "user1", CONF_PASSWORD: "ha_user1"},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_ACCOUNT] == "user1"
    assert mock_config_entry.data[CONF_PASSWORD] == "ha_user1"

    # And back to super, with its password.
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["data_schema"](where)[CONF_ACCOUNT] == "user1"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**where, CONF_ACCOUNT: "super", CONF_PASSWORD: PASSWORD}
    )
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_ACCOUNT] == "super"
    assert mock_config_entry.data[CONF_PASSWORD] == PASSWORD


async def test_reconfigure_to_firmware_without_accounts(
    hass: HomeAssistant, simulated_miner: SimulatedMiner
) -> None:
    """A user account can't follow a miner that now answers on API v2 only."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=format_mac(simulated_miner.state.mac),
        data=miner_entry_data(
            simulated_miner, **{CONF_API: "v3", CONF_ACCOUNT: "user1"}
        ),
    )
    entry.add_to_hass(hass)
    where = {
        CONF_HOST: "127.0.0.1",
        CONF_V2_PORT: entry.data[CONF_V2_PORT],
        CONF_V3_PORT: entry.data[CONF_V3_PORT],
    }
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**where, CONF_ACCOUNT: "user1"}
    )
    assert result["errors"] == {CONF_ACCOUNT: "account_needs_v3"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**where, CONF_ACCOUNT: "super"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API] == "v2"
    assert entry.data[CONF_ACCOUNT] == "super"


async def test_reconfigure_refuses_another_miner(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Pointing an entry at a different miner is refused: it would inherit the history."""
    mock_config_entry.add_to_hass(hass)
    other = SimulatedMiner(model="M60", api="v2", password=PASSWORD, seed=2)
    await other.start()
    try:
        result = await mock_config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_HOST: "127.0.0.1",
                CONF_V2_PORT: other.v2_port,
                CONF_V3_PORT: mock_config_entry.data[CONF_V3_PORT],
            },
        )
    finally:
        await other.stop()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unexpected_miner"
    assert mock_config_entry.data[CONF_V2_PORT] == simulated_miner.v2_port


async def test_options_set_the_scan_interval(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The fast poll's interval is an option, bounded to 10..600 seconds."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["step_id"] == "init"
    assert result["data_schema"]({})[CONF_SCAN_INTERVAL] == 30

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 45.0}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {CONF_SCAN_INTERVAL: 45}
