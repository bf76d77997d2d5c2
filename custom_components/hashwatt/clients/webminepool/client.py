"""Async client of the WebMinePool HTTP API.

Every call is ``GET {base}{secret_key}/{method}/{params…}``. The secret key is part of the
URL, so this module never logs, raises or reprs a URL that holds it: logs show the key as
``**REDACTED**``, transport errors are re-raised as our own errors without chaining the
aiohttp exception (whose text and traceback carry the URL), and any text that does go into a
message is scrubbed of the key first.

Errors arrive as HTTP 200 with ``{"success": false, "message": "..."}``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from yarl import URL

from custom_components.hashwatt.clients import http

from .errors import (
    WebMinePoolApiError,
    WebMinePoolAuthError,
    WebMinePoolConnectionError,
    WebMinePoolInvalidReplyError,
    WebMinePoolNotFoundError,
    WebMinePoolServerError,
    WebMinePoolTimeoutError,
    WebMinePoolValidationError,
)
from .models import TokenState, WebMineUser, WithdrawResult

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://webminepool.com/api/"
DEFAULT_TIMEOUT: Final = 10.0
REDACTED: Final = "**REDACTED**"
MAX_AMOUNT: Final = 10**18

_SECRET_KEY = re.compile(r"[A-Za-z0-9_\-]{1,128}")
_SEGMENT = re.compile(r"[^/\\\x00-\x1f\x7f?#]{1,255}")
_OFFSET = re.compile(r"[+-]\d{2}:?\d{2}")

_AUTH_MESSAGES: Final = ("invalid api key", "invalid secret key")
_NOT_FOUND_MESSAGES: Final = ("nonexistent token", "nonexistent user")
_SERVER_MESSAGES: Final = ("internal error",)


def _fail(field: str, message: str) -> WebMinePoolValidationError:
    return WebMinePoolValidationError(field, message)


def _check_segment(field: str, value: str) -> str:
    if (
        not isinstance(value, str)
        or not _SEGMENT.fullmatch(value)
        or value in {".", ".."}
    ):
        raise _fail(
            field,
            "must be 1 to 255 characters without '/', '\\', '?', '#' or control characters",
        )
    return value


def _check_count(field: str, value: int, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, "must be a whole number")
    if not low <= value <= MAX_AMOUNT:
        raise _fail(field, f"must be between {low} and {MAX_AMOUNT}")
    return value


def _check_amount(field: str, value: Decimal | int) -> str:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise _fail(field, "must be a number")
    number = Decimal(value)
    if not number.is_finite() or number <= 0 or number > MAX_AMOUNT:
        raise _fail(field, "must be a positive number")
    return format(number.normalize(), "f")


def _invalid(what: str) -> WebMinePoolInvalidReplyError:
    return WebMinePoolInvalidReplyError(f"unexpected reply: {what}")


def parse_hashes(value: Any, what: str = "hashes") -> int:  # noqa: ANN401
    """A hash count sent as a number or a string (``123``, ``"123"``, ``"1.2e3"``) as an int."""
    number = _number(value, what)
    if not number.is_finite() or number != number.to_integral_value():
        raise _invalid(f"{what} is not a whole number")
    return int(number)


def _number(value: Any, what: str) -> Decimal:  # noqa: ANN401
    """A number sent as a number or a string, as a Decimal (infinite ones too)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _invalid(f"{what} is not a number")
    try:
        return Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise _invalid(f"{what} is not a number") from None


def _decimal(value: Any, what: str) -> Decimal:  # noqa: ANN401
    number = _number(value, what)
    if not number.is_finite():
        raise _invalid(f"{what} is not a finite number")
    return number


def _text(value: Any, what: str) -> str:  # noqa: ANN401
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(f"{what} is not text")
    return str(value)


