"""The WhitePool client's exceptions. Messages never contain the API secret."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from custom_components.hashwatt.clients.errors import ClientError


class WhitePoolError(ClientError):
    """Base class of every error the WhitePool client raises."""


class WhitePoolConnectionError(WhitePoolError):
    """The API could not be reached, or closed the connection early."""


class WhitePoolTimeoutError(WhitePoolConnectionError):
    """The API did not answer in time."""


class WhitePoolInvalidReplyError(WhitePoolError):
    """The API answered something that is not the documented shape."""


class WhitePoolApiError(WhitePoolError):
    """The API refused a request; keeps the HTTP status and the envelope's code and message."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        errors: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Keep the status, WhiteBIT's error code, its message and its field errors."""
        super().__init__(message if status is None else f"HTTP {status}: {message}")
        self.message = message
        self.status = status
        self.code = code
        self.errors: dict[str, list[str]] = {
            field: list(messages) for field, messages in (errors or {}).items()
        }


class WhitePoolAuthError(WhitePoolApiError):
    """Bad key or signature, disabled key, or missing permission (codes 2, 4, 9, 10; 401/403)."""


class WhitePoolValidationError(WhitePoolApiError, ValueError):
    """A request was invalid.

    Raised by the client before anything is sent (``status`` is ``None``), or for the API's
    HTTP 400 answers; ``errors`` maps each field to its messages (often translation keys such
    as ``miningPool.validation.maxAccounts``).
    """

    @classmethod
    def for_field(cls, field: str, message: str) -> WhitePoolValidationError:
        """Build the client-side error for one argument (nothing was sent)."""
        return cls(f"{field}: {message}", errors={field: [message]})

    @property
    def client_side(self) -> bool:
        """Whether the client rejected the argument itself, without sending anything."""
        return self.status is None


class WhitePoolClockError(WhitePoolApiError):
    """The nonce timestamp is outside the API's ±5 s window (422 "Incorrect timestamp")."""


class WhitePoolRateLimitError(WhitePoolApiError):
    """HTTP 429: too many requests, or a nonce that was not larger than the previous one."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        """Keep the server's Retry-After hint, if it gave one."""
        super().__init__(message, status=status)
        self.retry_after = retry_after


class WhitePoolServerError(WhitePoolApiError):
    """HTTP 5xx: the API failed; worth retrying later."""
