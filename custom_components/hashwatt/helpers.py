"""What every command sent to a miner shares: its errors, and the poll that follows it.

``pool_command`` does the same for the mining-pool clients' errors.
``without_url_credentials`` keeps a pool URL's user and password out of states and
diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .clients.webminepool import (
    WebMinePoolApiError,
    WebMinePoolAuthError,
    WebMinePoolConnectionError,
    WebMinePoolError,
    WebMinePoolInvalidReplyError,
    WebMinePoolValidationError,
)
from .clients.whatsminer.errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerConnectionError,
    WhatsminerError,
    WhatsminerInvalidReplyError,
    WhatsminerPermissionError,
    WhatsminerTokenLimitError,
    WhatsminerUnsupportedError,
    WhatsminerValidationError,
    WhatsminerWriteDisabledError,
)
from .clients.whitepool import (
    WhitePoolApiError,
    WhitePoolAuthError,
    WhitePoolClockError,
    WhitePoolConnectionError,
    WhitePoolError,
    WhitePoolInvalidReplyError,
    WhitePoolRateLimitError,
    WhitePoolValidationError,
)
from .const import DOMAIN
from .coordinator import HashwattConfigEntry
from .entity import HashwattMinerEntity

type MinerCommandTarget = HashwattMinerEntity[Any] | HashwattConfigEntry
"""What a command runs for: an entity of the miner, or (for actions) its config entry."""


def _entry_of(target: MinerCommandTarget) -> HashwattConfigEntry:
    if isinstance(target, ConfigEntry):
        return target
    entry: HashwattConfigEntry = target.coordinator.config_entry
    return entry


def miner_command[TargetT: MinerCommandTarget, **P, R](
    func: Callable[Concatenate[TargetT, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[TargetT, P], Coroutine[Any, Any, R]]:
    """Decorate anything that asks something of a miner: entity writes and actions.

    The client's errors become translated Home Assistant errors naming the miner,
    so a failure in an action aimed at many miners says which one failed. A wrong
    password also starts reauthentication. Nothing is retried: the client sends
    each command once, and a power-off sent twice is a power-off too many.

    After a command succeeds, the polls that show its effect run again: entities
    show what the miner then reports, never what Home Assistant asked of it.
    """

    async def handler(target: TargetT, /, *args: P.args, **kwargs: P.kwargs) -> R:
        entry = _entry_of(target)
        runtime = entry.runtime_data
        miner = {"miner": entry.title}
        try:
            result = await func(target, *args, **kwargs)
        except WhatsminerValidationError as error:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_value",
                translation_placeholders={
                    **miner,
                    "field": error.field,
                    "error": error.message,
                },
            ) from error
        except WhatsminerAuthError as error:
            entry.async_start_reauth(runtime.fast.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders=miner,
            ) from error
        except WhatsminerWriteDisabledError as error:
            # Re-verify now, so the repair issue shows up with this error.
            await runtime.slow.async_request_refresh()
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="write_disabled",
                translation_placeholders=miner,
            ) from error
        except WhatsminerPermissionError as error:
            # The account lacks this one right: the password is fine and the
            # write API on, so no reauthentication and no read-only mode.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="permission_denied",
                translation_placeholders={
                    **miner,
                    "account": error.account,
                    "command": error.command,
                },
            ) from error
        except WhatsminerTokenLimitError as error:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="token_limit",
                translation_placeholders=miner,
            ) from error
        except WhatsminerUnsupportedError as error:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_unsupported",
                translation_placeholders=miner,
            ) from error
        except WhatsminerCommandError as error:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_refused",
                translation_placeholders={
                    **miner,
                    "code": str(error.code),
                    "error": error.message,
                },
            ) from error
        except WhatsminerConnectionError as error:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={**miner, "error": str(error)},
            ) from error
        except WhatsminerInvalidReplyError as error:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_invalid_reply",
                translation_placeholders={**miner, "error": str(error)},
            ) from error
        except WhatsminerError as error:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="unexpected_error",
                translation_placeholders={**miner, "error": str(error)},
            ) from error
        if entry.state is not ConfigEntryState.LOADED:
            return result  # the command reloads the entry; its new polls will tell
        # An entity of the slow poll shows a setting: that poll must confirm it.
        # Actions may change anything, so both confirm theirs.
        await runtime.async_refresh_after_write(
            settings_changed=isinstance(target, ConfigEntry)
            or target.coordinator is runtime.slow
        )
        return result

    return handler


def pool_command[**P, R](
    func: Callable[Concatenate[ConfigEntry[Any], P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[ConfigEntry[Any], P], Coroutine[Any, Any, R]]:
    """Decorate anything that asks something of a pool account (WhitePool, WebMinePool).

    The clients' errors become translated Home Assistant errors naming the entry. An
    argument a client refuses before sending is a ``ServiceValidationError``; a
    refused key also starts reauthentication. Writes are not retried (the clients
    send them once): an account created or hashes withdrawn twice is once too many.
    """

    async def handler(
        entry: ConfigEntry[Any], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        try:
            return await func(entry, *args, **kwargs)
        except (WhitePoolError, WebMinePoolError) as error:
            if isinstance(error, WhitePoolAuthError | WebMinePoolAuthError):
                entry.async_start_reauth(entry.runtime_data.coordinator.hass)
            raise _pool_error(entry, error) from error

    return handler


def _pool_error(
    entry: ConfigEntry[Any], error: WhitePoolError | WebMinePoolError
) -> HomeAssistantError:
    """Translate one pool client error; the clients' messages hold no secret."""
    name = {"name": entry.title}
    if isinstance(error, WebMinePoolValidationError):
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="pool_invalid_value",
            translation_placeholders={
                **name,
                "field": error.field,
                "error": error.message,
            },
        )
    if isinstance(error, WhitePoolValidationError) and error.client_side:
        field, messages = next(iter(error.errors.items()), ("", [error.message]))
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="pool_invalid_value",
            translation_placeholders={
                **name,
                "field": field,
                "error": "; ".join(messages),
            },
        )
    key = "pool_unexpected_error"
    detail = str(error)
    if isinstance(error, WhitePoolAuthError | WebMinePoolAuthError):
        key = "pool_auth_failed"
    elif isinstance(error, WhitePoolRateLimitError):
        key = "pool_rate_limited"
    elif isinstance(error, WhitePoolClockError):
        key = "pool_clock"
    elif isinstance(error, WhitePoolConnectionError | WebMinePoolConnectionError):
        key = "pool_communication_error"
    elif isinstance(error, WhitePoolInvalidReplyError | WebMinePoolInvalidReplyError):
        key = "pool_invalid_reply"
    elif isinstance(error, WhitePoolApiError):
        key = "pool_refused"
        # The field errors say what was wrong ("name: The name has already been taken.").
        detail = (
            "; ".join(
                f"{field}: {', '.join(messages)}"
                for field, messages in error.errors.items()
            )
            or error.message
        )
    elif isinstance(error, WebMinePoolApiError):
        key = "pool_refused"
        detail = error.message
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={**name, "error": detail},
    )


# The user:password@ of a URL, with or without a scheme: stratum+tcp://u:p@host:port.
_URL_CREDENTIALS: Final = re.compile(r"(?:^|(?<=://))[^/@\s]+@")


def without_url_credentials(text: str, replacement: str = "") -> str:
    """Return ``text`` with the credentials of the URL it holds put as ``replacement``."""
    return _URL_CREDENTIALS.sub(replacement, text)
