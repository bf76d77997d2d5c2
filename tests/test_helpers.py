"""The one decorator every command to a miner goes through."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.clients import ClientError
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerConnectionError,
    WhatsminerError,
    WhatsminerInvalidReplyError,
    WhatsminerTimeoutError,
    WhatsminerTokenLimitError,
    WhatsminerUnsupportedError,
    WhatsminerValidationError,
    WhatsminerWriteDisabledError,
)
from custom_components.hashwatt.const import DOMAIN
from custom_components.hashwatt.coordinator import MinerConfigEntry
from custom_components.hashwatt.errors import (
    MEMPOOL_ERRORS,
    TABLES,
    WEBMINEPOOL_ERRORS,
    WHATSMINER_ERRORS,
    WHITEPOOL_ERRORS,
    ErrorTable,
    error_keys,
)
from custom_components.hashwatt.helpers import miner_command
from simulator.whatsminer import SimulatedMiner


@miner_command
async def fail_with(entry: MinerConfigEntry, error: Exception) -> None:
    """Raise ``error`` as a client call would."""
    raise error


@miner_command
async def succeed(entry: MinerConfigEntry, value: int) -> int:
    """Stand for a command that works."""
    return value * 2


@pytest.mark.parametrize(
    ("error", "translation_key", "message"),
    [
        (
            WhatsminerConnectionError("connection refused"),
            "communication_error",
            "Could not send the command to Miner 1: connection refused",
        ),
        (
            WhatsminerTimeoutError("no answer in 10 s"),
            "communication_error",
            "Could not send the command to Miner 1: no answer in 10 s",
        ),
        (
            WhatsminerWriteDisabledError("can't access write cmd"),
            "write_disabled",
            (
                "Miner 1 does not accept commands: its write API is disabled. "
                "Enable it with WhatsMinerTool"
            ),
        ),
        (
            WhatsminerTokenLimitError("over max connect"),
            "token_limit",
            (
                "Miner 1 has no token left to give: other tools hold them all. "
                "Try again in a few minutes"
            ),
        ),
        (
            WhatsminerUnsupportedError("set.miner.heat_mode", -2, "invalid command"),
            "command_unsupported",
            "Miner 1 does not support this command: its API or firmware lacks it",
        ),
        (
            WhatsminerCommandError("set_target_freq", 132, "out of range"),
            "command_refused",
            "Miner 1 refused the command (code 132): out of range",
        ),
        (
            WhatsminerInvalidReplyError("not JSON"),
            "command_invalid_reply",
            "Miner 1 answered the command with something unreadable: not JSON",
        ),
        (
            WhatsminerError("something new"),
            "unexpected_error",
            "Unexpected error from Miner 1: something new",
        ),
    ],
)
async def test_client_errors_become_translated(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    error: WhatsminerError,
    translation_key: str,
    message: str,
) -> None:
    """Each client error becomes a translated error that names the miner."""
    with pytest.raises(HomeAssistantError) as raised:
        await fail_with(init_integration, error)

    assert type(raised.value) is HomeAssistantError
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == translation_key
    assert str(raised.value) == message
    assert raised.value.__cause__ is error


async def test_validation_error(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Arguments the client refuses are the user's to fix: a validation error."""
    error = WhatsminerValidationError(
        "hostname", "use 1 to 63 letters, digits or hyphens"
    )

    with pytest.raises(ServiceValidationError) as raised:
        await fail_with(init_integration, error)

    assert raised.value.translation_key == "invalid_value"
    assert str(raised.value) == (
        "Invalid hostname for Miner 1: use 1 to 63 letters, digits or hyphens. "
        "Nothing was sent"
    )


async def test_auth_error_starts_reauth(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A refused password asks the user for the new one."""
    with pytest.raises(HomeAssistantError) as raised:
        await fail_with(init_integration, WhatsminerAuthError("enc json load err"))
    await hass.async_block_till_done()

    assert raised.value.translation_key == "auth_failed"
    assert str(raised.value) == (
        "Miner 1 refused the password. Reauthenticate the miner to control it again"
    )
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    assert flow["context"]["entry_id"] == init_integration.entry_id


async def test_success_is_confirmed_by_polls(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """After a command both polls read the miner again; the result passes through."""
    requests_before = len(simulated_miner.requests)

    assert await succeed(init_integration, 21) == 42

    commands = {
        request.command for request in simulated_miner.requests[requests_before:]
    }
    assert "summary+edevs" in commands  # the fast poll
    assert "get_miner_info" in commands  # the slow poll


async def test_errors_send_no_refresh(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulated_miner: SimulatedMiner,
) -> None:
    """A failed command is not followed by polls that pretend to confirm it."""
    requests_before = len(simulated_miner.requests)

    with pytest.raises(HomeAssistantError):
        await fail_with(init_integration, WhatsminerCommandError("reboot", 14, "no"))

    assert simulated_miner.requests[requests_before:] == []


CONTROL_MODULES = (
    "helpers.py",
    "services.py",
    "switch.py",
    "number.py",
    "select.py",
    "button.py",
)


def test_every_error_raised_is_translated() -> None:
    """Each translation key the controls raise has an English message."""
    folder = Path(__file__).parent.parent / "custom_components" / DOMAIN
    messages = json.loads((folder / "translations" / "en.json").read_text("utf-8"))[
        "exceptions"
    ]
    used = {
        key
        for module in CONTROL_MODULES
        for key in re.findall(
            r'translation_domain=DOMAIN,\s*translation_key="(\w+)"|_invalid\(\s*"(\w+)"',
            (folder / module).read_text("utf-8"),
        )
        for key in key
        if key
    }
    # The client errors' keys, for actions and polls alike, are in the tables.
    used |= {
        key
        for table in (WHATSMINER_ERRORS, WHITEPOOL_ERRORS, WEBMINEPOOL_ERRORS)
        for row in table
        for key in (row.action, row.poll)
    }
    used |= {row.poll for row in MEMPOOL_ERRORS}

    # The scan finds what it should: keys of the decorator and of the actions.
    assert {"command_refused", "invalid_action_data", "failed_on_miners"} <= used
    assert used <= set(messages)


@pytest.mark.parametrize(("base", "table"), TABLES)
def test_every_client_error_is_in_its_clients_table(
    base: type[ClientError], table: ErrorTable
) -> None:
    """A client's errors are ClientErrors, and only its own table maps them."""
    module = sys.modules[base.__module__]  # the client's errors.py
    errors = {
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and value.__module__ == module.__name__
    }
    assert base in errors
    assert len(errors) > 5
    assert all(issubclass(error, base) for error in errors)
    assert issubclass(base, ClientError)
    assert all(issubclass(row.error, base) for row in table)
    assert table[-1].error is base
    assert error_keys(base("something went wrong")) is table[-1]
