"""Actions of the pool accounts, against the mock APIs over real HTTP."""

import time
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.const import ATTR_DEVICE_ID, CONF_API_KEY
from homeassistant.core import Context, HomeAssistant, ServiceResponse
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.hashwatt.clients.whitepool import WhitePoolError
from custom_components.hashwatt.const import CONF_API_SECRET, CONF_REGION, DOMAIN
from custom_components.hashwatt.coordinator import WHITEPOOL_URLS
from custom_components.hashwatt.entity import (
    webminepool_identifier,
    whitepool_account_identifier,
)
from custom_components.hashwatt.helpers import pool_account_command
from simulator.webminepool import WebMinePoolServer
from simulator.whitepool import Fault, WhitePoolServer

from .conftest import tick, whitepool_entry
from .pool_helpers import while_time_passes

ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
# Refreshes after actions are debounced: the one after the first action runs at
# once, later ones after this many seconds.
REFRESH_COOLDOWN = 10
PAYOUT_EDIT = "/api/v4/mining/payout-destination/edit"
ACCOUNT_CREATE = "/api/v4/mining/accounts/create"
WATCHER_LIST = "/api/v4/mining/watcher-links/list"


def account_device(hass: HomeAssistant, entry: MockConfigEntry, account: str) -> str:
    """The device ID of a mining account."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        whitepool_account_identifier(account), entry.entry_id
    )
    assert device is not None
    return device.id


async def call(
    hass: HomeAssistant,
    action: str,
    data: dict[str, Any],
    *,
    response: bool = False,
    context: Context | None = None,
) -> ServiceResponse:
    """Run one of the integration's actions and wait for it."""
    return await hass.services.async_call(
        DOMAIN,
        action,
        data,
        blocking=True,
        return_response=response,
        context=context,
    )


# --- WhiteBIT mining pool ------------------------------------------------------------------


async def test_create_mining_account(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
) -> None:
    """The account is created once, and its device shows up right after."""
    response = await call(
        hass,
        "create_mining_account",
        {
            "config_entry_id": init_whitepool.entry_id,
            "name": "second_site",
            "referral_code": "FRIEND1",
        },
        response=True,
    )

    assert response == {
        "name": "second_site",
        "created_at": "2024-03-02T00:40:00+00:00",
    }
    assert whitepool_mock.accounts["second_site"].referral_code == "FRIEND1"
    assert len(whitepool_mock.requests_to(ACCOUNT_CREATE)) == 1
    await hass.async_block_till_done()
    assert account_device(hass, init_whitepool, "second_site")
    assert hass.states.get("sensor.second_site_payout_destination").state == (
        "main_balance"
    )


async def test_create_mining_account_refused(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
) -> None:
    """A bad name is refused unsent; a taken one by WhiteBIT, with its reason."""
    data = {"config_entry_id": init_whitepool.entry_id, "name": "no spaces"}
    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "create_mining_account", data)
    assert invalid.value.translation_key == "pool_invalid_value"
    assert invalid.value.translation_placeholders["field"] == "name"
    assert whitepool_mock.requests_to(ACCOUNT_CREATE) == []

    with pytest.raises(HomeAssistantError) as refused:
        await call(hass, "create_mining_account", {**data, "name": "my_miner_01"})
    assert refused.value.translation_key == "pool_refused"
    assert str(refused.value) == (
        "The pool refused the request of WhiteBIT mining pool (my_miner_01): "
        "name: The name has already been taken."
    )


