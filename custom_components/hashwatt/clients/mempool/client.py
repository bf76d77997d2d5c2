"""Async client of a mempool.space-compatible REST API (the public one or a self-hosted one).

Only GET requests of public figures: no key. Reads are retried on HTTP 429 and 5xx
with a short bounded backoff; a Retry-After longer than the backoff allows is not
waited for here but raised (``MempoolRateLimitError.retry_after``) so the caller can
stay away that long.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from custom_components.hashwatt.clients import http

from . import errors, models

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://mempool.space/api"
PATH_TIP_HEIGHT: Final = "/blocks/tip/height"
PATH_HASHRATE: Final = "/v1/mining/hashrate/{period}"
PATH_DIFFICULTY: Final = "/v1/difficulty-adjustment"
PATH_REWARD_STATS: Final = "/v1/mining/reward-stats/{blocks}"
PATH_PRICES: Final = "/v1/prices"
# A day of blocks: fees vary block by block, a day evens them out.
DEFAULT_REWARD_BLOCKS: Final = 144
HASHRATE_PERIOD: Final = "3d"
HASHRATE_PERIODS: Final = ("24h", "3d", "1w", "1m", "3m", "6m", "1y", "2y", "3y")

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_ATTEMPTS: Final = 3
DEFAULT_BACKOFF: Final = 0.5  # seconds before the first retry, doubled each time
MAX_BACKOFF: Final = 4.0

type Sleep = Callable[[float], Awaitable[None]]


def normalize_base_url(url: str) -> str:
    """Check an API root (``https://host[:port]/api``) and return it without a trailing /.

    Raises errors.MempoolValidationError for anything but an http(s) URL with a host.
    """
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # raises for a port that is not a number
    except ValueError:
        raise errors.MempoolValidationError(f"not a URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise errors.MempoolValidationError(f"not an http(s) URL: {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise errors.MempoolValidationError(
            "the URL must have no credentials, query or #"
        )
    return text


def check_currency(currency: str) -> str:
    """Check a currency /api/v1/prices quotes BTC in."""
    if currency not in models.PRICE_CURRENCIES:
        raise errors.MempoolValidationError(
            f"currency must be one of {', '.join(models.PRICE_CURRENCIES)}"
        )
    return currency


# --- reply parsing -------------------------------------------------------------------------


def _invalid(what: str) -> errors.MempoolInvalidReplyError:
    return errors.MempoolInvalidReplyError(f"unexpected reply: {what}")


def _object(value: Any, what: str) -> Mapping[str, Any]:  # noqa: ANN401
    if not isinstance(value, Mapping):
        raise _invalid(f"{what} is not an object")
    return value


def _field(item: Mapping[str, Any], key: str, what: str) -> Any:  # noqa: ANN401
    if key not in item:
        raise _invalid(f"{what} has no {key!r}")
    return item[key]


def _decimal(value: Any, what: str) -> Decimal:  # noqa: ANN401
    # Totals come as strings (MySQL sums), everything else as JSON numbers.
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _invalid(f"{what} is not a number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _invalid(f"{what} is not a number") from None
    if not number.is_finite():
        raise _invalid(f"{what} is not a finite number")
    return number


def _positive(value: Any, what: str) -> Decimal:  # noqa: ANN401
    number = _decimal(value, what)
    if number <= 0:
        raise _invalid(f"{what} is not positive")
    return number


def _int(value: Any, what: str) -> int:  # noqa: ANN401
    number = _decimal(value, what)
    if number != number.to_integral_value() or number < 0:
        raise _invalid(f"{what} is not a whole number")
    return int(number)


def _optional_decimal(value: Any, what: str) -> Decimal | None:  # noqa: ANN401
    return None if value is None else _decimal(value, what)


def _timestamp(value: Any, what: str) -> datetime:  # noqa: ANN401
    seconds = _decimal(value, what)
    # estimatedRetargetDate was in seconds in older versions, in ms since 2.5.
    if seconds > 10**11:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(float(seconds), UTC)
    except OverflowError, OSError, ValueError:
        raise _invalid(f"{what} is out of range") from None


def parse_tip_height(text: str) -> int:
    """Parse /blocks/tip/height: a bare number as text/plain."""
    stripped = text.strip()
    if not stripped.isdigit():
        raise _invalid("the tip height is not a number")
    return int(stripped)


def parse_hashrate(reply: Any) -> models.NetworkHashrate:  # noqa: ANN401
    """Parse /v1/mining/hashrate/:period (only the current figures are used)."""
    obj = _object(reply, "hashrate")
    return models.NetworkHashrate(
        current_hashrate=_positive(
            _field(obj, "currentHashrate", "hashrate"), "currentHashrate"
        ),
        current_difficulty=_positive(
            _field(obj, "currentDifficulty", "hashrate"), "currentDifficulty"
        ),
    )


def parse_difficulty_adjustment(reply: Any) -> models.DifficultyAdjustment:  # noqa: ANN401
    """Parse /v1/difficulty-adjustment."""
    obj = _object(reply, "difficulty adjustment")
    what = "difficulty adjustment"
    next_height = obj.get("nextRetargetHeight")
    return models.DifficultyAdjustment(
        progress_percent=_decimal(
            _field(obj, "progressPercent", what), "progressPercent"
        ),
        difficulty_change=_decimal(
            _field(obj, "difficultyChange", what), "difficultyChange"
        ),
        estimated_retarget_date=_timestamp(
            _field(obj, "estimatedRetargetDate", what), "estimatedRetargetDate"
        ),
        remaining_blocks=_int(_field(obj, "remainingBlocks", what), "remainingBlocks"),
        next_retarget_height=None
        if next_height is None
        else _int(next_height, "nextRetargetHeight"),
        previous_retarget=_optional_decimal(
            obj.get("previousRetarget"), "previousRetarget"
        ),
    )


def parse_reward_stats(reply: Any) -> models.RewardStats:  # noqa: ANN401
    """Parse /v1/mining/reward-stats/:blockCount."""
    obj = _object(reply, "reward stats")
    what = "reward stats"
    stats = models.RewardStats(
        start_block=_int(_field(obj, "startBlock", what), "startBlock"),
        end_block=_int(_field(obj, "endBlock", what), "endBlock"),
        total_reward=_int(_field(obj, "totalReward", what), "totalReward"),
        total_fee=_int(_field(obj, "totalFee", what), "totalFee"),
        total_tx=_int(obj.get("totalTx", 0), "totalTx"),
    )
    if stats.end_block < stats.start_block or stats.total_reward <= 0:
        raise _invalid("reward stats cover no block")
    return stats


def parse_prices(reply: Any) -> models.Prices:  # noqa: ANN401
    """Parse /v1/prices; a currency priced -1 (mempool's "no price yet") is left out."""
    obj = _object(reply, "prices")
    prices: dict[str, Decimal] = {}
    for currency, value in obj.items():
        if currency == "time":
            continue
        price = _decimal(value, f"price in {currency}")
        if price > 0:
            prices[str(currency)] = price
    return models.Prices(
        time=_timestamp(_field(obj, "time", "prices"), "time"), prices=prices
    )


def _error_from(
    path: str, status: int, text: str, retry_after: str | None
) -> errors.MempoolError:
    # The body of an error is a short text (or an HTML page from a proxy): keep a line.
    message = text.strip().splitlines()[0][:200] if text.strip() else f"{path} failed"
    if status == 429:
        return errors.MempoolRateLimitError(
            message, retry_after=http.retry_after_seconds(retry_after)
        )
    if status == 404:
        return errors.MempoolNotFoundError(message, status=status)
    if status >= 500:
        return errors.MempoolServerError(message, status=status)
    return errors.MempoolApiError(message, status=status)


# --- the client ----------------------------------------------------------------------------


class MempoolClient:
    """One mempool.space-compatible API root, e.g. ``https://mempool.space/api``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Use ``session`` (owned by the caller); raises errors.MempoolValidationError for a bad URL."""
        self._session = session
        self._base_url = normalize_base_url(base_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._sleep = sleep

    def __repr__(self) -> str:
        """Show the API root."""
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        return self._base_url

    # --- transport -------------------------------------------------------------------------

    async def _get_once(self, path: str) -> str:
        url = f"{self._base_url}{path}"
        _LOGGER.debug("GET %s", url)
        reply = await http.request(
            self._session,
            "GET",
            url,
            what=path,
            timeout=self._timeout,
            timeout_error=errors.MempoolTimeoutError,
            connection_error=errors.MempoolConnectionError,
        )
        if not reply.ok:
            raise _error_from(path, reply.status, reply.text, reply.retry_after)
        return reply.text

    async def _get_text(self, path: str) -> str:
        attempt = 0
        while True:
            try:
                return await self._get_once(path)
            except (errors.MempoolRateLimitError, errors.MempoolServerError) as err:
                attempt += 1
                delay = min(self._backoff * 2.0 ** (attempt - 1), self._max_backoff)
                if isinstance(err, errors.MempoolRateLimitError) and err.retry_after:
                    if err.retry_after > self._max_backoff:
                        raise  # the caller stays away that long
                    delay = max(delay, err.retry_after)
                if attempt >= self._max_attempts:
                    raise
                _LOGGER.debug(
                    "%s failed (%s); retry %d in %.2f s", path, err, attempt, delay
                )
                await self._sleep(delay)

    async def _get_json(self, path: str) -> Any:  # noqa: ANN401
        text = await self._get_text(path)
        try:
            return json.loads(text, parse_float=Decimal)
        except ValueError:
            raise errors.MempoolInvalidReplyError(
                f"{path}: the reply is not JSON"
            ) from None

    # --- endpoints -------------------------------------------------------------------------

    async def tip_height(self) -> int:
        """The height of the newest block: what tells whether anything changed."""
        return parse_tip_height(await self._get_text(PATH_TIP_HEIGHT))

    async def hashrate(self, period: str = HASHRATE_PERIOD) -> models.NetworkHashrate:
        """The network's current hashrate (H/s) and difficulty."""
        if period not in HASHRATE_PERIODS:
            raise errors.MempoolValidationError(
                f"period must be one of {', '.join(HASHRATE_PERIODS)}"
            )
        return parse_hashrate(await self._get_json(PATH_HASHRATE.format(period=period)))

    async def difficulty_adjustment(self) -> models.DifficultyAdjustment:
        """The progress of the difficulty epoch and the estimated next change."""
        return parse_difficulty_adjustment(await self._get_json(PATH_DIFFICULTY))

    async def reward_stats(
        self, blocks: int = DEFAULT_REWARD_BLOCKS
    ) -> models.RewardStats:
        """The rewards (subsidy and fees) of the last ``blocks`` blocks."""
        if (
            isinstance(blocks, bool)
            or not isinstance(blocks, int)
            or not 1 <= blocks <= 10000
        ):
            raise errors.MempoolValidationError(
                "blocks must be a whole number from 1 to 10000"
            )
        return parse_reward_stats(
            await self._get_json(PATH_REWARD_STATS.format(blocks=blocks))
        )

    async def prices(self) -> models.Prices:
        """The BTC price in every currency mempool quotes."""
        return parse_prices(await self._get_json(PATH_PRICES))

    async def network_figures(
        self, blocks: int = DEFAULT_REWARD_BLOCKS, *, tip_height: int | None = None
    ) -> models.NetworkFigures:
        """Read hashrate, difficulty and rewards (4 requests; 3 given ``tip_height``)."""
        if tip_height is None:
            tip_height = await self.tip_height()
        return models.NetworkFigures(
            tip_height=tip_height,
            hashrate=await self.hashrate(),
            adjustment=await self.difficulty_adjustment(),
            rewards=await self.reward_stats(blocks),
        )
