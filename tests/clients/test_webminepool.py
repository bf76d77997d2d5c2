"""The WebMinePool client against the mock WebMinePool API over real HTTP."""

import argparse
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from custom_components.hashwatt.clients.webminepool import (
    REDACTED,
    WebMinePoolApiError,
    WebMinePoolAuthError,
    WebMinePoolClient,
    WebMinePoolConnectionError,
    WebMinePoolError,
    WebMinePoolInvalidReplyError,
    WebMinePoolNotFoundError,
    WebMinePoolServerError,
    WebMinePoolTimeoutError,
    WebMinePoolValidationError,
    cli,
    client as client_module,
    parse_hashes,
)
from simulator.webminepool import DAY, Fault, WebMinePoolServer, parse_fault

from .conftest import WEBMINEPOOL_KEY

# Real servers on 127.0.0.1: the harness only allows sockets with `socket_enabled`.
pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def client(
    session: aiohttp.ClientSession, webminepool_server: WebMinePoolServer
) -> WebMinePoolClient:
    return WebMinePoolClient(
        session, WEBMINEPOOL_KEY, base_url=webminepool_server.url, timeout=2.0
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- methods ---------------------------------------------------------------------------------


async def test_users_and_hashes(
    client: WebMinePoolClient, webminepool_server: WebMinePoolServer
) -> None:
    users = {user.name: user for user in await client.users()}
    assert set(users) == {"alice", "bob"}
    assert users["alice"].hashes == 150_000
    assert users["alice"].site_key == "SK_demo_site_key_0001"
    assert users["alice"].updated_at == datetime.fromtimestamp(
        int(webminepool_server.clock()), UTC
    )
    assert [user.name for user in await client.users(100_000)] == ["alice"]
    assert await client.user_hashes("bob") == 42_000
    assert await client.hashes() == 192_000
    webminepool_server.clock.advance(4 * DAY)  # only users active in the last 3 days
    webminepool_server.mine("carol", 10)
    assert [user.name for user in await client.users()] == ["carol"]
    assert webminepool_server.calls[0].key == WEBMINEPOOL_KEY
    assert webminepool_server.calls[0].method == "users"


async def test_hashes_sent_as_strings(
    client: WebMinePoolClient, webminepool_server: WebMinePoolServer
) -> None:
    webminepool_server.hashes_as_strings = True
    assert await client.user_hashes("alice") == 150_000
    assert await client.hashes() == 192_000
    assert {user.hashes for user in await client.users()} == {150_000, 42_000}


async def test_user_lifecycle(
    client: WebMinePoolClient, webminepool_server: WebMinePoolServer
) -> None:
    assert await client.create_user("dave", "from ads") == "user created"
    assert webminepool_server.users["dave"].referral == "from ads"
    with pytest.raises(WebMinePoolApiError, match="already exists") as err:
        await client.create_user("dave")
    assert type(err.value) is WebMinePoolApiError
    webminepool_server.mine("dave", 500)
    result = await client.withdraw("dave", 200)
    assert result.message == "hashes withdrawn"
    assert result.balance == 300
    with pytest.raises(WebMinePoolApiError, match="not enough hashes"):
        await client.withdraw("dave", 1000)
    assert await client.reset_user_hashes("dave") == "user balance is zero"
    assert await client.user_hashes("dave") == 0
    assert await client.reset_all_user_hashes() == "all user balances are zero"
    assert await client.user_hashes("alice") == 0
    assert await client.delete_user("dave") == "user deleted"
    with pytest.raises(WebMinePoolNotFoundError, match="nonexistent user"):
        await client.user_hashes("dave")


async def test_tokens(
    client: WebMinePoolClient, webminepool_server: WebMinePoolServer
) -> None:
    token_id = await client.set_token(1000, "alice")
    state = await client.get_token(token_id)
    assert not state.verified
    assert state.end_hashes == 151_000
    assert state.done_at == datetime.fromtimestamp(webminepool_server.clock(), UTC)
    webminepool_server.clock.advance(60)
    webminepool_server.mine("alice", 1000)
    state = await client.get_token(token_id, unset=True)
    assert state.verified
    assert state.done_at == datetime.fromtimestamp(webminepool_server.clock(), UTC)
    assert (
        "alice" not in webminepool_server.users
    )  # unset removes the token and its user
    with pytest.raises(WebMinePoolNotFoundError, match="nonexistent token"):
        await client.get_token(token_id)
    site_token = await client.set_token(5)
    assert not (await client.get_token(site_token)).verified
    webminepool_server.mine("bob", 5)
    assert (await client.get_token(site_token)).verified


async def test_balance_and_rates(client: WebMinePoolClient) -> None:
    assert await client.balance() == Decimal("12.5")
    assert await client.wmc_rate() == Decimal(40)
    assert await client.wmc_rate(Decimal("2.5")) == Decimal(100)
    assert await client.hash_rate() == Decimal("0.9")
    assert await client.hash_rate(2_000_000) == Decimal("1.8")
    assert await client.hash_rate_cli() == Decimal("1.3")
    assert await client.hash_rate_cli(500_000) == Decimal("0.65")


async def test_urls_and_trailing_slash(
    session: aiohttp.ClientSession, webminepool_server: WebMinePoolServer
) -> None:
    no_slash = WebMinePoolClient(
        session, WEBMINEPOOL_KEY, base_url=webminepool_server.url.rstrip("/")
    )
    assert no_slash.base_url == webminepool_server.url
    await no_slash.create_user("name with space", "ref%20x")
    call = webminepool_server.calls[-1]
    assert call.params == (
        "name with space",
        "ref%20x",
    )  # quoted on the way, intact on arrival
    async with session.get(
        f"{webminepool_server.url}{WEBMINEPOOL_KEY}/balance/"
    ) as response:
        assert (await response.json())["success"] is True


# --- errors ----------------------------------------------------------------------------------


async def test_wrong_key(
    session: aiohttp.ClientSession, webminepool_server: WebMinePoolServer
) -> None:
    wrong = WebMinePoolClient(
        session, "PK_wrongwrongwrongwrong1", base_url=webminepool_server.url
    )
    with pytest.raises(WebMinePoolAuthError) as err:
        await wrong.balance()
    assert err.value.message == "invalid api key"
    assert err.value.status == 200


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        (Fault.INVALID_KEY, WebMinePoolAuthError, 200),
        (Fault.INTERNAL_ERROR, WebMinePoolServerError, 200),
        (Fault.HTTP_500, WebMinePoolServerError, 500),
        (Fault.HTTP_404, WebMinePoolApiError, 404),
        (Fault.INVALID_JSON, WebMinePoolInvalidReplyError, None),
        (Fault.NOT_OBJECT, WebMinePoolInvalidReplyError, None),
    ],
)
async def test_error_classification(
    client: WebMinePoolClient,
    webminepool_server: WebMinePoolServer,
    fault: Fault,
    error: type[WebMinePoolError],
    status: int | None,
) -> None:
    webminepool_server.inject("balance", fault)
    with pytest.raises(error) as err:
        await client.balance()
    assert type(err.value) is error
    assert getattr(err.value, "status", None) == status
    assert await client.balance() == Decimal("12.5")  # the fault was used up


