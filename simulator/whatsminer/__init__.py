"""Simulated Whatsminer miners (API v2 on 4028, API v3 on 4433) for tests and the demo.

miner = SimulatedMiner(model="M50", api="v2", password="admin", seed=1)
await miner.start()  # ephemeral ports on 127.0.0.1: miner.v2_port / miner.v3_port
miner.inject(Fault.TRUNCATE, count=1, commands={"summary"})
await miner.stop()

fleet = MinerFleet(count=10, first_ip="127.0.10.1", api="mixed")
await fleet.start()  # each miner on its own loopback address, ports 4028/4433
await fleet.stop()
"""

from .common import RecordedRequest
from .faults import FAULT_DESCRIPTIONS, Fault
from .fleet import MinerFleet
from .hardware import MODELS, MinerModel
from .miner import SimulatedMiner
from .state import (
    ErrorEntry,
    LedPattern,
    LogServer,
    MinerState,
    NetworkSetting,
    PoolSetting,
)

__all__ = [
    "FAULT_DESCRIPTIONS",
    "MODELS",
    "ErrorEntry",
    "Fault",
    "LedPattern",
    "LogServer",
    "MinerFleet",
    "MinerModel",
    "MinerState",
    "NetworkSetting",
    "PoolSetting",
    "RecordedRequest",
    "SimulatedMiner",
]
