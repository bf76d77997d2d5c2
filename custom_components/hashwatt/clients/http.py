"""One HTTP request and its reply, for the clients of HTTP APIs (no Home Assistant here).

The pool and network clients all send a request, read the whole reply as text and judge
it by its status and body, each by its own API's rules. The sending and reading is here;
the judging, and every exception a client raises, stay the client's own: :func:`request`
raises the timeout and connection errors of the client that calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import aiohttp
from yarl import URL

from custom_components.hashwatt.clients.errors import ClientError

# The longest Retry-After taken at its word, in seconds.
MAX_RETRY_AFTER: Final = 86400.0


@dataclass(frozen=True, slots=True)
class HttpReply:
    """What a server answered, whatever the status."""

    status: int
    text: str
    retry_after: str | None  # the Retry-After header, as sent

    @property
    def ok(self) -> bool:
        """Whether the status is a success (2xx)."""
        return 200 <= self.status < 300


async def read_reply(
    session: aiohttp.ClientSession,
    method: str,
    url: str | URL,
    *,
    timeout: aiohttp.ClientTimeout,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpReply:
    """Send one request and read its whole reply; aiohttp's exceptions pass through."""
    async with session.request(
        method, url, data=data, headers=headers, timeout=timeout
    ) as response:
        text = await response.text(errors="replace")
        return HttpReply(response.status, text, response.headers.get("Retry-After"))


async def request(  # noqa: PLR0913
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    what: str,
    timeout: aiohttp.ClientTimeout,
    timeout_error: Callable[[str], ClientError],
    connection_error: Callable[[str], ClientError],
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpReply:
    """Like :func:`read_reply`, but a failure to get a reply raises the caller's errors.

    ``what`` (the API path) starts their messages. For URLs free of secrets only: the
    connection error's text and chained cause carry the URL.
    """
    try:
        return await read_reply(
            session, method, url, timeout=timeout, data=data, headers=headers
        )
    except TimeoutError:
        raise timeout_error(f"{what}: no answer within {timeout.total} s") from None
    except aiohttp.ClientError as err:
        raise connection_error(f"{what}: {type(err).__name__}: {err}") from err


def retry_after_seconds(value: str | None) -> float | None:
    """Read a Retry-After header given in seconds (``None`` for a date or garbage)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    # "inf", "nan" or a wait of centuries is garbage too.
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER else None
