"""A mock of the WhiteBIT mining-pool API ("WhitePool"), for tests and the demo.

It checks requests the way the reference describes (headers, base64 payload equal to the
exact body, HMAC-SHA512 signature, ``request`` equal to the path, nonce window and
uniqueness, 1000 requests per 10 s per endpoint and IP) and keeps a small pool whose
hashrate series and rewards follow an injectable clock, so tests are deterministic.

Every documented failure can be injected, programmatically (:meth:`WhitePoolServer.inject`)
or with ``--fault``. Hashrates are H/s, like the real API.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any, Final

from aiohttp import web

from .faultspec import parse_fault_spec
from .httpmock import MockHttpServer

PRIVATE_PREFIX: Final = "/api/v4/mining/"
TICKER_PATH: Final = "/api/v4/public/ticker"
NONCE_WINDOW_MS: Final = 5000
DAY: Final = 86400
MAX_ACCOUNTS: Final = 50
MAX_ACTIVE_WATCHER_LINKS: Final = 3
MAX_POINTS: Final = 2000
BTC_PER_THS_DAY: Final = Decimal("0.00000050")  # FPPS rate used for simulated rewards
POOL_FEE_PERCENT: Final = Decimal("2.5")
STRATUM_URLS: Final = (
    "stratum+tcp://pool.whitebit.com:3333",
    "stratum+tcp://pool.whitebit.com:3334",
)

_NAME = re.compile(r"[A-Za-z0-9_]{1,255}")
_BTC_ADDRESS = re.compile(
    r"[13][1-9A-HJ-NP-Za-km-z]{25,34}|bc1[02-9ac-hj-np-z]{6,87}|BC1[02-9AC-HJ-NP-Z]{6,87}"
)
_INTERVALS: Final = {"5m": 300, "1h": 3600, "24h": DAY}
_LIVE_UNTIL: Final = {"1h": 3600, "24h": DAY, "7d": 7 * DAY, "always": None}
_PERMISSIONS: Final = ("dashboard", "rewards", "workers")


class Fault(StrEnum):
    """Failures the server can be told to answer instead of the real reply."""

    AUTH_DISABLED = "auth_disabled"  # code 2, HTTP 403
    AUTH_PERMISSION = "auth_permission"  # code 4, HTTP 403
    AUTH_PAYLOAD = "auth_payload"  # code 9, HTTP 400 (only the body says it is auth)
    AUTH_SIGNATURE = "auth_signature"  # code 10, HTTP 401
    VALIDATION = "validation"  # HTTP 400, code 0, field errors
    TIMESTAMP = "timestamp"  # HTTP 422 "Incorrect timestamp"
    RATE_LIMIT = "rate_limit"  # HTTP 429 "Too many requests."
    SERVER_ERROR = "server_error"  # HTTP 500 with a JSON envelope
    UNAVAILABLE = "unavailable"  # HTTP 503 with an HTML page
    TIMEOUT = "timeout"  # never answers (until the server stops)
    INVALID_JSON = "invalid_json"  # HTTP 200, not JSON
    EMPTY_DATA = "empty_data"  # HTTP 200, {"data": []}
    UNKNOWN_ACCOUNT = "unknown_account"  # behaves as if the account did not exist


class FakeClock:
    """A clock tests move by hand; call it like ``time.time``."""

    def __init__(self, start: float = 1_709_340_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        """The current fake time, in unix seconds."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@dataclass
class SimWorker:
    """A worker of a simulated account; status is online, offline or low."""

    name: str
    status: str = "online"
    hashrate: Decimal = Decimal(100) * 10**12  # H/s

    def current(self) -> Decimal:
        """What the worker hashes now, in H/s."""
        if self.status == "offline":
            return Decimal(0)
        return self.hashrate / 4 if self.status == "low" else self.hashrate


