"""The pool fault matrix: every failure the mock pool servers can answer, one battery.

Both pool entries run against their mocks (real HTTP on 127.0.0.1): the faulty
one, and the other as a bystander no fault touches. While the fault lasts the
account's world moves on (a worker comes back to full speed, the site's balance
grows), so a figure kept from before the fault can be told from a current one.
Every scenario checks the same things as the miner matrix: nothing escapes to
the log; the faulty entry's entities (and no others) are unavailable, or current;
one line when polls start failing and one when they recover; reauthentication
for a refused key and nothing else; an action during the fault fails with a
translated error and is sent at most once; recovery at the first poll after the
fault clears; the entry keeps its devices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, CONF_API_KEY, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import (
    CONF_API_SECRET,
    CONF_SECRET_KEY,
    DOMAIN,
    WEBMINEPOOL_SCAN_INTERVAL,
    WHITEPOOL_SCAN_INTERVAL,
)
from custom_components.hashwatt.entity import whitepool_account_identifier
from simulator.webminepool import Fault as WebMineFault, WebMinePoolServer
from simulator.whitepool import Fault as WhiteFault, WhitePoolServer
from tests.conftest import (
    WEBMINEPOOL_SECRET_KEY,
    WHITEPOOL_API_KEY,
    WHITEPOOL_API_SECRET,
)

from .clock import advance, drive, settle
from .conftest import (
    SecretWatch,
    entity_ids,
    escaped_errors,
    recovered_lines,
    unavailable_lines,
)
from .report import POOL, CaseRecord

WHITEPOOL = "WhiteBIT mining pool"
WEBMINEPOOL = "WebMinePool"
ACCOUNT = "my_miner_01"
# A worker running at a quarter of its speed; it recovers during the fault.
SLOW_WORKER = "my_miner_01.m21s_01"
WORKERS_ONLINE = "sensor.my_miner_01_workers_online"
BALANCE = "sensor.webminepool_balance"
PAYOUT_EDIT = "/api/v4/mining/payout-destination/edit"


@dataclass(frozen=True, kw_only=True)
class PoolFault:
    """A failure of a pool's API, and what it must do to the user."""

    name: str
    pool: str  # WHITEPOOL or WEBMINEPOOL
    fault: WhiteFault | WebMineFault
    flow: str | None = None
    # Failed polls before the entities go: WhiteBIT's rate limiting is waited out once.
    polls_to_show: int = 1
    known_bug: str | None = None

    @property
    def case_id(self) -> str:
        return f"{self.pool.split()[0].lower()}-{self.fault.value}"


WHITEPOOL_FAULTS = [
    PoolFault(
        name=name,
        pool=WHITEPOOL,
        fault=fault,
        flow=SOURCE_REAUTH if fault.value.startswith("auth") else None,
        polls_to_show=2 if fault is WhiteFault.RATE_LIMIT else 1,
    )
    for name, fault in (
        ("API key disabled (403, code 2)", WhiteFault.AUTH_DISABLED),
        ("Key lacks the permission (403, code 4)", WhiteFault.AUTH_PERMISSION),
        ("Invalid payload (400, code 9)", WhiteFault.AUTH_PAYLOAD),
        ("Invalid signature (401, code 10)", WhiteFault.AUTH_SIGNATURE),
        ("Validation error (400)", WhiteFault.VALIDATION),
        ("Nonce outside the window (422 Incorrect timestamp)", WhiteFault.TIMESTAMP),
        ("Rate limited or nonce reused (429)", WhiteFault.RATE_LIMIT),
        ("Server error (500)", WhiteFault.SERVER_ERROR),
        ("Unavailable (503, HTML)", WhiteFault.UNAVAILABLE),
        ("No answer (timeout)", WhiteFault.TIMEOUT),
        ("Invalid JSON", WhiteFault.INVALID_JSON),
        ("Empty data", WhiteFault.EMPTY_DATA),
        ("Unknown account", WhiteFault.UNKNOWN_ACCOUNT),
    )
]
WEBMINEPOOL_FAULTS = [
    PoolFault(
        name=name,
        pool=WEBMINEPOOL,
        fault=fault,
        flow=SOURCE_REAUTH if fault is WebMineFault.INVALID_KEY else None,
    )
    for name, fault in (
        ("Invalid API key", WebMineFault.INVALID_KEY),
        ("Internal error", WebMineFault.INTERNAL_ERROR),
        ("Server error (500, HTML)", WebMineFault.HTTP_500),
        ("Not found (404, the URL with the key echoed)", WebMineFault.HTTP_404),
        ("No answer (timeout)", WebMineFault.TIMEOUT),
        ("Invalid JSON (the URL echoed)", WebMineFault.INVALID_JSON),
        ("JSON that is no object", WebMineFault.NOT_OBJECT),
    )
]
POOL_FAULTS = [*WHITEPOOL_FAULTS, *WEBMINEPOOL_FAULTS]


