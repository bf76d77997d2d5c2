"""Run the browser test: a fresh Home Assistant and simulated miners, then Chromium.

    python tests/browser/harness.py --modules DIR [--chromium PATH] [--scans N] [--only PARTS]

scripts/browser-test runs it with .venv's Python once Chromium and playwright-core are
installed. It prepares a new configuration in a temporary folder the way scripts/develop
does (scripts/develop_helper.py: the demo user, one demo miner, the pool mocks' entries,
the blueprints, the frontend), starts the simulator's demo and a second fleet of miners
that are in no entry yet, runs Home Assistant on a free port, and drives it with
tests/browser/hashwatt.mjs. Whatever it started is stopped, also on failure or Ctrl-C;
on failure the screenshots and Home Assistant's log are in tests/browser/failures/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

ROOT: Final = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulator import demo  # noqa: E402

FAILURES: Final = ROOT / "tests" / "browser" / "failures"
TEST_SCRIPT: Final = ROOT / "tests" / "browser" / "hashwatt.mjs"
USERNAME: Final = "demo"
PASSWORD: Final = "demo"
# The miners the test adds share a password that is no factory default.
FLEET_PASSWORD: Final = "hashwatt-browser"
# Every wait is bounded; on a busy 2-core machine Home Assistant's first start with a
# new configuration takes a minute or two.
SIMULATOR_START_S: Final = 60
HASS_START_S: Final = 300
BROWSER_S: Final = 540  # the test's own limit is 8 minutes
STOP_S: Final = 30

# Electricity price for the blueprint: a sensor in the break-even sensor's unit, below
# the demo miner's break-even price (a few cents), so mining pays. Fixed, unlike the
# demo's own price, which crosses the break-even price over the day.
PACKAGE: Final = {
    "template": [
        {
            "sensor": [
                {
                    "name": "Electricity price",
                    "unique_id": "hashwatt_browser_electricity_price",
                    "unit_of_measurement": "EUR/kWh",
                    "state": "0.01",
                }
            ]
        }
    ]
}


STARTED: Final = time.monotonic()


def say(text: str) -> None:
    """Tell what is being done, and when (the scripts' "==>" style)."""
    sys.stdout.write(f"==> [{time.monotonic() - STARTED:5.1f} s] {text}\n")
    sys.stdout.flush()


def free_port() -> int:
    """A TCP port nothing listens on now (on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def mock_ports() -> list[str]:
    """Free ports for each of the demo's mocks (its --*-port options).

    Their defaults are where a developer's scripts/develop listens.
    """
    parser = argparse.ArgumentParser()
    demo.add_fleet_arguments(parser)
    defaults = vars(parser.parse_args([]))
    ports = sorted(name for name in defaults if name.endswith("_port"))
    return [
        argument
        for name in ports
        for argument in (f"--{name.replace('_', '-')}", str(free_port()))
    ]


def wait_listening(host: str, port: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until ``host:port`` accepts connections; fail if ``process`` exits first."""
    deadline = time.monotonic() + SIMULATOR_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {host}:{port} after {SIMULATOR_START_S} s")


class Processes:
    """The processes the test started; stops them all, whatever happened."""

    def __init__(self, logs: Path) -> None:
        self._logs = logs
        self._started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, *command: str | Path) -> subprocess.Popen[bytes]:
        """Start ``command`` in its own process group, its output in LOGS/NAME.log."""
        log = (self._logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [str(part) for part in command],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._started.append((process, log))
        return process

    def stop(self) -> None:
        """SIGTERM every process group, newest first; SIGKILL what outlives STOP_S."""
        for process, _ in reversed(self._started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_S
        for process, log in reversed(self._started):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{process.args[:3]} did not stop in {STOP_S} s: killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        self._started.clear()


def run_bounded(command: list[str], timeout: float) -> int:
    """Run ``command`` in its own process group; return its exit status.

    On timeout or any exception the whole group is killed: Chromium with the test.
    """
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        return process.wait(timeout)
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM (a CI timeout, `timeout`) into an exception, so cleanup runs."""

    def raise_exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, raise_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def prepare(config: Path, fleet_args: list[str], port: int) -> None:
    """The demo's configuration (scripts/develop's), on PORT, with an electricity price."""
    subprocess.run(
        [
            sys.executable,
            "scripts/develop_helper.py",
            "prepare",
            str(config),
            "--username",
            USERNAME,
            "--password",
            PASSWORD,
            *fleet_args,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=600,  # the first run installs the frontend into .venv
    )
    # Home Assistant keeps its HTTP settings in storage; the demo's say 8123, where a
    # developer's scripts/develop may be running.
    http = config / ".storage" / "http"
    stored = json.loads(http.read_text(encoding="utf-8"))
    stored["data"]["stable"]["server_port"] = port
    http.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
    # JSON is YAML.
    (config / "packages" / "browser_test.yaml").write_text(
        json.dumps(PACKAGE, indent=2) + "\n", encoding="utf-8"
    )


def keep_for_debugging(config: Path, logs: Path) -> None:
    """Copy the logs of a failed run next to its screenshots."""
    FAILURES.mkdir(parents=True, exist_ok=True)
    for log in [*logs.glob("*.log"), config / "home-assistant.log"]:
        if log.exists():
            shutil.copy(log, FAILURES / log.name)
    say(f"Logs and screenshots of the failure: {FAILURES.relative_to(ROOT)}/")


def main() -> int:
    """Prepare, start, test, stop; return the test's exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", required=True, help="where playwright-core is")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--scans", type=int, default=12, help="scans of a range")
    parser.add_argument("--only", help="parts of the test, e.g. switch,blueprint")
    args = parser.parse_args()
    if not 1 <= args.scans <= 200:
        parser.error("--scans takes 1 to 200 (the fleet has a /24 of its own)")

    shutil.rmtree(FAILURES, ignore_errors=True)
    # Loopback /24s of their own, away from the tests' (127.0.0-99.x): another run at
    # the same time rarely picks the same ones.
    octet = random.randrange(100, 250)
    demo_first_ip = f"127.0.{octet}.1"
    fleet_first_ip = f"127.0.{octet + 1}.1"
    # One miner to add by its address, two for the first scan, one for each other scan.
    fleet_count = 1 + 2 + (args.scans - 1)
    fleet_args = [
        "--miners",
        "1",
        "--first-ip",
        demo_first_ip,
        "--pool-host",
        "127.0.0.1",
        *mock_ports(),
    ]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    python = sys.executable

    with (
        stop_on_signals(),
        tempfile.TemporaryDirectory(prefix="hashwatt-browser-") as temporary,
    ):
        config = Path(temporary) / "config"
        logs = Path(temporary) / "logs"
        logs.mkdir()
        processes = Processes(logs)
        status = 1
        try:
            say(f"Preparing a new configuration in {config}")
            prepare(config, fleet_args, port)

            say(f"Starting the simulator: the demo on {demo_first_ip}")
            demo = processes.start(
                "simulator-demo", python, "-u", "-m", "simulator", "demo", *fleet_args
            )
            wait_listening(demo_first_ip, 4028, demo)
            say(f"Starting {fleet_count} more miners from {fleet_first_ip}")
            fleet = processes.start(
                "simulator-fleet",
                python,
                "-u",
                "-m",
                "simulator",
                "miners",
                "--count",
                str(fleet_count),
                "--first-ip",
                fleet_first_ip,
                "--api",
                "mixed",
                "--password",
                FLEET_PASSWORD,
            )
            last = fleet_first_ip.rpartition(".")[0] + f".{fleet_count}"
            wait_listening(last, 4028, fleet)

            say(f"Starting Home Assistant on {url}")
            hass = processes.start(
                "hass", python, "scripts/develop_hass.py", config, "--skip-pip"
            )
            subprocess.run(
                [
                    python,
                    "scripts/develop_helper.py",
                    "wait",
                    url,
                    str(hass.pid),
                    "--username",
                    USERNAME,
                    "--password",
                    PASSWORD,
                ],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                check=True,
                timeout=HASS_START_S,
            )

            say("Testing in Chromium")
            status = run_bounded(
                [
                    "node",
                    str(TEST_SCRIPT),
                    "--modules",
                    args.modules,
                    "--chromium",
                    args.chromium,
                    "--url",
                    url,
                    "--username",
                    USERNAME,
                    "--password",
                    PASSWORD,
                    "--fleet-first-ip",
                    fleet_first_ip,
                    "--fleet-password",
                    FLEET_PASSWORD,
                    "--scans",
                    str(args.scans),
                    "--failures",
                    str(FAILURES),
                    *(["--only", args.only] if args.only else []),
                ],
                BROWSER_S,
            )
        finally:
            say("Stopping Home Assistant and the simulator")
            processes.stop()
            if status != 0:
                keep_for_debugging(config, logs)
    return status


if __name__ == "__main__":
    sys.exit(main())
