"""The Whatsminer models the simulator can play, with their nominal figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class MinerModel:
    """One hardware model at its factory (normal power mode) operating point."""

    name: str  # marketing name, e.g. "M50"
    variant: str  # what devdetails / v3 report, e.g. "M50VH50"
    boards: int
    chips_per_board: int
    hashrate: float  # TH/s in normal mode, whole miner
    power: int  # W in normal mode
    power_limit: int  # factory power limit, W
    frequency: int  # MHz in normal mode
    hydro: bool  # water cooled: no fans, may overclock
    idle_power: int  # W with the hashboards off
    psu_model: str
    chip: str

    @property
    def v3_type(self) -> str:
        """Return the model as API v3 writes it (``M60S_VK40``)."""
        return f"{self.name}_{self.variant.removeprefix(self.name)}"


MODELS: Mapping[str, MinerModel] = MappingProxyType(
    {
        model.name: model
        for model in (
            # The M20S-class unit of the v1 captures: 68.8 TH/s factory, 3 x 105 chips.
            MinerModel(
                name="M20S",
                variant="M20SV10",
                boards=3,
                chips_per_board=105,
                hashrate=68.0,
                power=3400,
                power_limit=3500,
                frequency=648,
                hydro=False,
                idle_power=12,
                psu_model="P21",
                chip="HP5A01-19101436   BINV04-192101D",
            ),
            MinerModel(
                name="M30S+",
                variant="M30S+VE40",
                boards=3,
                chips_per_board=156,
                hashrate=100.0,
                power=3400,
                power_limit=3600,
                frequency=590,
                hydro=False,
                idle_power=14,
                psu_model="P221B",
                chip="K88Z001-2039 BINV01-195001B",
            ),
            # The M30S++ (VH95) of the 2024-11 fleet captures: classic v2 on 4028 and v3.
            MinerModel(
                name="M30S++",
                variant="M30S++VH95",
                boards=3,
                chips_per_board=78,
                hashrate=101.6,
                power=3300,
                power_limit=3600,
                frequency=712,
                hydro=False,
                idle_power=14,
                psu_model="P222B",
                chip="K88Z003-2210 BINV03-193402B",
            ),
            MinerModel(
                name="M50",
                variant="M50VH50",
                boards=3,
                chips_per_board=105,
                hashrate=120.0,
                power=3300,
                power_limit=3500,
                frequency=610,
                hydro=False,
                idle_power=15,
                psu_model="P221C",
                chip="K88Z004-2143 BINV04-192108A",
            ),
            MinerModel(
                name="M60",
                variant="M60VK10",
                boards=3,
                chips_per_board=111,
                hashrate=172.0,
                power=3420,
                power_limit=3600,
                frequency=560,
                hydro=False,
                idle_power=16,
                psu_model="P222B",
                chip="K88Z005-2322 BINV05-195201A",
            ),
            # The M60S_VK40 of the v3 captures (P221B PSU, K8EC chips).
            MinerModel(
                name="M60S",
                variant="M60SVK40",
                boards=3,
                chips_per_board=75,
                hashrate=181.0,
                power=3300,
                power_limit=3600,
                frequency=625,
                hydro=False,
                idle_power=16,
                psu_model="P221B",
                chip="K8EC374-2426 BINVE6-197806A",
            ),
            # The hydro M7BS_VM30 of the 2026 captures: 4 boards x 288 chips, ~9.8 kW.
            MinerModel(
                name="M7BS",
                variant="M7BSVM30",
                boards=4,
                chips_per_board=288,
                hashrate=561.0,
                power=8400,
                power_limit=10030,
                frequency=400,
                hydro=True,
                idle_power=25,
                psu_model="P621",
                chip="KAAP315-2601 BINVLC-199004E",
            ),
            MinerModel(
                name="M63S",
                variant="M63SVK30",
                boards=4,
                chips_per_board=180,
                hashrate=390.0,
                power=7215,
                power_limit=8000,
                frequency=520,
                hydro=True,
                idle_power=19,
                psu_model="P521A",
                chip="K88Z005-2322 BINV05-195201C",
            ),
        )
    }
)

DEFAULT_MODEL = "M50"
# The models a fleet without a model mixes (the persona models above joined later, and
# adding them would change which miner the demo's seed gives each address).
FLEET_MODELS = ("M30S+", "M50", "M60", "M63S")

# The first three octets of real units' MACs: locally administered, so no vendor OUI.
MAC_PREFIXES = ("C6:07:20", "CE:02:01")
