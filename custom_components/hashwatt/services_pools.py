"""Actions of mining-pool accounts, registered once in ``async_setup``.

WhiteBIT mining pool ("WhitePool") actions target mining-account devices; creating an
account targets the pool's config entry. WebMinePool actions target the site's config
entry. Every argument is checked before anything is sent: a bad value raises a
translated ``ServiceValidationError`` and the pool hears nothing. Actions that move
money, share access or wipe every balance are for administrators only.

These live apart from the miners' actions (``services.py``), which fan one command out
to many miners: a pool action is one request to one account.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Final

import probatio
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import (
    async_get_config_entry,
    async_get_device_and_config_entry,
    async_register_admin_service,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType, JsonValueType

from .clients.webminepool.client import MAX_AMOUNT
from .clients.whitepool import (
    PayoutDestination,
    Reward,
    WatcherLifetime,
    WatcherLink,
    WatcherPermission,
    hashrate_to_terahash,
    is_valid_btc_address,
)
from .const import CONF_ENTRY_TYPE, DOMAIN, ENTRY_TYPE_WEBMINEPOOL, ENTRY_TYPE_WHITEPOOL
from .coordinator import WebMinePoolConfigEntry, WhitePoolConfigEntry
from .helpers import pool_command
from .pools import account_of_device
from .services import DEVICES, ONE_DEVICE, ActionSchema, whole_number

SERVICE_CREATE_MINING_ACCOUNT: Final = "create_mining_account"
SERVICE_SET_PAYOUT_DESTINATION: Final = "set_payout_destination"
SERVICE_CREATE_WATCHER_LINK: Final = "create_watcher_link"
SERVICE_LIST_WATCHER_LINKS: Final = "list_watcher_links"
SERVICE_GET_REWARDS: Final = "get_rewards"
SERVICE_CREATE_USER: Final = "create_user"
SERVICE_DELETE_USER: Final = "delete_user"
SERVICE_WITHDRAW: Final = "withdraw"
SERVICE_RESET_USER_HASHES: Final = "reset_user_hashes"
SERVICE_RESET_ALL_USER_HASHES: Final = "reset_all_user_hashes"
SERVICE_CREATE_TOKEN: Final = "create_token"
SERVICE_CHECK_TOKEN: Final = "check_token"

ATTR_ADDRESS: Final = "address"
ATTR_AMOUNT: Final = "amount"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_CONFIRM: Final = "confirm"
ATTR_DESTINATION: Final = "destination"
ATTR_END: Final = "end"
ATTR_HASHES: Final = "hashes"
ATTR_LIVE_UNTIL: Final = "live_until"
ATTR_NAME: Final = "name"
ATTR_PERMISSIONS: Final = "permissions"
ATTR_REFERRAL: Final = "referral"
ATTR_REFERRAL_CODE: Final = "referral_code"
ATTR_START: Final = "start"
ATTR_TOKEN_ID: Final = "token_id"
ATTR_UNSET: Final = "unset"
ATTR_USERNAME: Final = "username"

ENTRY = {probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
HASH_COUNT = whole_number((1, MAX_AMOUNT))

CREATE_MINING_ACCOUNT_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_NAME): cv.string,
        probatio.Optional(ATTR_REFERRAL_CODE): cv.string,
    }
)
SET_PAYOUT_DESTINATION_SCHEMA = ActionSchema(
    {
        probatio.Required(ATTR_DEVICE_ID): ONE_DEVICE,
        probatio.Required(ATTR_DESTINATION): probatio.In(
            [destination.value for destination in PayoutDestination]
        ),
        probatio.Optional(ATTR_ADDRESS): cv.string,
    }
)
CREATE_WATCHER_LINK_SCHEMA = ActionSchema(
    {
        probatio.Required(ATTR_DEVICE_ID): DEVICES,
        probatio.Required(ATTR_NAME): cv.string,
        probatio.Required(ATTR_PERMISSIONS): probatio.All(
            cv.ensure_list,
            [probatio.In([permission.value for permission in WatcherPermission])],
            probatio.Length(min=1),
        ),
        probatio.Required(ATTR_LIVE_UNTIL): probatio.In(
            [lifetime.value for lifetime in WatcherLifetime]
        ),
    }
)
LIST_WATCHER_LINKS_SCHEMA = ActionSchema(
    {probatio.Required(ATTR_DEVICE_ID): ONE_DEVICE}
)
GET_REWARDS_SCHEMA = ActionSchema(
    {
        probatio.Required(ATTR_DEVICE_ID): DEVICES,
        probatio.Required(ATTR_START): cv.datetime,
        probatio.Optional(ATTR_END): cv.datetime,
    }
)
USER_SCHEMA = ActionSchema({**ENTRY, probatio.Required(ATTR_USERNAME): cv.string})
CREATE_USER_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_USERNAME): cv.string,
        probatio.Optional(ATTR_REFERRAL): cv.string,
    }
)
WITHDRAW_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_USERNAME): cv.string,
        probatio.Required(ATTR_AMOUNT): HASH_COUNT,
    }
)
RESET_ALL_USER_HASHES_SCHEMA = ActionSchema(
    {**ENTRY, probatio.Required(ATTR_CONFIRM): cv.boolean}
)
CREATE_TOKEN_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_HASHES): HASH_COUNT,
        probatio.Optional(ATTR_USERNAME): cv.string,
    }
)
CHECK_TOKEN_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_TOKEN_ID): cv.string,
        probatio.Optional(ATTR_UNSET, default=False): cv.boolean,
    }
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


@pool_command
async def _async_send[R](
    entry: ConfigEntry[Any], request: Callable[[], Awaitable[R]]
) -> R:
    return await request()


# --- Resolving targets (before anything is sent) ---------------------------------------


def _pool_entry(call: ServiceCall, entry_type: str, key: str) -> ConfigEntry[Any]:
    entry = async_get_config_entry(call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID])
    if entry.data[CONF_ENTRY_TYPE] != entry_type:
        raise _invalid(key, entry=entry.title)
    return entry


def _whitepool_entry(call: ServiceCall) -> WhitePoolConfigEntry:
    return _pool_entry(call, ENTRY_TYPE_WHITEPOOL, "not_a_whitepool_entry")


def _webminepool_entry(call: ServiceCall) -> WebMinePoolConfigEntry:
    return _pool_entry(call, ENTRY_TYPE_WEBMINEPOOL, "not_a_webminepool_entry")


def _account(call: ServiceCall, device_id: str) -> tuple[WhitePoolConfigEntry, str]:
    device, entry = async_get_device_and_config_entry(call.hass, DOMAIN, device_id)
    account = (
        account_of_device(device)
        if entry.data[CONF_ENTRY_TYPE] == ENTRY_TYPE_WHITEPOOL
        else None
    )
    if account is None:
        raise _invalid(
            "not_a_mining_account",
            device=device.name_by_user or device.name or device_id,
        )
    return entry, account


def _accounts(call: ServiceCall) -> tuple[WhitePoolConfigEntry, list[str]]:
    """Map the targeted devices (one at least) to mining accounts of one API key."""
    resolved = [_account(call, device_id) for device_id in call.data[ATTR_DEVICE_ID]]
    entry = resolved[0][0]
    if any(other.entry_id != entry.entry_id for other, _ in resolved):
        raise _invalid("accounts_of_different_keys")
    return entry, [account for _, account in resolved]


# --- Responses ---------------------------------------------------------------------------


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _reward(reward: Reward) -> JsonObjectType:
    return {
        "date": _time(reward.date),
        "status": reward.status.value,
        "currency": reward.currency,
        "reward": float(reward.reward),
        "total_reward": float(reward.total_reward),
        "fee": float(reward.fee),
        "fpps_rate": _float(reward.fpps_rate),
        "hashrate": float(hashrate_to_terahash(reward.hashrate)),  # TH/s
        "payout_destination": reward.payout_destination,
        "payout_address": reward.payout_address,
        "payout_transaction_hash": reward.payout_transaction_hash,
        "payout_time": _time(reward.payout_time),
    }


def _watcher_link(link: WatcherLink) -> JsonObjectType:
    return {
        "id": link.id,
        "link": link.link,
        "name": link.name,
        "accounts": list(link.accounts),
        "permissions": [permission.value for permission in link.permissions],
        "live_until": _time(link.live_until),
        "created_at": _time(link.created_at),
    }


# --- WhitePool ---------------------------------------------------------------------------


async def _create_mining_account(call: ServiceCall) -> ServiceResponse:
    entry = _whitepool_entry(call)
    runtime = entry.runtime_data
    account = await _async_send(
        entry,
        lambda: runtime.client.create_account(
            call.data[ATTR_NAME], referral_code=call.data.get(ATTR_REFERRAL_CODE)
        ),
    )
    # The new account's device and sensors appear with this poll.
    await runtime.coordinator.async_refresh_after_write()
    return {"name": account.name, "created_at": _time(account.created_at)}


async def _set_payout_destination(call: ServiceCall) -> ServiceResponse:
    entry, (account,) = _accounts(call)
    destination = PayoutDestination(call.data[ATTR_DESTINATION])
    address: str | None = call.data.get(ATTR_ADDRESS)
    if destination is PayoutDestination.EXTERNAL_ADDRESS:
        if not address:
            raise _invalid("payout_address_required")
        address = address.strip()
        if not is_valid_btc_address(address):
            raise _invalid("invalid_btc_address", address=address)
    elif address:
        raise _invalid("payout_address_not_allowed")
    else:
        address = None
    runtime = entry.runtime_data
    await _async_send(
        entry,
        lambda: runtime.client.set_payout_destination(account, destination, address),
    )
    await runtime.coordinator.async_refresh_after_write()
    return None


async def _create_watcher_link(call: ServiceCall) -> ServiceResponse:
    entry, accounts = _accounts(call)
    client = entry.runtime_data.client
    link = await _async_send(
        entry,
        lambda: client.create_watcher_link(
            accounts,
            call.data[ATTR_NAME],
            call.data[ATTR_PERMISSIONS],
            call.data[ATTR_LIVE_UNTIL],
        ),
    )
    return _watcher_link(link)


async def _list_watcher_links(call: ServiceCall) -> ServiceResponse:
    entry, (account,) = _accounts(call)
    client = entry.runtime_data.client
    links = await _async_send(entry, lambda: client.watcher_links(account))
    return {"links": [_watcher_link(link) for link in links]}


async def _get_rewards(call: ServiceCall) -> ServiceResponse:
    entry, accounts = _accounts(call)
    start = dt_util.as_utc(call.data[ATTR_START])
    end = dt_util.as_utc(call.data.get(ATTR_END) or dt_util.utcnow())
    if start > end:
        raise _invalid("start_after_end")
    client = entry.runtime_data.client
    result: list[JsonValueType] = []
    for account in accounts:
        rewards = await _async_send(
            entry, partial(client.all_rewards, account, start=start, end=end)
        )
        result.append(
            {
                "account": account,
                "reward": float(sum((reward.reward for reward in rewards), Decimal(0))),
                "rewards": [_reward(reward) for reward in rewards],
            }
        )
    return {"accounts": result}


# --- WebMinePool -------------------------------------------------------------------------


async def _webminepool_write[R](
    call: ServiceCall,
    request: Callable[[WebMinePoolConfigEntry], Awaitable[R]],
) -> R:
    """Send a request that changes users or hashes, then poll to show the change."""
    entry = _webminepool_entry(call)
    result = await _async_send(entry, lambda: request(entry))
    await entry.runtime_data.coordinator.async_request_refresh()
    return result


async def _create_user(call: ServiceCall) -> ServiceResponse:
    await _webminepool_write(
        call,
        lambda entry: entry.runtime_data.client.create_user(
            call.data[ATTR_USERNAME], call.data.get(ATTR_REFERRAL)
        ),
    )
    return None


async def _delete_user(call: ServiceCall) -> ServiceResponse:
    await _webminepool_write(
        call,
        lambda entry: entry.runtime_data.client.delete_user(call.data[ATTR_USERNAME]),
    )
    return None


async def _withdraw(call: ServiceCall) -> ServiceResponse:
    result = await _webminepool_write(
        call,
        lambda entry: entry.runtime_data.client.withdraw(
            call.data[ATTR_USERNAME], call.data[ATTR_AMOUNT]
        ),
    )
    return {"message": result.message, "balance": result.balance}


async def _reset_user_hashes(call: ServiceCall) -> ServiceResponse:
    await _webminepool_write(
        call,
        lambda entry: entry.runtime_data.client.reset_user_hashes(
            call.data[ATTR_USERNAME]
        ),
    )
    return None


async def _reset_all_user_hashes(call: ServiceCall) -> ServiceResponse:
    if not call.data[ATTR_CONFIRM]:
        raise _invalid("reset_all_not_confirmed")
    await _webminepool_write(
        call, lambda entry: entry.runtime_data.client.reset_all_user_hashes()
    )
    return None


async def _create_token(call: ServiceCall) -> ServiceResponse:
    entry = _webminepool_entry(call)
    client = entry.runtime_data.client
    token_id = await _async_send(
        entry,
        lambda: client.set_token(call.data[ATTR_HASHES], call.data.get(ATTR_USERNAME)),
    )
    return {"token_id": token_id}


async def _check_token(call: ServiceCall) -> ServiceResponse:
    entry = _webminepool_entry(call)
    client = entry.runtime_data.client
    unset: bool = call.data[ATTR_UNSET]
    state = await _async_send(
        entry, lambda: client.get_token(call.data[ATTR_TOKEN_ID], unset=unset)
    )
    if unset and state.verified:
        # A verified token is deleted with its user: the user's sensor goes.
        await entry.runtime_data.coordinator.async_request_refresh()
    return {
        "verified": state.verified,
        "end_hashes": state.end_hashes,
        "done_at": _time(state.done_at),
    }


# --- Registration ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PoolAction:
    """One pool action: its schema, its handler, and who may call it."""

    name: str
    schema: ActionSchema
    handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]
    supports_response: SupportsResponse = SupportsResponse.NONE
    admin: bool = False


POOL_ACTIONS: Final[tuple[PoolAction, ...]] = (
    PoolAction(
        name=SERVICE_CREATE_MINING_ACCOUNT,
        schema=CREATE_MINING_ACCOUNT_SCHEMA,
        handler=_create_mining_account,
        supports_response=SupportsResponse.OPTIONAL,
    ),
    PoolAction(
        name=SERVICE_SET_PAYOUT_DESTINATION,
        schema=SET_PAYOUT_DESTINATION_SCHEMA,
        handler=_set_payout_destination,
        admin=True,
    ),
    PoolAction(
        name=SERVICE_CREATE_WATCHER_LINK,
        schema=CREATE_WATCHER_LINK_SCHEMA,
        handler=_create_watcher_link,
        supports_response=SupportsResponse.OPTIONAL,
        admin=True,
    ),
    PoolAction(
        name=SERVICE_LIST_WATCHER_LINKS,
        schema=LIST_WATCHER_LINKS_SCHEMA,
        handler=_list_watcher_links,
        supports_response=SupportsResponse.ONLY,
    ),
    PoolAction(
        name=SERVICE_GET_REWARDS,
        schema=GET_REWARDS_SCHEMA,
        handler=_get_rewards,
        supports_response=SupportsResponse.ONLY,
    ),
    PoolAction(
        name=SERVICE_CREATE_USER,
        schema=CREATE_USER_SCHEMA,
        handler=_create_user,
    ),
    PoolAction(
        name=SERVICE_DELETE_USER,
        schema=USER_SCHEMA,
        handler=_delete_user,
    ),
    PoolAction(
        name=SERVICE_WITHDRAW,
        schema=WITHDRAW_SCHEMA,
        handler=_withdraw,
        supports_response=SupportsResponse.OPTIONAL,
        admin=True,
    ),
    PoolAction(
        name=SERVICE_RESET_USER_HASHES,
        schema=USER_SCHEMA,
        handler=_reset_user_hashes,
    ),
    PoolAction(
        name=SERVICE_RESET_ALL_USER_HASHES,
        schema=RESET_ALL_USER_HASHES_SCHEMA,
        handler=_reset_all_user_hashes,
        admin=True,
    ),
    PoolAction(
        name=SERVICE_CREATE_TOKEN,
        schema=CREATE_TOKEN_SCHEMA,
        handler=_create_token,
        supports_response=SupportsResponse.OPTIONAL,
    ),
    PoolAction(
        name=SERVICE_CHECK_TOKEN,
        schema=CHECK_TOKEN_SCHEMA,
        handler=_check_token,
        # Also a write, when told to delete a verified token.
        supports_response=SupportsResponse.OPTIONAL,
    ),
)


def _handler(
    action: PoolAction,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Answer only callers that asked for a response (an optional one may be unwanted)."""

    async def handle(call: ServiceCall) -> ServiceResponse:
        response = await action.handler(call)
        return response if call.return_response else None

    return handle


@callback
def async_setup_pool_services(hass: HomeAssistant) -> None:
    """Register the pool accounts' actions."""
    for action in POOL_ACTIONS:
        if action.admin:
            async_register_admin_service(
                hass,
                DOMAIN,
                action.name,
                _handler(action),
                schema=action.schema,
                supports_response=action.supports_response,
            )
        else:
            hass.services.async_register(
                DOMAIN,
                action.name,
                _handler(action),
                schema=action.schema,
                supports_response=action.supports_response,
            )
