"""What every command sent to a miner shares: its errors, and the poll that follows it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Concatenate

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .clients.whatsminer.errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerConnectionError,
    WhatsminerError,
    WhatsminerInvalidReplyError,
    WhatsminerTokenLimitError,
    WhatsminerUnsupportedError,
    WhatsminerValidationError,
    WhatsminerWriteDisabledError,
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
