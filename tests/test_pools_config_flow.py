"""Config flow of the pool accounts, against the mock APIs over real HTTP."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.clients.whitepool import MiningAccount
from custom_components.hashwatt.config_flow import whitepool_title
from custom_components.hashwatt.const import (
    CONF_API_SECRET,
    CONF_ENTRY_TYPE,
    CONF_REGION,
    CONF_SECRET_KEY,
    DOMAIN,
    ENTRY_TYPE_WEBMINEPOOL,
    ENTRY_TYPE_WHITEPOOL,
)
from custom_components.hashwatt.coordinator import key_fingerprint
from custom_components.hashwatt.entity import whitepool_account_identifier
from simulator.webminepool import Fault as WebMineFault, WebMinePoolServer
from simulator.whitepool import Fault, WhitePoolServer

from .conftest import (
    WEBMINEPOOL_SECRET_KEY,
    WHITEPOOL_API_KEY,
    WHITEPOOL_API_SECRET,
    webminepool_entry,
    whitepool_entry,
)
from .pool_helpers import while_time_passes

ACCOUNTS = "/api/v4/mining/accounts"


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Keep created entries from setting up: these tests are about the flow."""
    with patch(
        "custom_components.hashwatt.async_setup_entry", return_value=True
    ) as mock:
        yield mock


def whitepool_input(**changes: Any) -> dict[str, Any]:
    """The WhitePool form, filled in for the mock's key."""
    return {
        CONF_API_KEY: WHITEPOOL_API_KEY,
        CONF_API_SECRET: WHITEPOOL_API_SECRET,
        CONF_REGION: "com",
        **changes,
    }