async def test_http_status_errors_read_json_messages(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    from aiohttp import web

    replies: list[tuple[int, Any]] = [
        (403, {"message": f"key {WEBMINEPOOL_KEY} revoked"}),
        (200, {"success": False}),
        (200, {"success": False, "error": "quota exceeded"}),
        (200, {"success": True}),
        (200, {"success": True, "users": {}}),
        (200, {"success": True, "users": "x"}),
        (200, {"success": True, "users": ["x"]}),
        (200, {"success": True, "state": 7, "end_hashes": 1}),
        (200, {"success": "true", "balance": True}),
        (200, {"success": 1, "satoshi": "1e3"}),
    ]

    async def handler(request: web.Request) -> web.Response:
        status, body = replies.pop(0)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        client = WebMinePoolClient(
            session, WEBMINEPOOL_KEY, base_url=f"http://127.0.0.1:{port}/api/"
        )
        with pytest.raises(WebMinePoolAuthError) as err:
            await client.balance()
        assert str(err.value) == f"HTTP 403: key {REDACTED} revoked"
        with pytest.raises(WebMinePoolApiError, match="balance failed"):
            await client.balance()
        with pytest.raises(WebMinePoolApiError, match="quota exceeded"):
            await client.balance()
        with pytest.raises(WebMinePoolInvalidReplyError, match="balance"):
            await client.balance()
        assert await client.users() == ()
        for _ in range(2):
            with pytest.raises(WebMinePoolInvalidReplyError):
                await client.users()
        with pytest.raises(WebMinePoolInvalidReplyError, match="state"):
            await client.get_token("t")
        with pytest.raises(WebMinePoolInvalidReplyError):
            await client.balance()
        assert await client.wmc_rate() == 1000
    finally:
        await runner.cleanup()


async def test_timeout(
    session: aiohttp.ClientSession, webminepool_server: WebMinePoolServer
) -> None:
    client = WebMinePoolClient(
        session, WEBMINEPOOL_KEY, base_url=webminepool_server.url, timeout=0.2
    )
    webminepool_server.inject(None, Fault.TIMEOUT)
    with pytest.raises(WebMinePoolTimeoutError):
        await client.hashes()


# --- the key never leaks -----------------------------------------------------------------------


def _assert_no_key(
    err: BaseException, client: WebMinePoolClient, caplog: pytest.LogCaptureFixture
) -> None:
    texts = [
        str(err),
        repr(err),
        repr(client),
        "".join(traceback.format_exception(err)),
        caplog.text,
    ]
    for text in texts:
        assert WEBMINEPOOL_KEY not in text
    assert err.__cause__ is None
    assert err.__suppress_context__ or err.__context__ is None


@pytest.mark.parametrize(
    "fault",
    [
        Fault.HTTP_500,
        Fault.HTTP_404,
        Fault.INVALID_JSON,
        Fault.INVALID_KEY,
        Fault.INTERNAL_ERROR,
    ],
)
async def test_key_never_leaks_on_server_errors(
    client: WebMinePoolClient,
    webminepool_server: WebMinePoolServer,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> None:
    caplog.set_level(logging.DEBUG)
    webminepool_server.inject(None, fault)
    with pytest.raises(WebMinePoolError) as err:
        await client.user_hashes("alice")
    _assert_no_key(err.value, client, caplog)
    assert REDACTED in caplog.text  # the request is logged, redacted


async def test_key_never_leaks_on_connection_errors(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = WebMinePoolClient(
        session, WEBMINEPOOL_KEY, base_url=f"http://127.0.0.1:{_closed_port()}/api/"
    )
    with pytest.raises(WebMinePoolConnectionError) as err:
        await client.balance()
    assert not isinstance(err.value, WebMinePoolTimeoutError)
    _assert_no_key(err.value, client, caplog)


async def test_key_never_leaks_on_invalid_urls(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = WebMinePoolClient(session, WEBMINEPOOL_KEY, base_url="http://[::1/api/")
    with pytest.raises(WebMinePoolConnectionError) as err:
        await client.balance()
    _assert_no_key(err.value, client, caplog)
    assert (
        REDACTED in str(err.value)
        or "InvalidURL" in str(err.value)
        or "ValueError" in str(err.value)
    )


async def test_key_never_leaks_on_timeouts(
    session: aiohttp.ClientSession,
    webminepool_server: WebMinePoolServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = WebMinePoolClient(
        session, WEBMINEPOOL_KEY, base_url=webminepool_server.url, timeout=0.2
    )
    webminepool_server.inject(None, Fault.TIMEOUT)
    with pytest.raises(WebMinePoolTimeoutError) as err:
        await client.balance()
    _assert_no_key(err.value, client, caplog)


def test_redact() -> None:
    client = WebMinePoolClient.__new__(WebMinePoolClient)
    client._secret_key = "PK_a-b"
    assert client.redact("x/PK_a-b/y") == f"x/{REDACTED}/y"


# --- validation before sending ---------------------------------------------------------------

BAD_CALLS: list[
    tuple[str, Callable[[WebMinePoolClient], Coroutine[Any, Any, object]]]
] = [
    ("hashes_amount", lambda c: c.set_token(0)),
    ("hashes_amount", lambda c: c.set_token(True)),
    ("hashes_amount", lambda c: c.set_token(10**19)),
    ("username", lambda c: c.set_token(5, "a/b")),
    ("token_id", lambda c: c.get_token("")),
    ("token_id", lambda c: c.get_token("..")),
    ("threshold", lambda c: c.users(-1)),
    ("username", lambda c: c.create_user("bad\nname")),
    ("referral", lambda c: c.create_user("ok", "a?b")),
    ("username", lambda c: c.delete_user(".")),
    ("username", lambda c: c.user_hashes("x" * 256)),
    ("username", lambda c: c.withdraw("#", 5)),
    ("amount", lambda c: c.withdraw("alice", -5)),
    ("username", lambda c: c.reset_user_hashes("a\\b")),
    ("amount", lambda c: c.wmc_rate(Decimal(0))),
    ("amount", lambda c: c.wmc_rate(Decimal("NaN"))),
    ("amount", lambda c: c.hash_rate(True)),
    ("amount", lambda c: c.hash_rate_cli("5")),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("field", "call"), BAD_CALLS)
async def test_validation_errors_send_nothing(
    client: WebMinePoolClient,
    webminepool_server: WebMinePoolServer,
    field: str,
    call: Callable[[WebMinePoolClient], Coroutine[Any, Any, object]],
) -> None:
    with pytest.raises(WebMinePoolValidationError) as err:
        await call(client)
    assert err.value.field == field
    assert webminepool_server.calls == []


@pytest.mark.parametrize("key", ["", "PK_has/slash", "PK with space", "x" * 200])
def test_bad_secret_keys(session: aiohttp.ClientSession, key: str) -> None:
    with pytest.raises(WebMinePoolValidationError) as err:
        WebMinePoolClient(session, key)
    assert err.value.field == "secret_key"
    if key:
        assert key not in str(err.value)


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (123, 123),
        ("123", 123),
        (" 42 ", 42),
        (12.0, 12),
        ("1.2e3", 1200),
        (Decimal(7), 7),
        ("0", 0),
    ],
)
def test_parse_hashes(value: object, expected: int) -> None:
    assert parse_hashes(value) == expected
    assert type(parse_hashes(value)) is int


@pytest.mark.parametrize("value", ["abc", True, 1.5, None, "NaN", "inf", [], "1.5"])
def test_parse_hashes_rejects(value: object) -> None:
    with pytest.raises(WebMinePoolInvalidReplyError):
        parse_hashes(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {
                "date": "2024-03-02 00:40:00.000000",
                "timezone_type": 3,
                "timezone": "UTC",
            },
            datetime(2024, 3, 2, 0, 40, tzinfo=UTC),
        ),
        (
            {
                "date": "2024-03-02 02:40:00.000000",
                "timezone_type": 1,
                "timezone": "+02:00",
            },
            datetime(2024, 3, 2, 0, 40, tzinfo=UTC),
        ),
        (
            {
                "date": "2024-03-01 19:40:00.000000",
                "timezone_type": 1,
                "timezone": "-0500",
            },
            datetime(2024, 3, 2, 0, 40, tzinfo=UTC),
        ),
        (
            {
                "date": "2024-03-02 01:40:00",
                "timezone_type": 3,
                "timezone": "Europe/Berlin",
            },
            datetime(2024, 3, 2, 0, 40, tzinfo=UTC),
        ),
        (
            {
                "date": "2024-03-02 00:40:00",
                "timezone_type": 3,
                "timezone": "Mars/Olympus",
            },
            datetime(2024, 3, 2, 0, 40, tzinfo=UTC),
        ),
        ("2024-03-02T00:40:00+00:00", datetime(2024, 3, 2, 0, 40, tzinfo=UTC)),
        (None, None),
    ],
)
def test_php_datetimes(value: object, expected: datetime | None) -> None:
    assert client_module._php_datetime(value) == expected


@pytest.mark.parametrize("value", [{"date": 5}, {"date": "yesterday"}, 17])
def test_php_datetimes_reject(value: object) -> None:
    with pytest.raises(WebMinePoolInvalidReplyError):
        client_module._php_datetime(value)


def test_optional_datetimes() -> None:
    assert client_module._optional_datetime("") is None
    assert client_module._optional_datetime(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert client_module._optional_datetime("2024-03-02 01:00:00") == datetime(
        2024, 3, 2, 1, tzinfo=timezone(timedelta(0))
    )


def test_error_hierarchy() -> None:
    for error in (
        WebMinePoolAuthError,
        WebMinePoolNotFoundError,
        WebMinePoolServerError,
    ):
        assert issubclass(error, WebMinePoolApiError)
    assert issubclass(WebMinePoolTimeoutError, WebMinePoolConnectionError)
    assert issubclass(WebMinePoolValidationError, ValueError)
    assert str(WebMinePoolApiError("boom", status=200)) == "boom"
    assert str(WebMinePoolApiError("boom", status=502)) == "HTTP 502: boom"


async def test_text_fields(
    client: WebMinePoolClient, webminepool_server: WebMinePoolServer
) -> None:
    with pytest.raises(WebMinePoolInvalidReplyError):
        client_module._text(None, "x")
    assert client_module._text(5, "x") == "5"
    with pytest.raises(WebMinePoolInvalidReplyError):
        client_module._decimal("x", "y")
    with pytest.raises(WebMinePoolInvalidReplyError):
        client_module._decimal("inf", "y")
    with pytest.raises(WebMinePoolInvalidReplyError):
        client_module._decimal([], "y")


# --- CLI -------------------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


async def test_cli_commands(
    webminepool_server: WebMinePoolServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cli.ENV_SECRET_KEY, WEBMINEPOOL_KEY)
    base = ["--base-url", webminepool_server.url]
    token = await cli.run(_parse([*base, "set-token", "10", "--username", "alice"]))
    assert isinstance(token, dict)
    commands = [
        ["get-token", token["token_id"], "--unset"],
        ["users", "--threshold", "1"],
        ["create-user", "erin", "--referral", "x"],
        ["user-hashes", "bob"],
        ["withdraw", "bob", "2"],
        ["reset-user-hashes", "bob"],
        ["delete-user", "erin"],
        ["reset-all-user-hashes"],
        ["balance"],
        ["hashes"],
        ["wmc-rate", "2"],
        ["hash-rate"],
        ["hash-rate-cli", "1000000"],
    ]
    for command in commands:
        assert await cli.run(_parse([*base, *command])) is not None, command
    assert await cli.run(_parse([*base, "hash-rate", "2000000"])) == {
        "satoshi": Decimal("1.8")
    }
    methods = {call.method for call in webminepool_server.calls}
    assert len(methods) == 14


async def test_cli_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli.ENV_SECRET_KEY, raising=False)
    with pytest.raises(WebMinePoolValidationError, match="WEBMINEPOOL_SECRET_KEY"):
        await cli.run(_parse(["balance"]))
    args = _parse(["--secret-key", WEBMINEPOOL_KEY, "hash-rate", "1.5"])
    with pytest.raises(WebMinePoolValidationError, match="whole number"):
        await cli.run(args)
    args = _parse(["--secret-key", WEBMINEPOOL_KEY, "balance"])
    args.command = "bogus"
    with pytest.raises(WebMinePoolValidationError, match="bogus"):
        await cli.run(args)


def test_simulator_fault_specs() -> None:
    assert parse_fault("internal_error:2@balance") == (
        "balance",
        Fault.INTERNAL_ERROR,
        2,
    )
    assert parse_fault("timeout") == (None, Fault.TIMEOUT, None)
    for bad in ("nope", "timeout:x"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_fault(bad)


async def test_simulator_edge_answers(
    session: aiohttp.ClientSession, webminepool_server: WebMinePoolServer
) -> None:
    root = f"{webminepool_server.url}{WEBMINEPOOL_KEY}"
    for path, message in (
        ("/nothing_here", "unknown method"),
        ("/user_hashes", "wrong number of parameters"),
        ("/set_token/0", "invalid hashes amount"),
        ("/withdraw/alice/x", "invalid amount"),
        ("/withdraw/ghost/1", "nonexistent user"),
        ("/reset_user_hashes/ghost", "nonexistent user"),
        ("/delete_user/ghost", "nonexistent user"),
        ("/wmc_rate/abc", "invalid amount"),
        ("/wmc_rate/-1", "invalid amount"),
    ):
        async with session.get(root + path) as response:
            assert response.status == 200
            assert await response.json() == {"success": False, "message": message}, path
