"""Simulated Whatsminer miners (API v2 on 4028, API v3 on 4433) for tests and the demo.

miner = SimulatedMiner(model="M50", api="v2", password="admin", seed=1)
await miner.start()  # ephemeral ports on 127.0.0.1: miner.v2_port / miner.v3_port
miner.inject(Fault.TRUNCATE, count=1, commands={"summary"})
await miner.stop()

fleet = MinerFleet(count=10, first_ip="127.0.10.1", api="mixed")
await fleet.start()  # each miner on its own loopback address, ports 4028/4433
await fleet.stop()

miner = SimulatedMiner(persona="v1")  # a firmware family, as captured from real miners
# (PERSONAS: v1, v2, compat, v3, v3-2026; see personas.py for what each follows)

replay = ReplayMiner(Capture.load("miner.json"))  # a captured miner's own bytes
await replay.start("127.0.0.1", 0, 0)
"""

from .common import RecordedRequest
from .faults import FAULT_DESCRIPTIONS, Fault
from .fleet import MinerFleet
from .hardware import MODELS, MinerModel
from .miner import SimulatedMiner
from .personas import PERSONAS, Persona
from .replay import Capture, ReplayMiner
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
    "PERSONAS",
    "Capture",
    "ErrorEntry",
    "Fault",
    "LedPattern",
    "LogServer",
    "MinerFleet",
    "MinerModel",
    "MinerState",
    "NetworkSetting",
    "Persona",
    "PoolSetting",
    "RecordedRequest",
    "ReplayMiner",
    "SimulatedMiner",
]
