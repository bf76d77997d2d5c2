"""Typed models of what the WebMinePool HTTP API returns.

Hash counts are ``int`` (the API sends numbers, sometimes strings); WMC balances and satoshi
amounts are :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class WebMineUser:
    """A user of the site who mined within the last 3 days."""

    name: str
    hashes: int
    site_key: (
        str | None
    )  # the public site key the user mines for ("api_key" in the reply)
    referral: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenState:
    """A hashes goal and whether it was reached."""

    verified: bool
    end_hashes: int
    done_at: datetime | None  # creation time while unverified, verification time after


@dataclass(frozen=True, slots=True)
class WithdrawResult:
    """The answer to a withdrawal; some API versions also send the remaining balance."""

    message: str
    balance: int | None = None
