"""Config flow for Hashwatt: one miner, a scanned address range, DHCP discovery.

Every miner entry is identified by the miner's MAC. A MAC that reads as missing
or all zeros (as some miners report while booting) never becomes an identity:
such a miner is refused rather than added under an ID it won't have tomorrow.

Pool accounts (WhiteBIT mining pool, WebMinePool) and the Bitcoin network, read
from a mempool.space-compatible API for its hashprice, have their steps in
``PoolAccountConfigFlow``, mixed into the one flow (``HashwattConfigFlow``).

Every key is tried against the API before an entry is created or changed. An entry's
unique ID is a fingerprint of its key (a truncated SHA-256, never the key itself), so
each key is added once; a new key given at reauthentication or reconfiguration takes
the fingerprint with it. A WhiteBIT key must still reach at least one of the mining
accounts the entry had: another WhiteBIT user's key is refused.

A Bitcoin-network entry is identified by its API root (lower case, no trailing slash);
the API is read, mining figures included, before the entry is created or changed: a
self-hosted mempool without its mining index answers 404 there and is refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, override

import probatio
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_SCAN_INTERVAL,
    CONF_URL,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import (
    EVENT_DATA_ENTRY_FLOW_PROGRESSED,
    AbortFlow,
    section,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo

from .clients import ClientError
from .clients.mempool import (
    DEFAULT_BASE_URL as MEMPOOL_DEFAULT_URL,
    PRICE_CURRENCIES,
    MempoolClient,
)
from .clients.whatsminer import (
    ACCOUNT,
    ACCOUNTS,
    DEFAULT_V2_PORT,
    DEFAULT_V3_PORT,
    ApiVersion,
    MinerIdentity,
    Whatsminer,
    WhatsminerError,
)
from .clients.whitepool import MiningAccount
from .const import (
    CONF_ACCOUNT,
    CONF_API,
    CONF_API_SECRET,
    CONF_BTC_QUOTE,
    CONF_CURRENCY,
    CONF_ENTRY_TYPE,
    CONF_POOL_FEE,
    CONF_READ_ONLY,
    CONF_REGION,
    CONF_SECRET_KEY,
    CONF_V2_PORT,
    CONF_V3_PORT,
    DEFAULT_POOL_FEE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    ENTRY_TYPE_BITCOIN_NETWORK,
    ENTRY_TYPE_WEBMINEPOOL,
    ENTRY_TYPE_WHATSMINER,
    ENTRY_TYPE_WHITEPOOL,
    FACTORY_HOSTNAME,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    REGION_COM,
    REGION_EU,
)
from .coordinator import (
    FALLBACK_QUOTE,
    WebMinePoolConfigEntry,
    WhitePoolConfigEntry,
    default_currency,
    key_fingerprint,
    webminepool_client,
    whitepool_client,
)
from .entity import account_of_device
from .errors import flow_error

CONF_ADDRESS_RANGE: Final = "address_range"
CONF_MINERS: Final = "miners"
CONF_PORTS: Final = "ports"

# Each miner found by a scan beyond the first gets its own entry through a flow
# of this source (the pattern HomeKit uses for accessory-mode entries).
SOURCE_ADD_SCANNED: Final = "add_scanned"

# A farm's rack or room: a /22 at most, probed 64 at a time. A miner on the LAN
# accepts a connection within milliseconds, so a second is plenty: a /22 where
# nothing answers takes at most 1024 / 64 * 2 ports * 1 s = 32 s.
MAX_SCAN_ADDRESSES: Final = 1024
SCAN_CONCURRENCY: Final = 64
SCAN_CONNECT_TIMEOUT: Final = 1.0
SCAN_REPLY_TIMEOUT: Final = 3.0
# The frontend subscribes to a flow's "progressed" event only once it shows the
# progress step, and is not told of an event fired before that: a scan of a few
# addresses, done in half a second, would leave the page waiting for good. The scan
# result is held until someone new listens for that event, or this many seconds
# (a client that does not listen, or one that listened before the scan began).
SCAN_LISTENER_WAIT: Final = 5.0
SCAN_LISTENER_POLL: Final = 0.05

_PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)


# API v3's accounts: super, or user1..user3 with only the rights super grants them.
_ACCOUNT_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(ACCOUNTS),
        mode=SelectSelectorMode.DROPDOWN,
        translation_key=CONF_ACCOUNT,
    )
)


def _account_data(account: str) -> dict[str, str]:
    """Entry data for an account: none for ``super``, the default."""
    return {} if account == ACCOUNT else {CONF_ACCOUNT: account}


class AddressRangeError(ValueError):
    """An address range that cannot be scanned; ``reason`` is a translation key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_address_range(text: str) -> list[str]:
    """Return the IPv4 addresses of ``a.b.c.d/nn``, ``first-last`` or ``a.b.c.d-e``.

    Raises ``AddressRangeError`` for anything else, or for more than
    ``MAX_SCAN_ADDRESSES`` addresses.
    """
    text = text.strip()
    addresses: Iterator[ipaddress.IPv4Address]
    try:
        if "-" in text:
            first_text, last_text = (part.strip() for part in text.split("-", 1))
            if "." not in last_text:  # 192.168.1.10-50: same /24, last octet only
                last_text = f"{first_text.rpartition('.')[0]}.{last_text}"
            first = ipaddress.IPv4Address(first_text)
            count = int(ipaddress.IPv4Address(last_text)) - int(first) + 1
            addresses = (first + offset for offset in range(count))
        else:
            network = ipaddress.IPv4Network(text, strict=False)
            count, addresses = network.num_addresses, network.hosts()
    except ValueError:  # AddressValueError and NetmaskValueError are ValueErrors
        raise AddressRangeError("invalid_range") from None
    if count < 1:
        raise AddressRangeError("invalid_range")
    if count > MAX_SCAN_ADDRESSES:
        raise AddressRangeError("range_too_large")
    return [str(address) for address in addresses]