async def test_set_payout_destination(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
) -> None:
    """Rewards go to a checked Bitcoin address, and back to the main balance."""
    device_id = account_device(hass, init_whitepool, "my_miner_01")
    account = whitepool_mock.accounts["my_miner_01"]

    await call(
        hass,
        "set_payout_destination",
        {
            ATTR_DEVICE_ID: device_id,
            "destination": "external_address",
            "address": f" {ADDRESS} ",
        },
    )
    await hass.async_block_till_done()

    assert (account.payout_destination, account.external_address) == (
        "external_address",
        ADDRESS,
    )
    state = hass.states.get("sensor.my_miner_01_payout_destination")
    assert state.state == "external_address"
    # Where the money goes is not for every state reader to see.
    assert ADDRESS not in str(state.attributes)

    await call(
        hass,
        "set_payout_destination",
        {ATTR_DEVICE_ID: device_id, "destination": "main_balance"},
    )
    assert (account.payout_destination, account.external_address) == (
        "main_balance",
        None,
    )


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"destination": "external_address"}, "payout_address_required"),
        (
            {"destination": "external_address", "address": "bc1qnotanaddress"},
            "invalid_btc_address",
        ),
        (
            # A testnet address: the pool pays out on mainnet only.
            {
                "destination": "external_address",
                "address": "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            },
            "invalid_btc_address",
        ),
        (
            {"destination": "main_balance", "address": ADDRESS},
            "payout_address_not_allowed",
        ),
    ],
)
async def test_set_payout_destination_checks_before_sending(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    data: dict[str, str],
    key: str,
) -> None:
    """An address that is missing, unneeded or no Bitcoin mainnet address is refused unsent."""
    device_id = account_device(hass, init_whitepool, "my_miner_01")

    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "set_payout_destination", {ATTR_DEVICE_ID: device_id, **data})

    assert invalid.value.translation_key == key
    assert whitepool_mock.requests_to(PAYOUT_EDIT) == []


async def test_watcher_links(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
) -> None:
    """A link is created and returned; the account's links are listed; 3 at most."""
    device_id = account_device(hass, init_whitepool, "my_miner_01")
    data = {
        ATTR_DEVICE_ID: [device_id],
        "name": "hosting_client_7",
        "permissions": ["dashboard", "workers"],
        "live_until": "7d",
    }

    created = await call(hass, "create_watcher_link", data, response=True)

    assert created == {
        "id": "wl_000001",
        "link": "https://whitebit.com/mining-pool/watcher/wl_000001",
        "name": "hosting_client_7",
        "accounts": ["my_miner_01"],
        "permissions": ["dashboard", "workers"],
        "live_until": "2024-03-09T00:40:00+00:00",
        "created_at": "2024-03-02T00:40:00+00:00",
    }
    listed = await call(
        hass, "list_watcher_links", {ATTR_DEVICE_ID: device_id}, response=True
    )
    assert listed == {"links": [created]}

    await call(hass, "create_watcher_link", data)
    await call(hass, "create_watcher_link", data)
    with pytest.raises(HomeAssistantError, match="maxWatcherLinks"):
        await call(hass, "create_watcher_link", data)


async def test_get_rewards(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
) -> None:
    """The rewards of a period, newest first, with their sum."""
    device_id = account_device(hass, init_whitepool, "my_miner_01")

    response = await call(
        hass,
        "get_rewards",
        {
            ATTR_DEVICE_ID: device_id,
            "start": "2024-02-28T00:00:00+00:00",
            "end": "2024-03-01T00:00:00+00:00",
        },
        response=True,
    )

    (account,) = response["accounts"]
    assert account["account"] == "my_miner_01"
    assert [reward["date"] for reward in account["rewards"]] == [
        "2024-03-01T00:00:00+00:00",
        "2024-02-29T00:00:00+00:00",
        "2024-02-28T00:00:00+00:00",
    ]
    assert account["rewards"][0]["status"] == "pending"
    assert account["rewards"][1]["status"] == "successful"
    assert account["reward"] == pytest.approx(
        sum(reward["reward"] for reward in account["rewards"])
    )
    assert account["rewards"][0]["hashrate"] == pytest.approx(335, rel=0.05)

    with pytest.raises(ServiceValidationError) as invalid:
        await call(
            hass,
            "get_rewards",
            {
                ATTR_DEVICE_ID: device_id,
                "start": "2024-03-01T00:00:00+00:00",
                "end": "2024-02-01T00:00:00+00:00",
            },
            response=True,
        )
    assert invalid.value.translation_key == "start_after_end"


