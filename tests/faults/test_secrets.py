"""Secrets: where a password could leak, and proof the suite's check would see it.

Every test of the fault suite ends with the ``secret_watch`` check (DEBUG logs,
exceptions, states, diagnostics, repair issues, flows). These tests aim at the
paths most likely to leak: passwords typed into flows, passwords sent by the
change_password action while the miner misbehaves, and the diagnostics download
itself; the first shows the check fails when a secret does show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import ATTR_DEVICE_ID, CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.hashwatt.const import (
    DOMAIN,
    SLOW_SCAN_INTERVAL,
    WEBMINEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SCAN_INTERVAL,
)
from simulator.webminepool import Fault as WebMineFault, WebMinePoolServer
from simulator.whatsminer import Fault, SimulatedMiner
from simulator.whitepool import Fault as WhiteFault, WhitePoolServer
from tests.conftest import PASSWORD, WEBMINEPOOL_SECRET_KEY, WHITEPOOL_API_SECRET

from .clock import advance, drive, settle
from .conftest import SecretWatch
from .report import SECRETS, CaseRecord

NEW_PASSWORD = "Nu_pass7"
TYPED_WRONG = "typo_Pw9"


async def test_the_check_finds_a_planted_secret(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each kind of place the check reads reports a secret put there."""
    watch = SecretWatch()
    watch.add("planted", "s3cr3t_planted")
    record = logging.LogRecord(
        "custom_components.hashwatt",
        logging.DEBUG,
        __file__,
        1,
        "pw=%s",
        ("s3cr3t_planted",),
        None,
    )
    watch.saw(HomeAssistantError("could not log in with s3cr3t_planted"))
    hass.states.async_set("sensor.planted", "1", {"note": "s3cr3t_planted"})
    ir.async_create_issue(
        hass,
        DOMAIN,
        "planted",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="write_disabled",
        translation_placeholders={"name": "s3cr3t_planted", "host": "x"},
    )
    try:
        leaks = watch.leaks(await watch.places(hass, [record]))
    finally:
        hass.states.async_remove("sensor.planted")
        ir.async_delete_issue(hass, DOMAIN, "planted")

    assert sorted(leak.split(" in ")[1].split(" ")[0] for leak in leaks) == [
        "exception",
        "log",
        "repair",
        "state",
    ]


async def test_passwords_typed_into_flows(  # noqa: PLR0917  # fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    secret_watch: SecretWatch,
    record_case: Callable[[CaseRecord], None],
) -> None:
    """A wrong password typed into reauthentication or a new entry stays out of sight."""
    secret_watch.add("mistyped password", TYPED_WRONG)
    simulated_miner.change_admin_password(NEW_PASSWORD)
    secret_watch.add("new miner password", NEW_PASSWORD)
    await advance(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    # Reauthentication: a typo first, then the right one.
    result = await drive(
        hass,
        freezer,
        hass.config_entries.flow.async_configure(
            flow["flow_id"], {CONF_PASSWORD: TYPED_WRONG}
        ),
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await drive(
        hass,
        freezer,
        hass.config_entries.flow.async_configure(
            flow["flow_id"], {CONF_PASSWORD: NEW_PASSWORD}
        ),
    )
    assert result["reason"] == "reauth_successful"
    await settle(hass, freezer)

    # A new entry for the same miner, with a typo: refused, and not echoed back.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    steps = [result["step_id"]]
    if result["type"] == "menu":
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "whatsminer"}
        )
        steps.append(result["step_id"])
    form = await drive(
        hass,
        freezer,
        hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_HOST: simulated_miner.host,
                CONF_PASSWORD: TYPED_WRONG,
                "ports": {
                    "v2_port": simulated_miner.v2_port,
                    "v3_port": init_integration.data["v3_port"],
                },
            },
        ),
    )
    steps.append(str(form.get("step_id") or form.get("reason")))
    record_case(
        CaseRecord(
            section=SECRETS,
            case="flows",
            fault="passwords typed into flows",
            user_sees=[f"steps: {' → '.join(steps)}"],
        )
    )