def miner_title(identity: MinerIdentity, mac: str) -> str:
    """Name a miner by its hostname, or by model and MAC when the hostname is the factory's."""
    hostname = identity.hostname
    if hostname and hostname.lower() != FACTORY_HOSTNAME:
        return hostname
    # Every Whatsminer leaves the factory as "WhatsMiner"; farms hold hundreds
    # of the same model, so the end of the MAC tells them apart.
    return f"{identity.model or 'Whatsminer'} {mac[-8:]}"


# What stops a scanned miner from being added (flow keys of ``WHATSMINER_ERRORS``; miners with
# "write_disabled" are added read-only): the form field whose error says so, its
# translation key, and the placeholder listing those miners. No connection and an
# unreadable reply share one error: either way the password check got no answer.
_SCAN_FAILURES: Final[dict[str, tuple[str, str, str]]] = {
    "invalid_auth": (CONF_PASSWORD, "scan_invalid_auth", "refused_password"),
    "cannot_connect": (CONF_MINERS, "scan_no_answer", "no_answer"),
    "invalid_reply": (CONF_MINERS, "scan_no_answer", "no_answer"),
    "token_limit": ("base", "scan_token_limit", "token_limit"),
}


def _scan_failures(failed: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Return the form's errors and placeholders for miners that failed, by host.

    Each reason shows as its own translated error listing its miners; when none
    shows at the top of the form, ``scan_add_failed`` says nothing was added.
    """
    errors = {"base": "scan_add_failed"}
    hosts: dict[str, list[str]] = {}
    for host in sorted(failed, key=ipaddress.IPv4Address):
        field, error, placeholder = _SCAN_FAILURES[failed[host]]
        errors[field] = error
        hosts.setdefault(placeholder, []).append(host)
    return errors, {
        placeholder: ", ".join(group) for placeholder, group in hosts.items()
    }


async def _async_check_password(client: Whatsminer) -> str | None:
    """Verify the client's password; return an error key, or None when it works."""
    try:
        await client.verify_password()
    except WhatsminerError as err:
        return flow_error(err)
    return None


def _miner_entry_data(
    identity: MinerIdentity,
    host: str,
    password: str,
    ports: tuple[int, int] = (DEFAULT_V2_PORT, DEFAULT_V3_PORT),
    *,
    read_only: bool = False,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    return {
        CONF_ENTRY_TYPE: ENTRY_TYPE_WHATSMINER,
        CONF_HOST: host,
        CONF_PASSWORD: password,
        CONF_V2_PORT: ports[0],
        CONF_V3_PORT: ports[1],
        CONF_API: str(identity.api),
        CONF_READ_ONLY: read_only,
        **_account_data(account),
    }


@dataclass(frozen=True, slots=True)
class FoundMiner:
    """A miner that answered at an address, and who it said it is."""

    host: str
    identity: MinerIdentity

    @property
    def mac(self) -> str:
        """The miner's formatted MAC (only miners with one are offered)."""
        return format_mac(self.identity.mac or "")

    @property
    def label(self) -> str:
        """One line describing the miner in the list of what a scan found."""
        identity = self.identity
        return (
            f"{self.host} — {identity.model or '?'}, {self.mac}, "
            f"firmware {identity.firmware_version or '?'}, API {identity.api}"
        )


@dataclass(frozen=True, slots=True)
class _PendingEntry:
    """An entry waiting for the user to accept adding its miner read-only."""

    title: str
    data: dict[str, Any]
    placeholders: dict[str, str]


# --- Pool accounts and the Bitcoin network -------------------------------------

WHITEPOOL_TITLE: Final = "WhiteBIT mining pool"
WEBMINEPOOL_TITLE: Final = "WebMinePool"
BITCOIN_NETWORK_TITLE: Final = "Bitcoin network"
MAX_POOL_FEE: Final = 10.0  # percent: FPPS pools take 0-4 %; more is a typo

_SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_REGION = SelectSelector(
    SelectSelectorConfig(
        options=[REGION_COM, REGION_EU],
        translation_key="whitepool_region",
        mode=SelectSelectorMode.LIST,
    )
)
_WHITEPOOL_KEY_SCHEMA: Final = {
    probatio.Required(CONF_API_KEY): TextSelector(),
    probatio.Required(CONF_API_SECRET): _SECRET,
}
_WEBMINEPOOL_SCHEMA: Final = probatio.Schema(
    {probatio.Required(CONF_SECRET_KEY): _SECRET}
)


_NETWORK_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_URL, default=MEMPOOL_DEFAULT_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        )
    }
)


def network_unique_id(url: str) -> str:
    """A Bitcoin-network entry's unique ID: its API root, as the client normalizes it."""
    return f"{ENTRY_TYPE_BITCOIN_NETWORK}_{url.lower()}"


def network_title(url: str) -> str:
    """Name an entry by its host unless it is the public mempool.space."""
    if url == MEMPOOL_DEFAULT_URL:
        return BITCOIN_NETWORK_TITLE
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return f"{BITCOIN_NETWORK_TITLE} ({host})"


def whitepool_title(accounts: tuple[MiningAccount, ...]) -> str:
    """Name an entry by its oldest mining account, to tell several keys apart."""
    if not accounts:
        return WHITEPOOL_TITLE
    oldest = min(accounts, key=lambda account: account.created_at)
    return f"{WHITEPOOL_TITLE} ({oldest.name})"


