"""Sensors of a Bitcoin-network entry: hashprice, network hashrate, difficulty, fees, BTC price.

Added by the sensor platform (sensor.py) for entries of this type, with the fleet's
break-even price at the entry's BTC price (break_even.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .break_even import NetworkFleetBreakEvenSensor
from .coordinator import BitcoinNetworkData, BitcoinNetworkRuntimeData
from .entity import BitcoinNetworkEntity

BITCOIN: Final = "BTC"
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


@dataclass(frozen=True, kw_only=True)
class BitcoinNetworkSensorEntityDescription(SensorEntityDescription):
    """A sensor read from a Bitcoin-network poll."""

    value_fn: Callable[[BitcoinNetworkData], StateType | datetime]
    available_fn: Callable[[BitcoinNetworkData], bool] = lambda _: True
    # For a unit in the entry's currency.
    unit_fn: Callable[[BitcoinNetworkData], str] | None = None
    attributes_fn: Callable[[BitcoinNetworkData], dict[str, Any]] | None = None


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
    entry: ConfigEntry[Any], async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a Bitcoin-network entry's sensors and its fleet break-even price."""
    runtime: BitcoinNetworkRuntimeData = entry.runtime_data
    coordinator = runtime.coordinator
    entities: list[SensorEntity] = [
        BitcoinNetworkSensor(coordinator, description)
        for description in NETWORK_SENSORS
    ]
    entities.append(NetworkFleetBreakEvenSensor(coordinator))
    async_add_entities(entities)


class BitcoinNetworkSensor(BitcoinNetworkEntity, SensorEntity):
    """A figure of the Bitcoin network."""

    entity_description: BitcoinNetworkSensorEntityDescription

    @property
    @override
    def available(self) -> bool:
        """Whether the last poll has this sensor's figure."""
        return super().available and self.entity_description.available_fn(
            self.coordinator.data
        )

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the figure from the last poll."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit; a price's is in the entry's currency."""
        if (unit_fn := self.entity_description.unit_fn) is not None:
            return unit_fn(self.coordinator.data)
        return super().native_unit_of_measurement

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the figures the value comes from, where they help."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn(self.coordinator.data)
