"""Which client error means which translated message: one table per client.

Every client (clients/whatsminer, whitepool, webminepool, mempool) raises its own
small exception hierarchy. Each table below lists, most specific class first and
the client's base class last, the translation keys one class stands for where it
can surface:

- ``poll``: the key of the ``UpdateFailed`` a coordinator raises (or of the
  ``ConfigEntryAuthFailed``, for a refused key, which starts reauthentication);
- ``flow``: the key a config flow puts in its ``errors`` dict;
- ``action``: the key of the ``HomeAssistantError`` an action or entity write
  raises (a ``ServiceValidationError`` when the client refused the input before
  sending anything).

Every client's base class is a ``ClientError``: code that calls a client catches
that one class, and three small adapters, ``poll_error``, ``flow_error`` and
``action_error``, pick the table of the client that raised the error. The
messages themselves live under ``exceptions`` and ``config.error`` in
translations/en.json.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .clients import ClientError, mempool, webminepool, whatsminer, whitepool
from .const import DOMAIN


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorKeys:
    """What one client error class means, in each place it can surface."""

    error: type[Exception]
    poll: str
    flow: str
    action: str
    # The credentials were refused: actions start reauthentication, and so do
    # polls unless ``poll_reauth`` is False.
    reauth: bool = False
    poll_reauth: bool = True
    # Refused before anything was sent: the action's input was wrong.
    bad_input: bool = False
    # The action message's placeholders besides the target's name.
    details: Callable[[Exception], Mapping[str, str]]
    # Whether the row applies to an error of its class (else a later row does).
    applies: Callable[[Exception], bool]


type ErrorTable = tuple[ErrorKeys, ...]


def _message(error: Exception) -> Mapping[str, str]:
    return {"error": str(error)}


def _keys[E: Exception](  # noqa: PLR0913 - one argument per column of the table
    error: type[E],
    *,
    poll: str,
    flow: str,
    action: str,
    reauth: bool = False,
    poll_reauth: bool = True,
    bad_input: bool = False,
    details: Callable[[E], Mapping[str, str]] | None = None,
    applies: Callable[[E], bool] | None = None,
) -> ErrorKeys:
    """Build one row; ``details`` and ``applies`` see an error of ``error``'s class."""

    def erased_details(err: Exception) -> Mapping[str, str]:
        if details is None or not isinstance(err, error):
            return _message(err)
        return details(err)

    def erased_applies(err: Exception) -> bool:
        return isinstance(err, error) and (applies is None or applies(err))

    return ErrorKeys(
        error=error,
        poll=poll,
        flow=flow,
        action=action,
        reauth=reauth,
        poll_reauth=poll_reauth,
        bad_input=bad_input,
        details=erased_details,
        applies=erased_applies,
    )


def _no_details(_error: Exception) -> Mapping[str, str]:
    return {}


def _field(
    error: whatsminer.WhatsminerValidationError
    | webminepool.WebMinePoolValidationError,
) -> dict[str, str]:
    return {"field": error.field, "error": error.message}


def _whitepool_field(error: whitepool.WhitePoolValidationError) -> dict[str, str]:
    field, messages = next(iter(error.errors.items()), ("", [error.message]))
    return {"field": field, "error": "; ".join(messages)}


def _whitepool_refusal(error: whitepool.WhitePoolApiError) -> dict[str, str]:
    # The field errors say what was wrong ("name: The name has already been taken.").
    detail = (
        "; ".join(
            f"{field}: {', '.join(messages)}"
            for field, messages in error.errors.items()
        )
        or error.message
    )
    return {"error": detail}


# A miner's reads take no password: a poll that meets an auth error met a reply
# it could not use. The slow poll verifies the password itself (coordinator.py).
WHATSMINER_ERRORS: Final[ErrorTable] = (
    _keys(
        whatsminer.WhatsminerValidationError,
        poll="invalid_reply",
        flow="invalid_reply",
        action="invalid_value",
        bad_input=True,
        details=_field,
    ),
    _keys(
        whatsminer.WhatsminerAuthError,
        poll="invalid_reply",
        flow="invalid_auth",
        action="auth_failed",
        reauth=True,
        poll_reauth=False,
        details=_no_details,
    ),
    _keys(
        whatsminer.WhatsminerWriteDisabledError,
        poll="invalid_reply",
        flow="write_disabled",
        action="write_disabled",
        details=_no_details,
    ),
    _keys(
        whatsminer.WhatsminerPermissionError,
        poll="invalid_reply",
        flow="invalid_reply",
        action="permission_denied",
        details=lambda error: {"account": error.account, "command": error.command},
    ),
    _keys(
        whatsminer.WhatsminerTokenLimitError,
        poll="invalid_reply",
        flow="token_limit",
        action="token_limit",
        details=_no_details,
    ),
    _keys(
        whatsminer.WhatsminerUnsupportedError,
        poll="invalid_reply",
        flow="invalid_reply",
        action="command_unsupported",
        details=_no_details,
    ),
    _keys(
        whatsminer.WhatsminerCommandError,
        poll="invalid_reply",
        flow="invalid_reply",
        action="command_refused",
        details=lambda error: {"code": str(error.code), "error": error.message},
    ),
    _keys(
        whatsminer.WhatsminerConnectionError,
        poll="cannot_connect",
        flow="cannot_connect",
        action="communication_error",
    ),
    _keys(
        whatsminer.WhatsminerInvalidReplyError,
        poll="invalid_reply",
        flow="invalid_reply",
        action="command_invalid_reply",
    ),
    _keys(
        whatsminer.WhatsminerError,
        poll="invalid_reply",
        flow="invalid_reply",
        action="unexpected_error",
    ),
)

WHITEPOOL_ERRORS: Final[ErrorTable] = (
    _keys(
        whitepool.WhitePoolAuthError,
        poll="whitepool_auth_failed",
        flow="whitepool_invalid_auth",
        action="pool_auth_failed",
        reauth=True,
    ),
    _keys(
        whitepool.WhitePoolRateLimitError,
        poll="whitepool_rate_limited",
        flow="whitepool_rate_limited",
        action="pool_rate_limited",
    ),
    _keys(
        whitepool.WhitePoolClockError,
        poll="whitepool_clock",
        flow="whitepool_clock",
        action="pool_clock",
    ),
    _keys(
        whitepool.WhitePoolValidationError,
        poll="whitepool_error",
        flow="whitepool_failed",
        action="pool_invalid_value",
        bad_input=True,
        details=_whitepool_field,
        # Refused by the client before sending; the API's refusals are below.
        applies=lambda error: error.client_side,
    ),
    _keys(
        whitepool.WhitePoolConnectionError,
        poll="whitepool_cannot_connect",
        flow="whitepool_cannot_connect",
        action="pool_communication_error",
    ),
    _keys(
        whitepool.WhitePoolInvalidReplyError,
        poll="whitepool_invalid_reply",
        flow="whitepool_failed",
        action="pool_invalid_reply",
    ),
    _keys(
        whitepool.WhitePoolApiError,
        poll="whitepool_error",
        flow="whitepool_failed",
        action="pool_refused",
        details=_whitepool_refusal,
    ),
    _keys(
        whitepool.WhitePoolError,
        poll="whitepool_error",
        flow="whitepool_failed",
        action="pool_unexpected_error",
    ),
)

WEBMINEPOOL_ERRORS: Final[ErrorTable] = (
    _keys(
        webminepool.WebMinePoolValidationError,
        poll="webminepool_error",
        flow="webminepool_invalid_key",
        action="pool_invalid_value",
        bad_input=True,
        details=_field,
    ),
    _keys(
        webminepool.WebMinePoolAuthError,
        poll="webminepool_auth_failed",
        flow="webminepool_invalid_auth",
        action="pool_auth_failed",
        reauth=True,
    ),
    _keys(
        webminepool.WebMinePoolConnectionError,
        poll="webminepool_cannot_connect",
        flow="webminepool_cannot_connect",
        action="pool_communication_error",
    ),
    _keys(
        webminepool.WebMinePoolInvalidReplyError,
        poll="webminepool_invalid_reply",
        flow="webminepool_failed",
        action="pool_invalid_reply",
    ),
    _keys(
        webminepool.WebMinePoolApiError,
        poll="webminepool_error",
        flow="webminepool_failed",
        action="pool_refused",
        details=lambda error: {"error": error.message},
    ),
    _keys(
        webminepool.WebMinePoolError,
        poll="webminepool_error",
        flow="webminepool_failed",
        action="pool_unexpected_error",
    ),
)

MEMPOOL_ERRORS: Final[ErrorTable] = (
    _keys(
        mempool.MempoolValidationError,
        poll="bitcoin_network_error",
        flow="bitcoin_network_invalid_url",
        action="bitcoin_network_error",
        bad_input=True,
    ),
    _keys(
        mempool.MempoolNotFoundError,
        poll="bitcoin_network_not_found",
        flow="bitcoin_network_not_mempool",
        action="bitcoin_network_not_found",
    ),
    _keys(
        mempool.MempoolRateLimitError,
        poll="bitcoin_network_rate_limited",
        flow="bitcoin_network_rate_limited",
        action="bitcoin_network_rate_limited",
    ),
    _keys(
        mempool.MempoolConnectionError,
        poll="bitcoin_network_cannot_connect",
        flow="bitcoin_network_cannot_connect",
        action="bitcoin_network_cannot_connect",
    ),
    _keys(
        mempool.MempoolInvalidReplyError,
        poll="bitcoin_network_invalid_reply",
        flow="bitcoin_network_invalid_reply",
        action="bitcoin_network_invalid_reply",
    ),
    _keys(
        mempool.MempoolError,
        poll="bitcoin_network_error",
        flow="bitcoin_network_failed",
        action="bitcoin_network_error",
    ),
)


# Each client's base class and its table.
TABLES: Final[tuple[tuple[type[ClientError], ErrorTable], ...]] = (
    (whatsminer.WhatsminerError, WHATSMINER_ERRORS),
    (whitepool.WhitePoolError, WHITEPOOL_ERRORS),
    (webminepool.WebMinePoolError, WEBMINEPOOL_ERRORS),
    (mempool.MempoolError, MEMPOOL_ERRORS),
)


def error_keys(error: ClientError) -> ErrorKeys:
    """Return the row for ``error`` in its client's table (the last row is the base class)."""
    table = next((table for base, table in TABLES if isinstance(error, base)), None)
    if table is None:
        msg = f"no error table for {type(error).__name__}"
        raise TypeError(msg)
    return next((row for row in table if row.applies(error)), table[-1])


def poll_error(
    error: ClientError, **placeholders: str
) -> UpdateFailed | ConfigEntryAuthFailed:
    """Return what a coordinator raises for ``error``: unavailable, or reauthenticate."""
    keys = error_keys(error)
    kind = ConfigEntryAuthFailed if keys.reauth and keys.poll_reauth else UpdateFailed
    return kind(
        translation_domain=DOMAIN,
        translation_key=keys.poll,
        translation_placeholders={**placeholders, "error": str(error)},
    )


def flow_error(error: ClientError) -> str:
    """Return the config-flow error key for ``error``."""
    return error_keys(error).flow


def action_error(error: ClientError, **placeholders: str) -> HomeAssistantError:
    """Return what an action raises for ``error``, its target named in ``placeholders``.

    The clients' messages hold no secret, so they may be shown.
    """
    keys = error_keys(error)
    kind = ServiceValidationError if keys.bad_input else HomeAssistantError
    return kind(
        translation_domain=DOMAIN,
        translation_key=keys.action,
        translation_placeholders={**placeholders, **keys.details(error)},
    )
