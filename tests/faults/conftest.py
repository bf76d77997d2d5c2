"""The fault suite's harness: DEBUG logs, a secret-leak check after every test, the report.

Every test here runs with DEBUG logging on every logger. After each test the
``secret_watch`` fixture searches everything a user or a bug report could see
(log records and tracebacks, exceptions, states, diagnostics, repair issues,
flows) for the secrets the test registered; a leak fails the test.

With ``HASHWATT_RELIABILITY_REPORT=<path>`` set, what each case observed is
written to that file at the end of the session (see ``report.py``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt import diagnostics
from custom_components.hashwatt.const import DOMAIN
from simulator.whatsminer import SimulatedMiner
from tests.conftest import PASSWORD, miner_entry_data

from .report import REPORT_ENV, CaseRecord, ReliabilityReport, SecretCheck

_REPORT = ReliabilityReport()

BYSTANDER_TITLE = "Miner 2"


# --- The report ----------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Note how each test ended, for the report's result column."""
    report = yield
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        else:
            outcome = report.outcome
        _REPORT.set_outcome(item.nodeid, outcome)
    elif report.failed:
        _REPORT.set_outcome(item.nodeid, "error")
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the report when asked to (scripts/reliability); never otherwise."""
    if path := os.environ.get(REPORT_ENV):
        _REPORT.write(Path(path))


@pytest.fixture
def record_case(request: pytest.FixtureRequest) -> Callable[[CaseRecord], None]:
    """Return a function that keeps one case's observations for the report."""

    def record(case: CaseRecord) -> None:
        case.nodeid = request.node.nodeid
        _REPORT.add(case)

    return record


# --- Secrets -------------------------------------------------------------------------------


class SecretWatch:
    """The secrets of a test, and everything it saw that could reveal them."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.exceptions: list[BaseException] = []

    def add(self, name: str, secret: str) -> None:
        """Watch for ``secret`` (named for the report, never shown)."""
        self.secrets[name] = secret

    def saw(self, error: BaseException) -> None:
        """Keep an exception the test caught, to search its text too."""
        self.exceptions.append(error)

    async def places(
        self, hass: HomeAssistant, records: list[logging.LogRecord]
    ) -> list[tuple[str, str]]:
        """Return (where, text) for everything a user or a bug report could see."""
        formatter = logging.Formatter()
        found: list[tuple[str, str]] = []
        for record in records:
            where = f"log record {record.name}:{record.levelname}"
            found.append((where, record.getMessage()))
            if record.exc_info:
                found.append((where, formatter.formatException(record.exc_info)))
            if record.stack_info:
                found.append((where, record.stack_info))
        found.extend(
            (f"exception {type(error).__name__}", _exception_text(error))
            for error in self.exceptions
        )
        found.extend(
            (f"state {state.entity_id}", json.dumps(state.as_dict(), default=str))
            for state in hass.states.async_all()
        )
        found.extend(
            (f"repair issue {issue.issue_id}", repr(dataclasses.asdict(issue)))
            for issue in ir.async_get(hass).issues.values()
        )
        found.extend(
            (f"flow {flow['handler']}", json.dumps(flow, default=str))
            for flow in hass.config_entries.flow.async_progress()
        )
        for entry in hass.config_entries.async_entries(DOMAIN):
            if entry.state is not ConfigEntryState.LOADED:
                continue
            report = await diagnostics.async_get_config_entry_diagnostics(hass, entry)
            runtime = entry.runtime_data
            found += [
                (f"diagnostics of {entry.title}", json.dumps(report, default=str)),
                (f"repr of {entry.title}'s runtime data", repr(runtime)),
                *(
                    (
                        f"last error of {coordinator.name}",
                        _exception_text(coordinator.last_exception),
                    )
                    for coordinator in _coordinators(runtime)
                    if coordinator.last_exception is not None
                ),
            ]
        return found

    def leaks(self, places: list[tuple[str, str]]) -> list[str]:
        """Return where each watched secret appears, as "<secret name> in <place>"."""
        return [
            f"{name} in {where}"
            for where, text in places
            for name, secret in self.secrets.items()
            if secret in text
        ]


def _exception_text(error: BaseException) -> str:
    """Return the text of an error and of every error it was raised from."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        placeholders = getattr(current, "translation_placeholders", None)
        parts += [f"{type(current).__name__}: {current}", repr(current.args)]
        parts.append(repr(placeholders))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def _coordinators(runtime: object) -> list[DataUpdateCoordinator[Any]]:
    """Return the coordinators a loaded entry's runtime data holds, whatever its kind."""
    values = (
        vars(runtime).values()
        if hasattr(runtime, "__dict__")
        else (getattr(runtime, name) for name in getattr(runtime, "__slots__", ()))
    )
    found: list[DataUpdateCoordinator[Any]] = []
    for value in values:
        candidates = value.values() if isinstance(value, dict) else [value]
        found.extend(c for c in candidates if isinstance(c, DataUpdateCoordinator))
    return found


