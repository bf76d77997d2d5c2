"""The mempool client's exceptions."""

from __future__ import annotations

from custom_components.hashwatt.clients.errors import ClientError


class MempoolError(ClientError):
    """Base class of every error the mempool client raises."""


class MempoolConnectionError(MempoolError):
    """The API could not be reached, or closed the connection early."""


class MempoolTimeoutError(MempoolConnectionError):
    """The API did not answer in time."""


class MempoolInvalidReplyError(MempoolError):
    """The API answered something that is not the documented shape."""


class MempoolValidationError(MempoolError, ValueError):
    """An argument was refused before anything was sent (a URL, a currency)."""


class MempoolApiError(MempoolError):
    """The API answered with an HTTP error status."""

    def __init__(self, message: str, *, status: int) -> None:
        """Keep the HTTP status."""
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class MempoolNotFoundError(MempoolApiError):
    """HTTP 404: not a mempool.space API at this URL (or a path it does not serve)."""


class MempoolRateLimitError(MempoolApiError):
    """HTTP 429: too many requests from this address."""

    def __init__(
        self, message: str, *, status: int = 429, retry_after: float | None = None
    ) -> None:
        """Keep the server's Retry-After hint, if it gave one."""
        super().__init__(message, status=status)
        self.retry_after = retry_after


class MempoolServerError(MempoolApiError):
    """HTTP 5xx: the API failed; worth retrying later."""
