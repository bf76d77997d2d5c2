"""Break-even electricity price: the sensors against the simulators.

The arithmetic is tested in tests/clients/test_mining_economics.py.

The expected prices are worked out here from what the simulated miner and the mock
pool serve (read through their own interfaces), never from the sensors' code.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_SCAN_INTERVAL, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, restore_state
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import format_mac
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.hashwatt.clients.mining_economics import (
    STEADY_AFTER,
)
from custom_components.hashwatt.clients.whitepool import (
    WhitePoolClient,
)
from custom_components.hashwatt.const import (
    CONF_BTC_QUOTE,
    DOMAIN,
    SLOW_SCAN_INTERVAL,
    WHITEPOOL_SLOW_INTERVAL,
)
from simulator.whatsminer import SimulatedMiner
from simulator.whatsminer.hardware import MODELS
from simulator.whitepool import WhitePoolServer

from .conftest import (
    PASSWORD,
    WHITEPOOL_API_KEY,
    WHITEPOOL_API_SECRET,
    miner_entry_data,
    set_up_entry,
    tick,
    whitepool_entry,
)
from .pool_helpers import while_time_passes

DAY = timedelta(days=1)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# --- The sensors, against the simulated miner and the mock pool --------------------------

ACCOUNT = "my_miner_01"
EFFICIENCY = "sensor.miner_1_efficiency"
HASHRATE = "sensor.miner_1_hashrate"
MINING = "switch.miner_1_mining"
POWER_LIMIT = "number.miner_1_power_limit_restarts_mining"


@pytest.fixture(autouse=True)
def currency(hass: HomeAssistant) -> str:
    """Home Assistant's currency, which WhiteBIT has a BTC market for."""
    hass.config.currency = "EUR"
    return "EUR"


@pytest.fixture
async def pool_then_miner(
    whitepool_mock: WhitePoolServer, simulated_miner: SimulatedMiner
) -> tuple[WhitePoolServer, SimulatedMiner]:
    """The mock pool and the simulated miner, the miner's clock last (it sets the time)."""
    return whitepool_mock, simulated_miner


def miner_break_even(hass: HomeAssistant, miner: SimulatedMiner) -> str:
    """Return the entity ID of a miner's break-even price sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{format_mac(miner.state.mac)}_break_even_price"
    )
    assert entity_id is not None
    return entity_id


def fleet_break_even(hass: HomeAssistant, pool: MockConfigEntry) -> str:
    """Return the entity ID of the fleet's break-even price sensor of a pool entry."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"whitepool-{pool.entry_id}-fleet_break_even_price"
    )
    assert entity_id is not None
    return entity_id


