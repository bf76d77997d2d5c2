"""Issue 7: fleet-scale numbers for Hashwatt's Whatsminer client, beside pyasic's.

python -m bench [--quick] [--sizes 10,100] [--runs 5] [--skip-pyasic] [--skip-ha]
               [--ha-only] [--ha-baseline CHECKOUT] [--ha-repeat N]

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
import shutil
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
# Home Assistant refresh cycles start this far apart (seconds); see ha_refresh.py.
HA_CYCLE_SPACING = 5.0
DEFAULT_SCAN_INTERVAL = 30.0  # the integration's fast poll, in seconds


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


def _ha_run(checkout: Path, count: int, fleet_file: Path) -> dict[str, Any]:
    """Run bench/ha_refresh.py once, loading the integration of ``checkout``.

    For another checkout (a baseline) this file is copied into its bench/ first,
    so both integrations are measured by the same code against the same fleet.
    """
    test_file = Path("bench") / "ha_refresh.py"
    if checkout != REPO:
        test_file = Path("bench") / "_ha_refresh_measured.py"
        shutil.copyfile(REPO / "bench" / "ha_refresh.py", checkout / test_file)
    out = REPO / ".cache" / f"bench-ha-{count}-{os.getpid()}.json"
    out.unlink(missing_ok=True)
    load = os.getloadavg()[0]
    try:
        completed = subprocess.run(  # noqa: S603  # our own test file
            [
                str(checkout / ".venv" / "bin" / "python"),
                "-m",
                "pytest",
                str(test_file),
                "-q",
                "-p",
                "no:cacheprovider",
            ],
            cwd=checkout,
            env={
                **os.environ,
                "BENCH_FLEET": str(fleet_file),
                "BENCH_OUT": str(out),
                "BENCH_CYCLE_SPACING": str(HA_CYCLE_SPACING),
            },
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT,
            check=False,
        )
    finally:
        if checkout != REPO:
            (checkout / test_file).unlink(missing_ok=True)
    if not out.exists():
        # pytest's "E" lines say what failed; the tail where.
        failure = [line for line in completed.stdout.splitlines() if line[:2] == "E "]
        return {
            "miners": count,
            "error": "\n".join(failure[:40])
            + "\n"
            + completed.stdout[-3000:]
            + completed.stderr[-2000:],
        }
    measured: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    if completed.returncode != 0:
        measured["test_failure"] = completed.stdout[-3000:]
    measured["checkout"] = str(checkout)
    measured["commit"] = subprocess.run(  # noqa: S603
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    measured["load_average_before"] = load
    return measured


def ha_level(
    sizes: tuple[int, ...], baseline: Path | None = None, repeat: int = 1
) -> dict[str, Any]:
    """N miner entries in Home Assistant's test harness against a fleet.

    With a ``baseline`` checkout, each size measures the baseline, then this
    checkout, back to back against the same fleet, ``repeat`` times.
    """
    results: dict[str, Any] = {"sizes": []}
    if baseline is not None:
        results["baseline_sizes"] = []
    for count in sizes:
        # The miners' clock runs one poll interval per cycle spacing.
        speed = DEFAULT_SCAN_INTERVAL / HA_CYCLE_SPACING
        with FleetProcess(count, first_ip=HA_FIRST_IP, clock_speed=speed) as fleet:
            fleet_file = REPO / ".cache" / f"bench-ha-fleet-{count}-{os.getpid()}.json"
            fleet_file.write_text(json.dumps({"miners": fleet.miners}))
            for run in range(repeat):
                if baseline is not None:
                    _log(
                        f"Home Assistant: {count} miner entries, baseline, run {run + 1}"
                    )
                    results["baseline_sizes"].append(
                        _ha_run(baseline, count, fleet_file)
                    )
                _log(f"Home Assistant: {count} miner entries, run {run + 1}")
                results["sizes"].append(_ha_run(REPO, count, fleet_file))
            fleet_file.unlink(missing_ok=True)
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
        "--ha-only",
        action="store_true",
        help="only the Home Assistant part (no client sweeps, bursts or pyasic)",
    )
    parser.add_argument(
        "--ha-baseline",
        type=Path,
        help="another checkout (with its .venv) to measure before this one, per size",
    )
    parser.add_argument(
        "--ha-repeat", type=int, default=1, help="Home Assistant runs per size"
    )
    parser.add_argument(
        "--output",
        help="path without extension (default docs/benchmarks; "
        "with --ha-only docs/benchmarks-ha, JSON only)",
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
    if not args.skip_pyasic and not args.ha_only:
        pyasic_python = str(pyasic_env.ensure())
        results["pyasic_version"] = pyasic_env.PYASIC_VERSION
    if not args.ha_only:
        results["fleets"] = [
            measure_fleet(count, runs, pyasic_python) for count in sizes
        ]
        results["write_bursts"] = write_bursts()
    if not args.skip_ha:
        # Below 100 entries the per-miner figures are lost in fixed costs.
        results["home_assistant"] = ha_level(
            tuple(size for size in sizes if size >= 100),
            baseline=args.ha_baseline.resolve() if args.ha_baseline else None,
            repeat=args.ha_repeat,
        )
    results["duration_s"] = time.perf_counter() - started

    output = REPO / (
        args.output or ("docs/benchmarks-ha" if args.ha_only else "docs/benchmarks")
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    if args.ha_only:
        print(report.home_assistant_comparison(results))
        _log(f"done in {results['duration_s']:.0f} s: {output}.json")
        return 0
    report.write_markdown(output.with_suffix(".md"), results)
    print(report.summary_table(results))
    _log(f"done in {results['duration_s']:.0f} s: {output}.md, {output}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