@dataclass
class PoolCase:
    """One running scenario: Home Assistant, both mocks, both entries."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    whitepool: WhitePoolServer
    webminepool: WebMinePoolServer
    entries: dict[str, MockConfigEntry]
    watch: SecretWatch
    # Unavailable before any fault, for want of inputs from elsewhere (a sensor
    # needing miners): left out of what the fault is judged by.
    baseline: frozenset[str] = frozenset()

    def state(self, entity_id: str) -> str:
        state = self.hass.states.get(entity_id)
        assert state is not None, entity_id
        return state.state

    def entities(self, pool: str) -> set[str]:
        return entity_ids(self.hass, self.entries[pool]) - self.baseline

    def unavailable(self, pool: str) -> set[str]:
        return {
            entity_id
            for entity_id in self.entities(pool)
            if self.state(entity_id) == STATE_UNAVAILABLE
        }

    def stale(self, pool: str) -> list[str]:
        """Return the figure of a pool that is shown, but no longer what it reports."""
        if pool == WHITEPOOL:
            workers = self.whitepool.accounts[ACCOUNT].workers
            entity_id = WORKERS_ONLINE
            current = Decimal(sum(worker.status == "online" for worker in workers))
        else:
            entity_id, current = BALANCE, self.webminepool.balance
        state = self.state(entity_id)
        if state == STATE_UNAVAILABLE or Decimal(state) == current:
            return []
        return [f"{entity_id} shows {state}, the pool says {current}"]

    def devices(self) -> dict[str, set[str]]:
        registry = dr.async_get(self.hass)
        return {
            pool: {
                device.id
                for device in dr.async_entries_for_config_entry(
                    registry, entry.entry_id
                )
            }
            for pool, entry in self.entries.items()
        }


def _interval(pool: str) -> float:
    interval = (
        WHITEPOOL_SCAN_INTERVAL if pool == WHITEPOOL else WEBMINEPOOL_SCAN_INTERVAL
    )
    return interval.total_seconds()


def _inject(case: PoolCase, scenario: PoolFault) -> None:
    if scenario.pool == WHITEPOOL:
        case.whitepool.inject(None, scenario.fault, count=None)
    else:
        case.webminepool.inject(None, scenario.fault, count=None)


def _clear(case: PoolCase) -> None:
    case.whitepool.clear_faults()
    case.webminepool.clear_faults()


def _world_moves_on(case: PoolCase, pool: str) -> None:
    """The slow worker is back at full speed, or visitors mined and the balance grew."""
    if pool == WHITEPOOL:
        for worker in case.whitepool.accounts[ACCOUNT].workers:
            if worker.name == SLOW_WORKER:
                worker.status = "online"
    else:
        case.webminepool.balance += Decimal("1.25")


def _write_sends(case: PoolCase, pool: str) -> int:
    """Count the writes of the scenario's action that reached the pool."""
    if pool == WHITEPOOL:
        return len(case.whitepool.requests_to(PAYOUT_EDIT))
    return sum(call.method == "create_user" for call in case.webminepool.calls)


async def _write(case: PoolCase, pool: str) -> str | None:
    """Ask something of the pool; return the translation key of its error, if any."""
    hass = case.hass
    if pool == WHITEPOOL:
        device = dr.async_get(hass).async_get_device_by_identifier(
            whitepool_account_identifier(ACCOUNT), case.entries[pool].entry_id
        )
        assert device is not None
        service, data = (
            "set_payout_destination",
            {ATTR_DEVICE_ID: device.id, "destination": "main_balance"},
        )
    else:
        service, data = (
            "create_user",
            {"config_entry_id": case.entries[pool].entry_id, "username": "dave"},
        )
    error: HomeAssistantError | None = None
    try:
        await drive(
            hass,
            case.freezer,
            hass.services.async_call(DOMAIN, service, data, blocking=True),
        )
    except HomeAssistantError as raised:
        case.watch.saw(raised)
        error = raised
    if error is None:
        return None
    assert error.translation_domain == DOMAIN, repr(error)
    assert error.translation_key is not None
    assert "{" not in str(error), str(error)
    return error.translation_key


async def _reauthenticate(case: PoolCase, pool: str) -> None:
    """The user confirms the same key once the pool accepts it again."""
    hass = case.hass
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    answer = (
        {CONF_API_KEY: WHITEPOOL_API_KEY, CONF_API_SECRET: WHITEPOOL_API_SECRET}
        if pool == WHITEPOOL
        else {CONF_SECRET_KEY: WEBMINEPOOL_SECRET_KEY}
    )
    result = await drive(
        hass,
        case.freezer,
        hass.config_entries.flow.async_configure(flow["flow_id"], answer),
    )
    assert result.get("reason") == "reauth_successful", result
    await settle(hass, case.freezer)