async def start_flow(hass: HomeAssistant, menu_option: str) -> str:
    """Open the menu, choose ``menu_option``, and return the flow's ID."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "whatsminer",
        "scan",
        "whitepool",
        "webminepool",
        "bitcoin_network",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": menu_option}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == menu_option
    assert result["errors"] == {}
    return str(result["flow_id"])


def add_account_device(
    hass: HomeAssistant, entry: MockConfigEntry, account: str
) -> None:
    """Register the device of a mining account, as a loaded entry would have."""
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={whitepool_account_identifier(account)},
        name=account,
    )


# --- WhiteBIT mining pool: adding a key ----------------------------------------------------


@pytest.mark.parametrize("region", ["com", "eu"])
async def test_add_whitepool(
    hass: HomeAssistant,
    whitepool_mock: WhitePoolServer,
    region: str,
) -> None:
    """The key lists its accounts before the entry is made; the key itself is no ID."""
    # Other entries don't stand in the way: a miner, another user's key.
    MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: "whatsminer"}).add_to_hass(
        hass
    )
    other = whitepool_entry("01KOTHERENTRY0000000000000", **{CONF_API_KEY: "other"})
    other.add_to_hass(hass)
    add_account_device(hass, other, "their_account")
    flow_id = await start_flow(hass, "whitepool")

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        whitepool_input(
            **{
                CONF_API_KEY: f" {WHITEPOOL_API_KEY} ",
                CONF_REGION: region,
            }
        ),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "WhiteBIT mining pool (my_miner_01)"
    assert result["data"] == {
        CONF_ENTRY_TYPE: ENTRY_TYPE_WHITEPOOL,
        CONF_API_KEY: WHITEPOOL_API_KEY,
        CONF_API_SECRET: WHITEPOOL_API_SECRET,
        CONF_REGION: region,
    }
    unique_id = result["result"].unique_id
    assert unique_id == key_fingerprint(ENTRY_TYPE_WHITEPOOL, WHITEPOOL_API_KEY)
    assert unique_id.startswith("whitepool_")
    assert WHITEPOOL_API_KEY not in unique_id
    assert len(whitepool_mock.requests_to(ACCOUNTS)) == 1
    assert result["result"].state is ConfigEntryState.LOADED


def test_title_names_the_oldest_account() -> None:
    """Several keys are told apart by their first account; a key without any has none."""
    accounts = (
        MiningAccount("newer", datetime(2024, 3, 1, tzinfo=UTC)),
        MiningAccount("first", datetime(2023, 1, 1, tzinfo=UTC)),
    )

    assert whitepool_title(accounts) == "WhiteBIT mining pool (first)"
    assert whitepool_title(()) == "WhiteBIT mining pool"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.AUTH_SIGNATURE, "whitepool_invalid_auth"),
        (Fault.AUTH_DISABLED, "whitepool_invalid_auth"),
        (Fault.AUTH_PERMISSION, "whitepool_invalid_auth"),
        (Fault.TIMESTAMP, "whitepool_clock"),
        (Fault.INVALID_JSON, "whitepool_failed"),
    ],
)
async def test_whitepool_errors_recover(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer, fault: Fault, error: str
) -> None:
    """Each refusal is shown on the form; the next try goes through."""
    flow_id = await start_flow(hass, "whitepool")
    whitepool_mock.inject(ACCOUNTS, fault)

    result = await hass.config_entries.flow.async_configure(flow_id, whitepool_input())

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    result = await hass.config_entries.flow.async_configure(flow_id, whitepool_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_whitepool_wrong_secret(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """A secret that doesn't sign like the key's is refused by WhiteBIT."""
    flow_id = await start_flow(hass, "whitepool")

    result = await hass.config_entries.flow.async_configure(
        flow_id, whitepool_input(**{CONF_API_SECRET: "not-the-secret"})
    )

    assert result["errors"] == {"base": "whitepool_invalid_auth"}


async def test_abandoned_pool_dialogs_never_block_the_key(
    hass: HomeAssistant,
    whitepool_mock: WhitePoolServer,
    webminepool_mock: WebMinePoolServer,
) -> None:
    """A dialog left at an error does not stop a new one adding the same key."""
    abandoned = await start_flow(hass, "whitepool")
    result = await hass.config_entries.flow.async_configure(
        abandoned, whitepool_input(**{CONF_API_SECRET: "not-the-secret"})
    )
    assert result["errors"] == {"base": "whitepool_invalid_auth"}
    webminepool_mock.inject("balance", WebMineFault.INTERNAL_ERROR)
    abandoned = await start_flow(hass, "webminepool")
    result = await hass.config_entries.flow.async_configure(
        abandoned, {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )
    assert result["type"] is FlowResultType.FORM

    flow_id = await start_flow(hass, "whitepool")
    result = await hass.config_entries.flow.async_configure(flow_id, whitepool_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    flow_id = await start_flow(hass, "webminepool")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The abandoned dialogs ended with their keys added.
    assert not hass.config_entries.flow.async_progress()


async def test_whitepool_rate_limited(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer, freezer: FrozenDateTimeFactory
) -> None:
    """Rate limiting that outlasts the client's retries asks the user to wait."""
    flow_id = await start_flow(hass, "whitepool")
    whitepool_mock.inject(ACCOUNTS, Fault.RATE_LIMIT, count=3)

    result = await while_time_passes(
        hass,
        freezer,
        hass.config_entries.flow.async_configure(flow_id, whitepool_input()),
    )

    assert result["errors"] == {"base": "whitepool_rate_limited"}
    assert len(whitepool_mock.requests_to(ACCOUNTS)) == 3


