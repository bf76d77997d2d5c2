"""Run simulated miners or mock pool servers until interrupted.

python -m simulator miners|replay|whitepool|webminepool|mempool|demo --help
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

# Each module provides add_arguments(parser) and async serve(args) -> None.
_SERVERS = {
    "miners": (
        "simulator.whatsminer.cli",
        "a fleet of simulated Whatsminer miners (API v2/v3)",
    ),
    "replay": (
        "simulator.whatsminer.replay",
        "a captured miner: its recorded replies on a loopback address",
    ),
    "whitepool": ("simulator.whitepool", "a mock WhiteBIT mining-pool API"),
    "webminepool": ("simulator.webminepool", "a mock WebMinePool HTTP API"),
    "mempool": ("simulator.mempool", "a mock mempool.space API (Bitcoin network)"),
    "demo": (
        "simulator.demo",
        "the scripts/develop demo: a mixed fleet and both pool mocks",
    ),
}


def _module(name: str) -> ModuleType:
    return importlib.import_module(_SERVERS[name][0])


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Simulated miners and pool APIs on this machine, for tests and the demo.",
    )
    subparsers = parser.add_subparsers(dest="server", required=True)
    for name, (_, help_text) in _SERVERS.items():
        subparser = subparsers.add_parser(
            name, help=help_text, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        _module(name).add_arguments(subparser)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_module(args.server).serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