def _params() -> list[Any]:
    return [
        pytest.param(
            scenario,
            id=scenario.case_id,
            marks=[pytest.mark.xfail(strict=True, reason=scenario.known_bug)]
            if scenario.known_bug
            else [],
        )
        for scenario in POOL_FAULTS
    ]


def test_every_pool_fault_is_in_the_matrix() -> None:
    """Each failure either mock pool can answer has a scenario."""
    assert {s.fault for s in POOL_FAULTS if s.pool == WHITEPOOL} == set(WhiteFault)
    assert {s.fault for s in POOL_FAULTS if s.pool == WEBMINEPOOL} == set(WebMineFault)


@pytest.mark.parametrize("scenario", _params())
async def test_pool_fault(  # noqa: PLR0917  # fixtures and the scenario
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whitepool_mock: WhitePoolServer,
    webminepool_mock: WebMinePoolServer,
    init_whitepool: MockConfigEntry,
    init_webminepool: MockConfigEntry,
    secret_watch: SecretWatch,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
    record_case: Callable[[CaseRecord], None],
    scenario: PoolFault,
) -> None:
    """One pool failure, the whole battery; what is seen is recorded before it is judged."""
    secret_watch.add("WhiteBIT API secret", WHITEPOOL_API_SECRET)
    secret_watch.add("WebMinePool secret key", WEBMINEPOOL_SECRET_KEY)
    entries = {WHITEPOOL: init_whitepool, WEBMINEPOOL: init_webminepool}
    case = PoolCase(
        hass, freezer, whitepool_mock, webminepool_mock, entries, secret_watch
    )
    pool = scenario.pool
    other = WEBMINEPOOL if pool == WHITEPOOL else WHITEPOOL
    entry = entries[pool]
    record = CaseRecord(
        section=POOL,
        case=scenario.case_id,
        fault=scenario.name,
        target=pool,
        facts={"known_bug": scenario.known_bug},
    )
    record_case(record)
    sees = record.user_sees
    interval = _interval(pool)
    devices_before = case.devices()
    case.baseline = frozenset(case.unavailable(pool) | case.unavailable(other))
    record.facts["unavailable_before"] = sorted(case.baseline)
    entities_before = case.entities(pool)
    assert not case.unavailable(pool)
    assert not case.stale(pool)
    caplog.clear()

    _inject(case, scenario)
    _world_moves_on(case, pool)
    for poll in range(scenario.polls_to_show):
        await advance(hass, freezer, interval)
        if poll + 1 < scenario.polls_to_show:
            # Waited out once: the previous figures stay, at most one poll old.
            assert not case.unavailable(pool)
            sees.append("previous figures kept for one poll")

    unavailable = case.unavailable(pool)
    total = len(entities_before)
    if removed := entities_before - case.entities(pool):
        sees.append(f"{len(removed)} of {total} entities removed, with their device")
    sees.append(
        f"all {total} entities unavailable"
        if unavailable == entities_before
        else f"{len(unavailable)} of {total} entities unavailable"
    )
    assert unavailable == entities_before
    assert not case.unavailable(other)
    assert not case.stale(pool), case.stale(pool)
    flows = [
        flow["context"]["source"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    ]
    if flows:
        sees.append(f"{', '.join(flows)} flow started")
    assert flows == ([scenario.flow] if scenario.flow else [])
    assert not [issue for (domain, issue) in issue_registry.issues if domain == DOMAIN]

    # An action during the fault: a translated error, sent at most once.
    write_error = await _write(case, pool)
    sends = _write_sends(case, pool)
    sees.append(
        f"action fails: {write_error}, sent {sends}×"
        if write_error
        else f"action works, sent {sends}×"
    )
    assert write_error is not None
    assert sends <= 1
    # Still one reauthentication flow, whatever the action met.
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == len(flows)

    # The fault clears: the next poll (or the user's reauthentication) brings it back.
    _clear(case)
    if scenario.flow:
        await _reauthenticate(case, pool)
        record.recovery = "the pool accepts the key again and the user confirms it: the entry reloads, current at once"
    else:
        await advance(hass, freezer, interval)
        record.recovery = "the fault clears: current at the next poll"
    assert not case.unavailable(pool), case.unavailable(pool)
    assert not case.stale(pool), case.stale(pool)
    assert entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert not issue_registry.issues
    assert _write_sends(case, pool) == sends
    assert case.devices() == devices_before
    assert not case.unavailable(other)

    records = caplog.records
    failed = unavailable_lines(records, entry.title)
    recovered = recovered_lines(records, entry.title)
    sees.append(
        f"log: {len(failed)} line when it fails, {len(recovered)} when it recovers"
    )
    assert not escaped_errors(records)
    assert len(failed) == 1, failed
    assert len(recovered) == (0 if scenario.flow else 1), recovered
    assert not unavailable_lines(records, entries[other].title)
    record.facts |= {
        "unavailable": len(unavailable),
        "write_error": write_error,
        "write_sends": sends,
        "log_lines": [len(failed), len(recovered)],
    }