async def test_whitepool_cannot_connect(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """Nothing answering is told apart from a refusal."""
    flow_id = await start_flow(hass, "whitepool")
    await whitepool_mock.stop()

    result = await hass.config_entries.flow.async_configure(flow_id, whitepool_input())

    assert result["errors"] == {"base": "whitepool_cannot_connect"}


async def test_whitepool_key_added_once(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """A key already configured is refused before anything is sent."""
    whitepool_entry().add_to_hass(hass)
    flow_id = await start_flow(hass, "whitepool")

    result = await hass.config_entries.flow.async_configure(flow_id, whitepool_input())

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pool_already_configured"
    assert whitepool_mock.requests == []


async def test_whitepool_accounts_already_configured(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """A second key of the same WhiteBIT user would show its accounts twice."""
    other = whitepool_entry(
        "01KOTHERENTRY0000000000000", **{CONF_API_KEY: "another-key"}
    )
    other.add_to_hass(hass)
    add_account_device(hass, other, "my_miner_01")
    flow_id = await start_flow(hass, "whitepool")

    result = await hass.config_entries.flow.async_configure(flow_id, whitepool_input())

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "whitepool_accounts_configured"
    assert result["description_placeholders"] == {"title": other.title}


# --- WhiteBIT mining pool: reauthentication and reconfiguration ---------------------------


async def test_whitepool_reauth_same_key(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """A key enabled again is checked and kept."""
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    add_account_device(hass, entry, "my_miner_01")
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "whitepool_reauth"
    assert result["description_placeholders"] == {"name": entry.title}

    whitepool_mock.inject(ACCOUNTS, Fault.AUTH_DISABLED)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: WHITEPOOL_API_KEY, CONF_API_SECRET: WHITEPOOL_API_SECRET},
    )
    assert result["errors"] == {"base": "whitepool_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: WHITEPOOL_API_KEY, CONF_API_SECRET: WHITEPOOL_API_SECRET},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.unique_id == key_fingerprint(ENTRY_TYPE_WHITEPOOL, WHITEPOOL_API_KEY)


async def test_whitepool_reauth_new_key(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """A new key of the same account replaces the old one, and so does its fingerprint."""
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    add_account_device(hass, entry, "my_miner_01")
    whitepool_mock.api_key = "new-key"
    whitepool_mock.api_secret = "new-secret"
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "new-key", CONF_API_SECRET: "new-secret"}
    )

    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == "new-key"
    assert entry.data[CONF_API_SECRET] == "new-secret"
    assert entry.unique_id == key_fingerprint(ENTRY_TYPE_WHITEPOOL, "new-key")


async def test_whitepool_reauth_other_users_key(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """A key that reaches none of the entry's accounts belongs to someone else."""
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    add_account_device(hass, entry, "my_miner_01")
    whitepool_mock.accounts.clear()
    whitepool_mock.add_account("someone_else")
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: WHITEPOOL_API_KEY, CONF_API_SECRET: WHITEPOOL_API_SECRET},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "whitepool_wrong_account"
    assert entry.data[CONF_API_KEY] == WHITEPOOL_API_KEY


async def test_whitepool_reauth_key_of_another_entry(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """The key of another entry is refused before anything is sent."""
    entry = whitepool_entry(**{CONF_API_KEY: "old-key"})
    entry.add_to_hass(hass)
    whitepool_entry("01KOTHERENTRY0000000000000").add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: WHITEPOOL_API_KEY, CONF_API_SECRET: WHITEPOOL_API_SECRET},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pool_already_configured"
    assert whitepool_mock.requests == []


async def test_whitepool_reconfigure(
    hass: HomeAssistant, whitepool_mock: WhitePoolServer
) -> None:
    """The region and key can change; the form starts from the stored region."""
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "whitepool_reconfigure"
    schema = result["data_schema"].schema
    region = next(key for key in schema if key == CONF_REGION)
    assert region.default() == "com"

    whitepool_mock.inject(ACCOUNTS, Fault.TIMESTAMP)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], whitepool_input(**{CONF_REGION: "eu"})
    )
    assert result["errors"] == {"base": "whitepool_clock"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], whitepool_input(**{CONF_REGION: "eu"})
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_REGION] == "eu"


# --- WebMinePool -------------------------------------------------------------------------


