"""No pool secret ever leaves the config entry: not in logs, errors, states or issues.

Each test runs a pool through its life with logging at DEBUG — the config flow (with
failures), polls, rate limiting, outages, a refused key with its reauthentication,
failed and successful actions, diagnostics — and then looks for the secrets in every
log record (with tracebacks), every error raised, every state and attribute, the
diagnostics, and every repair issue.
"""

import json
import logging
from collections.abc import Iterable
from urllib.parse import quote

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import ATTR_DEVICE_ID, CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.hashwatt.const import (
    CONF_API_SECRET,
    CONF_REGION,
    CONF_SECRET_KEY,
    DOMAIN,
    WEBMINEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SCAN_INTERVAL,
)
from custom_components.hashwatt.entity import whitepool_account_identifier
from simulator.webminepool import Fault as WebMineFault, WebMinePoolServer
from simulator.whitepool import Fault, WhitePoolServer

from .conftest import (
    WEBMINEPOOL_SECRET_KEY,
    WHITEPOOL_API_KEY,
    WHITEPOOL_API_SECRET,
    tick,
    whitepool_entry,
)
from .pool_helpers import while_time_passes


def leaks(secrets: Iterable[str], *texts: str) -> list[str]:
    """The secrets (or their URL-quoted forms) found in any of ``texts``."""
    forms = {form for secret in secrets for form in (secret, quote(secret, safe=""))}
    return sorted(form for form in forms for text in texts if form in text)


def described(error: BaseException | None) -> str:
    """An error as shown to users and in tracebacks, with the error it came from."""
    assert error is not None
    return f"{error} {error!r} {error.__cause__!r} {error.__cause__}"


def everything_shown(hass: HomeAssistant, caplog: pytest.LogCaptureFixture) -> str:
    """Every log line with its traceback, every state, and every repair issue."""
    states = [
        f"{state.entity_id} {state.state} {state.attributes}"
        for state in hass.states.async_all()
    ]
    issues = [repr(issue) for issue in ir.async_get(hass).issues.values()]
    return "\n".join([caplog.text, *states, *issues])


async def test_whitepool_key_and_secret_never_shown(
    hass: HomeAssistant,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """From adding the key to losing it: the key and its secret are never shown."""
    caplog.set_level(logging.DEBUG)
    secrets = (WHITEPOOL_API_KEY, WHITEPOOL_API_SECRET)
    errors: list[str] = []

    # Tried in the config flow with a wrong secret.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "whitepool"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY: WHITEPOOL_API_KEY,
            CONF_API_SECRET: "wrong-" + WHITEPOOL_API_SECRET,
            CONF_REGION: "com",
        },
    )
    assert result["errors"] == {"base": "whitepool_invalid_auth"}
    errors.append(str(result))
    hass.config_entries.flow.async_abort(result["flow_id"])

    # Then added (as the flow would with the right secret) and polled.
    entry = whitepool_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert coordinator.last_update_success

    # Rate limited until the entities go unavailable, then back.
    whitepool_mock.inject(None, Fault.RATE_LIMIT, count=None)
    for _ in range(2):
        await while_time_passes(hass, freezer, coordinator.async_refresh())
    errors.append(described(coordinator.last_exception))
    whitepool_mock.clear_faults()
    await coordinator.async_refresh()

    # A failing action.
    device = dr.async_get(hass).async_get_device_by_identifier(
        whitepool_account_identifier("my_miner_01"), entry.entry_id
    )
    whitepool_mock.inject(None, Fault.SERVER_ERROR)
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            DOMAIN,
            "set_payout_destination",
            {ATTR_DEVICE_ID: device.id, "destination": "main_balance"},
            blocking=True,
        )
    errors.append(described(failed.value))

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    # Out of reach, then the key refused: reauthentication is asked for.
    await whitepool_mock.stop()
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    errors.append(described(coordinator.last_exception))
    await whitepool_mock.start(port=whitepool_mock.port)
    whitepool_mock.api_secret = "rotated"
    await tick(hass, freezer, WHITEPOOL_SCAN_INTERVAL.total_seconds())
    errors.append(described(coordinator.last_exception))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == ["whitepool_reauth"]
    errors.append(str(flows))

    registry = er.async_get(hass)
    unique_ids = [
        registered.unique_id
        for registered in er.async_entries_for_config_entry(registry, entry.entry_id)
    ]
    assert len(unique_ids) > 10
    shown = everything_shown(hass, caplog)
    assert "Cannot connect to host" in shown  # the outage was logged
    assert "Unauthorized request" in errors[-2]  # the refusal is in the error
    assert (
        leaks(
            secrets,
            shown,
            json.dumps(diagnostics),
            *errors,
            str(entry.unique_id),
            entry.title,
            *unique_ids,
        )
        == []
    )


async def test_webminepool_key_never_shown(
    hass: HomeAssistant,
    webminepool_mock: WebMinePoolServer,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The key is part of every URL: pages that echo the URL must not carry it on."""
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "webminepool"}
    )
    webminepool_mock.inject("balance", WebMineFault.HTTP_404)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )
    errors.append(str(result))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )
    entry = result["result"]
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator

    # Before time passes: the diagnostics download's token is made at frozen time.
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    # Pages and errors that echo the URL, each failing a poll.
    for fault in (
        WebMineFault.HTTP_404,
        WebMineFault.HTTP_500,
        WebMineFault.INVALID_JSON,
        WebMineFault.INTERNAL_ERROR,
    ):
        webminepool_mock.inject("users", fault)
        await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())
        errors.append(described(coordinator.last_exception))

    # Failing actions.
    for action, data in (
        ("withdraw", {"username": "alice", "amount": 10**12}),
        ("check_token", {"token_id": "nope"}),
    ):
        with pytest.raises(HomeAssistantError) as failed:
            await hass.services.async_call(
                DOMAIN,
                action,
                {"config_entry_id": entry.entry_id, **data},
                blocking=True,
                return_response=True,
            )
        errors.append(described(failed.value))

    # Out of reach, then the key refreshed on WebMinePool: reauthentication.
    await webminepool_mock.stop()
    await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())
    errors.append(described(coordinator.last_exception))
    await webminepool_mock.start(port=webminepool_mock.port)
    webminepool_mock.secret_key = "PK_refreshed000000000000"
    await tick(hass, freezer, WEBMINEPOOL_SCAN_INTERVAL.total_seconds())
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == ["webminepool_reauth"]
    errors.append(str(flows))

    shown = everything_shown(hass, caplog)
    # The requests were logged, with the key redacted.
    assert "/api/**REDACTED**/users" in shown
    assert (
        leaks(
            [WEBMINEPOOL_SECRET_KEY],
            shown,
            json.dumps(diagnostics),
            *errors,
            str(entry.unique_id),
            entry.title,
        )
        == []
    )