@dataclass
class SimWatcherLink:
    """A watcher link as the server keeps it."""

    id: str
    accounts: list[str]
    name: str
    permissions: list[str]
    live_until: int | None
    created_at: int

    def as_json(self, *, full: bool) -> dict[str, Any]:
        """The link as the API shows it (create answers the short form)."""
        reply: dict[str, Any] = {
            "id": self.id,
            "link": f"https://whitebit.com/mining-pool/watcher/{self.id}",
            "liveUntil": self.live_until,
            "createdAt": self.created_at,
        }
        if full:
            reply |= {
                "accounts": self.accounts,
                "name": self.name,
                "permissions": self.permissions,
            }
        return reply


@dataclass
class SimAccount:
    """A mining account of the simulated pool."""

    name: str
    created_at: float
    workers: list[SimWorker] = field(default_factory=list)
    referral_code: str | None = None
    payout_destination: str = "main_balance"
    external_address: str | None = None
    # The account's hashrate as sampled during each day (day start -> total, count).
    day_samples: dict[int, tuple[Decimal, int]] = field(default_factory=dict)
    # A reward once paid is history: the rewards list answers it unchanged from then on.
    paid_rewards: dict[int, dict[str, Any]] = field(default_factory=dict)

    def hashrate(self) -> Decimal:
        """The account's hashrate now, in H/s."""
        return sum((worker.current() for worker in self.workers), Decimal(0))

    def day_hashrate(self, day: int) -> Decimal:
        """What the account hashed on ``day``: its samples' mean, else its hashrate now."""
        if (sampled := self.day_samples.get(day)) is not None:
            total, count = sampled
            return total / count
        return self.hashrate()


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    remote: str | None

    def json(self) -> Any:  # noqa: ANN401  # whatever the client sent
        """The body decoded as JSON (None if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class _Reply(Exception):  # noqa: N818  # control flow: "answer this now"
    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__()
        self.response = response


def _error(
    status: int,
    message: str,
    *,
    code: int = 0,
    errors: Mapping[str, list[str]] | None = None,
) -> _Reply:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = dict(errors)
    return _Reply(web.json_response(body, status=status))


def _invalid(errors: Mapping[str, list[str]]) -> _Reply:
    return _error(400, "Validation failed", errors=errors)


def _wobble(timestamp: int, step: int) -> Decimal:
    """A deterministic ±3 % variation so series are not flat."""
    return Decimal(100 + (timestamp // step) % 7 - 3) / 100


class WhitePoolServer(MockHttpServer[Fault]):
    """The mock API on a real TCP port."""

    def __init__(
        self,
        api_key: str = "test-key",
        api_secret: str = "test-secret",
        *,
        clock: Callable[[], float] = time.time,
        seed: bool = True,
        rate_limit: int = 1000,
        rate_window: float = 10.0,
    ) -> None:
        """Serve one API key; ``seed`` adds the demo account ``my_miner_01`` with 5 workers."""
        super().__init__(Fault)
        self.api_key = api_key
        self.api_secret = api_secret
        self.clock = clock
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.accounts: dict[str, SimAccount] = {}
        self.watcher_links: list[SimWatcherLink] = []
        self.prices: dict[str, Decimal] = {
            "BTC_USDT": Decimal("64123.45"),
            "BTC_EUR": Decimal("59010.10"),
        }
        self.requests: list[RecordedRequest] = []
        self.require_signature = True
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._last_nonce: dict[str, int] = {}
        self._recent_nonces: dict[str, dict[int, float]] = {}
        self._link_counter = 0
        if seed:
            self.add_account(
                "my_miner_01",
                created_at=clock() - 10 * DAY,
                workers=[
                    SimWorker("my_miner_01.m30s_01"),
                    SimWorker("my_miner_01.m30s_02"),
                    SimWorker("my_miner_01.m50_01", hashrate=Decimal(120) * 10**12),
                    SimWorker("my_miner_01.m20s_01", status="offline"),
                    SimWorker("my_miner_01.m21s_01", status="low"),
                ],
            )

    # --- programmatic API ------------------------------------------------------------------

    def add_account(
        self,
        name: str,
        *,
        created_at: float | None = None,
        workers: int | list[SimWorker] = 0,
    ) -> SimAccount:
        """Add an account; ``workers`` is a list, or a count of online 100 TH/s workers."""
        if isinstance(workers, int):
            workers = [
                SimWorker(f"{name}.worker_{index:03d}") for index in range(workers)
            ]
        account = SimAccount(
            name, self.clock() if created_at is None else created_at, workers
        )
        self.accounts[name] = account
        return account

    def sample(self) -> None:
        """Note each account's hashrate now: a day's reward follows what it hashed."""
        day = int(self.clock() // DAY * DAY)
        for account in self.accounts.values():
            total, count = account.day_samples.get(day, (Decimal(0), 0))
            account.day_samples[day] = (total + account.hashrate(), count + 1)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests for one path."""
        return [request for request in self.requests if request.path == path]

    @property
    def url(self) -> str:
        """The base URL to give the client."""
        return f"http://{self.host}:{self.port}"

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(TICKER_PATH, self._handle)
        app.router.add_route("*", "/api/v4/mining/{tail:.*}", self._handle)
        return app

    # --- request pipeline ------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        path = request.path
        self.requests.append(
            RecordedRequest(
                request.method, path, dict(request.headers), body, request.remote
            )
        )
        try:
            self._check_rate(path, request.remote or "?")
            unknown = await self._apply_fault(path)
            if path == TICKER_PATH:
                return web.json_response(self._ticker())
            if request.method != "POST":
                raise _error(405, "Method not allowed.")
            params = self._authenticate(request, body)
            return self._dispatch(path, params, unknown)
        except _Reply as reply:
            return reply.response

    def _check_rate(self, path: str, remote: str) -> None:
        now = self.clock()
        hits = self._hits.setdefault((path, remote), deque())
        while hits and hits[0] <= now - self.rate_window:
            hits.popleft()
        if len(hits) >= self.rate_limit:
            raise _error(429, "Too many requests.")
        hits.append(now)

    async def _apply_fault(self, path: str) -> bool:
        """Raise the injected fault for ``path``, if any; True means "unknown account"."""
        fault = self._take_fault(path)
        if fault is None:
            return False
        if fault is Fault.UNKNOWN_ACCOUNT:
            return True
        await self._raise_fault(fault)
        return False

    async def _raise_fault(self, fault: Fault) -> None:
        match fault:
            case Fault.AUTH_DISABLED:
                raise _error(
                    403,
                    "This action is unauthorized. Enable your key in API settings",
                    code=2,
                )
            case Fault.AUTH_PERMISSION:
                raise _error(
                    403,
                    "This API Key is not authorized to perform this action.",
                    code=4,
                )
            case Fault.AUTH_PAYLOAD:
                raise _error(400, "Invalid payload.", code=9)
            case Fault.AUTH_SIGNATURE:
                raise _error(401, "Unauthorized request.", code=10)
            case Fault.VALIDATION:
                raise _invalid({"account": ["miningPool.validation.accountNotFound"]})
            case Fault.TIMESTAMP:
                raise _error(422, "Incorrect timestamp")
            case Fault.RATE_LIMIT:
                raise _Reply(
                    web.json_response(
                        {"code": 0, "message": "Too many requests."},
                        status=429,
                        headers={"Retry-After": "1"},
                    )
                )
            case Fault.SERVER_ERROR:
                raise _error(500, "Server error.")
            case Fault.UNAVAILABLE:
                raise _Reply(
                    web.Response(
                        status=503,
                        text="<html><body>503 Service Unavailable</body></html>",
                        content_type="text/html",
                    )
                )
            case Fault.TIMEOUT:
                await self._hang()
                raise _error(503, "Server stopping.")
            case Fault.INVALID_JSON:
                raise _Reply(
                    web.Response(
                        status=200,
                        text="<html>maintenance</html>",
                        content_type="text/html",
                    )
                )
            case Fault.EMPTY_DATA:
                raise _Reply(web.json_response({"data": []}))

    def _authenticate(self, request: web.Request, body: bytes) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise _error(400, "Invalid payload.", code=9)
        api_key = request.headers.get("X-TXC-APIKEY")
        payload = request.headers.get("X-TXC-PAYLOAD")
        signature = request.headers.get("X-TXC-SIGNATURE")
        if not api_key or not payload or not signature:
            raise _error(401, "Unauthorized request.", code=10)
        if not hmac.compare_digest(api_key, self.api_key):
            raise _error(
                403,
                "This action is unauthorized. Enable your key in API settings",
                code=2,
            )
        try:
            decoded = base64.b64decode(payload, validate=True)
        except binascii.Error, ValueError:
            raise _error(400, "Invalid payload.", code=9) from None
        if decoded != body:
            raise _error(400, "Invalid payload.", code=9)
        expected = hmac.new(
            self.api_secret.encode(), payload.encode(), hashlib.sha512
        ).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise _error(401, "Unauthorized request.", code=10)
        try:
            params = json.loads(body)
        except ValueError:
            raise _error(400, "Invalid payload.", code=9) from None
        if not isinstance(params, dict):
            raise _error(400, "Invalid payload.", code=9)
        if "request" not in params:
            raise _error(400, "Request not provided.")
        if params["request"] != request.path:
            raise _error(401, "Unauthorized request.", code=10)
        self._check_nonce(api_key, params)
        return params

    def _check_nonce(self, api_key: str, params: Mapping[str, Any]) -> None:
        if "nonce" not in params:
            raise _error(400, "Nonce not provided.")
        raw = params["nonce"]
        if isinstance(raw, bool) or not (
            isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit())
        ):
            raise _error(400, "Nonce not provided.")
        nonce = int(raw)
        window = params.get("nonceWindow", False)
        if not isinstance(window, bool):
            raise _error(400, "Invalid nonceWindow.")
        if window:
            now_ms = int(self.clock() * 1000)
            if nonce < now_ms - NONCE_WINDOW_MS:
                raise _error(
                    422,
                    "Your nonce is more than 5 seconds lesser than the current nonce",
                )
            if nonce > now_ms + NONCE_WINDOW_MS:
                raise _error(422, "Incorrect timestamp")
            recent = self._recent_nonces.setdefault(api_key, {})
            for old in [
                old
                for old, seen in recent.items()
                if seen < self.clock() - 2 * NONCE_WINDOW_MS / 1000
            ]:
                del recent[old]
            if nonce in recent:
                raise _error(429, "Too many requests.")
            recent[nonce] = self.clock()
        elif nonce <= self._last_nonce.get(api_key, 0):
            raise _error(429, "Too many requests.")
        self._last_nonce[api_key] = max(nonce, self._last_nonce.get(api_key, 0))

    # --- endpoints -------------------------------------------------------------------------

    def _dispatch(
        self, path: str, params: dict[str, Any], unknown: bool
    ) -> web.StreamResponse:
        handlers: dict[str, Callable[[dict[str, Any], bool], web.StreamResponse]] = {
            "/api/v4/mining/accounts/create": self._create_account,
            "/api/v4/mining/accounts": self._list_accounts,
            "/api/v4/mining/rewards": self._rewards,
            "/api/v4/mining/hashrate": self._hashrate,
            "/api/v4/mining/payout-destination": self._payout,
            "/api/v4/mining/payout-destination/edit": self._edit_payout,
            "/api/v4/mining/miners/info": self._miners_info,
            "/api/v4/mining/workers/names": self._worker_names,
            "/api/v4/mining/workers/hashrate": self._worker_hashrate,
            "/api/v4/mining/watcher-links/create": self._create_watcher_link,
            "/api/v4/mining/watcher-links/list": self._watcher_links,
        }
        handler = handlers.get(path)
        if handler is None:
            raise _error(404, "Not found.")
        return handler(params, unknown)

    @staticmethod
    def _optional_name(params: Mapping[str, Any], key: str) -> str | None:
        value = params.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise _invalid({key: [f"The {key} format is invalid."]})
        return value

    def _name(self, params: Mapping[str, Any], key: str) -> str:
        name = self._optional_name(params, key)
        if name is None:
            raise _invalid({key: [f"The {key} field is required."]})
        return name

    def _account(
        self, params: Mapping[str, Any], key: str, unknown: bool
    ) -> SimAccount | None:
        name = self._name(params, key)
        return None if unknown else self.accounts.get(name)

    def _existing_account(
        self, params: Mapping[str, Any], key: str, unknown: bool
    ) -> SimAccount:
        account = self._account(params, key, unknown)
        if account is None:
            raise _invalid({key: ["miningPool.validation.accountNotFound"]})
        return account

    @staticmethod
    def _optional_int(
        params: Mapping[str, Any], key: str, low: int, high: int
    ) -> int | None:
        value = params.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not low <= value <= high
        ):
            raise _invalid({key: [f"The {key} must be between {low} and {high}."]})
        return value

    def _int(
        self, params: Mapping[str, Any], key: str, default: int, low: int, high: int
    ) -> int:
        value = self._optional_int(params, key, low, high)
        return default if value is None else value

    def _range(self, params: Mapping[str, Any], span: int) -> tuple[int, int]:
        now = int(self.clock())
        end = self._int(params, "to", now, 0, 2**40)
        start = self._optional_int(params, "from", 0, 2**40)
        if start is None:
            start = end - span
        if start > end:
            raise _invalid({"from": ["The from must be a date before to."]})
        return start, min(end, now)

    def _create_account(
        self, params: dict[str, Any], _unknown: bool
    ) -> web.StreamResponse:
        name = self._name(params, "name")
        if name in self.accounts:
            raise _invalid({"name": ["The name has already been taken."]})
        if len(self.accounts) >= MAX_ACCOUNTS:
            raise _invalid({"name": ["miningPool.validation.maxAccounts"]})
        referral = params.get("referralCode")
        if referral is not None and not isinstance(referral, str):
            raise _invalid({"referralCode": ["The referral code must be a string."]})
        account = self.add_account(name)
        account.referral_code = referral
        return web.json_response(
            {"data": {"name": name, "createdAt": int(account.created_at)}}
        )

    def _list_accounts(
        self, params: dict[str, Any], unknown: bool
    ) -> web.StreamResponse:
        name = self._optional_name(params, "name")
        accounts = sorted(
            self.accounts.values(), key=lambda account: account.created_at, reverse=True
        )
        if name is not None:
            accounts = [
                account for account in accounts if account.name == name and not unknown
            ]
        data = [
            {"name": account.name, "createdAt": int(account.created_at)}
            for account in accounts[:30]
        ]
        return web.json_response({"data": data, "limit": 30, "offset": 0})

    def _reward_items(self, account: SimAccount) -> list[dict[str, Any]]:
        now = self.clock()
        first_day = int(account.created_at // DAY + 1) * DAY
        rewards: list[dict[str, Any]] = []
        day = first_day
        while day + DAY <= now:
            if (paid := account.paid_rewards.get(day)) is not None:
                rewards.append(paid)
                day += DAY
                continue
            issued = day + DAY
            pending = now - issued < DAY
            effective = account.day_hashrate(day) * _wobble(day, DAY)
            total = (effective / 10**12 * BTC_PER_THS_DAY).quantize(
                Decimal("0.00000001"), ROUND_DOWN
            )
            fee = (total * POOL_FEE_PERCENT / 100).quantize(
                Decimal("0.00000001"), ROUND_DOWN
            )
            external = account.payout_destination == "external_address"
            reward = {
                "miningAccountName": account.name,
                "payoutDestination": account.payout_destination,
                "payoutTransactionHash": None
                if pending or not external
                else hashlib.sha256(f"{account.name}{day}".encode()).hexdigest(),
                "payoutAddress": account.external_address if external else None,
                "payoutTime": None if pending else issued + 3600,
                "rewardCurrency": "BTC",
                "totalReward": str(total),
                "reward": str(total - fee),
                "fee": str(fee),
                "fppsRate": str(BTC_PER_THS_DAY),
                "hashRate": str(effective.quantize(Decimal(1))),
                "date": day,
                "status": "pending" if pending else "successful",
            }
            if not pending:
                account.paid_rewards[day] = reward
            rewards.append(reward)
            day += DAY
        return rewards

    def _rewards(self, params: dict[str, Any], unknown: bool) -> web.StreamResponse:
        limit = self._int(params, "limit", 30, 1, 100)
        offset = self._int(params, "offset", 0, 0, 10000)
        start = self._int(params, "from", 0, 0, 2**40)
        end = self._int(params, "to", 2**40, 0, 2**40)
        if "account" in params:
            account = self._account(params, "account", unknown)
            accounts = [] if account is None else [account]
        else:
            accounts = list(self.accounts.values())
        items = [item for account in accounts for item in self._reward_items(account)]
        items = [item for item in items if start <= item["date"] <= end]
        items.sort(
            key=lambda item: (item["date"], item["miningAccountName"]), reverse=True
        )
        return web.json_response(
            {"offset": offset, "limit": limit, "data": items[offset : offset + limit]}
        )

    def _series(
        self, hashrate: Decimal, params: Mapping[str, Any], created_at: float
    ) -> list[tuple[int, Decimal]]:
        interval = params.get("interval", "1h")
        if interval not in _INTERVALS:
            raise _invalid({"interval": ["The selected interval is invalid."]})
        step = _INTERVALS[interval]
        start, end = self._range(params, step * 24)
        first = max(start, int(created_at)) // step * step + step
        points: list[tuple[int, Decimal]] = []
        for timestamp in range(first, end + 1, step):
            points.append(
                (
                    timestamp,
                    (hashrate * _wobble(timestamp, step)).quantize(Decimal("0.01")),
                )
            )
            if len(points) >= MAX_POINTS:
                break
        return points

    def _hashrate(self, params: dict[str, Any], unknown: bool) -> web.StreamResponse:
        account = self._account(params, "account", unknown)
        if account is None:
            self._series(Decimal(0), params, 0)  # still validate the arguments
            return web.json_response({"data": []})
        points = self._series(account.hashrate(), params, account.created_at)
        data = [
            {
                "timestamp": timestamp,
                "hashrate": str(value),
                "rejectRate": 0.01 if value else 0,
            }
            for timestamp, value in points
        ]
        return web.json_response({"data": {"account": account.name, "hashrate": data}})

    @staticmethod
    def _payout_json(account: SimAccount) -> dict[str, Any]:
        return {
            "payoutDestination": account.payout_destination,
            "externalAddress": account.external_address,
        }

    def _payout(self, params: dict[str, Any], unknown: bool) -> web.StreamResponse:
        return web.json_response(
            self._payout_json(self._existing_account(params, "accountName", unknown))
        )

    def _edit_payout(self, params: dict[str, Any], unknown: bool) -> web.StreamResponse:
        account = self._existing_account(params, "accountName", unknown)
        destination = params.get("destination")
        if destination not in ("main_balance", "external_address"):
            raise _invalid({"destination": ["The selected destination is invalid."]})
        address = params.get("address")
        if destination == "external_address":
            if not isinstance(address, str) or not _BTC_ADDRESS.fullmatch(address):
                raise _invalid({"address": ["miningPool.validation.invalidAddress"]})
            account.external_address = address
        else:
            account.external_address = None
        account.payout_destination = destination
        return web.json_response(self._payout_json(account))

    def _miners_info(self, params: dict[str, Any], unknown: bool) -> web.StreamResponse:
        account = self._existing_account(params, "account", unknown)
        counts = {"online": 0, "offline": 0, "low": 0}
        for worker in account.workers:
            counts[worker.status] += 1
        active = counts["online"] + counts["low"]
        stratum = [
            {
                "url": url,
                "workersCount": active // 2 + (active % 2 if index == 0 else 0),
            }
            for index, url in enumerate(STRATUM_URLS)
        ]
        return web.json_response(
            {
                "data": {
                    "fee": str(POOL_FEE_PERCENT),
                    "workers": counts,
                    "stratum": stratum,
                }
            }
        )

    def _worker_names(
        self, params: dict[str, Any], unknown: bool
    ) -> web.StreamResponse:
        account = self._account(params, "account", unknown)
        limit = self._int(params, "limit", 100, 1, 100)
        offset = self._int(params, "offset", 0, 0, 2**31)
        names = (
            []
            if account is None
            else [w.name for w in account.workers if w.status != "offline"]
        )
        return web.json_response(
            {
                "data": {"workers": names[offset : offset + limit]},
                "limit": limit,
                "offset": offset,
            }
        )

    def _worker_hashrate(
        self, params: dict[str, Any], unknown: bool
    ) -> web.StreamResponse:
        account = self._existing_account(params, "account", unknown)
        name = params.get("worker")
        worker = next((w for w in account.workers if w.name == name), None)
        if worker is None:
            raise _invalid({"worker": ["miningPool.validation.workerNotFound"]})
        points = self._series(worker.current(), params, account.created_at)
        data = [
            {"time": timestamp, "hashrate": str(value)} for timestamp, value in points
        ]
        return web.json_response({"data": {"hashrates": data}})

    def _active_links(self, account: str) -> list[SimWatcherLink]:
        now = self.clock()
        return [
            link
            for link in self.watcher_links
            if account in link.accounts
            and (link.live_until is None or link.live_until > now)
        ]

    def _create_watcher_link(
        self, params: dict[str, Any], unknown: bool
    ) -> web.StreamResponse:
        accounts = params.get("accounts")
        if not isinstance(accounts, list) or not accounts:
            raise _invalid({"accounts": ["The accounts field is required."]})
        for name in accounts:
            if unknown or not isinstance(name, str) or name not in self.accounts:
                raise _invalid({"accounts": ["miningPool.validation.accountNotFound"]})
        name = self._name(params, "name")
        permissions = params.get("permissions")
        if (
            not isinstance(permissions, list)
            or not 1 <= len(permissions) <= 3
            or len(set(permissions)) != len(permissions)
            or any(item not in _PERMISSIONS for item in permissions)
        ):
            raise _invalid({"permissions": ["The selected permissions is invalid."]})
        live_until = params.get("liveUntil")
        if live_until not in _LIVE_UNTIL:
            raise _invalid({"liveUntil": ["The selected live until is invalid."]})
        for account in accounts:
            if len(self._active_links(account)) >= MAX_ACTIVE_WATCHER_LINKS:
                raise _invalid({"accounts": ["miningPool.validation.maxWatcherLinks"]})
        now = int(self.clock())
        lifetime = _LIVE_UNTIL[live_until]
        self._link_counter += 1
        link = SimWatcherLink(
            id=f"wl_{self._link_counter:06d}",
            accounts=list(accounts),
            name=name,
            permissions=list(permissions),
            live_until=None if lifetime is None else now + lifetime,
            created_at=now,
        )
        self.watcher_links.append(link)
        return web.json_response({"data": link.as_json(full=False)}, status=201)

    def _watcher_links(
        self, params: dict[str, Any], unknown: bool
    ) -> web.StreamResponse:
        account = self._account(params, "account", unknown)
        links = [] if account is None else self._active_links(account.name)
        return web.json_response({"data": [link.as_json(full=True) for link in links]})

    def _ticker(self) -> dict[str, Any]:
        return {
            market: {
                "base_id": 1,
                "quote_id": 825,
                "last_price": str(price),
                "quote_volume": "43341942.90416876",
                "base_volume": "4723.286463",
                "isFrozen": False,
            }
            for market, price in self.prices.items()
        }


# --- command line ------------------------------------------------------------------------------


def parse_fault(text: str) -> tuple[str | None, Fault, int | None]:
    """``FAULT[:COUNT][@/api/v4/…]`` → (endpoint, fault, count); no count: forever."""
    return parse_fault_spec(text, Fault)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the server's options."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8180)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--api-secret", default="test-secret")
    parser.add_argument(
        "--fault",
        action="append",
        type=parse_fault,
        default=[],
        help="inject a failure: FAULT[:COUNT][@ENDPOINT], e.g. rate_limit:3@/api/v4/mining/hashrate; "
        f"faults: {', '.join(item.value for item in Fault)}",
    )


async def serve(args: argparse.Namespace) -> None:
    """Run the mock until cancelled."""
    server = WhitePoolServer(args.api_key, args.api_secret)
    for endpoint, fault, count in args.fault:
        server.inject(endpoint, fault, count)
    await server.start(args.host, args.port)
    print(  # noqa: T201  # the dispatcher's contract: one line when listening
        f"WhitePool mock listening on {server.url} (API key {args.api_key!r})",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
