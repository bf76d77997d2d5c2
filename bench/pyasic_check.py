"""Issue 3: an independent client (pyasic) against the simulator; prints PASS/FAIL.

pyasic is a widely used Whatsminer client none of us wrote. In its own throwaway
environment it reads simulated miners (one v2, one v3) and sends one authenticated
write, the power limit; the simulator's own state then says whether the write
arrived. Run with ``scripts/pyasic-check``.

The simulator runs as it ships; where pyasic and the simulator disagree, the report
says what differs and docs/benchmarks.md says who is right.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from . import pyasic_env
from .fleet import REPO, FleetProcess

FIRST_IP = "127.0.20.1"
HASHRATE_TOLERANCE = 0.10  # the simulated hashrate moves a little between two reads


@dataclass
class Check:
    """One verdict."""

    name: str
    passed: bool
    detail: str


def _probe(python: str, host: str, password: str, power_limit: int) -> dict[str, Any]:
    completed = subprocess.run(  # noqa: S603  # our own module in pyasic's environment
        [
            python,
            "-m",
            "bench.pyasic_probe",
            host,
            f"--password={password}",
            f"--power-limit={power_limit}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def _close(value: float | None, expected: float) -> bool:
    return value is not None and abs(value - expected) <= HASHRATE_TOLERANCE * expected


def _raw_summary_hashrate(api: str, raw: dict[str, Any]) -> float | None:
    """Return the summary's average hashrate in TH/s as the miner sent it."""
    try:
        if api == "v2":
            return float(raw["SUMMARY"][0]["MHS av"]) / 1e6
        return float(raw["msg"]["summary"]["hash-average"])
    except KeyError, IndexError, TypeError, ValueError:
        return None


def check_miner(
    python: str, fleet: FleetProcess, index: int, new_limit: int
) -> tuple[list[Check], dict[str, Any]]:
    """Probe one miner with pyasic and judge what it saw and did."""
    miner = fleet.miners[index]
    api = miner["api"]
    label = f"{api} miner {miner['host']} ({miner['model']})"
    before = fleet.ask("state", index=index)
    fleet.ask("forget")
    reading = fleet.ask("reading", index=index)
    seen = _probe(python, miner["host"], miner["password"], new_limit)
    after = fleet.ask("state", index=index)
    asked = fleet.ask("requests", index=index)["commands"]
    checks: list[Check] = []
    if "error" in seen:
        checks.append(
            Check(f"{label}: pyasic finds the miner", False, str(seen["error"]))
        )
        return checks, {"pyasic": seen, "simulator_requests": asked}

    checks.append(
        Check(
            f"{label}: pyasic.get_miner finds it",
            seen["found_by_get_miner"],
            "found"
            if seen["found_by_get_miner"]
            else "get_miner returned None; the checks below use pyasic's own model and "
            "version lookups instead (see bench/pyasic_probe.py: identify)",
        )
    )
    expected_backend = "BTMinerV3" if api == "v3" else "BTMinerV2"
    checks.append(
        Check(
            f"{label}: pyasic finds a Whatsminer with the right API",
            seen.get("backend") == expected_backend,
            f"{seen.get('miner_class')} on {seen.get('backend')} (expected {expected_backend})",
        )
    )

    raw_hashrate = _raw_summary_hashrate(api, seen.get("raw_summary") or {})
    checks.append(
        Check(
            f"{label}: raw summary read",
            _close(raw_hashrate, reading["hashrate_avg"]),
            f"summary says {raw_hashrate} TH/s, simulator {reading['hashrate_avg']:.2f} TH/s"
            + (f"; {seen['raw_summary_error']}" if "raw_summary_error" in seen else ""),
        )
    )

    data = seen.get("data", {})
    problems = []
    if not _close(data.get("hashrate_ths"), reading["hashrate"]):
        problems.append(
            f"hashrate {data.get('hashrate_ths')} vs {reading['hashrate']:.2f} TH/s"
        )
    if len(data.get("hashboards", [])) != before["boards"]:
        problems.append(
            f"{len(data.get('hashboards', []))} hashboards vs {before['boards']}"
        )
    if data.get("wattage_limit") != before["power_limit"]:
        problems.append(
            f"power limit {data.get('wattage_limit')} vs {before['power_limit']} W"
        )
    if (data.get("mac") or "").upper() != before["mac"]:
        problems.append(f"MAC {data.get('mac')} vs {before['mac']}")
    if data.get("hostname") != before["hostname"]:
        problems.append(f"hostname {data.get('hostname')} vs {before['hostname']}")
    joins = sorted(command.split(":", 1)[1] for command in asked if "+" in command)
    if problems and joins:
        problems.append(f"pyasic asked for {', '.join(joins)}")
    checks.append(
        Check(
            f"{label}: get_data (hashrate, boards, power limit, MAC, hostname)",
            not problems,
            "; ".join(problems)
            or f"{data.get('hashrate_ths'):.2f} TH/s, limit {data.get('wattage_limit')} W, {data.get('mac')}",
        )
    )

    write_command = "set.miner.power_limit" if api == "v3" else "adjust_power_limit"
    write_error = seen.get("write_error")
    checks.append(
        Check(
            f"{label}: authenticated write {write_command}({new_limit})",
            write_error is None and after["power_limit"] == new_limit,
            f"{write_error or json.dumps(seen.get('write_reply'))}; simulator power limit "
            f"{before['power_limit']} -> {after['power_limit']} W",
        )
    )
    return checks, {"pyasic": seen, "simulator_requests": asked}


def main() -> int:
    """Run every check and print the report; exit 1 on any FAIL."""
    python = str(pyasic_env.ensure())
    report: list[Check] = []
    evidence: dict[str, Any] = {}
    with FleetProcess(2, first_ip=FIRST_IP, api="mixed") as fleet:
        for index, new_limit in ((0, 3100), (1, 3200)):
            checks, seen = check_miner(python, fleet, index, new_limit)
            report += checks
            evidence[f"{fleet.miners[index]['api']} miner"] = seen

    out = sys.stdout
    out.write(f"pyasic {pyasic_env.PYASIC_VERSION} against the Hashwatt simulator\n\n")
    for check in report:
        out.write(
            f"{'PASS' if check.passed else 'FAIL'}  {check.name}\n      {check.detail}\n"
        )
    if "-v" in sys.argv:
        out.write(json.dumps(evidence, indent=2, default=str) + "\n")
    failed = sum(not check.passed for check in report)
    out.write(f"\n{len(report) - failed} passed, {failed} failed\n")
    if failed:
        out.write(
            "Who is right where they disagree: docs/benchmarks.md, section on pyasic.\n"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
