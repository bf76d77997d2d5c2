"""The miner fault matrix: one scenario per fault the simulator can show, one battery.

Each scenario runs two miners in Home Assistant's test harness: the faulty one
and a bystander no fault touches. While the fault lasts, the miner's world moves
on (its power limit and firmware change), so a value kept from before the fault
can be told from a current one. Every scenario then checks the same things:

- nothing reaches Home Assistant's log as an exception or an unexpected error;
- exactly the expected entities are unavailable, and none of the bystander's;
- what is shown is current: an entity either is unavailable or shows the
  miner's present value;
- the integration logs the outage once, and its end once;
- the right flow (reauthentication) or repair issue appears, and no other;
- an action during the fault fails with a translated error, or works, and is
  sent at most once; a power-off is never sent twice; nothing is re-sent later;
- after the fault clears, the miner recovers within the scenario's bound
  (one poll for most), showing current values;
- the miner keeps its one device.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_DHCP, SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PASSWORD,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import (
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    SLOW_SCAN_INTERVAL,
)
from custom_components.hashwatt.coordinator import write_disabled_issue_id
from simulator.whatsminer import Fault, RecordedRequest, SimulatedMiner
from simulator.whatsminer.faults import V2_QUIRKS as SIMULATED_V2_QUIRKS
from tests.conftest import PASSWORD, TITLE, miner_entry_data

from .clock import advance, drive, settle
from .conftest import (
    BYSTANDER_TITLE,
    SecretWatch,
    entity_ids,
    escaped_errors,
    recovered_lines,
    unavailable_lines,
)
from .report import MINER, CaseRecord

SCAN = DEFAULT_SCAN_INTERVAL
SLOW = SLOW_SCAN_INTERVAL.total_seconds()
# Unavailable while the write API is off: buttons. Switches, numbers and selects
# are a setting's one entity and keep showing what the miner reports.
CONTROL_DOMAINS = frozenset({"button"})
# One entity per setting: the control shows what the miner reports.
POWER_LIMIT = "number.miner_1_power_limit_restarts_mining"
FIRMWARE_SENSOR = "sensor.miner_1_firmware"
POWER_SENSOR = "sensor.miner_1_power"
MINING_SWITCH = "switch.miner_1_mining"
# What the action sets during a fault; no simulated miner starts with it.
ASKED_POWER_LIMIT = 3333
# The miner's hardware changes while the fault lasts (set by hand, or another tool).
LIMIT_DURING_FAULT = 3210
NEW_FIRMWARE = {"v2": "20240105.14.Rel", "v3": "20250601.16.Rel2"}
NEW_PASSWORD = "n3w_Pass"
MOVED_TO = "127.0.0.2"

type Unavailable = Literal["all", "controls", "none"]


# --- What a miner was sent ----------------------------------------------------------------


def power_limit_sends(miner: SimulatedMiner) -> int:
    """Count the power-limit writes that reached the miner, accepted or not."""
    names = {"adjust_power_limit", "set.miner.power_limit"}
    return sum(request.command in names for request in miner.requests)


def power_limit_accepted(miner: SimulatedMiner) -> int:
    """Count the power-limit writes whose token the miner accepted."""
    names = {"adjust_power_limit", "set.miner.power_limit"}
    return sum(
        request.command in names and request.authenticated for request in miner.requests
    )


def _is_power_off(request: RecordedRequest) -> bool:
    return request.command == "power_off" or (
        request.command == "set.miner.service" and request.params.get("param") == "stop"
    )


def power_off_sends(miner: SimulatedMiner) -> int:
    """Count the power-offs that reached the miner, accepted or not."""
    return sum(_is_power_off(request) for request in miner.requests)


def power_off_accepted(miner: SimulatedMiner) -> int:
    """Count the power-offs whose token the miner accepted."""
    return sum(
        _is_power_off(request) and request.authenticated for request in miner.requests
    )


# --- Scenarios ------------------------------------------------------------------------------


@dataclass
class Case:
    """One running scenario: Home Assistant, the faulty miner, its entry, and more."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    miner: SimulatedMiner
    entry: MockConfigEntry
    bystander: MockConfigEntry
    watch: SecretWatch
    # Unavailable before any fault, for want of inputs from elsewhere (a sensor
    # needing a pool entry): left out of what the fault is judged by.
    baseline: frozenset[str] = frozenset()

    def state(self, entity_id: str) -> str:
        """Return an entity's state (it must exist)."""
        state = self.hass.states.get(entity_id)
        assert state is not None, entity_id
        return state.state