@pytest.fixture(autouse=True)
async def secret_watch(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> AsyncIterator[SecretWatch]:
    """Log everything at DEBUG; afterwards fail the test if a secret shows anywhere."""
    caplog.set_level(logging.DEBUG)
    watch = SecretWatch()
    watch.add("miner password", PASSWORD)
    yield watch
    records = [
        *caplog.get_records("setup"),
        *caplog.get_records("call"),
        *caplog.get_records("teardown"),
    ]
    places = await watch.places(hass, records)
    leaks = watch.leaks(places)
    _REPORT.add_secret_check(SecretCheck(request.node.nodeid, len(places), leaks))
    assert not leaks, f"secrets leaked: {leaks}"


# --- Log lines -----------------------------------------------------------------------------


INTEGRATION_LOGGER = "custom_components.hashwatt"
_EXPECTED_ERROR_PREFIXES = ("Error fetching ", "Authentication failed while fetching ")


def ours(record: logging.LogRecord) -> bool:
    """Tell whether a record comes from the integration (or its clients)."""
    return record.name == INTEGRATION_LOGGER or record.name.startswith(
        f"{INTEGRATION_LOGGER}."
    )


def unavailable_lines(records: list[logging.LogRecord], title: str) -> list[str]:
    """Return the integration's warnings and errors about one entry."""
    return [
        record.getMessage()
        for record in records
        if ours(record)
        and record.levelno >= logging.WARNING
        and title in record.getMessage()
    ]


def recovered_lines(records: list[logging.LogRecord], title: str) -> list[str]:
    """Return the integration's "recovered" lines about one entry."""
    return [
        record.getMessage()
        for record in records
        if ours(record)
        and record.levelno == logging.INFO
        and record.getMessage().startswith(f"Fetching {title}")
        and record.getMessage().endswith(" recovered")
    ]


def escaped_errors(records: list[logging.LogRecord]) -> list[str]:
    """Return what reached the log as an exception or an unexpected error.

    Allowed: the coordinators' one line when a poll starts failing, and the
    traceback they add at DEBUG level ("Full error:").
    """
    escaped: list[str] = []
    for record in records:
        message = record.getMessage()
        if record.exc_info and record.levelno > logging.DEBUG:
            escaped.append(f"{record.name}: {message} (with a traceback)")
        elif record.levelno >= logging.ERROR and not (
            ours(record) and message.startswith(_EXPECTED_ERROR_PREFIXES)
        ):
            escaped.append(f"{record.name}: {message}")
    return escaped


# --- Miners ---------------------------------------------------------------------------------


def entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """Return the enabled entities of an entry."""
    return {
        registry_entry.entity_id
        for registry_entry in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if registry_entry.disabled_by is None
    }


@pytest.fixture
async def bystander_miner(
    init_integration: MockConfigEntry, socket_enabled: None
) -> AsyncIterator[SimulatedMiner]:
    """Another miner on 127.0.0.1 that no fault touches."""
    miner = SimulatedMiner(
        model="M60",
        api="v2",
        password=PASSWORD,
        seed=2,
        clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
    )
    await miner.start(host="127.0.0.1")
    yield miner
    await miner.stop()


@pytest.fixture
async def bystander(
    hass: HomeAssistant, bystander_miner: SimulatedMiner
) -> MockConfigEntry:
    """The entry of the bystander miner, loaded."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=BYSTANDER_TITLE,
        unique_id=format_mac(bystander_miner.state.mac),
        data=miner_entry_data(bystander_miner),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry
