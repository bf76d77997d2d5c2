"""A mock of the WebMinePool HTTP API, for tests and the demo.

``GET /api/{secret_key}/{method}/{params…}``; every error is HTTP 200 with
``{"success": false, "message": …}`` as the reference says. It keeps users, their hashes,
tokens, the site's balance and the conversion rates; :meth:`WebMinePoolServer.mine` adds
hashes the way visitors mining would. Failures can be injected with
:meth:`WebMinePoolServer.inject` or ``--fault``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final
from urllib.parse import unquote

from aiohttp import web

from .faultspec import parse_fault_spec
from .httpmock import MockHttpServer

ACTIVE_DAYS: Final = 3
DAY: Final = 86400
HASH_RATE_UNIT: Final = 1_000_000  # hash_rate answers per million hashes by default


class Fault(StrEnum):
    """Failures the server can be told to answer instead of the real reply."""

    INVALID_KEY = "invalid_key"  # 200 {"success": false, "message": "invalid api key"}
    INTERNAL_ERROR = (
        "internal_error"  # 200 {"success": false, "message": "internal error"}
    )
    HTTP_500 = "http_500"  # 500 with an HTML page
    HTTP_404 = "http_404"  # 404 with an HTML page that echoes the URL (and so the key)
    TIMEOUT = "timeout"  # never answers (until the server stops)
    INVALID_JSON = "invalid_json"  # 200, not JSON (echoes the URL)
    NOT_OBJECT = "not_object"  # 200, a JSON list


@dataclass
class SimUser:
    """A user of the simulated site."""

    name: str
    hashes: int = 0
    referral: str | None = None
    site_key: str = "SK_demo_site_key_0001"
    updated_at: float = 0.0


@dataclass
class SimToken:
    """A hashes goal."""

    id: str
    username: str | None
    end_hashes: int
    created_at: float
    verified_at: float | None = None


@dataclass(frozen=True)
class RecordedCall:
    """One request as the server received it (the key is kept: this is test-only)."""

    key: str
    method: str
    params: tuple[str, ...]


def _php_date(moment: float) -> dict[str, Any]:
    text = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return {"date": text, "timezone_type": 3, "timezone": "UTC"}


def _positive(text: str | None, default: int | None = None) -> int | None:
    if text is None:
        return default
    return int(text) if text.isdigit() and int(text) > 0 else None


class WebMinePoolServer(MockHttpServer[Fault]):
    """The mock API on a real TCP port; the API root is :attr:`url`."""

    def __init__(
        self,
        secret_key: str = "PK_test0000000000000000001",
        *,
        clock: Callable[[], float] = time.time,
        seed: bool = True,
    ) -> None:
        """Serve one secret key; ``seed`` adds two active demo users."""
        super().__init__(Fault)
        self.secret_key = secret_key
        self.clock = clock
        self.users: dict[str, SimUser] = {}
        self.tokens: dict[str, SimToken] = {}
        self.account_hashes = 0  # unpaid hashes of the whole site
        self.balance = Decimal("12.5")  # WMC
        self.wmc_rate = Decimal(40)  # satoshi per WMC
        self.hash_rate = Decimal("0.9")  # satoshi per million web-mined hashes
        self.hash_rate_cli = Decimal("1.3")  # satoshi per million desktop-mined hashes
        self.hashes_as_strings = False  # some API versions send hash counts as strings
        self.calls: list[RecordedCall] = []
        self._token_counter = 0
        if seed:
            self.mine("alice", 150_000)
            self.mine("bob", 42_000)

    # --- programmatic API ------------------------------------------------------------------

    def mine(self, username: str, hashes: int) -> SimUser:
        """Credit ``hashes`` mined by ``username`` (created if needed) to it and the site."""
        user = self.users.setdefault(username, SimUser(username))
        user.hashes += hashes
        user.updated_at = self.clock()
        self.account_hashes += hashes
        return user

    @property
    def url(self) -> str:
        """The API root to give the client (ends in ``/api/``)."""
        return f"http://{self.host}:{self.port}/api/"

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/{tail:.*}", self._handle)
        return app

    # --- request pipeline ------------------------------------------------------------------

    def _number(self, value: int) -> int | str:
        return str(value) if self.hashes_as_strings else value

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        parts = [unquote(part) for part in request.rel_url.raw_path.split("/")[2:]]
        while parts and not parts[-1]:
            parts.pop()  # a trailing slash is accepted
        key = parts[0] if parts else ""
        method = parts[1] if len(parts) > 1 else ""
        params = tuple(parts[2:])
        self.calls.append(RecordedCall(key, method, params))
        fault = self._take_fault(method)
        if fault is not None:
            return await self._fault_reply(fault, request)
        if key != self.secret_key:
            return self._fail("invalid api key")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._fail("unknown method")
        try:
            reply: dict[str, Any] = handler(*params)
        except TypeError:
            return self._fail("wrong number of parameters")
        return web.json_response(reply)

    async def _fault_reply(
        self, fault: Fault, request: web.Request
    ) -> web.StreamResponse:
        page = f"<html><body>{request.rel_url}</body></html>"
        match fault:
            case Fault.INVALID_KEY:
                return self._fail("invalid api key")
            case Fault.INTERNAL_ERROR:
                return self._fail("internal error")
            case Fault.HTTP_500:
                return web.Response(status=500, text=page, content_type="text/html")
            case Fault.HTTP_404:
                return web.Response(status=404, text=page, content_type="text/html")
            case Fault.TIMEOUT:
                await self._hang()
                return web.Response(status=503)
            case Fault.INVALID_JSON:
                return web.Response(status=200, text=page, content_type="text/html")
            case Fault.NOT_OBJECT:
                return web.json_response([])

    @staticmethod
    def _fail(message: str) -> web.Response:
        return web.json_response({"success": False, "message": message})

    def _user(self, username: str) -> SimUser | None:
        return self.users.get(username)

    def _token_reached(self, token: SimToken) -> bool:
        if token.username is None:
            return self.account_hashes >= token.end_hashes
        user = self._user(token.username)
        return user is not None and user.hashes >= token.end_hashes

    # --- methods (called as _m_<name>(*params); a wrong arity is a TypeError) --------------

    def _m_set_token(
        self, hashes_amount: str, username: str | None = None
    ) -> dict[str, Any]:
        amount = _positive(hashes_amount)
        if amount is None:
            return {"success": False, "message": "invalid hashes amount"}
        if username is None:
            base = self.account_hashes
        else:
            user = self.users.setdefault(
                username, SimUser(username, updated_at=self.clock())
            )
            base = user.hashes
        self._token_counter += 1
        token = SimToken(
            f"tok{self._token_counter:08d}", username, base + amount, self.clock()
        )
        self.tokens[token.id] = token
        return {"success": True, "token_id": token.id}

    def _m_get_token(self, token_id: str, unset: str | None = None) -> dict[str, Any]:
        token = self.tokens.get(token_id)
        if token is None:
            return {"success": False, "message": "nonexistent token"}
        if token.verified_at is None and self._token_reached(token):
            token.verified_at = self.clock()
        verified = token.verified_at is not None
        if verified and unset is not None:
            del self.tokens[token_id]
            if token.username is not None:
                self.users.pop(token.username, None)
        return {
            "success": True,
            "state": 1 if verified else 0,
            "end_hashes": str(token.end_hashes),
            "done_at": _php_date(token.verified_at or token.created_at),
        }

    def _m_users(self, threshold: str | None = None) -> dict[str, Any]:
        minimum = int(threshold) if threshold is not None and threshold.isdigit() else 0
        since = self.clock() - ACTIVE_DAYS * DAY
        users = [
            {
                "api_key": user.site_key,
                "name": user.name,
                "hashes": self._number(user.hashes),
                "referral": user.referral,
                "updated_at": datetime.fromtimestamp(user.updated_at, UTC).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
            }
            for user in self.users.values()
            if user.updated_at >= since and user.hashes >= minimum
        ]
        return {"success": True, "users": users}

    def _m_create_user(
        self, username: str, referral: str | None = None
    ) -> dict[str, Any]:
        if username in self.users:
            return {"success": False, "message": "user already exists"}
        self.users[username] = SimUser(
            username, referral=referral, updated_at=self.clock()
        )
        return {"success": True, "message": "user created"}

    def _m_delete_user(self, username: str) -> dict[str, Any]:
        if self.users.pop(username, None) is None:
            return {"success": False, "message": "nonexistent user"}
        return {"success": True, "message": "user deleted"}

    def _m_user_hashes(self, username: str) -> dict[str, Any]:
        user = self._user(username)
        if user is None:
            return {"success": False, "message": "nonexistent user"}
        return {"success": True, "hashes": self._number(user.hashes)}

    def _m_withdraw(self, username: str, amount: str) -> dict[str, Any]:
        user = self._user(username)
        if user is None:
            return {"success": False, "message": "nonexistent user"}
        hashes = _positive(amount)
        if hashes is None:
            return {"success": False, "message": "invalid amount"}
        if hashes > user.hashes:
            return {"success": False, "message": "not enough hashes"}
        user.hashes -= hashes
        return {
            "success": True,
            "message": "hashes withdrawn",
            "balance": self._number(user.hashes),
        }

    def _m_reset_user_hashes(self, username: str) -> dict[str, Any]:
        user = self._user(username)
        if user is None:
            return {"success": False, "message": "nonexistent user"}
        user.hashes = 0
        return {"success": True, "message": "user balance is zero"}

    def _m_reset_all_user_hashes(self) -> dict[str, Any]:
        for user in self.users.values():
            user.hashes = 0
        return {"success": True, "message": "all user balances are zero"}

    def _m_balance(self) -> dict[str, Any]:
        return {"success": True, "balance": float(self.balance)}

    def _m_hashes(self) -> dict[str, Any]:
        return {"success": True, "hashes": self._number(self.account_hashes)}

    def _rate(self, rate: Decimal, amount: str | None, per: int) -> dict[str, Any]:
        try:
            value = Decimal(amount) if amount is not None else Decimal(per)
        except ArithmeticError:
            return {"success": False, "message": "invalid amount"}
        if not value.is_finite() or value <= 0:
            return {"success": False, "message": "invalid amount"}
        return {"success": True, "satoshi": float(value * rate / per)}

    def _m_wmc_rate(self, amount: str | None = None) -> dict[str, Any]:
        return self._rate(self.wmc_rate, amount, 1)

    def _m_hash_rate(self, amount: str | None = None) -> dict[str, Any]:
        return self._rate(self.hash_rate, amount, HASH_RATE_UNIT)

    def _m_hash_rate_cli(self, amount: str | None = None) -> dict[str, Any]:
        return self._rate(self.hash_rate_cli, amount, HASH_RATE_UNIT)


# --- command line ------------------------------------------------------------------------------


def parse_fault(text: str) -> tuple[str | None, Fault, int | None]:
    """``FAULT[:COUNT][@METHOD]`` → (method, fault, count); no count: forever."""
    return parse_fault_spec(text, Fault)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the server's options."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8181)
    parser.add_argument("--secret-key", default="PK_test0000000000000000001")
    parser.add_argument(
        "--fault",
        action="append",
        type=parse_fault,
        default=[],
        help="inject a failure: FAULT[:COUNT][@METHOD], e.g. internal_error:2@balance; "
        f"faults: {', '.join(item.value for item in Fault)}",
    )


async def serve(args: argparse.Namespace) -> None:
    """Run the mock until cancelled."""
    server = WebMinePoolServer(args.secret_key)
    for method, fault, count in args.fault:
        server.inject(method, fault, count)
    await server.start(args.host, args.port)
    print(  # noqa: T201  # the dispatcher's contract: one line when listening
        f"WebMinePool mock listening on {server.url}", flush=True
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