type Step = Callable[[Case], Awaitable[None]]


async def _clear(case: Case) -> None:
    case.miner.clear_faults()


@dataclass(frozen=True, eq=False)
class Inject:
    """A step arming simulator faults (so the matrix can tell which it covers)."""

    fault: Fault
    options: dict[str, Any] = field(default_factory=dict)
    # Sets the miner up so the fault shows (a quirk of a state it is not in).
    before: Callable[[SimulatedMiner], None] | None = None
    and_then: Inject | None = None

    async def __call__(self, case: Case) -> None:
        if self.before is not None:
            self.before(case.miner)
        case.miner.inject(self.fault, **self.options)
        if self.and_then is not None:
            await self.and_then(case)

    @property
    def faults(self) -> set[Fault]:
        """Every fault this step arms."""
        return {self.fault} | (self.and_then.faults if self.and_then else set())


def _inject(fault: Fault, **options: Any) -> Inject:
    return Inject(fault, options)


def _stop_mining(miner: SimulatedMiner) -> None:
    """Stop mining by hand first: old firmware's status quirk shows only then."""
    miner.set_mining(miner.clock(), mining=False)


def _report_errors(miner: SimulatedMiner) -> None:
    """Make the miner report errors (API 2.0.4 then lists them in its broken form)."""
    miner.add_error(329)
    miner.add_error(531)


async def _change_password(case: Case) -> None:
    """Someone changes the admin password on the miner (WhatsMinerTool, web page)."""
    case.miner.change_admin_password(NEW_PASSWORD)
    case.miner.state.accounts["super"] = NEW_PASSWORD
    case.watch.add("new miner password", NEW_PASSWORD)


async def _move(case: Case) -> None:
    """The miner gets another address from DHCP."""
    await case.miner.change_address(host=MOVED_TO)


async def _another_miner(case: Case) -> None:
    """Another miner answers at the address (the MAC it reports is not this one's)."""
    case.miner.state.extra["mac"] = case.miner.state.mac
    case.miner.state.mac = "C6:07:20:00:00:42"


async def _same_miner_again(case: Case) -> None:
    case.miner.state.mac = case.miner.state.extra.pop("mac")


