"""Sensors of every entry type, one description table per kind of device.

- a Whatsminer: hashrate, power, energy, temperatures, fans, PSU, pools, errors;
- the WhiteBIT mining pool (BTC price; per account its hashrate, workers, fee,
  rewards and payout; per online worker its hashrate) and WebMinePool (balance,
  hashes, rates, active users and their hashes);
- the Bitcoin network: hashprice, network hashrate, difficulty, fees, BTC price;
- break-even electricity prices, per miner and per fleet (how their revenue is
  found: break_even.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, override

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    REVOLUTIONS_PER_MINUTE,
    EntityCategory,
    Platform,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .break_even import (
    ATTR_POOL_HOST,
    ATTR_SOURCE,
    ATTR_SOURCE_ENTRY,
    FLEET_UPDATE_INTERVAL,
    MinerEfficiency,
    async_fleet_price,
    async_follow_miners,
    async_follow_sources,
    async_miner_revenue,
    async_track_miner,
)
from .clients.mining_economics import (
    SteadyReading,
    break_even_price,
    steady_reading,
)
from .clients.whatsminer import Board, FastData, SlowData
from .clients.whitepool import PayoutDestination, hashrate_to_terahash
from .coordinator import (
    BitcoinNetworkConfigEntry,
    BitcoinNetworkCoordinator,
    BitcoinNetworkData,
    HashwattConfigEntry,
    WebMinePoolConfigEntry,
    WebMinePoolCoordinator,
    WebMinePoolData,
    WhatsminerFastCoordinator,
    WhatsminerSlowCoordinator,
    WhitePoolAccountData,
    WhitePoolConfigEntry,
    WhitePoolCoordinator,
    WhitePoolData,
    is_miner_entry,
    is_network_entry,
    is_webminepool_entry,
    is_whitepool_entry,
)
from .entity import (
    BitcoinNetworkEntity,
    HashwattMinerEntity,
    WebMinePoolEntity,
    WhitePoolEntity,
    async_add_pool_account_items,
    async_remove_gone_entities,
    is_whitepool_worker_unique_id,
    webminepool_unique_id,
    whitepool_unique_id,
    whitepool_worker_key,
)
from .helpers import without_url_credentials
from .totals import async_starting_energy

# Read-only platform: the coordinators do the polling.
PARALLEL_UPDATES = 0

TERAHASH_PER_SECOND = "TH/s"
JOULE_PER_TERAHASH = "J/TH"

# "Last boot" is now minus uptime, so it moves by the poll's latency every poll.
BOOT_TIME_TOLERANCE = timedelta(minutes=1)

# Energy is integrated over consecutive fast polls only: a longer gap is an
# outage or a restart, and nothing is known about the power in between.
MAX_POLLS_BETWEEN_SAMPLES = 3


@dataclass(frozen=True, kw_only=True)
class HashwattSensorEntityDescription[DataT: (FastData, SlowData)](
    SensorEntityDescription
):
    """A sensor read from one of the two polls."""

    value_fn: Callable[[DataT], StateType | datetime]
    exists_fn: Callable[[DataT], bool] = lambda _: True
    attributes_fn: Callable[[DataT], dict[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class HashwattBoardSensorEntityDescription(SensorEntityDescription):
    """A sensor of one hashboard; one entity per board the miner reports."""

    board_fn: Callable[[Board], StateType]


def _boot_time(data: FastData) -> datetime | None:
    uptime = data.summary.system_uptime
    return None if uptime is None else dt_util.utcnow() - timedelta(seconds=uptime)


def _active_pool_url(data: SlowData) -> str | None:
    """The active pool's URL, without credentials should it carry any."""
    url = next((pool.url for pool in data.pools if pool.stratum_active), None)
    return None if url is None else without_url_credentials(url)


def _active_pool(data: SlowData) -> str | None:
    """host:port: what tells pools apart, short enough for a dashboard row."""
    if (url := _active_pool_url(data)) is None:
        return None
    return url.rpartition("://")[2].partition("/")[0] or url


def _active_pool_attributes(data: SlowData) -> dict[str, Any]:
    return {"url": _active_pool_url(data)}


def _error_codes(data: SlowData) -> dict[str, Any]:
    return {
        "codes": [
            {
                "code": error.code,
                "reported_at": error.reported_at.isoformat()
                if error.reported_at
                else None,
            }
            for error in data.errors
        ]
    }