async def test_get_rewards_until_now(
    hass: HomeAssistant, init_whitepool: MockConfigEntry
) -> None:
    """Without an end, the period ends now; a time without zone is local time."""
    device_id = account_device(hass, init_whitepool, "my_miner_01")
    assert str(hass.config.time_zone) == "US/Pacific"

    response = await call(
        hass,
        "get_rewards",
        # 2024-03-01 00:00 UTC: the day of the newest reward.
        {ATTR_DEVICE_ID: device_id, "start": "2024-02-29 16:00:00"},
        response=True,
    )

    assert len(response["accounts"][0]["rewards"]) == 1


@pytest.fixture
async def second_whitepool(
    hass: HomeAssistant, init_whitepool: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Another API key (of another WhiteBIT user), on its own mock, loaded."""
    server = WhitePoolServer(
        "other-key",
        "other-secret",
        clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
        seed=False,
    )
    server.add_account("their_account", workers=1)
    await server.start()
    with patch.dict(WHITEPOOL_URLS, {"eu": server.url}):
        entry = whitepool_entry(
            "01KOTHERENTRY0000000000000",
            **{
                CONF_API_KEY: "other-key",
                CONF_API_SECRET: "other-secret",
                CONF_REGION: "eu",
            },
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        yield entry
        await hass.config_entries.async_unload(entry.entry_id)
    await server.stop()


async def test_accounts_of_one_key_only(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    second_whitepool: MockConfigEntry,
) -> None:
    """One action goes to one API key: accounts of two keys are refused."""
    devices = [
        account_device(hass, init_whitepool, "my_miner_01"),
        account_device(hass, second_whitepool, "their_account"),
    ]

    with pytest.raises(ServiceValidationError) as invalid:
        await call(
            hass,
            "create_watcher_link",
            {
                ATTR_DEVICE_ID: devices,
                "name": "shared",
                "permissions": ["dashboard"],
                "live_until": "1h",
            },
            response=True,
        )

    assert invalid.value.translation_key == "accounts_of_different_keys"


async def test_targets_must_be_pool_accounts(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    init_webminepool: MockConfigEntry,
) -> None:
    """The pool's own device, or another integration's entry, is no mining account."""
    site = dr.async_get(hass).async_get_device_by_identifier(
        webminepool_identifier(init_webminepool), init_webminepool.entry_id
    )
    assert site is not None

    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "list_watcher_links", {ATTR_DEVICE_ID: site.id}, response=True)
    assert invalid.value.translation_key == "not_a_mining_account"
    assert invalid.value.translation_placeholders == {"device": "WebMinePool"}

    with pytest.raises(ServiceValidationError) as invalid:
        await call(
            hass,
            "create_mining_account",
            {"config_entry_id": init_webminepool.entry_id, "name": "x"},
        )
    assert invalid.value.translation_key == "not_a_whitepool_entry"

    with pytest.raises(ServiceValidationError) as invalid:
        await call(
            hass,
            "create_user",
            {"config_entry_id": init_whitepool.entry_id, "username": "x"},
        )
    assert invalid.value.translation_key == "not_a_webminepool_entry"


async def test_refused_key_during_an_action_starts_reauth(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
) -> None:
    """A key refused by an action asks for a new one, as a refused poll does."""
    whitepool_mock.inject(WATCHER_LIST, Fault.AUTH_PERMISSION)
    device_id = account_device(hass, init_whitepool, "my_miner_01")

    with pytest.raises(HomeAssistantError) as failed:
        await call(
            hass, "list_watcher_links", {ATTR_DEVICE_ID: device_id}, response=True
        )

    assert failed.value.translation_key == "pool_auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (Fault.RATE_LIMIT, "pool_rate_limited"),
        (Fault.TIMESTAMP, "pool_clock"),
        (Fault.INVALID_JSON, "pool_invalid_reply"),
        (Fault.SERVER_ERROR, "pool_refused"),
    ],
)
async def test_write_failures(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    fault: Fault,
    key: str,
) -> None:
    """A write fails once, translated; it is never sent twice."""
    whitepool_mock.inject(PAYOUT_EDIT, fault)
    device_id = account_device(hass, init_whitepool, "my_miner_01")

    with pytest.raises(HomeAssistantError) as failed:
        await call(
            hass,
            "set_payout_destination",
            {ATTR_DEVICE_ID: device_id, "destination": "main_balance"},
        )

    assert failed.value.translation_key == key
    assert len(whitepool_mock.requests_to(PAYOUT_EDIT)) == 1


async def test_read_retried_then_unreachable(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A read is retried through rate limiting; an unreachable pool is reported."""
    device_id = account_device(hass, init_whitepool, "my_miner_01")
    whitepool_mock.inject(WATCHER_LIST, Fault.RATE_LIMIT, count=2)

    listed = await while_time_passes(
        hass,
        freezer,
        call(hass, "list_watcher_links", {ATTR_DEVICE_ID: device_id}, response=True),
    )

    assert listed == {"links": []}
    assert len(whitepool_mock.requests_to(WATCHER_LIST)) == 3

    await whitepool_mock.stop()
    with pytest.raises(HomeAssistantError) as failed:
        await call(
            hass, "list_watcher_links", {ATTR_DEVICE_ID: device_id}, response=True
        )
    assert failed.value.translation_key == "pool_communication_error"


async def test_dangerous_pool_actions_are_for_admins(
    hass: HomeAssistant,
    init_whitepool: MockConfigEntry,
    init_webminepool: MockConfigEntry,
    hass_read_only_user: MockUser,
) -> None:
    """Moving money, sharing access and wiping balances need an administrator."""
    context = Context(user_id=hass_read_only_user.id)
    device_id = account_device(hass, init_whitepool, "my_miner_01")
    site = {"config_entry_id": init_webminepool.entry_id}
    for action, data in (
        (
            "set_payout_destination",
            {ATTR_DEVICE_ID: device_id, "destination": "main_balance"},
        ),
        (
            "create_watcher_link",
            {
                ATTR_DEVICE_ID: device_id,
                "name": "x",
                "permissions": ["dashboard"],
                "live_until": "1h",
            },
        ),
        ("withdraw", {**site, "username": "alice", "amount": 1}),
        ("reset_all_user_hashes", {**site, "confirm": True}),
    ):
        with pytest.raises(Unauthorized):
            await call(hass, action, data, context=context)


# --- WebMinePool -------------------------------------------------------------------------


async def test_users(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    webminepool_mock: WebMinePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Users are created and deleted; their sensors follow at once."""
    site = {"config_entry_id": init_webminepool.entry_id}

    await call(hass, "create_user", {**site, "username": "carol", "referral": "bob"})
    await hass.async_block_till_done()

    assert webminepool_mock.users["carol"].referral == "bob"
    assert hass.states.get("sensor.webminepool_carol_hashes").state == "0"

    await call(hass, "delete_user", {**site, "username": "carol"})
    await tick(hass, freezer, REFRESH_COOLDOWN)

    assert "carol" not in webminepool_mock.users
    assert hass.states.get("sensor.webminepool_carol_hashes") is None

    with pytest.raises(HomeAssistantError) as refused:
        await call(hass, "delete_user", {**site, "username": "carol"})
    assert refused.value.translation_key == "pool_refused"
    assert refused.value.translation_placeholders["error"] == "nonexistent user"


async def test_hash_balances(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    webminepool_mock: WebMinePoolServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Withdraw from one user, reset one, reset all (only when confirmed)."""
    site = {"config_entry_id": init_webminepool.entry_id}

    response = await call(
        hass, "withdraw", {**site, "username": "alice", "amount": 50_000}, response=True
    )
    await hass.async_block_till_done()

    assert response == {"message": "hashes withdrawn", "balance": 100_000}
    assert hass.states.get("sensor.webminepool_alice_hashes").state == "100000"
    with pytest.raises(HomeAssistantError, match="not enough hashes"):
        await call(hass, "withdraw", {**site, "username": "alice", "amount": 10**9})
    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "withdraw", {**site, "username": "alice", "amount": 0})
    assert invalid.value.translation_key == "invalid_action_data"

    await call(hass, "reset_user_hashes", {**site, "username": "alice"})
    assert webminepool_mock.users["alice"].hashes == 0
    assert webminepool_mock.users["bob"].hashes == 42_000

    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "reset_all_user_hashes", {**site, "confirm": False})
    assert invalid.value.translation_key == "reset_all_not_confirmed"
    assert webminepool_mock.users["bob"].hashes == 42_000

    await call(hass, "reset_all_user_hashes", {**site, "confirm": True})
    await tick(hass, freezer, REFRESH_COOLDOWN)
    assert webminepool_mock.users["bob"].hashes == 0
    assert hass.states.get("sensor.webminepool_bob_hashes").state == "0"


