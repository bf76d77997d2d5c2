"""The WebMinePool client's exceptions.

The secret key is a URL path segment, so no message here is ever built from a URL or from an
aiohttp exception's text without scrubbing the key first, and none chains the aiohttp
exception (tracebacks would print its URL).
"""

from __future__ import annotations

from custom_components.hashwatt.clients.errors import ClientError


class WebMinePoolError(ClientError):
    """Base class of every error the WebMinePool client raises."""


class WebMinePoolConnectionError(WebMinePoolError):
    """The API could not be reached, or closed the connection early."""


class WebMinePoolTimeoutError(WebMinePoolConnectionError):
    """The API did not answer in time."""


class WebMinePoolInvalidReplyError(WebMinePoolError):
    """The API answered something that is not the documented JSON."""


class WebMinePoolApiError(WebMinePoolError):
    """The API said ``success: false`` (or answered an HTTP error) with this message."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Keep the API's message and the HTTP status."""
        super().__init__(
            message if status in (None, 200) else f"HTTP {status}: {message}"
        )
        self.message = message
        self.status = status


class WebMinePoolAuthError(WebMinePoolApiError):
    """The secret key is wrong, deleted or refreshed ("invalid api key")."""


class WebMinePoolNotFoundError(WebMinePoolApiError):
    """The token (or user) asked for does not exist ("nonexistent token")."""


class WebMinePoolServerError(WebMinePoolApiError):
    """The service failed ("internal error", or HTTP 5xx)."""


class WebMinePoolValidationError(WebMinePoolError, ValueError):
    """An argument is invalid; raised before anything is sent."""

    def __init__(self, field: str, message: str) -> None:
        """Keep the offending field's name."""
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
