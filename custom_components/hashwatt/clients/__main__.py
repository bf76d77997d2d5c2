"""Command line for humans debugging a miner or a pool account; prints JSON.

python -m custom_components.hashwatt.clients whatsminer|whitepool|webminepool|mempool --help
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import ModuleType
from typing import Any, cast

# Each subcommand's module provides add_arguments(parser) and async run(args) -> object.
_SUBCOMMANDS = {
    "whatsminer": (
        "custom_components.hashwatt.clients.whatsminer.cli",
        "a Whatsminer ASIC",
    ),
    "whitepool": (
        "custom_components.hashwatt.clients.whitepool.cli",
        "a WhiteBIT mining pool account",
    ),
    "webminepool": (
        "custom_components.hashwatt.clients.webminepool.cli",
        "a WebMinePool site account",
    ),
    "mempool": (
        "custom_components.hashwatt.clients.mempool.cli",
        "the Bitcoin network's figures from a mempool.space API",
    ),
}


def to_jsonable(value: Any) -> Any:  # noqa: ANN401
    """Turn models (dataclasses, enums, decimals, dates, bytes) into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: to_jsonable(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if item.repr
        }
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _module(name: str) -> ModuleType:
    return importlib.import_module(_SUBCOMMANDS[name][0])


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run one client command and print its JSON result."""
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.hashwatt.clients",
        description="Talk to a miner or a pool account from the command line.",
    )
    subparsers = parser.add_subparsers(dest="client", required=True)
    for name, (_, help_text) in _SUBCOMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text)
        _module(name).add_arguments(subparser)
    args = parser.parse_args(argv)
    run = cast(
        Callable[[argparse.Namespace], Awaitable[object]], _module(args.client).run
    )
    try:
        result = asyncio.run(run(args))
    except Exception as err:  # noqa: BLE001  # a CLI reports any failure as one line
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(json.dumps(to_jsonable(result), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
