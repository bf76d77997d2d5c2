"""Tests of the diagnostics download."""

import json

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.state import PoolSetting

from .conftest import PASSWORD


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_diagnostics(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,  # after the miner: its token is made at frozen time
    snapshot: SnapshotAssertion,
) -> None:
    """Settings and both polls' data, with the password, serials and pool accounts redacted."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    # The simulator's ports are picked by the system anew for every test.
    assert diagnostics == snapshot(exclude=props("v2_port", "v3_port", "ports"))
    # The raw replies are the capture format, redacted: no MAC, no address.
    raw_replies = diagnostics["raw_replies"]
    assert raw_replies["format"] == "hashwatt-whatsminer-capture"
    assert raw_replies["redacted"] is True
    assert raw_replies["exchanges"]
    raw_text = json.dumps(raw_replies)
    assert simulated_miner.state.mac.upper() not in raw_text.upper()
    assert simulated_miner.host not in raw_text
    text = json.dumps(diagnostics)
    for secret in (
        PASSWORD,
        simulated_miner.state.miner_sn,
        simulated_miner.state.psu_sn,
        *simulated_miner.state.board_sns,
        simulated_miner.state.pools[0].worker,
    ):
        assert secret not in text


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_diagnostics_redact_credentials_in_pool_urls(
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A pool URL that carries a user and password keeps its host, not them."""
    simulated_miner.state.pools[1] = PoolSetting(
        "stratum+tcp://rig:hunter2@btc.example.org:25", "rig", "x"
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )

    text = json.dumps(diagnostics)
    assert "hunter2" not in text
    assert "rig:" not in text
    assert "stratum+tcp://**REDACTED**@btc.example.org:25" in text
