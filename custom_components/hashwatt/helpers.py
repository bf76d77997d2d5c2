"""What every command sent to a miner shares: its errors, and the poll that follows it.

``pool_account_command`` does the same for the mining-pool clients' errors. Which error
becomes which translated message is in errors.py, for all clients.
``without_url_credentials`` keeps a pool URL's user and password out of states and
diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState

from .clients import ClientError
from .clients.whatsminer import WhatsminerError, WhatsminerWriteDisabledError
from .coordinator import MinerConfigEntry, WebMinePoolRuntimeData, WhitePoolRuntimeData
from .entity import HashwattMinerEntity
from .errors import action_error, error_keys

type MinerCommandTarget = HashwattMinerEntity[Any] | MinerConfigEntry
"""What a command runs for: an entity of the miner, or (for actions) its config entry."""


def _entry_of(target: MinerCommandTarget) -> MinerConfigEntry:
    if isinstance(target, ConfigEntry):
        return target
    entry: MinerConfigEntry = target.coordinator.config_entry
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
        try:
            result = await func(target, *args, **kwargs)
        except WhatsminerError as error:
            if error_keys(error).reauth:
                entry.async_start_reauth(runtime.fast.hass)
            elif isinstance(error, WhatsminerWriteDisabledError):
                # Re-verify now, so the repair issue shows up with this error.
                await runtime.slow.async_request_refresh()
            # An account lacking one right (WhatsminerPermissionError) has a fine
            # password and the write API on: no reauthentication, no read-only mode.
            raise action_error(error, miner=entry.title) from error
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


def pool_account_command[RT: WhitePoolRuntimeData | WebMinePoolRuntimeData, **P, R](
    func: Callable[Concatenate[ConfigEntry[RT], P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[ConfigEntry[RT], P], Coroutine[Any, Any, R]]:
    """Decorate anything that asks something of a pool account (WhitePool, WebMinePool).

    The clients' errors become translated Home Assistant errors naming the entry. An
    argument a client refuses before sending is a ``ServiceValidationError``; a
    refused key also starts reauthentication. Writes are not retried (the clients
    send them once): an account created or hashes withdrawn twice is once too many.
    """

    async def handler(
        entry: ConfigEntry[RT], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        try:
            return await func(entry, *args, **kwargs)
        except ClientError as error:
            if error_keys(error).reauth:
                entry.async_start_reauth(entry.runtime_data.coordinator.hass)
            raise action_error(error, name=entry.title) from error

    return handler


# The user:password@ of a URL, with or without a scheme: stratum+tcp://u:p@host:port.
_URL_CREDENTIALS: Final = re.compile(r"(?:^|(?<=://))[^/@\s]+@")


def without_url_credentials(text: str, replacement: str = "") -> str:
    """Return ``text`` with the credentials of the URL it holds put as ``replacement``."""
    return _URL_CREDENTIALS.sub(replacement, text)
