"""The ``--fault`` option of the pool and mempool mocks: ``FAULT[:COUNT][@WHERE]``."""

from __future__ import annotations

import argparse
from enum import StrEnum


def parse_fault_spec[F: StrEnum](
    text: str, faults: type[F]
) -> tuple[str | None, F, int | None]:
    """``FAULT[:COUNT][@WHERE]`` → (where, fault, count); no count: forever.

    ``WHERE`` is what the mock tells requests apart by: an endpoint path or a method.
    """
    spec, _, where = text.partition("@")
    name, _, count = spec.partition(":")
    try:
        fault = faults(name)
    except ValueError:
        choices = ", ".join(item.value for item in faults)
        raise argparse.ArgumentTypeError(
            f"unknown fault {name!r} (one of {choices})"
        ) from None
    if count and not count.isdigit():
        raise argparse.ArgumentTypeError(f"count must be a number: {count!r}")
    return where or None, fault, int(count) if count else None