async def test_tokens(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    webminepool_mock: WebMinePoolServer,
) -> None:
    """A token is verified once its hashes are mined; deleting it takes its user along."""
    site = {"config_entry_id": init_webminepool.entry_id}
    created = await call(
        hass,
        "create_token",
        {**site, "hashes": 1_000, "username": "dave"},
        response=True,
    )
    token = {**site, "token_id": created["token_id"]}

    checked = await call(hass, "check_token", token, response=True)
    assert checked == {
        "verified": False,
        "end_hashes": 1_000,
        "done_at": "2024-03-02T00:40:00+00:00",
    }

    webminepool_mock.mine("dave", 1_000)
    checked = await call(hass, "check_token", {**token, "unset": True}, response=True)
    await hass.async_block_till_done()
    assert checked["verified"] is True
    assert "dave" not in webminepool_mock.users
    assert hass.states.get("sensor.webminepool_dave_hashes") is None

    with pytest.raises(HomeAssistantError, match="nonexistent token"):
        await call(hass, "check_token", token, response=True)


async def test_webminepool_values_checked_before_sending(
    hass: HomeAssistant,
    init_webminepool: MockConfigEntry,
    webminepool_mock: WebMinePoolServer,
) -> None:
    """A user name that can't be a path segment is refused unsent."""
    webminepool_mock.calls.clear()

    with pytest.raises(ServiceValidationError) as invalid:
        await call(
            hass,
            "create_user",
            {"config_entry_id": init_webminepool.entry_id, "username": "a/b"},
        )

    assert invalid.value.translation_key == "pool_invalid_value"
    assert invalid.value.translation_placeholders["field"] == "username"
    assert webminepool_mock.calls == []


async def test_optional_responses_only_when_asked(
    hass: HomeAssistant, init_webminepool: MockConfigEntry
) -> None:
    """An action that can answer may also be run without asking for the answer."""
    response = await call(
        hass,
        "create_token",
        {"config_entry_id": init_webminepool.entry_id, "hashes": 10},
    )

    assert response is None


async def test_unexpected_pool_error(hass: HomeAssistant) -> None:
    """An error of no known kind is still translated, and names the entry."""
    entry = whitepool_entry()

    @pool_account_command
    async def fail(entry: ConfigEntry) -> None:
        raise WhitePoolError("something new")

    with pytest.raises(HomeAssistantError) as failed:
        await fail(entry)

    assert failed.value.translation_key == "pool_unexpected_error"
    assert failed.value.translation_placeholders == {
        "name": entry.title,
        "error": "something new",
    }
