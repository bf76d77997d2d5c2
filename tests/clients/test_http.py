"""The HTTP helpers the pool and network clients share, against real loopback servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from custom_components.hashwatt.clients import http


class _TimedOutError(Exception):
    pass


class _UnreachableError(Exception):
    pass


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def _serve(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_reply_is_read_whatever_its_status(
    session: aiohttp.ClientSession,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(
            status=429,
            text=f"{request.method} {request.path} {body.decode()} "
            f"{request.headers.get('X-Test')}",
            headers={"Retry-After": "7"},
        )

    runner, url = await _serve(handler)
    try:
        reply = await http.request(
            session,
            "POST",
            f"{url}/a/b",
            what="/a/b",
            timeout=aiohttp.ClientTimeout(total=5),
            timeout_error=_TimedOutError,
            connection_error=_UnreachableError,
            data=b"payload",
            headers={"X-Test": "yes"},
        )
    finally:
        await runner.cleanup()
    assert reply == http.HttpReply(429, "POST /a/b payload yes", "7")
    assert not reply.ok
    assert http.HttpReply(204, "", None).ok


async def test_no_answer_raises_the_callers_timeout_error(
    session: aiohttp.ClientSession,
) -> None:
    async def handler(_: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response(text="late")

    runner, url = await _serve(handler)
    try:
        with pytest.raises(_TimedOutError) as err:
            await http.request(
                session,
                "GET",
                f"{url}/slow",
                what="/slow",
                timeout=aiohttp.ClientTimeout(total=0.2),
                timeout_error=_TimedOutError,
                connection_error=_UnreachableError,
            )
    finally:
        await runner.cleanup()
    assert str(err.value) == "/slow: no answer within 0.2 s"
    assert err.value.__cause__ is None


async def test_refused_connection_raises_the_callers_connection_error(
    session: aiohttp.ClientSession,
) -> None:
    with pytest.raises(_UnreachableError) as err:
        await http.request(
            session,
            "GET",
            f"http://127.0.0.1:{_closed_port()}/x",
            what="/x",
            timeout=aiohttp.ClientTimeout(total=5),
            timeout_error=_TimedOutError,
            connection_error=_UnreachableError,
        )
    assert str(err.value).startswith("/x: ClientConnectorError: ")
    assert isinstance(err.value.__cause__, aiohttp.ClientConnectorError)


def test_retry_after_parsing() -> None:
    assert http.retry_after_seconds("2.5") == 2.5
    assert http.retry_after_seconds("-1") is None
    assert http.retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert http.retry_after_seconds("86400") == 86400
    # Garbage a float() takes: no wait of forever, no NaN.
    for garbage in ("inf", "nan", "1e300", "86401"):
        assert http.retry_after_seconds(garbage) is None
