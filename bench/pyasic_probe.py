"""What pyasic makes of one simulated miner: run by pyasic's throwaway interpreter.

Reads the miner the way pyasic users do (``get_miner``, the raw summary, ``get_data``),
then sends one authenticated write (the power limit) and prints everything as JSON
for ``bench.pyasic_check`` to judge against the simulator's own state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import warnings
from typing import Any

import pyasic  # type: ignore[import-not-found]  # only in pyasic's own environment
from pyasic.miners.factory import (  # type: ignore[import-not-found]
    MinerFactory,
    MinerTypes,
)


async def identify(host: str) -> tuple[Any, bool]:
    """Return pyasic's miner object and whether ``get_miner`` found it by itself.

    pyasic 0.79's ``get_miner`` never tries port 4433 once port 4028 answered
    anything: ``concurrent_get_first_result`` hands back the last reply even when
    no reply was recognised, and ``_get_miner_socket`` takes any reply as final.
    New firmware answers on 4028 (its compatibility layer), so without a web UI to
    recognise (the simulator has none) pyasic finds no v3 miner. We then take
    pyasic's own next steps by hand: model and firmware version, then its class.
    """
    miner = await pyasic.get_miner(host)
    if miner is not None:
        return miner, True
    factory = MinerFactory()
    model = await factory.get_miner_model_whatsminer(host)
    version = await factory.get_miner_version_whatsminer(host)
    if model is None:
        return None, False
    miner = factory._select_miner_from_classes(  # noqa: SLF001
        host, miner_model=model, miner_type=MinerTypes.WHATSMINER, version=version
    )
    return miner, False


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]  # pyasic's hashrate types convert
    except TypeError, ValueError:
        return None


async def probe(host: str, password: str, power_limit: int) -> dict[str, Any]:
    """Read, write, read back; record pyasic's view and its raw replies."""
    result: dict[str, Any] = {
        "pyasic_version": pyasic.__version__ if hasattr(pyasic, "__version__") else None
    }
    miner, found_by_get_miner = await identify(host)
    result["found_by_get_miner"] = found_by_get_miner
    if miner is None:
        result["error"] = "pyasic found no miner"
        return result
    backend = (
        type(miner).__mro__[1].__name__
    )  # BTMinerV2 or BTMinerV3 behind the model class
    result["miner_class"] = type(miner).__name__
    result["backend"] = backend
    result["rpc_class"] = type(miner.rpc).__name__
    miner.rpc.pwd = password
    v3 = backend == "BTMinerV3"

    try:
        if v3:
            result["raw_summary"] = await miner.rpc.get_miner_status_summary()
        else:
            result["raw_summary"] = await miner.rpc.summary()
    except Exception as err:  # noqa: BLE001  # the report says what pyasic raised
        result["raw_summary_error"] = f"{type(err).__name__}: {err}"

    data = await miner.get_data()
    result["data"] = {
        "model": data.model,
        "mac": data.mac,
        "hostname": data.hostname,
        "fw_ver": data.fw_ver,
        "api_ver": data.api_ver,
        "hashrate_ths": _number(data.hashrate),
        "expected_hashrate_ths": _number(data.expected_hashrate),
        "wattage": data.wattage,
        "wattage_limit": data.wattage_limit,
        "env_temp": data.env_temp,
        "is_mining": data.is_mining,
        "fans": [fan.speed for fan in data.fans],
        "hashboards": [
            {
                "slot": board.slot,
                "hashrate_ths": _number(board.hashrate),
                "temp": board.temp,
                "chip_temp": board.chip_temp,
            }
            for board in data.hashboards
        ],
        "errors": [str(error) for error in data.errors],
    }

    try:
        if v3:
            reply = await miner.rpc.set_miner_power_limit(power_limit)
        else:
            reply = await miner.rpc.adjust_power_limit(power_limit)
        result["write_reply"] = reply
    except Exception as err:  # noqa: BLE001
        result["write_error"] = f"{type(err).__name__}: {err}"
    return result


def main() -> None:
    """Probe the miner given on the command line and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("--password", required=True)
    parser.add_argument("--power-limit", type=int, required=True)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = asyncio.run(probe(args.host, args.password, args.power_limit))
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main()