FAST_SENSORS: tuple[HashwattSensorEntityDescription[FastData], ...] = (
    HashwattSensorEntityDescription[FastData](
        key="hashrate",
        translation_key="hashrate",
        native_unit_of_measurement=TERAHASH_PER_SECOND,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda data: data.summary.hashrate_realtime,
    ),
    HashwattSensorEntityDescription[FastData](
        key="hashrate_average",
        translation_key="hashrate_average",
        native_unit_of_measurement=TERAHASH_PER_SECOND,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda data: data.summary.hashrate_average,
    ),
    HashwattSensorEntityDescription[FastData](
        key="hashrate_factory",
        translation_key="hashrate_factory",
        native_unit_of_measurement=TERAHASH_PER_SECOND,
        entity_category=EntityCategory.DIAGNOSTIC,
        # The model's nominal figure: it never changes, and the hashrate sensors
        # are what a drop shows on.
        entity_registry_enabled_default=False,
        suggested_display_precision=2,
        value_fn=lambda data: data.summary.hashrate_factory,
    ),
    HashwattSensorEntityDescription[FastData](
        key="power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda data: data.summary.power,
    ),
    HashwattSensorEntityDescription[FastData](
        key="efficiency",
        translation_key="efficiency",
        native_unit_of_measurement=JOULE_PER_TERAHASH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        # Unknown until the miner hashes steadily, whatever its API: while it warms
        # up, power over a rising hashrate is no efficiency (the break-even prices
        # go by the same rule).
        value_fn=lambda data: (
            data.summary.efficiency if steady_reading(data) is not None else None
        ),
    ),
    HashwattSensorEntityDescription[FastData](
        key="environment_temperature",
        translation_key="environment_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda data: data.summary.environment_temperature,
    ),
    HashwattSensorEntityDescription[FastData](
        key="chip_temperature_min",
        translation_key="chip_temperature_min",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        value_fn=lambda data: data.summary.chip_temperature_min,
    ),
    HashwattSensorEntityDescription[FastData](
        key="chip_temperature_max",
        translation_key="chip_temperature_max",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda data: data.summary.chip_temperature_max,
    ),
    HashwattSensorEntityDescription[FastData](
        key="chip_temperature_average",
        translation_key="chip_temperature_average",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        # The maximum is what the miner throttles for, and what to alert on.
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        value_fn=lambda data: data.summary.chip_temperature_avg,
    ),
    HashwattSensorEntityDescription[FastData](
        key="fan_speed_in",
        translation_key="fan_speed_in",
        native_unit_of_measurement=REVOLUTIONS_PER_MINUTE,
        state_class=SensorStateClass.MEASUREMENT,
        # A liquid-cooled miner has no fans of its own: they would read 0 forever.
        exists_fn=lambda data: not data.liquid_cooled,
        value_fn=lambda data: data.summary.fan_speed_in,
    ),
    HashwattSensorEntityDescription[FastData](
        key="fan_speed_out",
        translation_key="fan_speed_out",
        native_unit_of_measurement=REVOLUTIONS_PER_MINUTE,
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=lambda data: not data.liquid_cooled,
        value_fn=lambda data: data.summary.fan_speed_out,
    ),
    HashwattSensorEntityDescription[FastData](
        key="coolant_temperature",
        translation_key="coolant_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        exists_fn=lambda data: (
            data.liquid_cooled or data.summary.liquid_temperature is not None
        ),
        value_fn=lambda data: data.summary.liquid_temperature,
    ),
    HashwattSensorEntityDescription[FastData](
        key="last_boot",
        translation_key="last_boot",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Read when troubleshooting; an unexpected restart shows as the mining
        # state and the error codes.
        entity_registry_enabled_default=False,
        value_fn=_boot_time,
    ),
    HashwattSensorEntityDescription[FastData](
        key="accepted_shares",
        translation_key="accepted_shares",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.summary.accepted_shares,
    ),
    HashwattSensorEntityDescription[FastData](
        key="rejected_shares",
        translation_key="rejected_shares",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.summary.rejected_shares,
    ),
    HashwattSensorEntityDescription[FastData](
        key="pool_rejected_percent",
        translation_key="pool_rejected_percent",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda data: data.summary.pool_rejected_percent,
    ),
    HashwattSensorEntityDescription[FastData](
        key="frequency_average",
        translation_key="frequency_average",
        device_class=SensorDeviceClass.FREQUENCY,
        native_unit_of_measurement=UnitOfFrequency.MEGAHERTZ,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=0,
        value_fn=lambda data: data.summary.frequency_avg,
    ),
)

SLOW_SENSORS: tuple[HashwattSensorEntityDescription[SlowData], ...] = (
    HashwattSensorEntityDescription[SlowData](
        key="psu_fan_speed",
        translation_key="psu_fan_speed",
        native_unit_of_measurement=REVOLUTIONS_PER_MINUTE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        # A failing PSU fan shows as PSU temperature, which stays enabled.
        entity_registry_enabled_default=False,
        exists_fn=lambda data: data.psu is not None,
        value_fn=lambda data: data.psu.fan_speed if data.psu else None,
    ),
    HashwattSensorEntityDescription[SlowData](
        key="psu_temperature",
        translation_key="psu_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=1,
        exists_fn=lambda data: data.psu is not None,
        value_fn=lambda data: data.psu.temperature if data.psu else None,
    ),
    HashwattSensorEntityDescription[SlowData](
        key="psu_input_voltage",
        translation_key="psu_input_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        exists_fn=lambda data: data.psu is not None,
        value_fn=lambda data: data.psu.input_voltage if data.psu else None,
    ),
    HashwattSensorEntityDescription[SlowData](
        key="psu_input_current",
        translation_key="psu_input_current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=2,
        exists_fn=lambda data: data.psu is not None,
        value_fn=lambda data: data.psu.input_current if data.psu else None,
    ),
    HashwattSensorEntityDescription[SlowData](
        key="psu_input_power",
        translation_key="psu_input_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,  # as the PSU's other electrics
        suggested_display_precision=0,
        # Only where the PSU reports it (pin; not old firmware, not every PSU).
        exists_fn=lambda data: (
            data.psu is not None and data.psu.input_power is not None
        ),
        value_fn=lambda data: data.psu.input_power if data.psu else None,
    ),
    HashwattSensorEntityDescription[SlowData](
        key="active_pool",
        translation_key="active_pool",
        value_fn=_active_pool,
        attributes_fn=_active_pool_attributes,
    ),
    HashwattSensorEntityDescription[SlowData](
        key="error_count",
        translation_key="error_count",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: len(data.errors),
        attributes_fn=_error_codes,
    ),
    HashwattSensorEntityDescription[SlowData](
        key="firmware",
        translation_key="firmware",
        entity_category=EntityCategory.DIAGNOSTIC,
        # The device page shows the firmware version already.
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.version.firmware_version,
    ),
)