def _whitepool_schema(region: str) -> probatio.Schema:
    return probatio.Schema(
        {
            **_WHITEPOOL_KEY_SCHEMA,
            probatio.Required(CONF_REGION, default=region): _REGION,
        }
    )


def _known_accounts(hass: HomeAssistant, entry: WhitePoolConfigEntry) -> set[str]:
    """The mining accounts an entry has devices for."""
    registry = dr.async_get(hass)
    return {
        account
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (account := account_of_device(device)) is not None
    }


class PoolAccountConfigFlow(ConfigFlow):
    """The steps that add, reauthenticate and reconfigure pool accounts.

    Mixed into the integration's one config flow, whose user menu, reauth and
    reconfigure steps lead here for pool entries.
    """

    # --- Shared ---------------------------------------------------------------------

    def _show_key_form[T](
        self,
        step_id: str,
        schema: probatio.Schema,
        entry: ConfigEntry[T],
        errors: dict[str, str],
    ) -> ConfigFlowResult:
        """Ask for a new key of ``entry``, which the form names."""
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    def _abort_if_key_taken[T](self, fingerprint: str, entry: ConfigEntry[T]) -> None:
        """Abort when another entry already uses the new key."""
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == fingerprint:
                raise AbortFlow("pool_already_configured")

    # --- WhiteBIT mining pool -------------------------------------------------------

    async def _async_check_whitepool(
        self, data: Mapping[str, Any]
    ) -> tuple[tuple[MiningAccount, ...], str | None]:
        """List the key's mining accounts; return them, or an error key."""
        client = whitepool_client(self.hass, data)
        try:
            return await client.accounts(), None
        except ClientError as err:
            return (), flow_error(err)

    async def async_step_whitepool(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a WhiteBIT API key: its mining accounts become devices."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_ENTRY_TYPE: ENTRY_TYPE_WHITEPOOL,
                CONF_API_KEY: user_input[CONF_API_KEY].strip(),
                CONF_API_SECRET: user_input[CONF_API_SECRET].strip(),
                CONF_REGION: user_input[CONF_REGION],
            }
            # User-started: an abandoned dialog of the same key must not block it.
            await self.async_set_unique_id(
                key_fingerprint(ENTRY_TYPE_WHITEPOOL, data[CONF_API_KEY]),
                raise_on_progress=False,
            )
            self._abort_if_unique_id_configured(error="pool_already_configured")
            accounts, error = await self._async_check_whitepool(data)
            if error is None:
                names = {account.name for account in accounts}
                for entry in self._async_current_entries(include_ignore=False):
                    if entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_WHITEPOOL and (
                        names & _known_accounts(self.hass, entry)
                    ):
                        return self.async_abort(
                            reason="whitepool_accounts_configured",
                            description_placeholders={"title": entry.title},
                        )
                return self.async_create_entry(
                    title=whitepool_title(accounts), data=data
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="whitepool",
            data_schema=_whitepool_schema(
                user_input[CONF_REGION] if user_input else REGION_COM
            ),
            errors=errors,
        )

    async def _async_change_whitepool_key(
        self,
        entry: WhitePoolConfigEntry,
        step_id: str,
        user_input: dict[str, Any] | None,
        *,
        with_region: bool,
    ) -> ConfigFlowResult:
        """Ask for a new key (and region) for ``entry``, check it, and store it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            updates = {
                CONF_API_KEY: user_input[CONF_API_KEY].strip(),
                CONF_API_SECRET: user_input[CONF_API_SECRET].strip(),
                CONF_REGION: user_input.get(CONF_REGION, entry.data[CONF_REGION]),
            }
            fingerprint = key_fingerprint(ENTRY_TYPE_WHITEPOOL, updates[CONF_API_KEY])
            self._abort_if_key_taken(fingerprint, entry)
            accounts, error = await self._async_check_whitepool(
                {**entry.data, **updates}
            )
            if error is None:
                known = _known_accounts(self.hass, entry)
                if known and not known & {account.name for account in accounts}:
                    return self.async_abort(reason="whitepool_wrong_account")
                return self.async_update_reload_and_abort(
                    entry, unique_id=fingerprint, data_updates=updates
                )
            errors["base"] = error
        schema = (
            _whitepool_schema((user_input or entry.data)[CONF_REGION])
            if with_region
            else probatio.Schema(_WHITEPOOL_KEY_SCHEMA)
        )
        return self._show_key_form(step_id, schema, entry, errors)

    async def async_step_whitepool_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a WhiteBIT API key again: WhiteBIT refused the stored one."""
        return await self._async_change_whitepool_key(
            self._get_reauth_entry(), "whitepool_reauth", user_input, with_region=False
        )

    async def async_step_whitepool_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change a WhitePool entry's key or region."""
        return await self._async_change_whitepool_key(
            self._get_reconfigure_entry(),
            "whitepool_reconfigure",
            user_input,
            with_region=True,
        )

    # --- WebMinePool ----------------------------------------------------------------

    async def _async_check_webminepool(self, secret_key: str) -> str | None:
        """Read the site's balance with ``secret_key``; return an error key, or None."""
        try:
            await webminepool_client(self.hass, secret_key).balance()
        except ClientError as err:
            return flow_error(err)
        return None

    async def async_step_webminepool(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a WebMinePool site by its secret key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            secret_key = user_input[CONF_SECRET_KEY].strip()
            await self.async_set_unique_id(
                key_fingerprint(ENTRY_TYPE_WEBMINEPOOL, secret_key),
                raise_on_progress=False,
            )
            self._abort_if_unique_id_configured(error="pool_already_configured")
            if (error := await self._async_check_webminepool(secret_key)) is None:
                return self.async_create_entry(
                    title=WEBMINEPOOL_TITLE,
                    data={
                        CONF_ENTRY_TYPE: ENTRY_TYPE_WEBMINEPOOL,
                        CONF_SECRET_KEY: secret_key,
                    },
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="webminepool", data_schema=_WEBMINEPOOL_SCHEMA, errors=errors
        )

    async def _async_update_webminepool(
        self,
        entry: WebMinePoolConfigEntry,
        step_id: str,
        user_input: dict[str, Any] | None,
    ) -> ConfigFlowResult:
        """Ask for a new secret key for ``entry``, check it, and store it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            secret_key = user_input[CONF_SECRET_KEY].strip()
            fingerprint = key_fingerprint(ENTRY_TYPE_WEBMINEPOOL, secret_key)
            self._abort_if_key_taken(fingerprint, entry)
            if (error := await self._async_check_webminepool(secret_key)) is None:
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=fingerprint,
                    data_updates={CONF_SECRET_KEY: secret_key},
                )
            errors["base"] = error
        return self._show_key_form(step_id, _WEBMINEPOOL_SCHEMA, entry, errors)

    async def async_step_webminepool_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the site's secret key again: WebMinePool refused the stored one."""
        return await self._async_update_webminepool(
            self._get_reauth_entry(), "webminepool_reauth", user_input
        )

    async def async_step_webminepool_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the site's secret key (after refreshing it on WebMinePool)."""
        return await self._async_update_webminepool(
            self._get_reconfigure_entry(), "webminepool_reconfigure", user_input
        )

    # --- Bitcoin network (mempool.space API) ----------------------------------------

    async def _async_check_network(self, url: str) -> tuple[str, str | None]:
        """Read the API's figures at ``url``; return its normalized root and an error key."""
        try:
            client = MempoolClient(async_get_clientsession(self.hass), url)
            await client.network_figures()
        except ClientError as err:
            return url, flow_error(err)
        return client.base_url, None

    async def async_step_bitcoin_network(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add the Bitcoin network's figures from a mempool.space-compatible API."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url, error = await self._async_check_network(user_input[CONF_URL])
            if error is None:
                await self.async_set_unique_id(
                    network_unique_id(url), raise_on_progress=False
                )
                self._abort_if_unique_id_configured(
                    error="bitcoin_network_already_configured"
                )
                return self.async_create_entry(
                    title=network_title(url),
                    data={CONF_ENTRY_TYPE: ENTRY_TYPE_BITCOIN_NETWORK, CONF_URL: url},
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="bitcoin_network",
            data_schema=self.add_suggested_values_to_schema(
                _NETWORK_SCHEMA, user_input
            ),
            errors=errors,
        )

    async def async_step_bitcoin_network_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Point a Bitcoin-network entry at another API (a self-hosted mempool, say)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            url, error = await self._async_check_network(user_input[CONF_URL])
            if error is None:
                unique_id = network_unique_id(url)
                for other in self._async_current_entries(include_ignore=False):
                    if (
                        other.entry_id != entry.entry_id
                        and other.unique_id == unique_id
                    ):
                        return self.async_abort(
                            reason="bitcoin_network_already_configured"
                        )
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=unique_id,
                    title=network_title(url),
                    data_updates={CONF_URL: url},
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="bitcoin_network_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _NETWORK_SCHEMA, user_input or entry.data
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    # --- Entry points from the integration's flow -----------------------------------

    async def async_start_pool_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthenticating a pool entry."""
        if entry_data[CONF_ENTRY_TYPE] == ENTRY_TYPE_WHITEPOOL:
            return await self.async_step_whitepool_reauth()
        return await self.async_step_webminepool_reauth()

    async def async_start_pool_account_reconfigure(
        self, entry_type: str
    ) -> ConfigFlowResult:
        """Start reconfiguring a pool or Bitcoin-network entry."""
        if entry_type == ENTRY_TYPE_WHITEPOOL:
            return await self.async_step_whitepool_reconfigure()
        if entry_type == ENTRY_TYPE_BITCOIN_NETWORK:
            return await self.async_step_bitcoin_network_reconfigure()
        return await self.async_step_webminepool_reconfigure()


def _dropdown(options: Iterable[str]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=list(options), mode=SelectSelectorMode.DROPDOWN)
    )


class _EntryOptionsFlow(OptionsFlowWithReload):
    """The options of a pool-account or Bitcoin-network entry: one form.

    The form has a step id of its own (``form_step``): the miners' options step is
    "init" too, with other strings. Home Assistant hands the form's answers to
    ``async_step_<form_step>``, which each kind makes another name of ``async_step_init``.
    """

    form_step: ClassVar[str]
    # The options the form sets, each with the type it is stored as.
    option_types: ClassVar[tuple[tuple[str, Callable[[Any], Any]], ...]]

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Make sure the form's answers have a step to come back to."""
        super().__init_subclass__(**kwargs)
        step = getattr(cls, f"async_step_{cls.form_step}", None)
        if step is not _EntryOptionsFlow.async_step_init:
            msg = f"{cls.__name__} needs async_step_{cls.form_step} = async_step_init"
            raise TypeError(msg)

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the entry's form, or store its answers."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    key: stored_as(user_input[key])
                    for key, stored_as in self.option_types
                }
            )
        schema = await self._async_schema()
        if isinstance(schema, str):
            return self.async_abort(reason=schema)
        return self.async_show_form(step_id=self.form_step, data_schema=schema)

    async def _async_schema(self) -> probatio.Schema | str:
        """The form, or why it can't be shown (an abort reason)."""
        raise NotImplementedError