async def _reauthenticate(case: Case) -> None:
    """The user answers the reauthentication flow with the miner's new password."""
    hass = case.hass
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await drive(
        hass,
        case.freezer,
        hass.config_entries.flow.async_configure(
            flow["flow_id"], {CONF_PASSWORD: NEW_PASSWORD}
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await settle(hass, case.freezer)


async def _discover(case: Case) -> None:
    """DHCP sees the miner at its new address."""
    hass = case.hass
    result = await drive(
        hass,
        case.freezer,
        hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=DhcpServiceInfo(
                ip=MOVED_TO,
                hostname="whatsminer",
                macaddress=case.miner.state.mac.replace(":", "").lower(),
            ),
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await settle(hass, case.freezer)
    assert case.entry.data[CONF_HOST] == MOVED_TO


async def _nothing(case: Case) -> None:
    """The fault ends by itself (a reboot finishes)."""


async def _user_turns_mining_on(case: Case) -> None:
    await drive(
        case.hass,
        case.freezer,
        case.hass.services.async_call(
            "switch", "turn_on", {ATTR_ENTITY_ID: MINING_SWITCH}, blocking=True
        ),
    )


@dataclass(frozen=True, kw_only=True)
class MinerFault:
    """A fault, what it does to the user, and how it ends."""

    name: str  # as the report shows it
    api: str
    inject: Step
    unavailable: Unavailable
    clear: Step = _clear
    clear_how: str = "the fault clears"
    # Log lines the integration writes about this miner: when it fails, when it recovers.
    log_lines: tuple[int, int] = (1, 1)
    flow: str | None = None
    repair: bool = False
    # Translation keys the action may fail with during the fault; empty: it works.
    write_errors: frozenset[str] = frozenset()
    # How often a write may reach the miner: once, or twice when the miner
    # refuses its token (v2 code 135, v3 after a password change) and it goes
    # again with a new one. Never twice with a token the miner accepted.
    max_sends: int = 1
    # Time from the fault clearing to the miner's entities being back and current.
    recovers_within: timedelta = timedelta(seconds=SCAN)
    # Checks of what is shown during the fault; return a note for the report.
    check: Callable[[Case], str | None] | None = None
    # Fast polls after the slow one before the fault shows (it starts mid-poll).
    polls_to_show: int = 0
    # Recovery reloads the entry (new polls: no "recovered" line).
    reloads: bool = False
    # A known bug of the integration: the case is expected to fail (strict).
    known_bug: str | None = None

    @property
    def case_id(self) -> str:
        return f"{self.name.lower().replace(' ', '_')}-{self.api}"


def _power_unknown(case: Case) -> str:
    state = case.state(POWER_SENSOR)
    assert state == "unknown", f"power shows {state} while the miner says unknown"
    return "power shows unknown (not the last figure)"


def _mining_off(case: Case) -> str:
    assert case.state(MINING_SWITCH) == "off"
    return "mining shows off"


def _error_count(case: Case) -> str:
    assert case.state("sensor.miner_1_errors") == str(len(case.miner.state.errors))
    return "error codes read"


def _psu_read(case: Case) -> str:
    float(case.state("sensor.miner_1_psu_temperature"))
    return "PSU figures read"


def _firmware_clean(case: Case) -> str:
    assert case.state(FIRMWARE_SENSOR) == case.miner.state.firmware_version
    return "firmware read without the quotes"


# Any translated error will do, as long as the write fails.
ANY_ERROR = frozenset({"*"})
OUTAGE_ERRORS = frozenset({"communication_error", "command_invalid_reply"})

TRANSPORT_FAULTS = [
    fault
    for api in ("v2", "v3")
    for fault in (
        MinerFault(
            name="Connection refused",
            api=api,
            inject=_inject(Fault.REFUSE),
            unavailable="all",
            write_errors=frozenset({"communication_error"}),
        ),
        MinerFault(
            name="Hang (no reply)",
            api=api,
            inject=_inject(Fault.HANG),
            unavailable="all",
            write_errors=frozenset({"communication_error"}),
        ),
        MinerFault(
            name="Reset mid-reply",
            api=api,
            inject=_inject(Fault.RESET),
            unavailable="all",
            write_errors=OUTAGE_ERRORS,
        ),
        MinerFault(
            name="Truncated reply",
            api=api,
            inject=_inject(Fault.TRUNCATE),
            unavailable="all",
            write_errors=OUTAGE_ERRORS,
        ),
        MinerFault(
            name="Garbage reply",
            api=api,
            inject=_inject(Fault.GARBAGE),
            unavailable="all",
            write_errors=OUTAGE_ERRORS,
        ),
        MinerFault(
            name="Slow replies (4 s)",
            api=api,
            inject=_inject(Fault.SLOW, delay=4.0),
            unavailable="none",
            log_lines=(0, 0),
        ),
        MinerFault(
            name="Slow replies (15 s, past the reply timeout)",
            api=api,
            inject=_inject(Fault.SLOW, delay=15.0),
            unavailable="all",
            write_errors=frozenset({"communication_error"}),
        ),
        MinerFault(
            name="Power reported as -1",
            api=api,
            inject=_inject(Fault.POWER_UNKNOWN),
            unavailable="none",
            log_lines=(0, 0),
            check=_power_unknown,
        ),
        MinerFault(
            name="Write API disabled",
            api=api,
            inject=_inject(Fault.WRITE_DISABLED),
            unavailable="controls",
            log_lines=(0, 0),
            repair=True,
            write_errors=frozenset({"write_disabled"}),
            # The repair says so: the slow poll checks the write API every 5 minutes.
            recovers_within=SLOW_SCAN_INTERVAL,
        ),
        MinerFault(
            name="Silent reboot",
            api=api,
            inject=_inject(Fault.SILENT_REBOOT, count=1, downtime=120.0),
            unavailable="all",
            clear=_nothing,
            clear_how="the miner is back (120 s)",
            write_errors=frozenset({"communication_error"}),
            recovers_within=timedelta(seconds=120 + SCAN),
        ),
        MinerFault(
            name="Silent power-off",
            api=api,
            inject=_inject(Fault.SILENT_POWER_OFF, count=1),
            unavailable="none",
            polls_to_show=1,
            log_lines=(0, 0),
            clear=_user_turns_mining_on,
            clear_how="the user turns mining on",
            check=_mining_off,
        ),
        MinerFault(
            name="Password changed on the miner",
            api=api,
            inject=_change_password,
            unavailable="all",
            clear=_reauthenticate,
            clear_how="the user enters the new password",
            log_lines=(1, 0),
            reloads=True,
            flow=SOURCE_REAUTH,
            write_errors=frozenset({"auth_failed"}),
            max_sends=2 if api == "v3" else 1,
            recovers_within=timedelta(),
        ),
        MinerFault(
            name="Address changed",
            api=api,
            inject=_move,
            unavailable="all",
            clear=_discover,
            clear_how="DHCP discovery sees it at its new address",
            log_lines=(1, 0),
            reloads=True,
            write_errors=frozenset({"communication_error"}),
            recovers_within=timedelta(),
        ),
        MinerFault(
            name="Another miner at the address",
            api=api,
            inject=_another_miner,
            unavailable="all",
            clear=_same_miner_again,
            clear_how="the miner is back at its address",
            # Commands carry no MAC: one sent now would reach the other miner.
            write_errors=ANY_ERROR,
            max_sends=0,
        ),
        *(
            MinerFault(
                name=name,
                api=api,
                inject=_inject(
                    fault,
                    commands={"power_off" if api == "v2" else "set.miner.service"},
                ),
                unavailable="none",
                log_lines=(0, 0),
                check=None,
            )
            for name, fault in (
                ("Power-off answered by silence", Fault.HANG),
                ("Power-off answered by a reset", Fault.RESET),
                ("Power-off answered by garbage", Fault.GARBAGE),
            )
        ),
        MinerFault(
            name="Garbled replies to one slow-poll read",
            api=api,
            inject=_inject(
                Fault.GARBAGE,
                commands={"get_miner_info" if api == "v2" else "get.miner.setting"},
            ),
            # Every entity: the slow poll also tells whether it is the same miner.
            unavailable="all",
        ),
    )
]

V2_QUIRKS = [
    MinerFault(
        name=name,
        api="v2",
        inject=inject,
        unavailable="none",
        log_lines=(0, 0),
        check=check,
    )
    for name, inject, check in (
        ("NUL after the reply", _inject(Fault.NUL_TERMINATED), None),
        ("Trailing comma", _inject(Fault.TRAILING_COMMA), None),
        ("No comma between objects", _inject(Fault.OBJECT_JOIN), None),
        ("Comma opening a list", _inject(Fault.LIST_LEADING_COMMA), None),
        (
            "get_psu without the comma before temp0",
            _inject(Fault.PSU_TEMP0_COMMA),
            _psu_read,
        ),
        (
            "API 2.0.4 error-code list",
            Inject(Fault.ERROR_CODE_LIST, before=_report_errors),
            _error_count,
        ),
        ("Quoted firmware version", _inject(Fault.QUOTED_FIRMWARE), _firmware_clean),
        ("Invalid UTF-8", _inject(Fault.BAD_UTF8), None),
        (
            "btmineroff (old firmware)",
            Inject(Fault.OLD_STATUS, before=_stop_mining),
            _mining_off,
        ),
        ("api_ver as text", _inject(Fault.API_VER_TEXT), None),
        ("Compatibility layer on 4028", _inject(Fault.COMPAT_LAYER), None),
    )
] + [
    MinerFault(
        name="Token rejected once (135)",
        api="v2",
        inject=_inject(
            Fault.TOKEN_CHECK_ERROR, count=1, commands={"adjust_power_limit"}
        ),
        unavailable="none",
        log_lines=(0, 0),
        max_sends=2,
    ),
    MinerFault(
        name="Every token rejected (135)",
        api="v2",
        inject=_inject(Fault.TOKEN_CHECK_ERROR),
        # Reads work; only writes fail, with the miner's own error.
        unavailable="none",
        log_lines=(0, 0),
        write_errors=frozenset({"command_refused"}),
        max_sends=2,
    ),
    MinerFault(
        name="No token left (136)",
        api="v2",
        # The cached token is refused once: a new one is needed, and none is left.
        inject=Inject(
            Fault.TOKEN_CHECK_ERROR,
            {"count": 1, "commands": {"adjust_power_limit"}},
            and_then=_inject(Fault.TOKEN_LIMIT),
        ),
        unavailable="none",
        log_lines=(0, 0),
        write_errors=frozenset({"token_limit"}),
    ),
]


MINER_FAULTS = [*TRANSPORT_FAULTS, *V2_QUIRKS]


# --- The battery ------------------------------------------------------------------------------


def _entities(case: Case, entry: MockConfigEntry) -> set[str]:
    return entity_ids(case.hass, entry) - case.baseline


def _unavailable(case: Case, entry: MockConfigEntry) -> set[str]:
    return {
        entity_id
        for entity_id in _entities(case, entry)
        if case.state(entity_id) == STATE_UNAVAILABLE
    }


def _expected_unavailable(case: Case, kind: Unavailable) -> set[str]:
    entities = _entities(case, case.entry)
    if kind == "all":
        return entities
    if kind == "controls":
        return {e for e in entities if e.split(".")[0] in CONTROL_DOMAINS}
    return set()


def _stale(case: Case) -> list[str]:
    """Return the entities showing a figure the miner no longer reports."""
    stale = []
    miner = case.miner.state
    for entity_id, current in ((POWER_LIMIT, float(miner.power_limit)),):
        state = case.state(entity_id)
        if state != STATE_UNAVAILABLE and float(state) != current:
            stale.append(f"{entity_id} shows {state}, the miner says {current:g}")
    mining = "on" if miner.mining else "off"
    for entity_id in (MINING_SWITCH,):
        state = case.state(entity_id)
        if state not in (STATE_UNAVAILABLE, mining):
            stale.append(f"{entity_id} shows {state}, the miner is {mining}")
    return stale


def _current(case: Case) -> list[str]:
    """Return what keeps the miner from counting as recovered, if anything."""
    problems = sorted(_unavailable(case, case.entry))
    problems += _stale(case)
    if case.state(POWER_LIMIT) == STATE_UNAVAILABLE:
        return problems
    if (firmware := case.state(FIRMWARE_SENSOR)) != case.miner.state.firmware_version:
        problems.append(f"firmware shows {firmware}")
    return problems


def _device_ids(case: Case) -> dict[str, set[str]]:
    registry = dr.async_get(case.hass)
    return {
        entry.entry_id: {
            device.id
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        }
        for entry in (case.entry, case.bystander)
    }


async def _write_power_limit(case: Case) -> str | None:
    """Ask for a new power limit through the action; return its error's key, if any."""
    device = dr.async_get(case.hass).async_get_device_by_identifier(
        (DOMAIN, str(case.entry.unique_id)), case.entry.entry_id
    )
    assert device is not None
    try:
        await drive(
            case.hass,
            case.freezer,
            case.hass.services.async_call(
                DOMAIN,
                "set_power_limit",
                {ATTR_DEVICE_ID: device.id, "power_limit": ASKED_POWER_LIMIT},
                blocking=True,
            ),
        )
    except HomeAssistantError as error:
        case.watch.saw(error)
        return _translated(error)
    return None


def _translated(error: HomeAssistantError) -> str:
    """Return the translation key of an error, which must be a translated one of ours."""
    assert error.translation_domain == DOMAIN, repr(error)
    assert error.translation_key is not None
    # The message is the English text, its placeholders filled in.
    assert "{" not in str(error), str(error)
    return error.translation_key


async def _switch_mining_off(case: Case) -> str:
    """Turn the mining switch off; return what happened."""
    if case.state(MINING_SWITCH) == STATE_UNAVAILABLE:
        # Home Assistant does not call unavailable entities: nothing is sent.
        await case.hass.services.async_call(
            "switch", "turn_off", {ATTR_ENTITY_ID: MINING_SWITCH}, blocking=True
        )
        return "skipped (switch unavailable)"
    try:
        await drive(
            case.hass,
            case.freezer,
            case.hass.services.async_call(
                "switch", "turn_off", {ATTR_ENTITY_ID: MINING_SWITCH}, blocking=True
            ),
        )
    except HomeAssistantError as error:
        case.watch.saw(error)
        return f"fails: {_translated(error)}"
    return "done"


def _describe_unavailable(case: Case, unavailable: set[str]) -> str:
    total = len(_entities(case, case.entry))
    if not unavailable:
        return "nothing unavailable, figures current"
    if len(unavailable) == total:
        return f"all {total} entities unavailable"
    return f"buttons unavailable ({len(unavailable)} of {total}), the rest current"


@pytest.fixture
def loopback_network(socket_enabled: None) -> Any:
    """Let connections reach every loopback address (a miner that moves)."""
    import pytest_socket

    pytest_socket.socket_allow_hosts(["127.0.0.1", "127.0.0.0/8"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


def _params(scenarios: list[MinerFault]) -> list[Any]:
    return [
        pytest.param(
            scenario.api,
            scenario,
            id=scenario.case_id,
            marks=[pytest.mark.xfail(strict=True, reason=scenario.known_bug)]
            if scenario.known_bug
            else [],
        )
        for scenario in scenarios
    ]


def test_every_simulator_fault_is_in_the_matrix() -> None:
    """Each fault the simulator can show has a scenario, on each API it exists for."""
    armed = {
        (fault, scenario.api)
        for scenario in MINER_FAULTS
        if isinstance(scenario.inject, Inject)
        for fault in scenario.inject.faults
    }
    # Reply quirks, tokens and the compatibility layer belong to API v2.
    v2_only = SIMULATED_V2_QUIRKS | {
        Fault.TOKEN_CHECK_ERROR,
        Fault.TOKEN_LIMIT,
        Fault.COMPAT_LAYER,
    }
    wanted = {(fault, "v2") for fault in Fault} | {
        (fault, "v3") for fault in Fault if fault not in v2_only
    }
    assert wanted <= armed, sorted(wanted - armed)


# The firmware sensor, read here, is disabled by default.
@pytest.mark.usefixtures("loopback_network", "entity_registry_enabled_by_default")
@pytest.mark.parametrize(("miner_api", "scenario"), _params(MINER_FAULTS))
async def test_miner_fault(  # noqa: PLR0917  # fixtures and the scenario
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    bystander: MockConfigEntry,
    secret_watch: SecretWatch,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
    record_case: Callable[[CaseRecord], None],
    scenario: MinerFault,
) -> None:
    """One fault, the whole battery; what is seen is recorded before it is judged."""
    case = Case(
        hass, freezer, simulated_miner, init_integration, bystander, secret_watch
    )
    miner = simulated_miner
    record = CaseRecord(
        section=MINER,
        case=scenario.case_id,
        fault=scenario.name,
        target=f"API {scenario.api}",
        facts={"known_bug": scenario.known_bug},
    )
    record_case(record)
    sees = record.user_sees
    devices_before = _device_ids(case)
    case.baseline = frozenset(
        _unavailable(case, init_integration) | _unavailable(case, bystander)
    )
    record.facts["unavailable_before"] = sorted(case.baseline)
    assert not _current(case)
    caplog.clear()

    # The fault starts, and the miner's world moves on meanwhile.
    await scenario.inject(case)
    miner.state.power_limit = LIMIT_DURING_FAULT
    miner.state.firmware_version = NEW_FIRMWARE[miner.api]
    # A slow poll is due: both polls meet the fault.
    await advance(hass, freezer, SLOW)
    for _ in range(scenario.polls_to_show):
        await advance(hass, freezer, SCAN)

    unavailable = _unavailable(case, init_integration)
    sees.append(_describe_unavailable(case, unavailable))
    assert unavailable == _expected_unavailable(case, scenario.unavailable)
    assert not _unavailable(case, bystander)
    assert not _stale(case)
    if scenario.check and (note := scenario.check(case)):
        sees.append(note)
    flows = [
        flow["context"]["source"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    ]
    if flows:
        sees.append(f"{', '.join(flows)} flow started")
    assert flows == ([scenario.flow] if scenario.flow else [])
    issues = {
        issue_id for (domain, issue_id) in issue_registry.issues if domain == DOMAIN
    }
    if issues:
        sees.append("repair issue: write API disabled")
    assert issues == (
        {write_disabled_issue_id(init_integration)} if scenario.repair else set()
    )

    # A write during the fault: translated error or done, and sent at most once.
    write_error = await _write_power_limit(case)
    sees.append(f"action fails: {write_error}" if write_error else "action works")
    if scenario.write_errors == ANY_ERROR:
        assert write_error is not None
    elif scenario.write_errors:
        assert write_error in scenario.write_errors
    else:
        assert write_error is None
    power_off = await _switch_mining_off(case)
    limit_sends = power_limit_sends(miner)
    off_sends = power_off_sends(miner)
    sees.append(_power_off(power_off, off_sends))
    if max(limit_sends, off_sends) > 1:
        sees.append("a write the miner refused for its token went again with a new one")
    assert limit_sends <= scenario.max_sends
    assert off_sends <= max(scenario.max_sends, 1)
    assert power_limit_accepted(miner) <= 1
    assert power_off_accepted(miner) <= 1
    # Still one reauthentication flow, however many writes met the wrong password.
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == len(flows)

    # The fault ends; the miner must be back, and current, within the bound.
    await scenario.clear(case)
    waited = timedelta()
    while _current(case) and waited < scenario.recovers_within:
        await advance(hass, freezer, SCAN)
        waited += timedelta(seconds=SCAN)
    record.recovery = _recovery(
        scenario, unavailable, round(waited.total_seconds() / SCAN)
    )
    assert not _current(case), _current(case)
    assert init_integration.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert not issue_registry.issues
    # Nothing was sent again once the miner answered.
    assert power_limit_sends(miner) == limit_sends
    assert power_off_sends(miner) == off_sends
    assert _device_ids(case) == devices_before
    assert not _unavailable(case, bystander)

    records = caplog.records
    failed = unavailable_lines(records, TITLE)
    recovered = recovered_lines(records, TITLE)
    sees.append(_log(len(failed), len(recovered)))
    assert not escaped_errors(records)
    assert (len(failed), len(recovered)) == scenario.log_lines, (failed, recovered)
    assert not unavailable_lines(records, BYSTANDER_TITLE)
    record.facts |= {
        "unavailable": len(unavailable),
        "write_error": write_error,
        "power_limit_sends": limit_sends,
        "power_off_sends": off_sends,
        "log_lines": [len(failed), len(recovered)],
    }


def _recovery(scenario: MinerFault, unavailable: set[str], polls: int) -> str:
    if scenario.reloads:
        return f"{scenario.clear_how}: the entry reloads, current at once"
    if not unavailable and polls <= 1:
        return f"nothing became unavailable; {scenario.clear_how}"
    if polls == 0:
        return f"{scenario.clear_how}: current at once"
    if polls == 1:
        return f"{scenario.clear_how}: current at the next poll"
    return f"{scenario.clear_how}: current at the poll after it answers ({polls} polls)"


def _power_off(outcome: str, sends: int) -> str:
    if not sends:
        return f"power-off {outcome}, never reached the miner"
    times = {1: "once", 2: "twice"}.get(sends, f"{sends} times")
    return f"power-off {outcome}, reached the miner {times}"


def _log(failed: int, recovered: int) -> str:
    if not failed and not recovered:
        return "log: nothing"
    return f"log: {failed} line when it fails, {recovered} when it recovers"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # the firmware sensor
@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_wrong_password_at_setup(  # noqa: PLR0917  # fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulated_miner: SimulatedMiner,
    secret_watch: SecretWatch,
    caplog: pytest.LogCaptureFixture,
    record_case: Callable[[CaseRecord], None],
    miner_api: str,
) -> None:
    """An entry whose stored password the miner refuses: reauthentication, nothing written."""
    wrong = "Wr0ng_pw"
    secret_watch.add("wrong password", wrong)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=format_mac(simulated_miner.state.mac),
        data=miner_entry_data(simulated_miner, password=wrong),
    )
    entry.add_to_hass(hass)
    record = CaseRecord(
        section=MINER,
        case=f"wrong_password-{miner_api}",
        fault="Wrong password (at setup)",
        target=f"API {miner_api}",
    )
    record_case(record)

    await drive(hass, freezer, hass.config_entries.async_setup(entry.entry_id))
    await settle(hass, freezer)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    # Nothing is shown from a miner Home Assistant cannot vouch for.
    assert not entity_ids(hass, entry)
    assert not [r for r in simulated_miner.requests if r.authenticated]
    requests = len(simulated_miner.requests)
    for _ in range(3):  # the entry waits for the user; it does not hammer the miner
        await advance(hass, freezer, SCAN)
    assert len(simulated_miner.requests) == requests
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == 1

    result = await drive(
        hass,
        freezer,
        hass.config_entries.flow.async_configure(
            flows[0]["flow_id"], {CONF_PASSWORD: PASSWORD}
        ),
    )
    await settle(hass, freezer)

    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    runtime = entry.runtime_data
    assert runtime.fast.last_update_success
    assert runtime.slow.last_update_success
    assert runtime.writable
    # Both polls' entities, and a control, show the miner now.
    assert float(hass.states.get(POWER_LIMIT).state) == (
        simulated_miner.state.power_limit
    )
    assert hass.states.get(FIRMWARE_SENSOR).state == (
        simulated_miner.state.firmware_version
    )
    assert hass.states.get(MINING_SWITCH).state == "on"
    assert (
        len(dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)) == 1
    )
    records = caplog.records
    assert not escaped_errors(records)
    record.user_sees = [
        f"entry {ConfigEntryState.SETUP_ERROR.value}, no entities",
        "reauth flow started",
        "no command accepted by the miner",
        _log(len(unavailable_lines(records, TITLE)), 0),
    ]
    record.recovery = "the user enters the right password: loaded and current at once"
