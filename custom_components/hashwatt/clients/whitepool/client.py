"""Async client of the WhiteBIT mining pool ("WhitePool") private API.

All eleven mining endpoints are POSTs signed per :mod:`.signing`; the public BTC ticker is an
unauthenticated GET. Arguments are checked here, before anything is sent, against the rules
the API documents. Reads are retried on 429 and 5xx with a short bounded backoff; writes
(create account, edit payout, create watcher link) are never retried, so they are never
performed twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import aiohttp

from custom_components.hashwatt.clients import http

from . import errors, models
from .btc_address import InvalidBtcAddressError, btc_address_type
from .signing import build_body, sign

_LOGGER = logging.getLogger(__name__)

PATH_ACCOUNT_CREATE: Final = "/api/v4/mining/accounts/create"
PATH_ACCOUNTS: Final = "/api/v4/mining/accounts"
PATH_REWARDS: Final = "/api/v4/mining/rewards"
PATH_HASHRATE: Final = "/api/v4/mining/hashrate"
PATH_PAYOUT: Final = "/api/v4/mining/payout-destination"
PATH_PAYOUT_EDIT: Final = "/api/v4/mining/payout-destination/edit"
PATH_MINERS_INFO: Final = "/api/v4/mining/miners/info"
PATH_WORKER_NAMES: Final = "/api/v4/mining/workers/names"
PATH_WORKER_HASHRATE: Final = "/api/v4/mining/workers/hashrate"
PATH_WATCHER_CREATE: Final = "/api/v4/mining/watcher-links/create"
PATH_WATCHER_LIST: Final = "/api/v4/mining/watcher-links/list"
PATH_TICKER: Final = "/api/v4/public/ticker"

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_ATTEMPTS: Final = 3  # reads only; writes are sent once
DEFAULT_BACKOFF: Final = 0.5  # seconds before the first retry, doubled each time
MAX_BACKOFF: Final = 4.0
REWARDS_LIMIT_RANGE: Final = (1, 100)
REWARDS_DEFAULT_LIMIT: Final = 30
REWARDS_MAX_OFFSET: Final = 10000
WORKER_NAMES_LIMIT_RANGE: Final = (1, 100)
WORKER_NAMES_DEFAULT_LIMIT: Final = 100
DEFAULT_MAX_PAGES: Final = 20
MAX_NAME_LENGTH: Final = 255
AUTH_ERROR_CODES: Final = frozenset({2, 4, 9, 10})

_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9_]{1,255}")
_QUOTE = re.compile(r"[A-Z0-9]{2,12}")
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]{1,255}")

type Sleep = Callable[[float], Awaitable[None]]
type Clock = Callable[[], float]
type TimeArg = datetime | int | None


# --- argument checks (raise before anything is sent) ---------------------------------------


def _fail(field: str, message: str) -> errors.WhitePoolValidationError:
    return errors.WhitePoolValidationError.for_field(field, message)


def check_account_name(value: str, field: str = "account") -> str:
    """Check an account (or watcher-link) name: 1-255 of ``A-Z a-z 0-9 _``."""
    if not isinstance(value, str) or not _ACCOUNT_NAME.fullmatch(value):
        raise _fail(field, "use 1 to 255 letters, digits or underscores")
    return value


def _check_text(field: str, value: str) -> str:
    if not isinstance(value, str) or not _PRINTABLE.fullmatch(value):
        raise _fail(field, "must be 1 to 255 printable characters")
    return value


def _check_int(field: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, "must be a whole number")
    if not low <= value <= high:
        raise _fail(field, f"must be between {low} and {high}")
    return value


def _check_time(field: str, value: TimeArg) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _fail(field, "must be timezone-aware")
        return int(value.timestamp())
    return _check_int(field, value, 0, 2**40)


def _check_range(start: TimeArg, end: TimeArg) -> dict[str, int]:
    params: dict[str, int] = {}
    start_s = _check_time("from", start)
    end_s = _check_time("to", end)
    if start_s is not None and end_s is not None and start_s > end_s:
        raise _fail("from", "must not be after 'to'")
    if start_s is not None:
        params["from"] = start_s
    if end_s is not None:
        params["to"] = end_s
    return params


def _check_enum[
    E: (
        models.HashrateInterval,
        models.WatcherLifetime,
        models.WatcherPermission,
        models.PayoutDestination,
    )
](field: str, enum: type[E], value: E | str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise _fail(field, f"must be one of {allowed}") from None


def check_payout_address(address: str) -> str:
    """Check a BTC mainnet address (base58check 1…/3…, bech32/bech32m bc1…)."""
    try:
        btc_address_type(address)
    except InvalidBtcAddressError as err:
        raise _fail("address", f"not a valid Bitcoin address: {err}") from None
    return address


# --- reply parsing -------------------------------------------------------------------------


def _invalid(what: str) -> errors.WhitePoolInvalidReplyError:
    return errors.WhitePoolInvalidReplyError(f"unexpected reply: {what}")


def _object(value: Any, what: str) -> Mapping[str, Any]:  # noqa: ANN401
    # The API is PHP: an empty object can arrive as an empty list.
    if value == []:
        return {}
    if not isinstance(value, Mapping):
        raise _invalid(f"{what} is not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:  # noqa: ANN401
    if value is None or value == {}:
        return []
    if not isinstance(value, list):
        raise _invalid(f"{what} is not a list")
    return value


def _decimal(value: Any, what: str) -> Decimal:  # noqa: ANN401
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _invalid(f"{what} is not a number")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise _invalid(f"{what} is not a number") from None
    if not number.is_finite():
        raise _invalid(f"{what} is not a finite number")
    return number


def _optional_decimal(value: Any, what: str) -> Decimal | None:  # noqa: ANN401
    return None if value is None or value == "" else _decimal(value, what)


def _int(value: Any, what: str) -> int:  # noqa: ANN401
    number = _decimal(value, what)
    if number != number.to_integral_value():
        raise _invalid(f"{what} is not a whole number")
    return int(number)


def _str(value: Any, what: str) -> str:  # noqa: ANN401
    if not isinstance(value, str):
        raise _invalid(f"{what} is not text")
    return value


def _optional_str(value: Any, what: str) -> str | None:  # noqa: ANN401
    return None if value is None or value == "" else _str(value, what)


def _timestamp(value: Any, what: str) -> datetime:  # noqa: ANN401
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _invalid(f"{what} is not a timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    seconds = _decimal(value, what)
    if seconds > 10**11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(float(seconds), UTC)
    except OverflowError, OSError, ValueError:
        raise _invalid(f"{what} is out of range") from None


def _optional_timestamp(value: Any, what: str) -> datetime | None:  # noqa: ANN401
    return None if value in (None, "", 0) else _timestamp(value, what)


def _field(item: Mapping[str, Any], key: str, what: str) -> Any:  # noqa: ANN401
    if key not in item:
        raise _invalid(f"{what} has no {key!r}")
    return item[key]


def _data(reply: Mapping[str, Any]) -> Any:  # noqa: ANN401
    return _field(reply, "data", "reply")


def _parse_account(item: Any) -> models.MiningAccount:  # noqa: ANN401
    obj = _object(item, "account")
    return models.MiningAccount(
        name=_str(_field(obj, "name", "account"), "account name"),
        created_at=_timestamp(_field(obj, "createdAt", "account"), "createdAt"),
    )


def _parse_reward(item: Any) -> models.Reward:  # noqa: ANN401
    obj = _object(item, "reward")
    status_text = obj.get("status")
    try:
        status = models.RewardStatus(str(status_text))
    except ValueError:
        status = models.RewardStatus.UNKNOWN
    return models.Reward(
        account=_str(_field(obj, "miningAccountName", "reward"), "miningAccountName"),
        date=_timestamp(_field(obj, "date", "reward"), "reward date"),
        status=status,
        currency=_str(obj.get("rewardCurrency", "BTC"), "rewardCurrency"),
        total_reward=_decimal(_field(obj, "totalReward", "reward"), "totalReward"),
        reward=_decimal(_field(obj, "reward", "reward"), "reward"),
        fee=_decimal(obj.get("fee", 0), "fee"),
        fpps_rate=_optional_decimal(obj.get("fppsRate"), "fppsRate"),
        hashrate=_decimal(obj.get("hashRate", 0), "hashRate"),
        payout_destination=_optional_str(
            obj.get("payoutDestination"), "payoutDestination"
        ),
        payout_address=_optional_str(obj.get("payoutAddress"), "payoutAddress"),
        payout_transaction_hash=_optional_str(
            obj.get("payoutTransactionHash"), "payoutTransactionHash"
        ),
        payout_time=_optional_timestamp(obj.get("payoutTime"), "payoutTime"),
    )


def _parse_payout(reply: Mapping[str, Any]) -> models.PayoutSettings:
    # Not wrapped in "data"; accept it wrapped all the same.
    obj = _object(reply.get("data", reply), "payout destination")
    try:
        destination = models.PayoutDestination(
            _field(obj, "payoutDestination", "reply")
        )
    except ValueError:
        raise _invalid("payoutDestination is not a known destination") from None
    return models.PayoutSettings(
        destination=destination,
        external_address=_optional_str(obj.get("externalAddress"), "externalAddress"),
    )


def _parse_watcher_link(item: Any) -> models.WatcherLink:  # noqa: ANN401
    obj = _object(item, "watcher link")
    link_id = _field(obj, "id", "watcher link")
    if isinstance(link_id, bool) or not isinstance(link_id, str | int):
        raise _invalid("watcher link id is not text")
    permissions: list[models.WatcherPermission] = []
    for permission in _list(obj.get("permissions"), "permissions"):
        try:
            permissions.append(models.WatcherPermission(permission))
        except ValueError:
            _LOGGER.debug("Ignoring unknown watcher permission %r", permission)
    return models.WatcherLink(
        id=str(link_id),
        link=_str(_field(obj, "link", "watcher link"), "link"),
        live_until=_optional_timestamp(obj.get("liveUntil"), "liveUntil"),
        created_at=_timestamp(_field(obj, "createdAt", "watcher link"), "createdAt"),
        name=_optional_str(obj.get("name"), "name"),
        accounts=tuple(
            _str(name, "accounts") for name in _list(obj.get("accounts"), "accounts")
        ),
        permissions=tuple(permissions),
    )


def _parse_json(text: str) -> Any:  # noqa: ANN401
    return json.loads(text, parse_float=Decimal)


# --- the client ----------------------------------------------------------------------------


class WhitePoolClient:
    """One WhiteBIT API key, used for the mining-pool endpoints and the public ticker."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        api_secret: str,
        *,
        base_url: str = models.WhitePoolRegion.COM,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.time,
    ) -> None:
        """Use ``session`` (owned by the caller) to talk to ``base_url``.

        ``sleep`` and ``clock`` are injectable so tests neither wait nor depend on real time.
        """
        self._session = session
        self._api_key = api_key
        self._api_secret = api_secret
        self._base_url = str(base_url).rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._sleep = sleep
        self._clock = clock
        self._last_nonce = 0

    def __repr__(self) -> str:
        """Show the host only: never the key or the secret."""
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        """The host requests go to."""
        return self._base_url

    def next_nonce(self) -> int:
        """Return a nonce in ms, strictly larger than every nonce handed out before.

        No await between reading and writing ``_last_nonce``: concurrent requests on one
        event loop never share or reorder a nonce.
        """
        nonce = max(int(self._clock() * 1000), self._last_nonce + 1)
        self._last_nonce = nonce
        return nonce

    # --- transport -------------------------------------------------------------------------

    def _retry_delay(self, attempt: int, err: errors.WhitePoolApiError) -> float:
        delay = self._backoff * (2.0**attempt)
        if (
            isinstance(err, errors.WhitePoolRateLimitError)
            and err.retry_after is not None
        ):
            delay = max(delay, err.retry_after)
        return min(delay, self._max_backoff)

    async def _with_retries[T](
        self, what: str, send: Callable[[], Awaitable[T]], *, read: bool
    ) -> T:
        attempts = self._max_attempts if read else 1
        attempt = 0
        while True:
            try:
                return await send()
            except (errors.WhitePoolRateLimitError, errors.WhitePoolServerError) as err:
                attempt += 1
                if attempt >= attempts:
                    raise
                delay = self._retry_delay(attempt - 1, err)
                _LOGGER.debug(
                    "%s failed (%s); retry %d in %.2f s", what, err, attempt, delay
                )
                await self._sleep(delay)

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:  # noqa: ANN401
        url = f"{self._base_url}{path}"
        _LOGGER.debug("%s %s", method, url)
        reply = await http.request(
            self._session,
            method,
            url,
            what=path,
            timeout=self._timeout,
            timeout_error=errors.WhitePoolTimeoutError,
            connection_error=errors.WhitePoolConnectionError,
            data=data,
            headers=headers,
        )
        return _classify(path, reply.status, reply.text, reply.retry_after)

    async def _post(
        self, path: str, params: Mapping[str, Any], *, read: bool
    ) -> Mapping[str, Any]:
        if not self._api_key or not self._api_secret:
            raise errors.WhitePoolAuthError("no API key or secret configured")

        async def send() -> Any:  # noqa: ANN401
            signed = sign(build_body(path, self.next_nonce(), params), self._api_secret)
            headers = {
                "Content-Type": "application/json",
                "X-TXC-APIKEY": self._api_key,
                "X-TXC-PAYLOAD": signed.payload,
                "X-TXC-SIGNATURE": signed.signature,
            }
            return await self._exchange("POST", path, data=signed.body, headers=headers)

        reply = await self._with_retries(path, send, read=read)
        if not isinstance(reply, Mapping):
            raise _invalid(f"{path} did not answer an object")
        return reply

    # --- accounts --------------------------------------------------------------------------

    async def create_account(
        self, name: str, *, referral_code: str | None = None
    ) -> models.MiningAccount:
        """Create a mining account (a write: sent once, never retried)."""
        params: dict[str, Any] = {"name": check_account_name(name, "name")}
        if referral_code is not None:
            params["referralCode"] = _check_text("referralCode", referral_code)
        reply = await self._post(PATH_ACCOUNT_CREATE, params, read=False)
        return _parse_account(_data(reply))

    async def accounts(
        self, *, name: str | None = None
    ) -> tuple[models.MiningAccount, ...]:
        """List the mining accounts, newest first; ``name`` filters on an exact name."""
        params = {} if name is None else {"name": check_account_name(name, "name")}
        reply = await self._post(PATH_ACCOUNTS, params, read=True)
        return tuple(_parse_account(item) for item in _list(_data(reply), "accounts"))

    # --- rewards ---------------------------------------------------------------------------

    async def rewards(
        self,
        account: str | None = None,
        *,
        start: TimeArg = None,
        end: TimeArg = None,
        limit: int = REWARDS_DEFAULT_LIMIT,
        offset: int = 0,
    ) -> models.RewardsPage:
        """One page of rewards, newest first (all accounts when ``account`` is None)."""
        params: dict[str, Any] = {}
        if account is not None:
            params["account"] = check_account_name(account)
        params.update(_check_range(start, end))
        params["limit"] = _check_int("limit", limit, *REWARDS_LIMIT_RANGE)
        params["offset"] = _check_int("offset", offset, 0, REWARDS_MAX_OFFSET)
        reply = await self._post(PATH_REWARDS, params, read=True)
        items = _list(_data(reply), "rewards")
        return models.RewardsPage(
            offset=_int(reply.get("offset", offset), "offset"),
            limit=_int(reply.get("limit", limit), "limit"),
            rewards=tuple(_parse_reward(item) for item in items),
        )

    async def all_rewards(
        self,
        account: str | None = None,
        *,
        start: TimeArg = None,
        end: TimeArg = None,
        page_size: int = REWARDS_LIMIT_RANGE[1],
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> tuple[models.Reward, ...]:
        """Every reward in the range, fetching at most ``max_pages`` pages (offset ≤ 10000)."""
        _check_int("max_pages", max_pages, 1, 1000)
        rewards: list[models.Reward] = []
        offset = 0
        for _ in range(max_pages):
            page = await self.rewards(
                account, start=start, end=end, limit=page_size, offset=offset
            )
            rewards.extend(page.rewards)
            offset += len(page.rewards)
            if page.is_last or not page.rewards or offset > REWARDS_MAX_OFFSET:
                break
        else:
            _LOGGER.debug("Stopped after %d pages of rewards", max_pages)
        return tuple(rewards)

    # --- hashrate --------------------------------------------------------------------------

    async def hashrate(
        self,
        account: str,
        *,
        start: TimeArg = None,
        end: TimeArg = None,
        interval: models.HashrateInterval | str = models.HashrateInterval.HOUR,
    ) -> models.AccountHashrate:
        """An account's hashrate series (H/s), oldest first; empty for an unknown account."""
        params: dict[str, Any] = {"account": check_account_name(account)}
        params.update(_check_range(start, end))
        params["interval"] = _check_enum(
            "interval", models.HashrateInterval, interval
        ).value
        reply = await self._post(PATH_HASHRATE, params, read=True)
        data = _object(_data(reply), "hashrate")
        points = [
            models.HashratePoint(
                timestamp=_timestamp(_field(item, "timestamp", "point"), "timestamp"),
                hashrate=_decimal(_field(item, "hashrate", "point"), "hashrate"),
                reject_rate=_decimal(item.get("rejectRate", 0), "rejectRate"),
            )
            for item in (
                _object(raw, "point") for raw in _list(data.get("hashrate"), "hashrate")
            )
        ]
        points.sort(key=lambda point: point.timestamp)
        return models.AccountHashrate(
            account=_str(data.get("account", account), "account"), points=tuple(points)
        )

    # --- payout ----------------------------------------------------------------------------

    async def payout_destination(self, account: str) -> models.PayoutSettings:
        """Where the account's rewards are paid."""
        params = {"accountName": check_account_name(account, "accountName")}
        return _parse_payout(await self._post(PATH_PAYOUT, params, read=True))

    async def set_payout_destination(
        self,
        account: str,
        destination: models.PayoutDestination | str,
        address: str | None = None,
    ) -> models.PayoutSettings:
        """Pay to the main balance, or to an external BTC address (a write: sent once)."""
        params: dict[str, Any] = {
            "accountName": check_account_name(account, "accountName")
        }
        target = _check_enum("destination", models.PayoutDestination, destination)
        params["destination"] = target.value
        if target is models.PayoutDestination.EXTERNAL_ADDRESS:
            if address is None:
                raise _fail("address", "required for external_address")
            params["address"] = check_payout_address(address)
        elif address is not None:
            raise _fail("address", "only allowed with external_address")
        return _parse_payout(await self._post(PATH_PAYOUT_EDIT, params, read=False))

    # --- miners and workers ----------------------------------------------------------------

    async def miners_info(self, account: str) -> models.MinersInfo:
        """Pool fee, worker counts and stratum URLs (HTTP 400 for an unknown account)."""
        reply = await self._post(
            PATH_MINERS_INFO, {"account": check_account_name(account)}, read=True
        )
        data = _object(_data(reply), "miners info")
        workers = _object(_field(data, "workers", "miners info"), "workers")
        stratum = [
            _object(item, "stratum") for item in _list(data.get("stratum"), "stratum")
        ]
        return models.MinersInfo(
            fee_percent=_decimal(_field(data, "fee", "miners info"), "fee"),
            workers=models.WorkerCounts(
                online=_int(workers.get("online", 0), "online"),
                offline=_int(workers.get("offline", 0), "offline"),
                low=_int(workers.get("low", 0), "low"),
            ),
            stratum=tuple(
                models.StratumEndpoint(
                    url=_str(_field(item, "url", "stratum"), "url"),
                    workers_count=_int(item.get("workersCount", 0), "workersCount"),
                )
                for item in stratum
            ),
        )

    async def worker_names(
        self, account: str, *, offset: int = 0, limit: int = WORKER_NAMES_DEFAULT_LIMIT
    ) -> models.WorkerNamesPage:
        """One page of the names of the account's online workers."""
        params = {
            "account": check_account_name(account),
            "offset": _check_int("offset", offset, 0, 2**31),
            "limit": _check_int("limit", limit, *WORKER_NAMES_LIMIT_RANGE),
        }
        reply = await self._post(PATH_WORKER_NAMES, params, read=True)
        data = _object(_data(reply), "workers")
        names = _list(data.get("workers"), "workers")
        return models.WorkerNamesPage(
            workers=tuple(_str(name, "worker name") for name in names),
            offset=_int(reply.get("offset", offset), "offset"),
            limit=_int(reply.get("limit", limit), "limit"),
        )

    async def all_worker_names(
        self,
        account: str,
        *,
        page_size: int = WORKER_NAMES_DEFAULT_LIMIT,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> tuple[str, ...]:
        """Names of every online worker (at most ``max_pages`` pages), without duplicates."""
        _check_int("max_pages", max_pages, 1, 1000)
        names: dict[str, None] = {}
        offset = 0
        for _ in range(max_pages):
            page = await self.worker_names(account, offset=offset, limit=page_size)
            names.update(dict.fromkeys(page.workers))
            offset += len(page.workers)
            if page.is_last or not page.workers:
                break
        else:
            _LOGGER.debug("Stopped after %d pages of worker names", max_pages)
        return tuple(names)

    async def worker_hashrate(
        self,
        account: str,
        worker: str,
        *,
        start: TimeArg = None,
        end: TimeArg = None,
        interval: models.HashrateInterval | str = models.HashrateInterval.HOUR,
    ) -> models.WorkerHashrate:
        """One worker's hashrate series (H/s), oldest first."""
        params: dict[str, Any] = {
            "account": check_account_name(account),
            "worker": _check_text("worker", worker),
            "interval": _check_enum(
                "interval", models.HashrateInterval, interval
            ).value,
        }
        params.update(_check_range(start, end))
        reply = await self._post(PATH_WORKER_HASHRATE, params, read=True)
        data = _object(_data(reply), "worker hashrate")
        points = [
            models.WorkerHashratePoint(
                time=_timestamp(_field(item, "time", "point"), "time"),
                hashrate=_decimal(_field(item, "hashrate", "point"), "hashrate"),
            )
            for item in (
                _object(raw, "point")
                for raw in _list(data.get("hashrates"), "hashrates")
            )
        ]
        points.sort(key=lambda point: point.time)
        return models.WorkerHashrate(
            account=account, worker=worker, points=tuple(points)
        )

    # --- watcher links ---------------------------------------------------------------------

    async def create_watcher_link(
        self,
        accounts: Sequence[str],
        name: str,
        permissions: Collection[models.WatcherPermission | str],
        live_until: models.WatcherLifetime | str,
    ) -> models.WatcherLink:
        """Create a read-only link (a write: sent once). At most 3 are active per account."""
        if isinstance(accounts, str) or not accounts:
            raise _fail("accounts", "give at least one account")
        checked_accounts = [
            check_account_name(account, "accounts") for account in accounts
        ]
        if isinstance(permissions, str) or not 1 <= len(permissions) <= len(
            models.WatcherPermission
        ):
            raise _fail("permissions", "give 1 to 3 of dashboard, rewards, workers")
        checked = [
            _check_enum("permissions", models.WatcherPermission, item)
            for item in permissions
        ]
        if len(set(checked)) != len(checked):
            raise _fail("permissions", "must not repeat a permission")
        link_name = check_account_name(name, "name")
        params = {
            "accounts": checked_accounts,
            "name": link_name,
            "permissions": [permission.value for permission in checked],
            "liveUntil": _check_enum(
                "liveUntil", models.WatcherLifetime, live_until
            ).value,
        }
        reply = await self._post(PATH_WATCHER_CREATE, params, read=False)
        link = _parse_watcher_link(_data(reply))
        if not link.accounts and not link.permissions:
            link = models.WatcherLink(
                id=link.id,
                link=link.link,
                live_until=link.live_until,
                created_at=link.created_at,
                name=link_name,
                accounts=tuple(checked_accounts),
                permissions=tuple(checked),
            )
        return link

    async def watcher_links(self, account: str) -> tuple[models.WatcherLink, ...]:
        """The account's watcher links."""
        reply = await self._post(
            PATH_WATCHER_LIST, {"account": check_account_name(account)}, read=True
        )
        return tuple(
            _parse_watcher_link(item) for item in _list(_data(reply), "watcher links")
        )

    # --- public market data ----------------------------------------------------------------

    async def btc_quotes(self) -> tuple[str, ...]:
        """The currencies the public ticker prices BTC in (its ``BTC_*`` markets), sorted."""

        async def send() -> Any:  # noqa: ANN401
            return await self._exchange("GET", PATH_TICKER)

        reply = _object(
            await self._with_retries(PATH_TICKER, send, read=True), "ticker"
        )
        return tuple(
            sorted(
                quote
                for market in reply
                if market.startswith("BTC_")
                and _QUOTE.fullmatch(quote := market.removeprefix("BTC_"))
            )
        )

    async def btc_price(self, quote: str = "USDT") -> Decimal:
        """Last BTC price in ``quote`` from the public ticker (no key needed)."""
        if not isinstance(quote, str) or not _QUOTE.fullmatch(quote):
            raise _fail("quote", "must be a currency ticker such as USDT")
        market = f"BTC_{quote}"

        async def send() -> Any:  # noqa: ANN401
            return await self._exchange("GET", PATH_TICKER)

        reply = _object(
            await self._with_retries(PATH_TICKER, send, read=True), "ticker"
        )
        if market not in reply:
            raise errors.WhitePoolValidationError.for_field(
                "quote", f"no {market} market"
            )
        entry = _object(reply[market], market)
        return _decimal(_field(entry, "last_price", market), "last_price")


# --- error classification ------------------------------------------------------------------


def _classify(path: str, status: int, text: str, retry_after: str | None) -> Any:  # noqa: ANN401
    """Return the decoded reply of a success, or raise the error its status and body mean."""
    try:
        reply = _parse_json(text) if text.strip() else None
        decoded = True
    except ValueError:
        reply = None
        decoded = False
    envelope = reply if isinstance(reply, Mapping) else {}
    if 200 <= status < 300:
        if not decoded or reply is None:
            raise errors.WhitePoolInvalidReplyError(
                f"{path}: the reply is not JSON (HTTP {status})"
            )
        if not _is_error_envelope(envelope):
            return reply
    raise _error_from(path, status, envelope, retry_after)


def _is_error_envelope(envelope: Mapping[str, Any]) -> bool:
    if "data" in envelope or "payoutDestination" in envelope:
        return False
    if envelope.get("success") is False:
        return True
    code = envelope.get("code")
    return (
        isinstance(code, int)
        and not isinstance(code, bool)
        and code != 0
        and "message" in envelope
    )


def _field_errors(value: Any) -> dict[str, list[str]]:  # noqa: ANN401
    if not isinstance(value, Mapping):
        return {}
    field_errors: dict[str, list[str]] = {}
    for field, messages in value.items():
        items = messages if isinstance(messages, list) else [messages]
        field_errors[str(field)] = [str(item) for item in items]
    return field_errors


def _error_from(
    path: str, status: int, envelope: Mapping[str, Any], retry_after: str | None
) -> errors.WhitePoolError:
    raw_code = envelope.get("code")
    code = (
        raw_code
        if isinstance(raw_code, int) and not isinstance(raw_code, bool)
        else None
    )
    raw_message = envelope.get("message")
    message = str(raw_message) if raw_message else f"{path} failed"
    field_errors = _field_errors(envelope.get("errors"))
    lowered = message.lower()
    if code in AUTH_ERROR_CODES or status in (401, 403):
        return errors.WhitePoolAuthError(
            message, status=status, code=code, errors=field_errors
        )
    if status == 429 or "too many requests" in lowered:
        return errors.WhitePoolRateLimitError(
            message, status=status, retry_after=http.retry_after_seconds(retry_after)
        )
    if status >= 500:
        return errors.WhitePoolServerError(
            message, status=status, code=code, errors=field_errors
        )
    if status == 422 or ("nonce" in lowered and "seconds" in lowered):
        return errors.WhitePoolClockError(
            message, status=status, code=code, errors=field_errors
        )
    if status == 400 or field_errors:
        return errors.WhitePoolValidationError(
            message, status=status, code=code, errors=field_errors
        )
    return errors.WhitePoolApiError(
        message, status=status, code=code, errors=field_errors
    )