class WhitePoolOptionsFlow(_EntryOptionsFlow):
    """Choose the currency of the BTC price, which the break-even prices are in too."""

    form_step = "currency"
    option_types = ((CONF_BTC_QUOTE, str),)

    async_step_currency = _EntryOptionsFlow.async_step_init

    @override
    async def _async_schema(self) -> probatio.Schema | str:
        """Offer every currency WhiteBIT's public ticker has a BTC market in."""
        try:
            quotes = await whitepool_client(
                self.hass, self.config_entry.data
            ).btc_quotes()
        except ClientError as err:
            return flow_error(err)
        if not quotes:
            return "whitepool_failed"
        # What the coordinator uses without the option: Home Assistant's currency.
        current = self.config_entry.options.get(CONF_BTC_QUOTE) or (
            self.hass.config.currency
            if self.hass.config.currency in quotes
            else FALLBACK_QUOTE
        )
        return probatio.Schema(
            {probatio.Required(CONF_BTC_QUOTE, default=current): _dropdown(quotes)}
        )


class BitcoinNetworkOptionsFlow(_EntryOptionsFlow):
    """Choose the currency of the BTC price and the pool fee break-even goes by."""

    form_step = "bitcoin_network"
    option_types = ((CONF_CURRENCY, str), (CONF_POOL_FEE, float))

    async_step_bitcoin_network = _EntryOptionsFlow.async_step_init

    @override
    async def _async_schema(self) -> probatio.Schema | str:
        """Offer the currencies mempool prices BTC in, and a pool fee of 0 to 10 %."""
        options = self.config_entry.options
        currency = options.get(CONF_CURRENCY) or default_currency(self.hass)
        return probatio.Schema(
            {
                probatio.Required(CONF_CURRENCY, default=currency): _dropdown(
                    PRICE_CURRENCIES
                ),
                probatio.Required(
                    CONF_POOL_FEE,
                    default=options.get(CONF_POOL_FEE, DEFAULT_POOL_FEE),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=MAX_POOL_FEE,
                        step=0.1,
                        unit_of_measurement="%",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
            }
        )


# --- Miners, and the flow of every entry type ---------------------------------


class HashwattConfigFlow(PoolAccountConfigFlow, domain=DOMAIN):
    """Add Whatsminer miners, one by one, by address range, or as discovered.

    Mining-pool accounts are added by the steps of ``PoolAccountConfigFlow``.
    """

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        self._host = ""
        self._ports = (DEFAULT_V2_PORT, DEFAULT_V3_PORT)
        self._account: str = ACCOUNT
        self._discovered: MinerIdentity | None = None
        self._pending: _PendingEntry | None = None
        self._scan_hosts: list[str] = []
        self._scan_task: asyncio.Task[list[FoundMiner]] | None = None
        self._found: dict[str, FoundMiner] = {}

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: ConfigEntry,
    ) -> OptionsFlow:
        """Return the options flow: a miner's scan interval, a WhitePool's currency."""
        if config_entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_WHITEPOOL:
            return WhitePoolOptionsFlow()
        if config_entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_BITCOIN_NETWORK:
            return BitcoinNetworkOptionsFlow()
        return HashwattOptionsFlow()

    @classmethod
    @callback
    @override
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Miners and WhitePool entries have options; pools poll at a fixed interval."""
        entry_type: str | None = config_entry.data.get(CONF_ENTRY_TYPE)
        return entry_type in (
            ENTRY_TYPE_WHATSMINER,
            ENTRY_TYPE_WHITEPOOL,
            ENTRY_TYPE_BITCOIN_NETWORK,
        )

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask what to add."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[
                "whatsminer",
                "scan",
                "whitepool",
                "webminepool",
                "bitcoin_network",
            ],
        )

    # One miner, by address.

    async def async_step_whatsminer(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add one miner by host and password (and ports, when forwarded)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._host = user_input[CONF_HOST].strip()
            ports = user_input[CONF_PORTS]
            self._ports = (ports[CONF_V2_PORT], ports[CONF_V3_PORT])
            password = user_input[CONF_PASSWORD]
            self._account = user_input.get(CONF_ACCOUNT, ACCOUNT)
            try:
                identity, mac, problem = await self._async_connect(password)
            except WhatsminerError as err:
                errors["base"] = flow_error(err)
            else:
                if identity.api is not ApiVersion.V3 and self._account != ACCOUNT:
                    # API v2 has one account, admin: a user account can't be used.
                    errors[CONF_ACCOUNT] = "account_needs_v3"
                elif problem is None:
                    return self.async_create_entry(
                        title=miner_title(identity, mac),
                        data=self._entry_data(identity, password),
                    )
                elif problem == "write_disabled":
                    return await self._async_offer_read_only(identity, mac, password)
                else:
                    errors["base"] = problem

        schema = probatio.Schema(
            {
                probatio.Required(CONF_HOST, default=self._host): TextSelector(),
                probatio.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
                probatio.Required(
                    CONF_ACCOUNT, default=self._account
                ): _ACCOUNT_SELECTOR,
                # Only miners behind port forwarding need other ports.
                probatio.Required(CONF_PORTS): section(
                    probatio.Schema(
                        {
                            probatio.Required(
                                CONF_V2_PORT, default=self._ports[0]
                            ): cv.port,
                            probatio.Required(
                                CONF_V3_PORT, default=self._ports[1]
                            ): cv.port,
                        }
                    ),
                    {"collapsed": True},
                ),
            }
        )
        return self.async_show_form(
            step_id="whatsminer", data_schema=schema, errors=errors
        )

    async def _async_connect(
        self, password: str
    ) -> tuple[MinerIdentity, str, str | None]:
        """Identify the miner at the flow's address, claim its MAC, check the password.

        Returns the identity, the MAC, and the password check's error key (None
        when the password works). Raises ``WhatsminerError`` when the miner can't
        be read, ``AbortFlow`` when its MAC can't be claimed.
        """
        client = self._client(password)
        try:
            identity = await client.identify()
            mac = await self._async_claim(identity)
            return identity, mac, await _async_check_password(client)
        finally:
            await client.close()

    # DHCP discovery.

    @override
    async def async_step_dhcp(
        self, discovery_info: DhcpServiceInfo
    ) -> ConfigFlowResult:
        """Follow a known miner to its new address, or offer to add a new one."""
        mac = format_mac(discovery_info.macaddress)
        await self.async_set_unique_id(mac)
        self._abort_if_unique_id_configured(updates={CONF_HOST: discovery_info.ip})
        # A hostname match is a hint: only a miner that answers as one is offered.
        self._host = discovery_info.ip
        client = self._client(None)
        try:
            identity = await client.identify()
        except WhatsminerError:
            return self.async_abort(reason="not_whatsminer")
        finally:
            await client.close()
        if identity.mac is not None and format_mac(identity.mac) != mac:
            return self.async_abort(reason="unexpected_miner")
        self._discovered = identity
        self.context["title_placeholders"] = {"name": miner_title(identity, mac)}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the discovered miner's password."""
        assert self._discovered is not None  # noqa: S101  # set by async_step_dhcp
        identity = self._discovered
        mac = str(self.unique_id)
        errors: dict[str, str] = {}
        if user_input is not None:
            password = user_input[CONF_PASSWORD]
            client = self._client(password, identity)
            try:
                problem = await _async_check_password(client)
            finally:
                await client.close()
            if problem is None:
                return self.async_create_entry(
                    title=miner_title(identity, mac),
                    data=self._entry_data(identity, password),
                )
            if problem == "write_disabled":
                return await self._async_offer_read_only(identity, mac, password)
            errors["base"] = problem
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_PASSWORD): _PASSWORD_SELECTOR}
            ),
            description_placeholders=self._placeholders(identity, mac),
            errors=errors,
        )

    # Write API disabled: add read-only, if the user agrees.

    async def _async_offer_read_only(
        self, identity: MinerIdentity, mac: str, password: str
    ) -> ConfigFlowResult:
        self._pending = _PendingEntry(
            title=miner_title(identity, mac),
            data=self._entry_data(identity, password, read_only=True),
            placeholders=self._placeholders(identity, mac),
        )
        return await self.async_step_write_disabled()

    async def async_step_write_disabled(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain that the write API is off, and offer to add the miner read-only."""
        assert self._pending is not None  # noqa: S101  # set by _async_offer_read_only
        if user_input is not None:
            return self.async_create_entry(
                title=self._pending.title, data=self._pending.data
            )
        return self.async_show_form(
            step_id="write_disabled",
            description_placeholders=self._pending.placeholders,
        )

    # Many miners: scan an address range.

    async def async_step_scan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the address range to scan."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                self._scan_hosts = parse_address_range(user_input[CONF_ADDRESS_RANGE])
            except AddressRangeError as err:
                errors[CONF_ADDRESS_RANGE] = err.reason
            else:
                return await self.async_step_scan_progress()
        return self.async_show_form(
            step_id="scan",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_ADDRESS_RANGE): TextSelector()}
            ),
            description_placeholders={"max": str(MAX_SCAN_ADDRESSES)},
            errors=errors,
        )

    async def async_step_scan_progress(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Probe every address of the range for a Whatsminer."""
        if self._scan_task is None:
            self._scan_task = self.hass.async_create_task(
                self._async_scan_for_listener(
                    self._scan_hosts, self._progress_listeners()
                ),
                f"{DOMAIN} address scan",
            )
        if not self._scan_task.done():
            return self.async_show_progress(
                step_id="scan_progress",
                progress_action="scan",
                progress_task=self._scan_task,
                description_placeholders={"count": str(len(self._scan_hosts))},
            )
        configured = self._async_current_ids(include_ignore=True)
        self._found = {
            miner.mac: miner
            for miner in self._scan_task.result()
            if miner.identity.mac is not None and miner.mac not in configured
        }
        return self.async_show_progress_done(next_step_id="scan_select")

    def _progress_listeners(self) -> int:
        return self.hass.bus.async_listeners().get(EVENT_DATA_ENTRY_FLOW_PROGRESSED, 0)

    async def _async_scan_for_listener(
        self, hosts: list[str], listeners_before: int
    ) -> list[FoundMiner]:
        """Scan, then give the page showing the progress step time to subscribe.

        Finishing the task makes Home Assistant fire the flow's "progressed" event;
        the page that showed the progress step must be listening by then.
        """
        found = await self._async_scan(hosts)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SCAN_LISTENER_WAIT
        # The event bus tells nobody when a listener comes: look, briefly.
        while (  # noqa: ASYNC110
            self._progress_listeners() <= listeners_before and loop.time() < deadline
        ):
            await asyncio.sleep(SCAN_LISTENER_POLL)
        return found

    async def _async_scan(self, hosts: list[str]) -> list[FoundMiner]:
        """Identify whatever answers as a Whatsminer, ``SCAN_CONCURRENCY`` at a time."""
        semaphore = asyncio.Semaphore(SCAN_CONCURRENCY)
        probed = 0

        async def probe(host: str) -> FoundMiner | None:
            nonlocal probed
            async with semaphore:
                client = Whatsminer(
                    host,
                    connect_timeout=SCAN_CONNECT_TIMEOUT,
                    reply_timeout=SCAN_REPLY_TIMEOUT,
                )
                try:
                    return FoundMiner(host, await client.identify())
                except WhatsminerError:
                    return None
                finally:
                    await client.close()
                    probed += 1
                    self.async_update_progress(probed / len(hosts))

        found = await asyncio.gather(*(probe(host) for host in hosts))
        return [miner for miner in found if miner is not None]

    async def async_step_scan_select(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """List the miners found; add the chosen ones with one password."""
        if not self._found:
            return self.async_abort(reason="no_miners_found")
        errors: dict[str, str] = {}
        placeholders = {
            "count": str(len(self._found)),
            **{placeholder: "" for _, _, placeholder in _SCAN_FAILURES.values()},
        }
        if user_input is not None:
            chosen = [self._found[mac] for mac in user_input[CONF_MINERS]]
            password = user_input[CONF_PASSWORD]
            if not chosen:
                errors[CONF_MINERS] = "none_selected"
            else:
                problems = await asyncio.gather(
                    *(self._async_check_found(miner, password) for miner in chosen)
                )
                failed = {
                    miner.host: problem
                    for miner, problem in zip(chosen, problems, strict=True)
                    if problem is not None and problem != "write_disabled"
                }
                if not failed:
                    return await self._async_add_found(chosen, problems, password)
                errors, failures = _scan_failures(failed)
                placeholders.update(failures)

        found = sorted(
            self._found.values(), key=lambda miner: ipaddress.IPv4Address(miner.host)
        )
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_MINERS, default=[miner.mac for miner in found]
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=miner.mac, label=miner.label)
                            for miner in found
                        ],
                        multiple=True,
                        mode=SelectSelectorMode.LIST,
                    )
                ),
                probatio.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
            }
        )
        return self.async_show_form(
            step_id="scan_select",
            data_schema=schema,
            description_placeholders=placeholders,
            errors=errors,
        )

    async def _async_check_found(self, miner: FoundMiner, password: str) -> str | None:
        client = Whatsminer(
            miner.host,
            password=password,
            api=miner.identity.api,
            connect_timeout=SCAN_CONNECT_TIMEOUT,
            reply_timeout=SCAN_REPLY_TIMEOUT,
        )
        try:
            return await _async_check_password(client)
        finally:
            await client.close()

    async def _async_add_found(
        self, chosen: list[FoundMiner], problems: list[str | None], password: str
    ) -> ConfigFlowResult:
        """Create this flow's entry for the first miner, and a flow for each other one.

        Miners whose write API is off are added read-only: each gets a repair issue.
        """
        entries = [
            (
                miner,
                _miner_entry_data(
                    miner.identity,
                    miner.host,
                    password,
                    read_only=problem == "write_disabled",
                ),
            )
            for miner, problem in zip(chosen, problems, strict=True)
        ]
        for miner, data in entries[1:]:
            self.hass.async_create_task(
                self.hass.config_entries.flow.async_init(
                    DOMAIN,
                    context={"source": SOURCE_ADD_SCANNED},
                    data={
                        "unique_id": miner.mac,
                        "title": miner_title(miner.identity, miner.mac),
                        "data": data,
                    },
                ),
                f"{DOMAIN} add {miner.host}",
            )
        first, data = entries[0]
        await self.async_set_unique_id(first.mac, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=miner_title(first.identity, first.mac),
            data=data,
            description="scan_added",
            description_placeholders={"count": str(len(entries))},
        )

    async def async_step_add_scanned(self, scanned: dict[str, Any]) -> ConfigFlowResult:
        """Create the entry of one more miner chosen in a scan (its password was checked)."""
        # Chosen by the user: a pending discovery of the same miner must not stop it.
        await self.async_set_unique_id(scanned["unique_id"], raise_on_progress=False)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=scanned["title"], data=scanned["data"])

    # Reauthentication and reconfiguration.

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication: the miner refused the stored password."""
        if entry_data.get(CONF_ENTRY_TYPE) != ENTRY_TYPE_WHATSMINER:
            return await self.async_start_pool_reauth(entry_data)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the miner's password again and check it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        # API v2 knows only its admin account: its miners are asked no account.
        v3 = entry.data[CONF_API] == ApiVersion.V3
        account = entry.data.get(CONF_ACCOUNT, ACCOUNT)
        if user_input is not None:
            account = user_input.get(CONF_ACCOUNT, account)
            client = Whatsminer(
                entry.data[CONF_HOST],
                password=user_input[CONF_PASSWORD],
                api=ApiVersion(entry.data[CONF_API]),
                v2_port=entry.data[CONF_V2_PORT],
                v3_port=entry.data[CONF_V3_PORT],
                account=account,
            )
            try:
                problem = await _async_check_password(client)
            finally:
                await client.close()
            if problem is None:
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_PASSWORD: user_input[CONF_PASSWORD],
                        CONF_READ_ONLY: False,
                        **({CONF_ACCOUNT: account} if v3 else {}),
                    },
                )
            errors["base"] = problem
        fields: dict[Any, Any] = {probatio.Required(CONF_PASSWORD): _PASSWORD_SELECTOR}
        if v3:
            fields[probatio.Required(CONF_ACCOUNT, default=account)] = _ACCOUNT_SELECTOR
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(fields),
            description_placeholders={
                "name": entry.title,
                "host": entry.data[CONF_HOST],
            },
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the miner's address or ports; it must still be the same miner."""
        entry = self._get_reconfigure_entry()
        if (entry_type := entry.data[CONF_ENTRY_TYPE]) != ENTRY_TYPE_WHATSMINER:
            return await self.async_start_pool_account_reconfigure(entry_type)
        errors: dict[str, str] = {}
        stored_account = entry.data.get(CONF_ACCOUNT, ACCOUNT)
        if user_input is not None:
            self._host = user_input[CONF_HOST].strip()
            self._ports = (user_input[CONF_V2_PORT], user_input[CONF_V3_PORT])
            account = user_input.get(CONF_ACCOUNT, stored_account)
            password = user_input.get(CONF_PASSWORD) or entry.data[CONF_PASSWORD]
            client = self._client(None)
            try:
                identity = await client.identify()
            except WhatsminerError as err:
                errors["base"] = flow_error(err)
            else:
                await self._async_claim(identity, reconfigure=True)
                problem = await self._async_check_account(
                    identity,
                    account,
                    password,
                    changed=account != stored_account or CONF_PASSWORD in user_input,
                )
                if problem is not None:
                    errors[
                        CONF_ACCOUNT if problem == "account_needs_v3" else "base"
                    ] = problem
                else:
                    return self.async_update_reload_and_abort(
                        entry,
                        data_updates={
                            CONF_HOST: self._host,
                            CONF_V2_PORT: self._ports[0],
                            CONF_V3_PORT: self._ports[1],
                            CONF_API: str(identity.api),
                            CONF_PASSWORD: password,
                            **(
                                {CONF_ACCOUNT: account}
                                if CONF_ACCOUNT in entry.data or account != ACCOUNT
                                else {}
                            ),
                        },
                    )
            finally:
                await client.close()
        data = user_input or entry.data
        fields: dict[Any, Any] = {
            probatio.Required(CONF_HOST, default=data[CONF_HOST]): TextSelector(),
            probatio.Required(CONF_V2_PORT, default=data[CONF_V2_PORT]): cv.port,
            probatio.Required(CONF_V3_PORT, default=data[CONF_V3_PORT]): cv.port,
        }
        if entry.data[CONF_API] == ApiVersion.V3:
            # Another account needs its own password; empty keeps the stored one.
            fields[
                probatio.Required(
                    CONF_ACCOUNT, default=data.get(CONF_ACCOUNT, stored_account)
                )
            ] = _ACCOUNT_SELECTOR
            fields[probatio.Optional(CONF_PASSWORD)] = _PASSWORD_SELECTOR
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=probatio.Schema(fields),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def _async_check_account(
        self, identity: MinerIdentity, account: str, password: str, *, changed: bool
    ) -> str | None:
        """Check a new account or password on the miner; an error key, or None."""
        if identity.api is not ApiVersion.V3 and account != ACCOUNT:
            return "account_needs_v3"
        if not changed:
            return None
        self._account = account
        client = self._client(password, identity)
        try:
            return await _async_check_password(client)
        finally:
            await client.close()

    # Shared.

    def _client(
        self, password: str | None, identity: MinerIdentity | None = None
    ) -> Whatsminer:
        return Whatsminer(
            self._host,
            password=password,
            api=identity.api if identity else None,
            v2_port=self._ports[0],
            v3_port=self._ports[1],
            account=self._account,
        )

    async def _async_claim(
        self, identity: MinerIdentity, *, reconfigure: bool = False
    ) -> str:
        """Take the miner's MAC as this flow's unique ID, and return it.

        Raises ``AbortFlow`` when the MAC is missing, when the miner is already
        configured (its address is updated then), or, when reconfiguring, when
        another miner answers at the new address.
        """
        if identity.mac is None:
            raise AbortFlow("missing_mac")
        mac = format_mac(identity.mac)
        # Only user-started steps claim through here: an abandoned dialog or a
        # pending discovery of the same miner must not block them. (The DHCP step
        # claims with the default, so one miner is offered once.) Creating the
        # entry ends every other flow of the same miner.
        await self.async_set_unique_id(mac, raise_on_progress=False)
        if reconfigure:
            self._abort_if_unique_id_mismatch(reason="unexpected_miner")
        else:
            self._abort_if_unique_id_configured(
                updates={
                    CONF_HOST: self._host,
                    CONF_V2_PORT: self._ports[0],
                    CONF_V3_PORT: self._ports[1],
                }
            )
        return mac

    def _entry_data(
        self, identity: MinerIdentity, password: str, *, read_only: bool = False
    ) -> dict[str, Any]:
        """The data of the entry this flow adds: the miner at its address and ports."""
        return _miner_entry_data(
            identity,
            self._host,
            password,
            self._ports,
            read_only=read_only,
            account=self._account,
        )

    def _placeholders(self, identity: MinerIdentity, mac: str) -> dict[str, str]:
        return {
            "name": miner_title(identity, mac),
            "model": identity.model or "Whatsminer",
            "host": self._host,
        }


class HashwattOptionsFlow(OptionsFlowWithReload):
    """Change how often a miner is polled."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the scan interval."""
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL])}
            )
        current = self.config_entry.options.get(
            CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL
        )
        return self.async_show_form(
            step_id="init",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_SCAN_INTERVAL, default=current
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_SCAN_INTERVAL,
                            max=MAX_SCAN_INTERVAL,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    )
                }
            ),
        )