async def pool_revenue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server: WhitePoolServer,
    quote: str,
) -> Decimal:
    """What a TH/s earns a day at the mock pool, after its fee, in ``quote``.

    Read from the mock's API: the FPPS rate and fee of its newest reward, and the
    BTC price on its ticker. The clock is frozen: this client's nonces must not
    repeat those the integration's client used, so they start a second later.
    """
    freezer.tick(1)
    client = WhitePoolClient(
        async_get_clientsession(hass),
        WHITEPOOL_API_KEY,
        WHITEPOOL_API_SECRET,
        base_url=server.url,
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    page = await client.rewards(
        ACCOUNT, start=dt_util.utcnow() - timedelta(days=7), limit=100
    )
    newest = max(page.rewards, key=lambda reward: reward.date)
    assert newest.fpps_rate is not None
    price = await client.btc_price(quote)
    return newest.fpps_rate * (newest.reward / newest.total_reward) * price


def miner_efficiency(hass: HomeAssistant, miner: SimulatedMiner) -> float:
    """The miner's efficiency (J/TH) as its sensor shows it, checked against the miner."""
    efficiency = float(hass.states.get(EFFICIENCY).state)
    reading = miner.reading()
    assert efficiency == pytest.approx(reading.power / reading.hashrate, rel=0.02)
    return efficiency


def expected_price(revenue: Decimal, efficiency: float) -> float:
    """Revenue per TH/s per day over the kWh a TH/s uses in a day."""
    kwh_per_terahash_day = efficiency * 24 / 1000  # J/TH × 86400 s ÷ 3.6 MJ/kWh
    return float(revenue) / kwh_per_terahash_day


def price_of(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE
    return float(state.state)


@pytest.mark.parametrize("miner_api", ["v2", "v3"])
async def test_miner_break_even_price(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The pool's FPPS rate after its fee, at the BTC price, over the miner's kWh per TH/s."""
    server, miner = pool_then_miner
    await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)

    entity_id = miner_break_even(hass, miner)
    state = hass.states.get(entity_id)
    assert state.attributes["unit_of_measurement"] == "EUR/kWh"
    assert state.attributes["state_class"] == "measurement"
    assert "device_class" not in state.attributes
    assert float(state.state) == pytest.approx(
        expected_price(
            await pool_revenue(hass, freezer, server, "EUR"),
            miner_efficiency(hass, miner),
        ),
        rel=1e-9,
    )


async def test_unavailable_without_a_pool_and_follows_pool_entries(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A pool entry loaded after the miner, unloaded before it, loaded again."""
    server, miner = pool_then_miner
    await set_up_entry(hass, mock_config_entry)
    entity_id = miner_break_even(hass, miner)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE

    pool = await set_up_entry(hass, whitepool_entry())
    price = price_of(hass, entity_id)
    assert price == pytest.approx(
        expected_price(
            await pool_revenue(hass, freezer, server, "EUR"),
            miner_efficiency(hass, miner),
        ),
        rel=1e-9,
    )

    assert await hass.config_entries.async_unload(pool.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    await tick(hass, freezer)  # the miner polls on, without a pool
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE

    assert await hass.config_entries.async_setup(pool.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state != STATE_UNAVAILABLE
    assert "Error" not in caplog.text


async def test_unavailable_while_the_miner_or_the_pool_fails(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A miner that does not answer, or a pool whose polls fail, leave no price."""
    server, miner = pool_then_miner
    await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)
    entity_id = miner_break_even(hass, miner)
    price = price_of(hass, entity_id)

    await miner.reboot_now(downtime=60)
    await tick(hass, freezer)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    await tick(hass, freezer, 90)
    # Back and warming up after its reboot: the price from before stands.
    assert price_of(hass, entity_id) == price

    # Not retried (a retry waits, and the clock is frozen).
    # No BTC price, or no poll at all.
    for endpoint in ("/api/v4/public/ticker", "/api/v4/mining/accounts"):
        server.inject(endpoint, "invalid_json", count=None)
        await tick(hass, freezer, WHITEPOOL_SLOW_INTERVAL.total_seconds())
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
        server.clear_faults()
        await tick(hass, freezer, WHITEPOOL_SLOW_INTERVAL.total_seconds())
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE


async def test_a_new_efficiency_counts_once_the_miner_is_steady(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new power limit restarts mining: the price moves once it has warmed up."""
    server, miner = pool_then_miner
    await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)
    entity_id = miner_break_even(hass, miner)
    before = price_of(hass, entity_id)
    old_efficiency = miner_efficiency(hass, miner)

    await hass.services.async_call(
        "number", "set_value", {"entity_id": POWER_LIMIT, "value": 2400}, blocking=True
    )
    steady_at = dt_util.utcnow() + STEADY_AFTER
    while dt_util.utcnow() + timedelta(seconds=30) < steady_at:
        await tick(hass, freezer)
        assert price_of(hass, entity_id) == before
    await tick(hass, freezer)

    new_efficiency = miner_efficiency(hass, miner)
    assert new_efficiency < old_efficiency  # a lower limit hashes more per joule
    assert price_of(hass, entity_id) == pytest.approx(
        expected_price(
            await pool_revenue(hass, freezer, server, "EUR"), new_efficiency
        ),
        rel=1e-9,
    )


async def test_the_last_steady_price_stands_while_the_miner_is_off(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Switched off (by an automation, say) it still says when mining would pay."""
    _server, miner = pool_then_miner
    await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)
    entity_id = miner_break_even(hass, miner)
    before = price_of(hass, entity_id)

    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": MINING}, blocking=True
    )
    for _ in range(10):
        await tick(hass, freezer)
        assert not miner.state.mining
        assert price_of(hass, entity_id) == before

    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": MINING}, blocking=True
    )
    await tick(hass, freezer)
    assert price_of(hass, entity_id) == before  # warming up


async def test_the_steady_reading_survives_a_restart(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A miner found off after a restart goes by the reading saved before it."""
    server, miner = pool_then_miner
    miner.set_mining(miner.clock(), mining=False)
    mock_config_entry.add_to_hass(hass)
    entity_id = (
        er.async_get(hass)
        .async_get_or_create(
            Platform.SENSOR,
            DOMAIN,
            f"{format_mac(miner.state.mac)}_break_even_price",
            suggested_object_id="miner_1_break_even",
            config_entry=mock_config_entry,
        )
        .entity_id
    )
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_id, "0.0712"),
                {"hashrate": 118.2, "efficiency": 30.5},
            )
        ],
    )
    # Setting up the integration sets up both entries.
    await set_up_entry(hass, whitepool_entry())
    assert mock_config_entry.state is ConfigEntryState.LOADED

    assert price_of(hass, entity_id) == pytest.approx(
        expected_price(await pool_revenue(hass, freezer, server, "EUR"), 30.5),
        rel=1e-9,
    )
    # And it is saved again for the next restart.
    stored = {
        state.state.entity_id: state.extra_data
        for state in restore_state.async_get(hass).async_get_stored_states()
    }
    assert stored[entity_id].as_dict() == {
        "hashrate": 118.2,
        "efficiency": 30.5,
        "pool_host": "pool.whitebit.com",
    }


async def test_nothing_to_restore_and_the_miner_off(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
) -> None:
    """Never seen mining steadily: no efficiency, no price."""
    _server, miner = pool_then_miner
    miner.set_mining(miner.clock(), mining=False)
    await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)

    assert hass.states.get(miner_break_even(hass, miner)).state == STATE_UNAVAILABLE


async def test_a_rate_in_another_unit_is_not_used(
    hass: HomeAssistant,
    *,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A pool whose fppsRate is not BTC per TH/s per day: unavailable, one warning."""
    server, miner = pool_then_miner
    rewards = server._reward_items  # noqa: SLF001  # the mock's own reward builder

    def as_percent(account: Any) -> list[dict[str, Any]]:
        return [{**item, "fppsRate": "104.5"} for item in rewards(account)]

    monkeypatch.setattr(server, "_reward_items", as_percent)
    pool = await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)
    entity_id = miner_break_even(hass, miner)
    fleet_id = fleet_break_even(hass, pool)

    for _ in range(3):
        await tick(hass, freezer, WHITEPOOL_SLOW_INTERVAL.total_seconds())
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
        assert hass.states.get(fleet_id).state == STATE_UNAVAILABLE
    warnings = [
        record for record in caplog.records if "fppsRate" in record.getMessage()
    ]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "104.5" in warnings[0].getMessage()

    # Once a reward confirms the unit, the price is back.
    monkeypatch.setattr(server, "_reward_items", rewards)
    await tick(hass, freezer, WHITEPOOL_SLOW_INTERVAL.total_seconds())
    assert hass.states.get(entity_id).state != STATE_UNAVAILABLE


async def test_fleet_break_even_price(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every loaded miner's efficiency weighted by its hashrate, on the pool's device."""
    server, miner = pool_then_miner
    pool = await set_up_entry(hass, whitepool_entry())
    fleet_id = fleet_break_even(hass, pool)
    assert hass.states.get(fleet_id).state == STATE_UNAVAILABLE  # no miner yet
    await set_up_entry(hass, mock_config_entry)
    other = SimulatedMiner(
        model="M60",
        api="v3",
        password=PASSWORD,
        seed=2,
        clock=lambda: time.time(),  # noqa: PLW0108  # the freezer moves it
    )
    await other.start(host="127.0.0.1")
    try:
        other_entry = await set_up_entry(
            hass,
            MockConfigEntry(
                domain=DOMAIN,
                title="Miner 2",
                unique_id=format_mac(other.state.mac),
                data=miner_entry_data(other),
            ),
        )
        revenue = await pool_revenue(hass, freezer, server, "EUR")
        hashrates = [
            float(hass.states.get(f"sensor.miner_{index}_hashrate").state)
            for index in (1, 2)
        ]
        efficiencies = [
            float(hass.states.get(f"sensor.miner_{index}_efficiency").state)
            for index in (1, 2)
        ]
        watts_per_terahash = sum(
            h * e for h, e in zip(hashrates, efficiencies, strict=True)
        ) / sum(hashrates)
        assert price_of(hass, fleet_id) == pytest.approx(
            expected_price(revenue, watts_per_terahash), rel=1e-9
        )
        state = hass.states.get(fleet_id)
        assert state.attributes["unit_of_measurement"] == "EUR/kWh"
        assert state.attributes["friendly_name"] == (
            "WhiteBIT mining pool (my_miner_01) Fleet break-even electricity price"
        )

        # Miner 2 goes: the fleet is miner 1 alone.
        assert await hass.config_entries.async_unload(other_entry.entry_id)
        await hass.async_block_till_done()
        assert price_of(hass, fleet_id) == pytest.approx(
            price_of(hass, miner_break_even(hass, miner)), rel=1e-9
        )
    finally:
        await other.stop()


async def test_no_price_while_another_miner_answers(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Another miner's efficiency is not this one's: no price meanwhile, nor after.

    The other miner (an M60) is more efficient. Its figures count neither in this
    miner's price nor in the fleet's, not even the poll that came before the slow
    poll found it; once this miner is back, its own last steady price stands while
    it warms up.
    """
    _server, miner = pool_then_miner
    pool = await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)
    runtime = mock_config_entry.runtime_data
    entity_id = miner_break_even(hass, miner)
    fleet_id = fleet_break_even(hass, pool)
    price = price_of(hass, entity_id)
    assert price_of(hass, fleet_id) == pytest.approx(price, rel=1e-9)

    own_mac, own_model = miner.state.mac, miner.state.model
    miner.state.mac = "C6:07:20:00:00:42"
    miner.state.model = MODELS["M60"]
    await tick(hass, freezer, SLOW_SCAN_INTERVAL.total_seconds())  # the slow poll
    assert runtime.another_miner_answers
    for _ in range(3):
        await tick(hass, freezer)
        assert runtime.fast.last_update_success
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
        assert hass.states.get(fleet_id).state == STATE_UNAVAILABLE

    # This miner is back, restarted: it warms up.
    miner.state.mac, miner.state.model = own_mac, own_model
    await miner.reboot_now(downtime=60)
    await tick(hass, freezer)
    await tick(hass, freezer, 90)
    assert not runtime.another_miner_answers
    await tick(hass, freezer)

    assert price_of(hass, entity_id) == price
    assert price_of(hass, fleet_id) == pytest.approx(price, rel=1e-9)


# --- The currency: an option of the WhitePool entry -------------------------------------


async def test_the_currency_is_an_option_of_the_pool_entry(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every currency WhiteBIT trades BTC in; the prices follow the one chosen."""
    server, miner = pool_then_miner
    server.prices |= {"BTC_USD": Decimal("64001.5"), "ETH_USDT": Decimal(3000)}
    pool = await set_up_entry(hass, whitepool_entry())
    await set_up_entry(hass, mock_config_entry)
    entity_id = miner_break_even(hass, miner)
    assert hass.states.get(entity_id).attributes["unit_of_measurement"] == "EUR/kWh"

    result = await hass.config_entries.options.async_init(pool.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "currency"
    schema = result["data_schema"].schema
    assert schema[CONF_BTC_QUOTE].config["options"] == ["EUR", "USD", "USDT"]
    # Home Assistant's currency until another is chosen.
    assert next(iter(schema)).default() == "EUR"

    # The entry reloads with a new client: the clock is frozen, and its nonces must
    # not repeat the old client's.
    freezer.tick(1)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_BTC_QUOTE: "USDT"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert pool.options == {CONF_BTC_QUOTE: "USDT"}
    state = hass.states.get(entity_id)
    assert state.attributes["unit_of_measurement"] == "USDT/kWh"
    assert float(state.state) == pytest.approx(
        expected_price(
            await pool_revenue(hass, freezer, server, "USDT"),
            miner_efficiency(hass, miner),
        ),
        rel=1e-9,
    )
    assert hass.states.get(fleet_break_even(hass, pool)).attributes[
        "unit_of_measurement"
    ] == ("USDT/kWh")

    # Asked again, the form starts from the option.
    result = await hass.config_entries.options.async_init(pool.entry_id)
    assert next(iter(result["data_schema"].schema)).default() == "USDT"
    hass.config_entries.options.async_abort(result["flow_id"])


async def test_without_a_market_in_home_assistants_currency(
    hass: HomeAssistant, init_whitepool: MockConfigEntry
) -> None:
    """The form starts from USDT, the currency the pool prices BTC in then."""
    hass.config.currency = "CHF"

    result = await hass.config_entries.options.async_init(init_whitepool.entry_id)

    assert next(iter(result["data_schema"].schema)).default() == "USDT"
    hass.config_entries.options.async_abort(result["flow_id"])


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("invalid_json", "whitepool_failed"),
        ("rate_limit", "whitepool_rate_limited"),
        (None, "whitepool_failed"),  # a ticker without BTC markets
    ],
)
async def test_no_currencies_to_offer(
    hass: HomeAssistant,
    *,
    init_whitepool: MockConfigEntry,
    whitepool_mock: WhitePoolServer,
    freezer: FrozenDateTimeFactory,
    fault: str | None,
    reason: str,
) -> None:
    """Without the ticker's list the form cannot be shown: the flow says why."""
    if fault is None:
        whitepool_mock.prices = {"ETH_USDT": Decimal(3000)}
    else:
        whitepool_mock.inject("/api/v4/public/ticker", fault, count=None)

    result = await while_time_passes(
        hass, freezer, hass.config_entries.options.async_init(init_whitepool.entry_id)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert init_whitepool.options == {}


async def test_the_fleet_price_is_written_at_most_every_30_seconds(
    hass: HomeAssistant,
    pool_then_miner: tuple[WhitePoolServer, SimulatedMiner],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each poll of each miner moves it: with many miners that would be a flood."""
    _server, miner = pool_then_miner
    pool = await set_up_entry(hass, whitepool_entry())
    await set_up_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            title="Miner 1",
            unique_id=format_mac(miner.state.mac),
            data=miner_entry_data(miner),
            options={CONF_SCAN_INTERVAL: 10},
        ),
    )
    fleet_id = fleet_break_even(hass, pool)
    written = {hass.states.get(fleet_id).last_reported}

    for _ in range(6):  # a minute of polls every 10 seconds
        await tick(hass, freezer, 10)
        written.add(hass.states.get(fleet_id).last_reported)

    # Written at setup, then 30 and 60 seconds on.
    assert len(written) == 3
