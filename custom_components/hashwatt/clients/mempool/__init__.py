"""Async, typed client of a mempool.space-compatible REST API: the Bitcoin network's figures.

Use :class:`MempoolClient`; hashrates are in H/s, amounts in BTC (see :mod:`.models`).
"""

from .client import (
    DEFAULT_BASE_URL,
    DEFAULT_REWARD_BLOCKS,
    MempoolClient,
    check_currency,
    normalize_base_url,
)
from .errors import (
    MempoolApiError,
    MempoolConnectionError,
    MempoolError,
    MempoolInvalidReplyError,
    MempoolNotFoundError,
    MempoolRateLimitError,
    MempoolServerError,
    MempoolTimeoutError,
    MempoolValidationError,
)
from .models import (
    PRICE_CURRENCIES,
    DifficultyAdjustment,
    NetworkFigures,
    NetworkHashrate,
    Prices,
    RewardStats,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REWARD_BLOCKS",
    "PRICE_CURRENCIES",
    "DifficultyAdjustment",
    "MempoolApiError",
    "MempoolClient",
    "MempoolConnectionError",
    "MempoolError",
    "MempoolInvalidReplyError",
    "MempoolNotFoundError",
    "MempoolRateLimitError",
    "MempoolServerError",
    "MempoolTimeoutError",
    "MempoolValidationError",
    "NetworkFigures",
    "NetworkHashrate",
    "Prices",
    "RewardStats",
    "check_currency",
    "normalize_base_url",
]
