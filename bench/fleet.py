"""A simulated fleet in its own process, so the client's measurements are its own.

Run as ``python -m bench.fleet --count N --first-ip 127.1.0.1 --api mixed``: it starts
the project's ``MinerFleet``, prints one JSON line describing every miner, then
answers one JSON request per stdin line (what a miner was asked, its state, the
fleet process's CPU time) until stdin closes. ``FleetProcess`` is the other end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any, Self

REPO = Path(__file__).resolve().parent.parent
PROJECT_PYTHON = REPO / ".venv" / "bin" / "python"
BENCH_PASSWORD = "bench_42"  # fits both the v2 (8 chars) and v3 password rules


# -- the fleet process -----------------------------------------------------------------


def _describe(fleet: Any) -> list[dict[str, Any]]:  # noqa: ANN401
    return [
        {
            "host": miner.host,
            "api": miner.api,
            "mac": miner.state.mac,
            "model": miner.model,
            "v2_port": miner.v2_port,
            "v3_port": miner.v3_port,
            "password": miner.state.password,
        }
        for miner in fleet
    ]


def _answer(fleet: Any, request: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN401
    op = request["op"]
    if op == "cpu":
        return {"cpu_s": time.process_time()}
    if op == "forget":
        for miner in fleet:
            miner.requests.clear()
        return {}
    if op == "requests":
        # What every miner (or the one asked for) was asked since the last "forget".
        miners = [fleet.miners[request["index"]]] if "index" in request else list(fleet)
        commands: Counter[str] = Counter()
        for miner in miners:
            for recorded in miner.requests:
                name = f"{recorded.api}:{recorded.command}"
                if recorded.params.get("param") == "salt":
                    name += "(salt)"  # v3: the read a token needs
                commands[name] += 1
        return {
            "commands": dict(commands),
            "tokens_issued": sum(miner.tokens_issued for miner in miners),
        }
    if op == "state":
        state = fleet.miners[request["index"]].state
        return {
            "power_limit": state.power_limit,
            "boards": state.model.boards,
            "power_mode": state.power_mode,
            "mining": state.mining,
            "hostname": state.hostname,
            "mac": state.mac,
            "firmware_version": state.firmware_version,
            "temp_offset": state.temp_offset,
            "led": state.led if isinstance(state.led, str) else "manual",
        }
    if op == "reading":
        reading = fleet.miners[request["index"]].reading()
        return {
            name: getattr(reading, name)
            for name in dir(reading)
            if not name.startswith("_")
            and isinstance(getattr(reading, name), int | float | str | bool)
        }
    raise ValueError(f"unknown request {op!r}")


async def _serve(args: argparse.Namespace) -> None:
    from simulator.whatsminer import MinerFleet  # noqa: PLC0415  # only in this process

    started = time.time()
    speed = args.clock_speed

    def clock() -> float:
        # Faster than real time, the miners' figures change between the polls of
        # a benchmark as they do between Home Assistant's polls.
        now = time.time()
        return float(started + (now - started) * speed)

    fleet = MinerFleet(
        args.count,
        first_ip=args.first_ip,
        api=args.api,
        password=args.password,
        clock=clock,
    )
    await fleet.start()
    try:
        sys.stdout.write(json.dumps({"miners": _describe(fleet)}) + "\n")
        sys.stdout.flush()
        while line := await asyncio.to_thread(sys.stdin.readline):
            try:
                reply = {"ok": True, **_answer(fleet, json.loads(line))}
            except Exception as err:  # noqa: BLE001  # report to the caller, keep serving
                reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    finally:
        await fleet.stop()


def main() -> None:
    """Serve a fleet until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--first-ip", default="127.1.0.1")
    parser.add_argument("--api", default="mixed", choices=("v2", "v3", "mixed"))
    parser.add_argument("--password", default=BENCH_PASSWORD)
    parser.add_argument(
        "--clock-speed", type=float, default=1.0, help="miners' seconds per second"
    )
    asyncio.run(_serve(parser.parse_args()))


# -- the benchmark's end ---------------------------------------------------------------


class FleetProcess:
    """Start a fleet process, talk to it, and stop it when the block ends."""

    def __init__(
        self,
        count: int,
        *,
        first_ip: str = "127.1.0.1",
        api: str = "mixed",
        password: str = BENCH_PASSWORD,
        clock_speed: float = 1.0,
    ) -> None:
        self.command = [
            str(PROJECT_PYTHON),
            "-m",
            "bench.fleet",
            f"--count={count}",
            f"--first-ip={first_ip}",
            f"--api={api}",
            f"--password={password}",
            f"--clock-speed={clock_speed}",
        ]
        self.miners: list[dict[str, Any]] = []
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Self:
        self._process = subprocess.Popen(  # noqa: S603  # our own interpreter and module
            self.command,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None  # noqa: S101  # PIPE above
        first = self._process.stdout.readline()
        if not first:
            self.__exit__(None, None, None)
            raise RuntimeError("the fleet process exited before its miners started")
        self.miners = json.loads(first)["miners"]
        return self

    def ask(self, op: str, **fields: object) -> dict[str, Any]:
        """Send one request to the fleet process and return its answer."""
        process = self._process
        assert process is not None  # noqa: S101  # only inside the with block
        assert process.stdin is not None  # noqa: S101
        assert process.stdout is not None  # noqa: S101
        process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        process.stdin.flush()
        reply: dict[str, Any] = json.loads(process.stdout.readline())
        if not reply.pop("ok"):
            raise RuntimeError(f"fleet: {reply['error']}")
        return reply

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the fleet stops its miners and exits
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
