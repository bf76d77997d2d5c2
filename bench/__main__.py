"""Issue 7: fleet-scale numbers for Hashwatt's Whatsminer client, beside pyasic's.

python -m bench [--quick] [--sizes 10,100] [--runs 5] [--skip-pyasic] [--skip-ha]

Each fleet runs in its own process (``bench.fleet``); each client measurement runs
in a fresh worker process (``bench.sweep_hashwatt`` in the project's interpreter,
``bench.sweep_pyasic`` in pyasic's throwaway one), so CPU time and peak RSS are the
client's alone. Results go to docs/benchmarks.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import pyasic_env, report
from .fleet import PROJECT_PYTHON, REPO, FleetProcess

FULL_SIZES = (10, 100, 500, 1000)
QUICK_SIZES = (10, 100)
FLEET_FIRST_IP = "127.1.0.1"
BURST_FIRST_IP = "127.2.0.1"
HA_FIRST_IP = "127.3.0.1"
WORKER_TIMEOUT = 900.0


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """Describe the machine the numbers come from."""
    cpu = "unknown"
    with Path("/proc/cpuinfo").open() as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with Path("/proc/meminfo").open() as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", platform.system()),
        "python": platform.python_version(),
    }


def run_worker(
    python: str, module: str, miners: list[dict[str, Any]], runs: int
) -> dict[str, Any]:
    """Run one measuring worker process and return its JSON result."""
    completed = subprocess.run(  # noqa: S603  # our own modules
        [python, "-m", module],
        cwd=REPO,
        input=json.dumps({"miners": miners, "runs": runs}),
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def measure_fleet(count: int, runs: int, pyasic_python: str | None) -> dict[str, Any]:
    """Both clients against one fleet of ``count`` miners."""
    result: dict[str, Any] = {"miners": count}
    with FleetProcess(count, first_ip=FLEET_FIRST_IP) as fleet:
        apis = [miner["api"] for miner in fleet.miners]
        result["fleet_apis"] = {api: apis.count(api) for api in sorted(set(apis))}
        clients = [("hashwatt", str(PROJECT_PYTHON), "bench.sweep_hashwatt")]
        if pyasic_python:
            clients.append(("pyasic", pyasic_python, "bench.sweep_pyasic"))
        for name, python, module in clients:
            _log(f"{count} miners: {name}")
            fleet.ask("forget")
            load = os.getloadavg()[0]
            fleet_cpu = fleet.ask("cpu")["cpu_s"]
            measured = run_worker(python, module, fleet.miners, runs)
            measured["fleet_cpu_s"] = fleet.ask("cpu")["cpu_s"] - fleet_cpu
            # Others' work on the machine lengthens wall times, not CPU times.
            measured["load_average_before"] = load
            measured["fleet_requests"] = fleet.ask("requests")["commands"]
            result[name] = measured
    return result


def write_bursts() -> list[dict[str, Any]]:
    """50 writes to one v2 and one v3 miner: tokens fetched and time per write."""
    results = []
    with FleetProcess(2, first_ip=BURST_FIRST_IP) as fleet:
        for index, miner in enumerate(fleet.miners):
            base = fleet.ask("state", index=index)["power_limit"]
            for mode in ("concurrent", "sequential"):
                _log(f"write burst: {miner['api']} miner, {mode}")
                fleet.ask("forget")
                completed = subprocess.run(  # noqa: S603  # our own module
                    [
                        str(PROJECT_PYTHON),
                        "-m",
                        "bench.write_burst",
                        miner["host"],
                        miner["password"],
                        str(base),
                        mode,
                    ],
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    timeout=WORKER_TIMEOUT,
                    check=True,
                )
                burst = json.loads(completed.stdout)
                burst["requests"] = fleet.ask("requests", index=index)["commands"]
                burst["final_power_limit"] = fleet.ask("state", index=index)[
                    "power_limit"
                ]
                results.append(burst)
    return results


def ha_level(sizes: tuple[int, ...]) -> dict[str, Any]:
    """N miner entries in Home Assistant's test harness against a fleet."""
    results: dict[str, Any] = {"sizes": []}
    for count in sizes:
        _log(f"Home Assistant: {count} miner entries")
        with FleetProcess(count, first_ip=HA_FIRST_IP) as fleet:
            out = REPO / ".cache" / f"bench-ha-{count}.json"
            fleet_file = REPO / ".cache" / f"bench-ha-fleet-{count}.json"
            fleet_file.write_text(json.dumps({"miners": fleet.miners}))
            out.unlink(missing_ok=True)
            completed = subprocess.run(  # noqa: S603  # our own test file
                [
                    str(PROJECT_PYTHON),
                    "-m",
                    "pytest",
                    "bench/ha_refresh.py",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                ],
                cwd=REPO,
                env={
                    **os.environ,
                    "BENCH_FLEET": str(fleet_file),
                    "BENCH_OUT": str(out),
                },
                capture_output=True,
                text=True,
                timeout=WORKER_TIMEOUT,
                check=False,
            )
            if not out.exists():
                results["sizes"].append(
                    {
                        "miners": count,
                        "error": completed.stdout[-3000:] + completed.stderr[-2000:],
                    }
                )
                continue
            measured = json.loads(out.read_text())
            if completed.returncode != 0:
                measured["test_failure"] = completed.stdout[-3000:]
            results["sizes"].append(measured)
    return results


def main() -> int:
    """Run the benchmark and write docs/benchmarks.{json,md}."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="10 and 100 miners, 3 runs"
    )
    parser.add_argument(
        "--sizes", help="fleet sizes, comma-separated (default 10,100,500,1000)"
    )
    parser.add_argument("--runs", type=int, help="timed sweeps per fleet (default 5)")
    parser.add_argument("--skip-pyasic", action="store_true")
    parser.add_argument("--skip-ha", action="store_true")
    parser.add_argument(
        "--output", default="docs/benchmarks", help="path without extension"
    )
    args = parser.parse_args()
    sizes = (
        tuple(int(size) for size in args.sizes.split(","))
        if args.sizes
        else QUICK_SIZES
        if args.quick
        else FULL_SIZES
    )
    runs = args.runs or (3 if args.quick else 5)
    started = time.perf_counter()

    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {"sizes": list(sizes), "runs": runs, "quick": args.quick},
    }
    pyasic_python = None
    if not args.skip_pyasic:
        pyasic_python = str(pyasic_env.ensure())
        results["pyasic_version"] = pyasic_env.PYASIC_VERSION
    results["fleets"] = [measure_fleet(count, runs, pyasic_python) for count in sizes]
    results["write_bursts"] = write_bursts()
    if not args.skip_ha:
        # Below 100 entries the per-miner figures are lost in fixed costs.
        results["home_assistant"] = ha_level(
            tuple(size for size in sizes if size >= 100)
        )
    results["duration_s"] = time.perf_counter() - started

    output = REPO / args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    report.write_markdown(output.with_suffix(".md"), results)
    print(report.summary_table(results))
    _log(f"done in {results['duration_s']:.0f} s: {output}.md, {output}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