async def test_add_webminepool(
    hass: HomeAssistant, webminepool_mock: WebMinePoolServer
) -> None:
    """The key reads the balance before the entry is made; the key itself is no ID."""
    flow_id = await start_flow(hass, "webminepool")

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SECRET_KEY: f"{WEBMINEPOOL_SECRET_KEY}\n"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "WebMinePool"
    assert result["data"] == {
        CONF_ENTRY_TYPE: ENTRY_TYPE_WEBMINEPOOL,
        CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY,
    }
    unique_id = result["result"].unique_id
    assert unique_id == key_fingerprint(ENTRY_TYPE_WEBMINEPOOL, WEBMINEPOOL_SECRET_KEY)
    assert WEBMINEPOOL_SECRET_KEY not in unique_id
    assert [call.method for call in webminepool_mock.calls] == ["balance"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (WebMineFault.INVALID_KEY, "webminepool_invalid_auth"),
        (WebMineFault.INTERNAL_ERROR, "webminepool_failed"),
        (WebMineFault.HTTP_500, "webminepool_failed"),
        (WebMineFault.INVALID_JSON, "webminepool_failed"),
    ],
)
async def test_webminepool_errors_recover(
    hass: HomeAssistant,
    webminepool_mock: WebMinePoolServer,
    fault: WebMineFault,
    error: str,
) -> None:
    """Each failure is shown on the form; the next try goes through."""
    flow_id = await start_flow(hass, "webminepool")
    webminepool_mock.inject("balance", fault)

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )

    assert result["errors"] == {"base": error}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_webminepool_wrong_and_malformed_keys(
    hass: HomeAssistant, webminepool_mock: WebMinePoolServer
) -> None:
    """A malformed key is refused unsent; a wrong one by WebMinePool."""
    flow_id = await start_flow(hass, "webminepool")

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SECRET_KEY: "PK_not/a/key"}
    )
    assert result["errors"] == {"base": "webminepool_invalid_key"}
    assert webminepool_mock.calls == []

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SECRET_KEY: "PK_wrongKey000000000000"}
    )
    assert result["errors"] == {"base": "webminepool_invalid_auth"}


async def test_webminepool_cannot_connect(
    hass: HomeAssistant, webminepool_mock: WebMinePoolServer
) -> None:
    """Nothing answering is told apart from a refusal."""
    flow_id = await start_flow(hass, "webminepool")
    await webminepool_mock.stop()

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )

    assert result["errors"] == {"base": "webminepool_cannot_connect"}


async def test_webminepool_key_added_once(
    hass: HomeAssistant, webminepool_mock: WebMinePoolServer
) -> None:
    """A key already configured is refused before anything is sent."""
    webminepool_entry().add_to_hass(hass)
    flow_id = await start_flow(hass, "webminepool")

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pool_already_configured"
    assert webminepool_mock.calls == []


@pytest.mark.parametrize("source", ["reauth", "reconfigure"])
async def test_webminepool_new_key(
    hass: HomeAssistant, webminepool_mock: WebMinePoolServer, source: str
) -> None:
    """A refreshed key is checked, stored, and takes its fingerprint along."""
    entry = webminepool_entry(**{CONF_SECRET_KEY: "PK_oldKey"})
    entry.add_to_hass(hass)
    if source == "reauth":
        result = await entry.start_reauth_flow(hass)
    else:
        result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == f"webminepool_{source}"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SECRET_KEY: "PK_oldKey"}
    )
    assert result["errors"] == {"base": "webminepool_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{source}_successful"
    assert entry.data[CONF_SECRET_KEY] == WEBMINEPOOL_SECRET_KEY
    assert entry.unique_id == key_fingerprint(
        ENTRY_TYPE_WEBMINEPOOL, WEBMINEPOOL_SECRET_KEY
    )


async def test_webminepool_reauth_key_of_another_entry(
    hass: HomeAssistant, webminepool_mock: WebMinePoolServer
) -> None:
    """The key of another entry is refused before anything is sent."""
    entry = webminepool_entry(**{CONF_SECRET_KEY: "PK_oldKey"})
    entry.add_to_hass(hass)
    webminepool_entry("01KOTHERENTRY0000000000000").add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pool_already_configured"
    assert webminepool_mock.calls == []


async def test_pools_have_no_options(hass: HomeAssistant) -> None:
    """The scan interval option is the miners'; pools poll at a fixed interval."""
    pool = webminepool_entry()
    pool.add_to_hass(hass)
    miner = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: "whatsminer"})
    miner.add_to_hass(hass)

    assert not pool.supports_options
    assert miner.supports_options
