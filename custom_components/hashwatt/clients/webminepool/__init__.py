"""Async, typed client of the WebMinePool HTTP API (the secret key is never logged)."""

from .client import DEFAULT_BASE_URL, REDACTED, WebMinePoolClient, parse_hashes
from .errors import (
    WebMinePoolApiError,
    WebMinePoolAuthError,
    WebMinePoolConnectionError,
    WebMinePoolError,
    WebMinePoolInvalidReplyError,
    WebMinePoolNotFoundError,
    WebMinePoolServerError,
    WebMinePoolTimeoutError,
    WebMinePoolValidationError,
)
from .models import TokenState, WebMineUser, WithdrawResult

__all__ = [
    "DEFAULT_BASE_URL",
    "REDACTED",
    "TokenState",
    "WebMinePoolApiError",
    "WebMinePoolAuthError",
    "WebMinePoolClient",
    "WebMinePoolConnectionError",
    "WebMinePoolError",
    "WebMinePoolInvalidReplyError",
    "WebMinePoolNotFoundError",
    "WebMinePoolServerError",
    "WebMinePoolTimeoutError",
    "WebMinePoolValidationError",
    "WebMineUser",
    "WithdrawResult",
    "parse_hashes",
]
