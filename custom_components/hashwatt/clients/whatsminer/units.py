"""Which unit a hashrate is in, decided from the replies themselves.

API v2 names its hashrates ``MHS …`` and old firmware does send MH/s. The
compatibility layer of 2024-11+ firmware does not keep to it: its summary is
MH/s (a captured ``"HS RT":140544208`` is 140.5 TH/s, the sum of the same
miner's three boards), while its edevs figures are TH/s. Neither what setup
once detected nor a reply's envelope alone says which; the figures do:

- A figure above :data:`MAX_THS` cannot be TH/s: no miner hashes 10 PH/s.
- The summary and the boards describe the same moment of one miner, so the
  summary is in the unit that makes it agree with the sum of its boards.
- Otherwise (a stopped or warming miner, whose figures are tiny in any unit)
  the last unit the evidence decided holds, and before any, the default.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

MHS_PER_THS: Final = 1_000_000.0
THS: Final = 1.0
# No Whatsminer hashes 10 PH/s: a larger figure is MH/s.
MAX_THS: Final = 10_000.0
# Two figures of one miner at one moment agree within this factor, whatever
# averaging windows they use; MH/s and TH/s are a million apart.
_AGREEMENT: Final = math.log(10.0)


def by_magnitude(raw: float | None) -> float | None:
    """Return MH/s for a figure too large for TH/s, else ``None`` (undecided)."""
    return MHS_PER_THS if raw is not None and raw > MAX_THS else None


def agreeing_divisor(raw: float | None, reference_ths: float | None) -> float | None:
    """Return the divisor that brings ``raw`` to ``reference_ths`` (TH/s), or ``None``.

    ``None`` when either is missing or zero, or when neither unit agrees.
    """
    if not raw or not reference_ths or raw < 0 or reference_ths < 0:
        return None
    distances = {
        divisor: abs(math.log(raw / divisor / reference_ths))
        for divisor in (MHS_PER_THS, THS)
    }
    best = min(distances, key=lambda divisor: distances[divisor])
    return best if distances[best] < _AGREEMENT else None


def first_decided(*candidates: float | None) -> float | None:
    """Return the first decided divisor."""
    return next((divisor for divisor in candidates if divisor is not None), None)


def total(values: Iterable[float | None]) -> float | None:
    """Return the sum of the known values, ``None`` when none is known."""
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def board_divisor(
    raw_total: float | None, *, compat: bool, remembered: float | None
) -> tuple[float, float | None]:
    """Return the boards' divisor to TH/s, and what evidence decided (to remember).

    ``raw_total``: the boards' hashrates added up as sent. The compatibility
    layer's edevs are TH/s, old firmware's MH/s, unless the figures say otherwise.
    """
    decided = by_magnitude(raw_total)
    default = THS if compat else MHS_PER_THS
    return first_decided(decided, remembered) or default, decided


def summary_divisor(
    raw: float | None, boards_ths: float | None, *, remembered: float | None
) -> tuple[float, float | None]:
    """Return the summary's divisor to TH/s, and what evidence decided (to remember).

    The unit its boards (in TH/s) agree with; else MH/s for a figure too large
    for TH/s; else what evidence decided before; else MH/s, as every captured
    summary is.
    """
    decided = first_decided(agreeing_divisor(raw, boards_ths), by_magnitude(raw))
    return first_decided(decided, remembered) or MHS_PER_THS, decided
