"""Config flow steps of mining-pool accounts: WhiteBIT mining pool and WebMinePool.

Every key is tried against the API before an entry is created or changed. An entry's
unique ID is a fingerprint of its key (a truncated SHA-256, never the key itself), so
each key is added once; a new key given at reauthentication or reconfiguration takes
the fingerprint with it. A WhiteBIT key must still reach at least one of the mining
accounts the entry had: another WhiteBIT user's key is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import probatio
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .clients.webminepool import (
    WebMinePoolAuthError,
    WebMinePoolConnectionError,
    WebMinePoolError,
    WebMinePoolValidationError,
)
from .clients.whitepool import (
    MiningAccount,
    WhitePoolAuthError,
    WhitePoolClockError,
    WhitePoolConnectionError,
    WhitePoolError,
    WhitePoolRateLimitError,
)
from .const import (
    CONF_API_SECRET,
    CONF_BTC_QUOTE,
    CONF_ENTRY_TYPE,
    CONF_REGION,
    CONF_SECRET_KEY,
    ENTRY_TYPE_WEBMINEPOOL,
    ENTRY_TYPE_WHITEPOOL,
    REGION_COM,
    REGION_EU,
)
from .pool_coordinator import (
    FALLBACK_QUOTE,
    key_fingerprint,
    webminepool_client,
    whitepool_client,
)
from .pools import account_of_device

WHITEPOOL_TITLE: Final = "WhiteBIT mining pool"
WEBMINEPOOL_TITLE: Final = "WebMinePool"

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


def _whitepool_error_key(err: WhitePoolError) -> str:
    if isinstance(err, WhitePoolAuthError):
        return "whitepool_invalid_auth"
    if isinstance(err, WhitePoolClockError):
        return "whitepool_clock"
    if isinstance(err, WhitePoolRateLimitError):
        return "whitepool_rate_limited"
    if isinstance(err, WhitePoolConnectionError):
        return "whitepool_cannot_connect"
    return "whitepool_failed"


def _known_accounts(hass: HomeAssistant, entry: ConfigEntry[Any]) -> set[str]:
    """The mining accounts an entry has devices for."""
    registry = dr.async_get(hass)
    return {
        account
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (account := account_of_device(device)) is not None
    }


class PoolConfigFlow(ConfigFlow):
    """The steps that add, reauthenticate and reconfigure pool accounts.

    Mixed into the integration's one config flow, whose user menu, reauth and
    reconfigure steps lead here for pool entries.
    """

    # --- Shared ---------------------------------------------------------------------

    def _abort_if_key_taken(self, fingerprint: str, entry: ConfigEntry[Any]) -> None:
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
        except WhitePoolError as err:
            return (), _whitepool_error_key(err)

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
        entry: ConfigEntry[Any],
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
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            description_placeholders={"name": entry.title},
            errors=errors,
        )

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
        except WebMinePoolValidationError:
            return "webminepool_invalid_key"
        except WebMinePoolAuthError:
            return "webminepool_invalid_auth"
        except WebMinePoolConnectionError:
            return "webminepool_cannot_connect"
        except WebMinePoolError:
            return "webminepool_failed"
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
        self, entry: ConfigEntry[Any], step_id: str, user_input: dict[str, Any] | None
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
        return self.async_show_form(
            step_id=step_id,
            data_schema=_WEBMINEPOOL_SCHEMA,
            description_placeholders={"name": entry.title},
            errors=errors,
        )

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

    # --- Entry points from the integration's flow -----------------------------------

    async def async_start_pool_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthenticating a pool entry."""
        if entry_data[CONF_ENTRY_TYPE] == ENTRY_TYPE_WHITEPOOL:
            return await self.async_step_whitepool_reauth()
        return await self.async_step_webminepool_reauth()

    async def async_start_pool_reconfigure(self, entry_type: str) -> ConfigFlowResult:
        """Start reconfiguring a pool entry."""
        if entry_type == ENTRY_TYPE_WHITEPOOL:
            return await self.async_step_whitepool_reconfigure()
        return await self.async_step_webminepool_reconfigure()


class WhitePoolOptionsFlow(OptionsFlowWithReload):
    """Choose the currency of the BTC price, which the break-even prices are in too."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start with the currency (the miners' options step is "init" too)."""
        return await self.async_step_currency()

    async def async_step_currency(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer every currency WhiteBIT's public ticker has a BTC market in."""
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_BTC_QUOTE: user_input[CONF_BTC_QUOTE]}
            )
        try:
            quotes = await whitepool_client(
                self.hass, self.config_entry.data
            ).btc_quotes()
        except WhitePoolError as err:
            return self.async_abort(reason=_whitepool_error_key(err))
        if not quotes:
            return self.async_abort(reason="whitepool_failed")
        # What the coordinator uses without the option: Home Assistant's currency.
        current = self.config_entry.options.get(CONF_BTC_QUOTE) or (
            self.hass.config.currency
            if self.hass.config.currency in quotes
            else FALLBACK_QUOTE
        )
        return self.async_show_form(
            step_id="currency",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_BTC_QUOTE, default=current): SelectSelector(
                        SelectSelectorConfig(
                            options=list(quotes), mode=SelectSelectorMode.DROPDOWN
                        )
                    )
                }
            ),
        )