def _device(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, str(entry.unique_id)), entry.entry_id
    )
    assert device is not None
    return device.id


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
@pytest.mark.parametrize(
    ("fault", "options"),
    [
        (None, {}),
        (Fault.REFUSE, {}),
        (Fault.HANG, {}),
        (Fault.GARBAGE, {}),
        (Fault.RESET, {}),
        (Fault.WRITE_DISABLED, {}),
    ],
    ids=["no_fault", "refuse", "hang", "garbage", "reset", "write_disabled"],
)
async def test_change_password_under_faults(  # noqa: PLR0917  # fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    secret_watch: SecretWatch,
    fault: Fault | None,
    options: dict[str, Any],
) -> None:
    """The new password of change_password shows nowhere, whatever the miner does."""
    secret_watch.add("password being set", NEW_PASSWORD)
    if fault is not None:
        simulated_miner.inject(fault, **options)

    error: HomeAssistantError | None = None
    try:
        await drive(
            hass,
            freezer,
            hass.services.async_call(
                DOMAIN,
                "change_password",
                {
                    ATTR_DEVICE_ID: _device(hass, init_integration),
                    "new_password": NEW_PASSWORD,
                },
                blocking=True,
            ),
        )
    except HomeAssistantError as raised:
        secret_watch.saw(raised)
        error = raised

    state = simulated_miner.state
    if fault is None:
        assert error is None
        assert NEW_PASSWORD in (state.password, state.accounts["super"])
    elif error is not None:
        assert error.translation_domain == DOMAIN
    simulated_miner.clear_faults()
    await settle(hass, freezer)


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_diagnostics_download(  # noqa: PLR0917  # fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    secret_watch: SecretWatch,
    record_case: Callable[[CaseRecord], None],
    miner_api: str,
) -> None:
    """The diagnostics download, while the password is refused, holds no password."""
    simulated_miner.change_admin_password(NEW_PASSWORD)
    simulated_miner.state.accounts["super"] = NEW_PASSWORD
    secret_watch.add("new miner password", NEW_PASSWORD)
    await advance(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    text = str(diagnostics)
    assert PASSWORD not in text
    assert NEW_PASSWORD not in text
    assert diagnostics["entry"]["data"][CONF_PASSWORD] == "**REDACTED**"
    record_case(
        CaseRecord(
            section=SECRETS,
            case=f"diagnostics-{miner_api}",
            fault="diagnostics download (HTTP) while the password is refused",
            target=f"API {miner_api}",
        )
    )


@pytest.mark.parametrize(
    ("pool", "fault"),
    [
        ("webminepool", WebMineFault.HTTP_404),
        ("webminepool", WebMineFault.INVALID_JSON),
        ("webminepool", WebMineFault.INVALID_KEY),
        ("whitepool", WhiteFault.AUTH_SIGNATURE),
        ("whitepool", WhiteFault.SERVER_ERROR),
    ],
)
async def test_pool_diagnostics_download(  # noqa: PLR0917  # fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whitepool_mock: WhitePoolServer,
    webminepool_mock: WebMinePoolServer,
    init_whitepool: MockConfigEntry,
    init_webminepool: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    secret_watch: SecretWatch,
    record_case: Callable[[CaseRecord], None],
    pool: str,
    fault: WebMineFault | WhiteFault,
) -> None:
    """A pool's diagnostics, after a failure that echoes the request, hold no secret."""
    secret_watch.add("WhiteBIT API secret", WHITEPOOL_API_SECRET)
    secret_watch.add("WebMinePool secret key", WEBMINEPOOL_SECRET_KEY)
    mock: WhitePoolServer | WebMinePoolServer
    entry, mock, interval = (
        (init_webminepool, webminepool_mock, WEBMINEPOOL_SCAN_INTERVAL)
        if pool == "webminepool"
        else (init_whitepool, whitepool_mock, WHITEPOOL_SCAN_INTERVAL)
    )
    mock.inject(None, fault, count=None)
    await advance(hass, freezer, interval.total_seconds())
    assert entry.runtime_data.coordinator.last_update_success is False

    text = str(await get_diagnostics_for_config_entry(hass, hass_client, entry))

    assert WHITEPOOL_API_SECRET not in text
    assert WEBMINEPOOL_SECRET_KEY not in text
    mock.clear_faults()
    record_case(
        CaseRecord(
            section=SECRETS,
            case=f"diagnostics-{pool}-{fault.value}",
            fault=f"{pool} diagnostics download (HTTP) after {fault.value}",
            target=pool,
        )
    )