def _php_datetime(value: Any) -> datetime | None:  # noqa: ANN401
    """PHP's ``{"date": "2024-03-01 12:00:00.000000", "timezone_type": 3, "timezone": "UTC"}``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"date": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("date"), str):
        raise _invalid("done_at is not a date")
    try:
        moment = datetime.fromisoformat(value["date"])
    except ValueError:
        raise _invalid("done_at is not a date") from None
    if moment.tzinfo is not None:
        return moment
    zone = str(value.get("timezone") or "UTC")
    if zone.upper() in {"UTC", "Z", "GMT"}:
        return moment.replace(tzinfo=UTC)
    if _OFFSET.fullmatch(zone):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment.replace(tzinfo=timezone(sign * offset))
    try:
        return moment.replace(tzinfo=ZoneInfo(zone))
    except ZoneInfoNotFoundError, ValueError:
        _LOGGER.debug("Unknown time zone %r; assuming UTC", zone)
        return moment.replace(tzinfo=UTC)


def _optional_datetime(value: Any) -> datetime | None:  # noqa: ANN401
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return _php_datetime(value)


def _success(value: Any) -> bool:  # noqa: ANN401
    return (
        value is True
        or value == 1
        or (isinstance(value, str) and value.lower() == "true")
    )


class WebMinePoolClient:
    """One WebMinePool site, addressed with its secret key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        secret_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Use ``session`` (owned by the caller); the key must look like ``PK_…``."""
        if not isinstance(secret_key, str) or not _SECRET_KEY.fullmatch(secret_key):
            raise _fail("secret_key", "must be letters, digits, '_' or '-' (like PK_…)")
        self._session = session
        self._secret_key = secret_key
        self._base_url = base_url if base_url.endswith("/") else f"{base_url}/"
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def __repr__(self) -> str:
        """Show the base URL only, never the key."""
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        """The API root, ending in a slash."""
        return self._base_url

    def redact(self, text: str) -> str:
        """Replace the secret key (plain or URL-quoted) in ``text`` with ``**REDACTED**``."""
        for form in {self._secret_key, quote(self._secret_key, safe="")}:
            text = text.replace(form, REDACTED)
        return text

    async def _call(self, method: str, *params: str) -> Mapping[str, Any]:
        tail = "".join(f"/{quote(param, safe='')}" for param in params)
        redacted_url = f"{self._base_url}{REDACTED}/{method}{tail}"
        _LOGGER.debug("GET %s", redacted_url)
        try:
            url = URL(
                f"{self._base_url}{quote(self._secret_key, safe='')}/{method}{tail}",
                encoded=True,
            )
            reply = await http.read_reply(
                self._session, "GET", url, timeout=self._timeout
            )
        except TimeoutError:
            raise WebMinePoolTimeoutError(
                f"{method}: no answer within {self._timeout.total} s"
            ) from None
        except (aiohttp.ClientError, ValueError) as err:
            # Neither str(err) unscrubbed nor the exception itself: both carry the URL.
            detail = self.redact(str(err))
            raise WebMinePoolConnectionError(
                f"{method}: {type(err).__name__}: {detail}"
            ) from None
        _LOGGER.debug("%s answered HTTP %s", redacted_url, reply.status)
        return self._check(method, reply.status, reply.text)

    def _check(self, method: str, status: int, text: str) -> Mapping[str, Any]:
        try:
            reply = json.loads(text)
            decoded = True
        except ValueError:
            reply = None
            decoded = False
        message = ""
        if isinstance(reply, Mapping):
            raw = reply.get("message") or reply.get("error")
            message = self.redact(str(raw)) if raw else ""
        if status != 200:
            message = message or f"{method} failed"
            if status in (401, 403):
                raise WebMinePoolAuthError(message, status=status)
            if status >= 500:
                raise WebMinePoolServerError(message, status=status)
            raise WebMinePoolApiError(message, status=status)
        if not decoded:
            raise WebMinePoolInvalidReplyError(f"{method}: the reply is not JSON")
        if not isinstance(reply, Mapping):
            raise _invalid(f"{method} did not answer an object")
        if not _success(reply.get("success")):
            raise _api_error(message or f"{method} failed")
        return reply

    @staticmethod
    def _field(reply: Mapping[str, Any], key: str, method: str) -> Any:  # noqa: ANN401
        if key not in reply:
            raise _invalid(f"{method} reply has no {key!r}")
        return reply[key]

    def _message(self, reply: Mapping[str, Any]) -> str:
        return self.redact(str(reply.get("message") or ""))

    # --- tokens ----------------------------------------------------------------------------

    async def set_token(self, hashes_amount: int, username: str | None = None) -> str:
        """Create a token that is verified once ``hashes_amount`` more hashes are mined."""
        params = [str(_check_count("hashes_amount", hashes_amount))]
        if username is not None:
            params.append(_check_segment("username", username))
        reply = await self._call("set_token", *params)
        return _text(self._field(reply, "token_id", "set_token"), "token_id")

    async def get_token(self, token_id: str, *, unset: bool = False) -> TokenState:
        """Check a token; ``unset`` deletes it (and its user) once verified."""
        params = [_check_segment("token_id", token_id)]
        if unset:
            params.append("1")
        reply = await self._call("get_token", *params)
        state = self._field(reply, "state", "get_token")
        if str(state) not in {"0", "1", "True", "False"}:
            raise _invalid("state is not 0 or 1")
        return TokenState(
            verified=str(state) in {"1", "True"},
            end_hashes=parse_hashes(
                self._field(reply, "end_hashes", "get_token"), "end_hashes"
            ),
            done_at=_php_datetime(reply.get("done_at")),
        )

    # --- users -----------------------------------------------------------------------------

    async def users(self, threshold: int | None = None) -> tuple[WebMineUser, ...]:
        """Users who mined within the last 3 days, with their hash balances."""
        params = (
            [] if threshold is None else [str(_check_count("threshold", threshold, 0))]
        )
        reply = await self._call("users", *params)
        items = self._field(reply, "users", "users")
        if items in ({}, None):
            items = []
        if not isinstance(items, list):
            raise _invalid("users is not a list")
        users: list[WebMineUser] = []
        for item in items:
            if not isinstance(item, Mapping):
                raise _invalid("a user is not an object")
            site_key = item.get("api_key")
            referral = item.get("referral")
            users.append(
                WebMineUser(
                    name=_text(self._field(item, "name", "users"), "name"),
                    hashes=parse_hashes(item.get("hashes", 0)),
                    site_key=None if site_key is None else _text(site_key, "api_key"),
                    referral=None
                    if referral in (None, "")
                    else _text(referral, "referral"),
                    updated_at=_optional_datetime(item.get("updated_at")),
                )
            )
        return tuple(users)

    async def create_user(self, username: str, referral: str | None = None) -> str:
        """Create a user, optionally with a referral (any extra text about the user)."""
        params = [_check_segment("username", username)]
        if referral is not None:
            params.append(_check_segment("referral", referral))
        return self._message(await self._call("create_user", *params))

    async def delete_user(self, username: str) -> str:
        """Delete a user."""
        return self._message(
            await self._call("delete_user", _check_segment("username", username))
        )

    async def user_hashes(self, username: str) -> int:
        """A user's hash balance."""
        reply = await self._call("user_hashes", _check_segment("username", username))
        return parse_hashes(self._field(reply, "hashes", "user_hashes"))

    async def withdraw(self, username: str, amount: int) -> WithdrawResult:
        """Take ``amount`` hashes from a user's balance."""
        reply = await self._call(
            "withdraw",
            _check_segment("username", username),
            str(_check_count("amount", amount)),
        )
        balance = reply.get("balance")
        return WithdrawResult(
            message=self._message(reply),
            balance=None if balance is None else parse_hashes(balance, "balance"),
        )

    async def reset_user_hashes(self, username: str) -> str:
        """Set a user's hash balance to zero."""
        return self._message(
            await self._call("reset_user_hashes", _check_segment("username", username))
        )

    async def reset_all_user_hashes(self) -> str:
        """Set every user's hash balance to zero."""
        return self._message(await self._call("reset_all_user_hashes"))

    # --- account ---------------------------------------------------------------------------

    async def balance(self) -> Decimal:
        """The site's balance in WMC."""
        reply = await self._call("balance")
        return _decimal(self._field(reply, "balance", "balance"), "balance")

    async def hashes(self) -> int:
        """The site's unpaid hashes."""
        reply = await self._call("hashes")
        return parse_hashes(self._field(reply, "hashes", "hashes"))

    async def _rate(self, method: str, amount: Decimal | int | None) -> Decimal:
        params = [] if amount is None else [_check_amount("amount", amount)]
        reply = await self._call(method, *params)
        return _decimal(self._field(reply, "satoshi", method), "satoshi")

    async def wmc_rate(self, amount: Decimal | int | None = None) -> Decimal:
        """Satoshi for ``amount`` WMC (1 when omitted)."""
        return await self._rate("wmc_rate", amount)

    async def hash_rate(self, amount: int | None = None) -> Decimal:
        """Satoshi for ``amount`` web-mined hashes (1 000 000 when omitted)."""
        return await self._rate("hash_rate", amount)

    async def hash_rate_cli(self, amount: int | None = None) -> Decimal:
        """Satoshi for ``amount`` desktop-mined hashes (1 000 000 when omitted)."""
        return await self._rate("hash_rate_cli", amount)


def _api_error(message: str) -> WebMinePoolApiError:
    lowered = message.lower()
    if any(known in lowered for known in _AUTH_MESSAGES):
        return WebMinePoolAuthError(message, status=200)
    if any(known in lowered for known in _NOT_FOUND_MESSAGES):
        return WebMinePoolNotFoundError(message, status=200)
    if any(known in lowered for known in _SERVER_MESSAGES):
        return WebMinePoolServerError(message, status=200)
    return WebMinePoolApiError(message, status=200)