BOARD_SENSORS: tuple[HashwattBoardSensorEntityDescription, ...] = (
    HashwattBoardSensorEntityDescription(
        # The miner's hottest chip and its environment stay enabled for alerts;
        # per board, the hashrate shows a failing board.
        key="temperature",
        translation_key="board_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        board_fn=lambda board: board.temperature,
    ),
    HashwattBoardSensorEntityDescription(
        key="hashrate",
        translation_key="board_hashrate",
        native_unit_of_measurement=TERAHASH_PER_SECOND,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        board_fn=lambda board: board.hashrate_realtime,
    ),
    HashwattBoardSensorEntityDescription(
        # The hottest chip: it is the one the miner throttles for. The miner's
        # hottest chip of all boards stays enabled; this is for finding the board.
        key="chip_temperature",
        translation_key="board_chip_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        board_fn=lambda board: board.chip_temperature_max,
    ),
    HashwattBoardSensorEntityDescription(
        key="effective_chips",
        translation_key="board_effective_chips",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Constant until a chip fails, which the board's hashrate and the
        # miner's error codes report.
        entity_registry_enabled_default=False,
        board_fn=lambda board: board.effective_chips,
    ),
)

ENERGY_SENSOR = SensorEntityDescription(
    key="energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=3,
)


def _board_description(
    template: HashwattBoardSensorEntityDescription, index: int
) -> HashwattSensorEntityDescription[FastData]:
    """Describe one board's sensor; boards count from 1 in names and keys."""

    def board_value(data: FastData) -> StateType:
        board = next((board for board in data.boards if board.index == index), None)
        return None if board is None else template.board_fn(board)

    return HashwattSensorEntityDescription[FastData](
        key=f"board_{index + 1}_{template.key}",
        translation_key=template.translation_key,
        translation_placeholders={"board": str(index + 1)},
        device_class=template.device_class,
        native_unit_of_measurement=template.native_unit_of_measurement,
        state_class=template.state_class,
        entity_category=template.entity_category,
        entity_registry_enabled_default=template.entity_registry_enabled_default,
        suggested_display_precision=template.suggested_display_precision,
        value_fn=board_value,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HashwattConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an entry's sensors: a miner's, a pool account's or the network's."""
    if is_network_entry(entry):
        async_setup_network_sensors(entry, async_add_entities)
        return
    if is_whitepool_entry(entry):
        _async_setup_whitepool_sensors(
            hass, entry, entry.runtime_data.coordinator, async_add_entities
        )
        return
    if is_webminepool_entry(entry):
        _async_setup_webminepool_sensors(
            hass, entry, entry.runtime_data.coordinator, async_add_entities
        )
        return
    if not is_miner_entry(entry):
        return
    fast = entry.runtime_data.fast
    slow = entry.runtime_data.slow
    entities: list[SensorEntity] = [
        HashwattSensor(fast, description)
        for description in FAST_SENSORS
        if description.exists_fn(fast.data)
    ]
    entities.extend(
        HashwattSensor(slow, description)
        for description in SLOW_SENSORS
        if description.exists_fn(slow.data)
    )
    entities.append(HashwattEnergySensor(fast, ENERGY_SENSOR))
    entities.append(MinerBreakEvenSensor(async_track_miner(hass, entry)))
    async_add_entities(entities)

    known_boards: set[int] = set()

    @callback
    def async_add_new_boards() -> None:
        if not fast.last_update_success or entry.runtime_data.another_miner_answers:
            # The boards another miner reports are not this one's.
            return
        new_boards = {board.index for board in fast.data.boards} - known_boards
        if not new_boards:
            return
        known_boards.update(new_boards)
        async_add_entities(
            HashwattSensor(fast, _board_description(template, index))
            for index in sorted(new_boards)
            for template in BOARD_SENSORS
        )

    async_add_new_boards()
    entry.async_on_unload(fast.async_add_listener(async_add_new_boards))


class HashwattSensor[
    CoordinatorT: WhatsminerFastCoordinator | WhatsminerSlowCoordinator
](HashwattMinerEntity[CoordinatorT], SensorEntity):
    """A sensor showing one figure from the fast or the slow poll."""

    entity_description: HashwattSensorEntityDescription[Any]

    def __init__(
        self,
        coordinator: CoordinatorT,
        description: HashwattSensorEntityDescription[Any],
    ) -> None:
        """Read the first value from data the coordinator already has."""
        super().__init__(coordinator, description)
        self._read()

    @callback
    def _read(self) -> None:
        description = self.entity_description
        data = self.coordinator.data
        value = description.value_fn(data)
        previous = self._attr_native_value
        if (
            isinstance(value, datetime)
            and isinstance(previous, datetime)
            and abs(value - previous) < BOOT_TIME_TOLERANCE
        ):
            value = previous
        self._attr_native_value = value
        if description.attributes_fn is not None:
            self._attr_extra_state_attributes = description.attributes_fn(data)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._read()
        super()._handle_coordinator_update()

    @override
    def _shown(self) -> tuple[object, ...]:
        # The state follows from these, and is cheaper to compare than to build.
        # A unit or precision chosen in the registry is written by Home Assistant.
        return (
            self.available,
            self.native_value,
            self.extra_state_attributes,
        )


class HashwattEnergySensor(
    HashwattMinerEntity[WhatsminerFastCoordinator], RestoreSensor
):
    """Energy used, integrated from the power of consecutive fast polls; kept across restarts."""

    _attr_native_value: float

    def __init__(
        self,
        coordinator: WhatsminerFastCoordinator,
        description: SensorEntityDescription,
    ) -> None:
        """Start from zero; a restored total replaces it once added."""
        super().__init__(coordinator, description)
        self._attr_native_value = 0.0
        self._last_sample: tuple[datetime, float] | None = None

    @override
    async def async_added_to_hass(self) -> None:
        """Continue from the total last shown before the restart, or the crash.

        Known before any poll is followed: none may add to a total still to come.
        """
        restored = None
        if (last := await self.async_get_last_sensor_data()) is not None and isinstance(
            last.native_value, int | float | Decimal
        ):
            restored = float(last.native_value)
        start = await async_starting_energy(self.hass, self.entity_id, restored)
        if start is not None:
            self._attr_native_value = start
        await super().async_added_to_hass()
        self._sample()

    @callback
    def _sample(self) -> None:
        """Take the current power as a sample; add the energy since the last one.

        Nothing is known about this miner's power while it does not answer, or
        while another miner answers at its address: no energy is added for then.
        """
        now = dt_util.utcnow()
        power = (
            self.coordinator.data.summary.power
            if self.coordinator.last_update_success
            and not self.miner.another_miner_answers
            else None
        )
        previous = self._last_sample
        self._last_sample = None if power is None else (now, power)
        if previous is None or power is None:
            return
        elapsed = now - previous[0]
        interval = self.coordinator.update_interval or timedelta(0)
        if elapsed > interval * MAX_POLLS_BETWEEN_SAMPLES:
            return
        watt_hours = (previous[1] + power) / 2 * elapsed.total_seconds() / 3600
        # A total never runs backwards: statistics would read a meter reset.
        if watt_hours > 0:
            self._attr_native_value += watt_hours / 1000

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._sample()
        super()._handle_coordinator_update()


# --- Mining pools ------------------------------------------------------------------------

BITCOIN: Final = "BTC"
WEBMINECOIN: Final = "WMC"
# FPPS pays this much BTC a day for each TH/s of hashrate.
BTC_PER_TERAHASH_DAY: Final = "BTC/(TH/s)/d"
SATOSHI_PER_WMC: Final = "sat/WMC"
SATOSHI_PER_MEGAHASH: Final = "sat/MH"

type PoolValue = StateType | Decimal


def _plain_state(value: PoolValue | datetime) -> StateType | datetime:
    """Show amounts in plain digits: ``str(Decimal)`` writes 0.0000005 BTC as 5E-7."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


@dataclass(frozen=True, kw_only=True)
class ApiSensorEntityDescription[DataT](SensorEntityDescription):
    """A sensor read from a pool account's or the Bitcoin network's poll."""

    value_fn: Callable[[DataT], PoolValue | datetime]
    available_fn: Callable[[DataT], bool] = lambda _: True
    # For a unit that depends on the data: the currency a price is in.
    unit_fn: Callable[[DataT], str] | None = None
    # The figures a value comes from, where they help.
    attributes_fn: Callable[[DataT], dict[str, Any]] | None = None


class ApiSensor[DataT](SensorEntity):
    """What the sensors of pool accounts and of the Bitcoin network share.

    Put before the entry kind's entity class, whose ``available`` it extends.
    """

    entity_description: ApiSensorEntityDescription[DataT]

    @property
    def _data(self) -> DataT:
        """The last poll's data (the entry kind's coordinator's)."""
        raise NotImplementedError

    @property
    @override
    def available(self) -> bool:
        """Whether the last poll has this sensor's figure."""
        return super().available and self.entity_description.available_fn(self._data)

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the figure from the last poll."""
        return _plain_state(self.entity_description.value_fn(self._data))

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit; a price's is in the currency the entry prices BTC in."""
        if (unit_fn := self.entity_description.unit_fn) is not None:
            return unit_fn(self._data)
        return super().native_unit_of_measurement

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the figures the value comes from, where they help."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn(self._data)


WhitePoolSensorEntityDescription = ApiSensorEntityDescription[WhitePoolData]
WebMinePoolSensorEntityDescription = ApiSensorEntityDescription[WebMinePoolData]


@dataclass(frozen=True, kw_only=True)
class WhitePoolAccountSensorEntityDescription(SensorEntityDescription):
    """A sensor of one mining account; one entity per account the API key lists."""

    account_fn: Callable[[WhitePoolAccountData], PoolValue]


def _terahash(hashrate: Decimal | None) -> Decimal | None:
    return None if hashrate is None else hashrate_to_terahash(hashrate)


WHITEPOOL_SENSORS: tuple[WhitePoolSensorEntityDescription, ...] = (
    WhitePoolSensorEntityDescription(
        key="btc_price",
        translation_key="btc_price",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda data: data.btc_price,
        available_fn=lambda data: data.btc_price is not None,
        unit_fn=lambda data: f"{data.btc_quote}/{BITCOIN}",
    ),
)

WHITEPOOL_ACCOUNT_SENSORS: tuple[WhitePoolAccountSensorEntityDescription, ...] = (
    WhitePoolAccountSensorEntityDescription(
        key="hashrate",
        translation_key="pool_hashrate",
        native_unit_of_measurement=TERAHASH_PER_SECOND,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        account_fn=lambda account: _terahash(
            account.hashrate.hashrate if account.hashrate else None
        ),
    ),
    WhitePoolAccountSensorEntityDescription(
        key="reject_rate",
        translation_key="reject_rate",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        account_fn=lambda account: (
            account.hashrate.reject_rate * 100 if account.hashrate else None
        ),
    ),
    WhitePoolAccountSensorEntityDescription(
        key="workers_online",
        translation_key="workers_online",
        state_class=SensorStateClass.MEASUREMENT,
        account_fn=lambda account: account.miners.workers.online,
    ),
    WhitePoolAccountSensorEntityDescription(
        key="workers_offline",
        translation_key="workers_offline",
        state_class=SensorStateClass.MEASUREMENT,
        account_fn=lambda account: account.miners.workers.offline,
    ),
    WhitePoolAccountSensorEntityDescription(
        key="workers_low",
        translation_key="workers_low",
        state_class=SensorStateClass.MEASUREMENT,
        account_fn=lambda account: account.miners.workers.low,
    ),
    WhitePoolAccountSensorEntityDescription(
        key="pool_fee",
        translation_key="pool_fee",
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=1,
        account_fn=lambda account: account.miners.fee_percent,
    ),
    WhitePoolAccountSensorEntityDescription(
        key="fpps_rate",
        translation_key="fpps_rate",
        native_unit_of_measurement=BTC_PER_TERAHASH_DAY,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=8,
        account_fn=lambda account: account.fpps_rate,
    ),
    WhitePoolAccountSensorEntityDescription(
        key="last_reward",
        translation_key="last_reward",
        native_unit_of_measurement=BITCOIN,
        suggested_display_precision=8,
        account_fn=lambda account: (
            account.last_reward.reward if account.last_reward else None
        ),
    ),
    WhitePoolAccountSensorEntityDescription(
        key="rewards_last_day",
        translation_key="rewards_last_day",
        native_unit_of_measurement=BITCOIN,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=8,
        account_fn=lambda account: account.rewards_last_day,
    ),
    WhitePoolAccountSensorEntityDescription(
        key="pending_rewards",
        translation_key="pending_rewards",
        native_unit_of_measurement=BITCOIN,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=8,
        account_fn=lambda account: account.pending_rewards,
    ),
    WhitePoolAccountSensorEntityDescription(
        key="payout_destination",
        translation_key="payout_destination",
        device_class=SensorDeviceClass.ENUM,
        options=[destination.value for destination in PayoutDestination],
        account_fn=lambda account: account.payout.destination.value,
    ),
)

WEBMINEPOOL_SENSORS: tuple[WebMinePoolSensorEntityDescription, ...] = (
    WebMinePoolSensorEntityDescription(
        key="balance",
        translation_key="wmc_balance",
        native_unit_of_measurement=WEBMINECOIN,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: data.balance,
    ),
    WebMinePoolSensorEntityDescription(
        key="unpaid_hashes",
        translation_key="unpaid_hashes",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.hashes,
    ),
    WebMinePoolSensorEntityDescription(
        key="wmc_rate",
        translation_key="wmc_rate",
        native_unit_of_measurement=SATOSHI_PER_WMC,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda data: data.rates.wmc,
    ),
    WebMinePoolSensorEntityDescription(
        key="hash_rate_web",
        translation_key="hash_rate_web",
        native_unit_of_measurement=SATOSHI_PER_MEGAHASH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: data.rates.web,
    ),
    WebMinePoolSensorEntityDescription(
        key="hash_rate_desktop",
        translation_key="hash_rate_desktop",
        native_unit_of_measurement=SATOSHI_PER_MEGAHASH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: data.rates.desktop,
    ),
    WebMinePoolSensorEntityDescription(
        key="active_users",
        translation_key="active_users",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: len(data.users),
    ),
)


def _account_description(
    template: WhitePoolAccountSensorEntityDescription, account: str
) -> WhitePoolSensorEntityDescription:
    """Describe one account's sensor, read from the poll's data of that account."""

    def account_value(data: WhitePoolData) -> PoolValue:
        account_data = data.accounts.get(account)
        return None if account_data is None else template.account_fn(account_data)

    return WhitePoolSensorEntityDescription(
        key=template.key,
        translation_key=template.translation_key,
        device_class=template.device_class,
        options=template.options,
        native_unit_of_measurement=template.native_unit_of_measurement,
        state_class=template.state_class,
        entity_category=template.entity_category,
        suggested_display_precision=template.suggested_display_precision,
        value_fn=account_value,
    )


def _worker_description(account: str, worker: str) -> WhitePoolSensorEntityDescription:
    """Describe an online worker's hashrate sensor, on its account's device."""

    def worker_hashrate(data: WhitePoolData) -> PoolValue:
        account_data = data.accounts.get(account)
        return (
            None
            if account_data is None
            else _terahash(account_data.workers.get(worker))
        )

    return WhitePoolSensorEntityDescription(
        key=whitepool_worker_key(worker),
        translation_key="worker_hashrate",
        # Workers are named "account.rig"; the device already names the account.
        translation_placeholders={"worker": worker.removeprefix(f"{account}.")},
        native_unit_of_measurement=TERAHASH_PER_SECOND,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=worker_hashrate,
        available_fn=lambda data: (
            account in data.accounts and worker in data.accounts[account].workers
        ),
    )


def _user_key(user: str) -> str:
    return f"user-{user}"


def _user_description(user: str) -> WebMinePoolSensorEntityDescription:
    """Describe the hash balance of one user who mined in the last 3 days."""
    return WebMinePoolSensorEntityDescription(
        key=_user_key(user),
        translation_key="user_hashes",
        translation_placeholders={"user": user},
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.users[user].hashes if user in data.users else None,
        available_fn=lambda data: user in data.users,
    )


@callback
def _async_setup_whitepool_sensors(
    hass: HomeAssistant,
    entry: WhitePoolConfigEntry,
    coordinator: WhitePoolCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities(
        WhitePoolSensor(coordinator, description) for description in WHITEPOOL_SENSORS
    )
    async_add_entities([FleetBreakEvenSensor(coordinator)])

    @callback
    def async_add_accounts(accounts: list[str]) -> None:
        async_add_entities(
            WhitePoolSensor(
                coordinator, _account_description(template, account), account
            )
            for account in accounts
            for template in WHITEPOOL_ACCOUNT_SENSORS
        )

    @callback
    def async_add_workers(workers: list[tuple[str, str]]) -> None:
        async_add_entities(
            WhitePoolSensor(coordinator, _worker_description(account, worker), account)
            for account, worker in workers
        )

    def online_workers() -> list[tuple[str, str]]:
        return [
            (account.name, worker)
            for account in coordinator.data.accounts.values()
            for worker in account.workers
        ]

    async_add_pool_account_items(
        entry, coordinator, lambda: coordinator.data.accounts, async_add_accounts
    )
    async_add_pool_account_items(entry, coordinator, online_workers, async_add_workers)
    # A worker that went offline takes its hashrate sensor with it; it comes back
    # (with its settings) when the worker is online again.
    async_remove_gone_entities(
        hass,
        entry,
        coordinator,
        platform=Platform.SENSOR,
        is_item_fn=is_whitepool_worker_unique_id,
        current_fn=lambda: {
            whitepool_unique_id(account, whitepool_worker_key(worker))
            for account, worker in online_workers()
        },
    )


@callback
def _async_setup_webminepool_sensors(
    hass: HomeAssistant,
    entry: WebMinePoolConfigEntry,
    coordinator: WebMinePoolCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities(
        WebMinePoolSensor(coordinator, description)
        for description in WEBMINEPOOL_SENSORS
    )

    @callback
    def async_add_users(users: list[str]) -> None:
        async_add_entities(
            WebMinePoolSensor(coordinator, _user_description(user)) for user in users
        )

    async_add_pool_account_items(
        entry, coordinator, lambda: coordinator.data.users, async_add_users
    )
    # WebMinePool lists the users who mined in the last 3 days: the others, and
    # deleted ones, lose their sensor.
    user_prefix = webminepool_unique_id(entry, _user_key(""))
    async_remove_gone_entities(
        hass,
        entry,
        coordinator,
        platform=Platform.SENSOR,
        is_item_fn=lambda unique_id: unique_id.startswith(user_prefix),
        current_fn=lambda: {
            webminepool_unique_id(entry, _user_key(user))
            for user in coordinator.data.users
        },
    )


class WhitePoolSensor(ApiSensor[WhitePoolData], WhitePoolEntity):
    """A sensor of a WhiteBIT mining pool, mining account or worker."""

    @property
    @override
    def _data(self) -> WhitePoolData:
        return self.coordinator.data


class WebMinePoolSensor(ApiSensor[WebMinePoolData], WebMinePoolEntity):
    """A sensor of a WebMinePool site or one of its users."""

    @property
    @override
    def _data(self) -> WebMinePoolData:
        return self.coordinator.data


# --- The Bitcoin network -------------------------------------------------------


EXAHASH_PER_SECOND: Final = "EH/s"
HASHES_PER_EXAHASH: Final = Decimal(10**18)
# The unit of hashprice: what a TH/s earns in a day (as the FPPS rate's sensor says).
PER_TERAHASH_DAY: Final = "(TH/s)/d"
# Hashprice is some 10⁻⁷ BTC (tens of satoshi): plain digits, eight significant.
BTC_PLACES: Final = Decimal("1e-15")


def _plain(value: Decimal | None, places: Decimal) -> str | None:
    """Write a Decimal in plain digits (``str`` writes 4.2E-7), rounded to ``places``."""
    if value is None:
        return None
    return format(value.quantize(places).normalize(), "f")


BitcoinNetworkSensorEntityDescription = ApiSensorEntityDescription[BitcoinNetworkData]


def _hashprice_attributes(data: BitcoinNetworkData) -> dict[str, Any]:
    figures = data.figures
    return {
        "block_height": figures.tip_height,
        "blocks_averaged": figures.rewards.block_count,
        "average_reward": float(figures.rewards.average_reward),
    }


NETWORK_SENSORS: tuple[BitcoinNetworkSensorEntityDescription, ...] = (
    BitcoinNetworkSensorEntityDescription(
        key="hashprice_btc",
        translation_key="hashprice_btc",
        native_unit_of_measurement=f"{BITCOIN}/{PER_TERAHASH_DAY}",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=10,
        value_fn=lambda data: _plain(data.hashprice, BTC_PLACES),
        attributes_fn=_hashprice_attributes,
    ),
    BitcoinNetworkSensorEntityDescription(
        key="hashprice",
        translation_key="hashprice",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: _plain(data.hashprice_in_currency, Decimal("1e-8")),
        available_fn=lambda data: data.btc_price is not None,
        unit_fn=lambda data: f"{data.currency}/{PER_TERAHASH_DAY}",
    ),
    BitcoinNetworkSensorEntityDescription(
        key="network_hashrate",
        translation_key="network_hashrate",
        native_unit_of_measurement=EXAHASH_PER_SECOND,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda data: _plain(
            data.figures.hashrate.current_hashrate / HASHES_PER_EXAHASH,
            Decimal("1e-3"),
        ),
    ),
    BitcoinNetworkSensorEntityDescription(
        key="difficulty",
        translation_key="difficulty",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda data: _plain(
            data.figures.hashrate.current_difficulty, Decimal(1)
        ),
    ),
    BitcoinNetworkSensorEntityDescription(
        key="difficulty_change",
        translation_key="difficulty_change",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda data: _plain(
            data.figures.adjustment.difficulty_change, Decimal("1e-4")
        ),
        attributes_fn=lambda data: {
            "remaining_blocks": data.figures.adjustment.remaining_blocks,
            "retarget_height": data.figures.adjustment.next_retarget_height,
        },
    ),
    BitcoinNetworkSensorEntityDescription(
        key="difficulty_retarget",
        translation_key="difficulty_retarget",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda data: data.figures.adjustment.estimated_retarget_date,
    ),
    BitcoinNetworkSensorEntityDescription(
        key="average_fees",
        translation_key="average_fees",
        native_unit_of_measurement=BITCOIN,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: _plain(
            data.figures.rewards.average_fees, Decimal("1e-8")
        ),
    ),
    BitcoinNetworkSensorEntityDescription(
        key="btc_price",
        translation_key="btc_price",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda data: _plain(data.btc_price, Decimal("1e-2")),
        available_fn=lambda data: data.btc_price is not None,
        unit_fn=lambda data: f"{data.currency}/{BITCOIN}",
    ),
    BitcoinNetworkSensorEntityDescription(
        key="block_height",
        translation_key="block_height",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.figures.tip_height,
    ),
)


@callback
def async_setup_network_sensors(
    entry: BitcoinNetworkConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a Bitcoin-network entry's sensors and its fleet break-even price."""
    coordinator = entry.runtime_data.coordinator
    entities: list[SensorEntity] = [
        BitcoinNetworkSensor(coordinator, description)
        for description in NETWORK_SENSORS
    ]
    entities.append(NetworkFleetBreakEvenSensor(coordinator))
    async_add_entities(entities)


class BitcoinNetworkSensor(ApiSensor[BitcoinNetworkData], BitcoinNetworkEntity):
    """A figure of the Bitcoin network."""

    @property
    @override
    def _data(self) -> BitcoinNetworkData:
        return self.coordinator.data


# --- Break-even prices (where their revenue comes from: break_even.py) ----------

MINER_BREAK_EVEN = SensorEntityDescription(
    key="break_even_price",
    translation_key="break_even_price",
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=4,
)


FLEET_BREAK_EVEN = SensorEntityDescription(
    key="fleet_break_even_price",
    translation_key="fleet_break_even_price",
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=4,
)


@dataclass(frozen=True, slots=True)
class _StoredReading(ExtraStoredData):
    reading: SteadyReading
    pool_host: str | None

    @override
    def as_dict(self) -> dict[str, Any]:
        return {**self.reading.as_dict(), ATTR_POOL_HOST: self.pool_host}


class MinerBreakEvenSensor(
    HashwattMinerEntity[WhatsminerFastCoordinator], SensorEntity, RestoreEntity
):
    """A miner's break-even electricity price (see the module docstring).

    No device class: it is a price per unit of energy, not an amount of money.
    """

    def __init__(self, tracker: MinerEfficiency) -> None:
        """Show the break-even price of the miner ``tracker`` follows."""
        super().__init__(tracker.coordinator, MINER_BREAK_EVEN)
        self._tracker = tracker
        self._has_inputs = False

    @override
    async def async_added_to_hass(self) -> None:
        """Start from the steady reading saved before a restart; follow the sources."""
        await super().async_added_to_hass()
        if self._tracker.last_steady is None and (
            stored := await self.async_get_last_extra_data()
        ):
            data = stored.as_dict()
            host = data.get(ATTR_POOL_HOST)
            self._tracker.async_restore(
                SteadyReading.from_dict(data), host if isinstance(host, str) else None
            )
        self.async_on_remove(
            async_follow_sources(self.hass, self._async_update_and_write)
        )
        self._async_update()

    @property
    @override
    def extra_restore_state_data(self) -> ExtraStoredData | None:
        """Keep the last steady reading for after a restart."""
        reading = self._tracker.last_steady
        return (
            None
            if reading is None
            else _StoredReading(reading, self._tracker.pool_host)
        )

    @property
    @override
    def available(self) -> bool:
        """Whether the miner answers and both a steady reading and a revenue exist."""
        return super().available and self._has_inputs

    @callback
    def _async_update(self) -> None:
        reading = self._tracker.reading()
        revenue = async_miner_revenue(self.hass, self._tracker)
        value = None if revenue is None else revenue.in_currency
        self._has_inputs = reading is not None and value is not None
        if reading is None or revenue is None or value is None:
            self._attr_native_value = None
            self._attr_extra_state_attributes = {}
            return
        self._attr_native_unit_of_measurement = (
            f"{revenue.currency}/{UnitOfEnergy.KILO_WATT_HOUR}"
        )
        self._attr_native_value = break_even_price(value, reading.efficiency)
        self._attr_extra_state_attributes = {
            ATTR_SOURCE: revenue.source.value,
            ATTR_SOURCE_ENTRY: revenue.source_entry,
        }

    @callback
    def _async_update_and_write(self) -> None:
        self._async_update()
        self.async_write_ha_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._async_update()
        super()._handle_coordinator_update()


class _FleetBreakEven[CoordinatorT: WhitePoolCoordinator | BitcoinNetworkCoordinator](
    CoordinatorEntity[CoordinatorT], SensorEntity
):
    """The break-even electricity price of every loaded miner together.

    On a WhitePool or Bitcoin-network entry's own device, at that entry's BTC price
    and in its currency. Subclasses put it first, before the entry's entity base.
    """

    _has_inputs = False
    _updated_at: datetime | None = None

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the miners as they poll, load and unload, and the sources."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_follow_miners(
                self.hass, self._async_miner_polled, self._async_update_and_write
            )
        )
        self.async_on_remove(
            async_follow_sources(self.hass, self._async_update_and_write)
        )
        self._async_update()

    @property
    @override
    def available(self) -> bool:
        """Whether the entry's source answers and some miner has a price."""
        return super().available and self._has_inputs

    def _btc_price(self) -> tuple[Decimal, str] | None:
        """The entry's BTC price and its currency, if it has one now."""
        data = self.coordinator.data
        if not self.coordinator.last_update_success or data.btc_price is None:
            return None
        return data.btc_price, data.currency

    @callback
    def _async_update(self) -> None:
        self._updated_at = dt_util.utcnow()
        price = self._btc_price()
        fleet = None if price is None else async_fleet_price(self.hass, price[0])
        self._has_inputs = fleet is not None
        if price is None or fleet is None:
            self._attr_native_value = None
            self._attr_extra_state_attributes = {}
            return
        self._attr_native_unit_of_measurement = (
            f"{price[1]}/{UnitOfEnergy.KILO_WATT_HOUR}"
        )
        self._attr_native_value = fleet.value
        self._attr_extra_state_attributes = fleet.attributes

    @callback
    def _async_update_and_write(self) -> None:
        self._async_update()
        self.async_write_ha_state()

    @callback
    def _async_miner_polled(self) -> None:
        # Another miner polls soon after: skipping one loses nothing for long.
        if (
            self._updated_at is None
            or dt_util.utcnow() - self._updated_at >= FLEET_UPDATE_INTERVAL
        ):
            self._async_update_and_write()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._async_update()
        super()._handle_coordinator_update()


class FleetBreakEvenSensor(_FleetBreakEven[WhitePoolCoordinator], WhitePoolEntity):
    """The fleet's break-even price at a WhitePool entry's BTC price."""

    def __init__(self, coordinator: WhitePoolCoordinator) -> None:
        """Price the fleet in ``coordinator``'s entry's currency."""
        super().__init__(coordinator, FLEET_BREAK_EVEN)


class NetworkFleetBreakEvenSensor(
    _FleetBreakEven[BitcoinNetworkCoordinator], BitcoinNetworkEntity
):
    """The fleet's break-even price at a Bitcoin-network entry's BTC price."""

    def __init__(self, coordinator: BitcoinNetworkCoordinator) -> None:
        """Price the fleet in ``coordinator``'s entry's currency."""
        super().__init__(coordinator, FLEET_BREAK_EVEN)
