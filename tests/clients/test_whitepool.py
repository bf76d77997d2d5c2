"""The WhitePool client against the mock WhiteBIT mining-pool API over real HTTP."""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from custom_components.hashwatt.clients.whitepool import (
    HASHRATE_UNIT,
    BtcAddressType,
    HashrateInterval,
    HashratePoint,
    InvalidBtcAddressError,
    PayoutDestination,
    RewardStatus,
    WatcherLifetime,
    WatcherPermission,
    WhitePoolApiError,
    WhitePoolAuthError,
    WhitePoolClient,
    WhitePoolClockError,
    WhitePoolConnectionError,
    WhitePoolError,
    WhitePoolInvalidReplyError,
    WhitePoolRateLimitError,
    WhitePoolRegion,
    WhitePoolServerError,
    WhitePoolTimeoutError,
    WhitePoolValidationError,
    btc_address_type,
    build_body,
    cli,
    client as client_module,
    hashrate_to_terahash,
    is_valid_btc_address,
    sign,
)
from simulator.whitepool import (
    DAY,
    Fault,
    SimWorker,
    WhitePoolServer,
    parse_fault,
)

from .conftest import WHITEPOOL_KEY, WHITEPOOL_SECRET

# Real servers on 127.0.0.1: the harness only allows sockets with `socket_enabled`.
pytestmark = pytest.mark.usefixtures("socket_enabled")

ACCOUNT = "my_miner_01"
VECTOR_1_BODY = '{"request":"/api/v4/trade-balance","nonce":1700000000000,"nonceWindow":true,"ticker":"BTC"}'
VECTOR_1_PAYLOAD = "eyJyZXF1ZXN0IjoiL2FwaS92NC90cmFkZS1iYWxhbmNlIiwibm9uY2UiOjE3MDAwMDAwMDAwMDAsIm5vbmNlV2luZG93Ijp0cnVlLCJ0aWNrZXIiOiJCVEMifQ=="
VECTOR_1_SIGNATURE = "81d08e8576e565acb3da4ec9125fc4d87683c97a183a6034f4cf1cd2f2c2b70af2da3aaba2241afa785d5fb7ad6e25d8dbe7049608f409487a56067703df9b92"
VECTOR_2_SIGNATURE = "c12436c0f6f5a84bffbbf9652dd9811fea15a8688b718aab86639d4a4285b04d4c5c01813f5c2e4e94b07d9a775e1977f5ebe833c5b5cd367ddc89b63b2d9144"


class SleepRecorder:
    """An injected sleep that records delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def client(
    session: aiohttp.ClientSession,
    whitepool_server: WhitePoolServer,
    sleeps: SleepRecorder,
) -> WhitePoolClient:
    return WhitePoolClient(
        session,
        WHITEPOOL_KEY,
        WHITEPOOL_SECRET,
        base_url=whitepool_server.url,
        clock=whitepool_server.clock,
        sleep=sleeps,
        timeout=2.0,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- signing ---------------------------------------------------------------------------------


def test_signing_vector_trade_balance() -> None:
    body = build_body("/api/v4/trade-balance", 1700000000000, {"ticker": "BTC"})
    signed = sign(body, "test-secret")
    assert signed.body == VECTOR_1_BODY.encode()
    assert signed.payload == VECTOR_1_PAYLOAD
    assert signed.signature == VECTOR_1_SIGNATURE


def test_signing_vector_hashrate() -> None:
    body = build_body(
        "/api/v4/mining/hashrate",
        1709340000000,
        {"account": "my_miner_01", "interval": "1h"},
    )
    signed = sign(body, "test-secret")
    assert signed.body == (
        b'{"request":"/api/v4/mining/hashrate","nonce":1709340000000,"nonceWindow":true,'
        b'"account":"my_miner_01","interval":"1h"}'
    )
    assert signed.signature == VECTOR_2_SIGNATURE
    assert sign(body, "other-secret").signature != VECTOR_2_SIGNATURE


def test_build_body_keeps_its_own_fields_first() -> None:
    body = build_body(
        "/p", 5, {"nonce": 1, "request": "/x", "nonceWindow": False, "a": 1}
    )
    assert body == {"request": "/p", "nonce": 5, "nonceWindow": True, "a": 1}
    assert list(build_body("/p", 5, {}, nonce_window=False)) == ["request", "nonce"]


async def test_requests_carry_what_the_server_checks(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    await client.hashrate(ACCOUNT, interval="1h")
    (request,) = whitepool_server.requests
    assert request.method == "POST"
    assert request.path == "/api/v4/mining/hashrate"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-TXC-APIKEY"] == WHITEPOOL_KEY
    assert base64.b64decode(request.headers["X-TXC-PAYLOAD"]) == request.body
    expected = hmac.new(
        WHITEPOOL_SECRET.encode(),
        request.headers["X-TXC-PAYLOAD"].encode(),
        hashlib.sha512,
    ).hexdigest()
    assert request.headers["X-TXC-SIGNATURE"] == expected
    body = request.json()
    assert body["request"] == "/api/v4/mining/hashrate"
    assert body["nonceWindow"] is True
    assert body["nonce"] == int(whitepool_server.clock() * 1000)
    assert body["account"] == ACCOUNT
    assert b" " not in request.body  # compact JSON


def test_repr_hides_credentials(session: aiohttp.ClientSession) -> None:
    client = WhitePoolClient(session, "the-key", "the-secret")
    assert "the-secret" not in repr(client)
    assert "the-key" not in repr(client)
    assert client.base_url == "https://whitebit.com"
    eu = WhitePoolClient(session, "k", "s", base_url=WhitePoolRegion.EU)
    assert eu.base_url == "https://whitebit.eu"


# --- hashrate unit ---------------------------------------------------------------------------


def test_hashrate_unit_decision() -> None:
    assert HASHRATE_UNIT == "H/s"
    assert hashrate_to_terahash(Decimal("184425100325925.9259259259259259")) == Decimal(
        "184.4251003259259259259259259"
    )
    assert hashrate_to_terahash(Decimal(10) ** 12) == 1


async def test_hashrates_are_passed_through_in_hs(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    account = whitepool_server.add_account(
        "unit_check",
        created_at=whitepool_server.clock() - 3 * DAY,
        workers=[SimWorker("unit_check.one", hashrate=Decimal(123456789012345))],
    )
    series = await client.worker_hashrate(account.name, "unit_check.one")
    assert series.latest is not None
    # The mock sends H/s with a ±3 % wobble: the client must not rescale it.
    assert (
        Decimal("0.97") * 123456789012345
        <= series.latest.hashrate
        <= Decimal("1.03") * 123456789012345
    )
    rewards = await client.rewards(account.name, limit=1)
    assert rewards.rewards[0].hashrate > 10**14


# --- endpoints -------------------------------------------------------------------------------


async def test_accounts_and_create(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    (account,) = await client.accounts()
    assert account.name == ACCOUNT
    assert account.created_at == datetime.fromtimestamp(
        whitepool_server.clock() - 10 * DAY, UTC
    )
    whitepool_server.clock.advance(60)
    created = await client.create_account("rig_b", referral_code="friend1")
    assert created.name == "rig_b"
    assert whitepool_server.accounts["rig_b"].referral_code == "friend1"
    names = [item.name for item in await client.accounts()]
    assert names == ["rig_b", ACCOUNT]  # newest first
    assert [item.name for item in await client.accounts(name="rig_b")] == ["rig_b"]
    with pytest.raises(WhitePoolValidationError) as err:
        await client.create_account("rig_b")
    assert err.value.status == 400
    assert err.value.errors == {"name": ["The name has already been taken."]}
    assert not err.value.client_side


async def test_rewards_page(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    page = await client.rewards(ACCOUNT, limit=5)
    assert page.limit == 5
    assert page.offset == 0
    assert len(page.rewards) == 5
    assert not page.is_last
    dates = [reward.date for reward in page.rewards]
    assert dates == sorted(dates, reverse=True)
    newest, older = page.rewards[0], page.rewards[1]
    assert newest.status is RewardStatus.PENDING
    assert newest.payout_time is None
    assert older.status is RewardStatus.SUCCESSFUL
    assert older.payout_time == older.date + timedelta(days=1, hours=1)
    assert older.currency == "BTC"
    assert older.total_reward == older.reward + older.fee
    assert isinstance(older.total_reward, Decimal)
    assert older.fpps_rate == Decimal("0.00000050")
    # rewards grow with time
    whitepool_server.clock.advance(2 * DAY)
    assert len((await client.rewards(ACCOUNT, limit=100)).rewards) == len(
        (await client.rewards(ACCOUNT, limit=100, start=0)).rewards
    )
    later = await client.rewards(ACCOUNT, limit=100)
    assert len(later.rewards) == 11
    ranged = await client.rewards(
        ACCOUNT,
        start=newest.date - timedelta(days=2),
        end=int(newest.date.timestamp()),
    )
    assert [reward.date for reward in ranged.rewards] == [
        newest.date,
        newest.date - timedelta(days=1),
        newest.date - timedelta(days=2),
    ]


async def test_rewards_of_all_accounts_and_unknown(client: WhitePoolClient) -> None:
    assert (await client.rewards()).rewards
    empty = await client.rewards("nobody_here")
    assert empty.rewards == ()
    assert empty.is_last


async def test_hashrate(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    series = await client.hashrate(ACCOUNT)
    assert series.account == ACCOUNT
    assert len(series.points) == 24
    times = [point.timestamp for point in series.points]
    assert times == sorted(times)
    assert series.latest is series.points[-1]
    assert series.latest.reject_rate == Decimal("0.01")
    five = await client.hashrate(ACCOUNT, interval=HashrateInterval.FIVE_MINUTES)
    assert five.points[1].timestamp - five.points[0].timestamp == timedelta(minutes=5)
    now = int(whitepool_server.clock())
    day = await client.hashrate(ACCOUNT, interval="24h", start=now - 5 * DAY, end=now)
    assert len(day.points) == 5
    unknown = await client.hashrate("nobody_here")
    assert unknown.points == ()
    assert unknown.latest is None
    assert unknown.account == "nobody_here"


async def test_payout_destination(client: WhitePoolClient) -> None:
    current = await client.payout_destination(ACCOUNT)
    assert current.destination is PayoutDestination.MAIN_BALANCE
    assert current.external_address is None
    address = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
    changed = await client.set_payout_destination(ACCOUNT, "external_address", address)
    assert changed.destination is PayoutDestination.EXTERNAL_ADDRESS
    assert changed.external_address == address
    assert (await client.payout_destination(ACCOUNT)).external_address == address
    reward = (await client.rewards(ACCOUNT, limit=2)).rewards[1]
    assert reward.payout_address == address
    assert reward.payout_transaction_hash
    back = await client.set_payout_destination(ACCOUNT, PayoutDestination.MAIN_BALANCE)
    assert back.external_address is None
    with pytest.raises(WhitePoolValidationError) as err:
        await client.payout_destination("nobody_here")
    assert err.value.errors == {
        "accountName": ["miningPool.validation.accountNotFound"]
    }


async def test_miners_info(client: WhitePoolClient) -> None:
    info = await client.miners_info(ACCOUNT)
    assert info.fee_percent == Decimal("2.5")
    assert (info.workers.online, info.workers.offline, info.workers.low) == (3, 1, 1)
    assert info.workers.total == 5
    assert [item.url for item in info.stratum] == [
        "stratum+tcp://pool.whitebit.com:3333",
        "stratum+tcp://pool.whitebit.com:3334",
    ]
    assert sum(item.workers_count for item in info.stratum) == 4
    with pytest.raises(WhitePoolValidationError) as err:
        await client.miners_info("nobody_here")
    assert err.value.status == 400
    assert err.value.code == 0


async def test_workers(client: WhitePoolClient) -> None:
    page = await client.worker_names(ACCOUNT)
    assert page.workers == (
        "my_miner_01.m30s_01",
        "my_miner_01.m30s_02",
        "my_miner_01.m50_01",
        "my_miner_01.m21s_01",
    )
    assert page.is_last
    series = await client.worker_hashrate(ACCOUNT, "my_miner_01.m20s_01", interval="1h")
    assert series.worker == "my_miner_01.m20s_01"
    assert series.latest is not None
    assert series.latest.hashrate == 0  # offline
    with pytest.raises(WhitePoolValidationError) as err:
        await client.worker_hashrate(ACCOUNT, "ghost")
    assert "worker" in err.value.errors


async def test_watcher_links(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    first = await client.create_watcher_link(
        [ACCOUNT],
        "host_view",
        [WatcherPermission.DASHBOARD, "rewards"],
        WatcherLifetime.HOUR,
    )
    assert first.link.endswith(first.id)
    assert first.live_until == first.created_at + timedelta(hours=1)
    assert first.permissions == (WatcherPermission.DASHBOARD, WatcherPermission.REWARDS)
    forever = await client.create_watcher_link(
        [ACCOUNT], "forever", ["workers"], "always"
    )
    assert forever.live_until is None
    await client.create_watcher_link([ACCOUNT], "week", ["workers"], "7d")
    with pytest.raises(WhitePoolValidationError) as err:
        await client.create_watcher_link([ACCOUNT], "fourth", ["workers"], "24h")
    assert err.value.errors == {"accounts": ["miningPool.validation.maxWatcherLinks"]}
    links = await client.watcher_links(ACCOUNT)
    assert [link.name for link in links] == ["host_view", "forever", "week"]
    assert links[0].accounts == (ACCOUNT,)
    whitepool_server.clock.advance(2 * 3600)  # the 1h link expires, freeing a slot
    assert [link.name for link in await client.watcher_links(ACCOUNT)] == [
        "forever",
        "week",
    ]
    await client.create_watcher_link([ACCOUNT], "fourth", ["workers"], "24h")
    assert await client.watcher_links("nobody_here") == ()


async def test_btc_price(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    assert await client.btc_price() == Decimal("64123.45")
    assert await client.btc_price("EUR") == Decimal("59010.10")
    request = whitepool_server.requests[0]
    assert request.method == "GET"
    assert "X-TXC-APIKEY" not in request.headers
    with pytest.raises(WhitePoolValidationError):
        await client.btc_price("XYZ")


async def test_btc_price_needs_no_key(
    session: aiohttp.ClientSession, whitepool_server: WhitePoolServer
) -> None:
    anonymous = WhitePoolClient(session, "", "", base_url=whitepool_server.url)
    assert await anonymous.btc_price() == Decimal("64123.45")
    with pytest.raises(WhitePoolAuthError):
        await anonymous.accounts()
    assert len(whitepool_server.requests) == 1


# --- pagination --------------------------------------------------------------------------------


async def test_all_rewards_fetches_every_page(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    whitepool_server.add_account(
        "old_rig", created_at=whitepool_server.clock() - 251 * DAY, workers=2
    )
    rewards = await client.all_rewards("old_rig")
    assert len(rewards) == 250
    assert len({reward.date for reward in rewards}) == 250
    offsets = [request.json()["offset"] for request in whitepool_server.requests]
    assert offsets == [0, 100, 200]
    whitepool_server.requests.clear()
    bounded = await client.all_rewards("old_rig", page_size=50, max_pages=2)
    assert len(bounded) == 100
    assert len(whitepool_server.requests) == 2


async def test_all_rewards_stops_at_an_exact_multiple(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    whitepool_server.add_account(
        "rig_ten", created_at=whitepool_server.clock() - 11 * DAY, workers=1
    )
    rewards = await client.all_rewards("rig_ten", page_size=5)
    assert len(rewards) == 10
    assert len(whitepool_server.requests) == 3  # the third page is empty


async def test_all_worker_names_fetches_every_page(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    whitepool_server.add_account("farm", workers=230)
    names = await client.all_worker_names("farm")
    assert len(names) == 230
    assert names[0] == "farm.worker_000"
    assert names[-1] == "farm.worker_229"
    assert [request.json()["offset"] for request in whitepool_server.requests] == [
        0,
        100,
        200,
    ]
    whitepool_server.requests.clear()
    assert len(await client.all_worker_names("farm", page_size=10, max_pages=3)) == 30
    assert len(whitepool_server.requests) == 3


# --- nonce -----------------------------------------------------------------------------------


async def test_nonce_unique_and_increasing_under_concurrency(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    results = await asyncio.gather(*(client.miners_info(ACCOUNT) for _ in range(50)))
    assert len(results) == 50
    nonces = [request.json()["nonce"] for request in whitepool_server.requests]
    assert len(set(nonces)) == 50
    start = int(whitepool_server.clock() * 1000)
    assert sorted(nonces) == list(range(start, start + 50))


def test_nonce_never_goes_back(session: aiohttp.ClientSession) -> None:
    now = [1000.0]
    client = WhitePoolClient(session, "k", "s", clock=lambda: now[0])
    first = client.next_nonce()
    now[0] -= 30  # the wall clock jumps back
    second = client.next_nonce()
    now[0] += 60
    third = client.next_nonce()
    assert first == 1_000_000
    assert second == first + 1
    assert third == 1_030_000


async def _raw_post(
    session: aiohttp.ClientSession, server: WhitePoolServer, body: dict[str, Any]
) -> tuple[int, Any]:
    signed = sign(body, WHITEPOOL_SECRET)
    headers = {
        "Content-Type": "application/json",
        "X-TXC-APIKEY": WHITEPOOL_KEY,
        "X-TXC-PAYLOAD": signed.payload,
        "X-TXC-SIGNATURE": signed.signature,
    }
    async with session.post(
        f"{server.url}{body['request']}", data=signed.body, headers=headers
    ) as response:
        return response.status, await response.json(content_type=None)


async def test_server_rejects_reused_and_stale_nonces(
    session: aiohttp.ClientSession, whitepool_server: WhitePoolServer
) -> None:
    now_ms = int(whitepool_server.clock() * 1000)
    body = build_body("/api/v4/mining/accounts", now_ms, {})
    assert (await _raw_post(session, whitepool_server, body))[0] == 200
    assert await _raw_post(session, whitepool_server, body) == (
        429,
        {"code": 0, "message": "Too many requests."},
    )
    stale = build_body("/api/v4/mining/accounts", now_ms - 6000, {})
    assert (await _raw_post(session, whitepool_server, stale))[0] == 422
    future = build_body("/api/v4/mining/accounts", now_ms + 6000, {})
    assert (await _raw_post(session, whitepool_server, future))[0] == 422
    # Without nonceWindow the nonce must strictly increase.
    plain = build_body("/api/v4/mining/accounts", 5, {}, nonce_window=False)
    assert (await _raw_post(session, whitepool_server, plain))[0] == 429
    plain = build_body("/api/v4/mining/accounts", now_ms + 10, {}, nonce_window=False)
    assert (await _raw_post(session, whitepool_server, plain))[0] == 200
    plain = build_body("/api/v4/mining/accounts", now_ms + 9, {}, nonce_window=False)
    assert (await _raw_post(session, whitepool_server, plain))[0] == 429


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda body, headers: headers.pop("X-TXC-SIGNATURE"), 401, 10),
        (lambda body, headers: headers.update({"X-TXC-APIKEY": "other"}), 403, 2),
        (lambda body, headers: headers.update({"X-TXC-PAYLOAD": "!!!"}), 400, 9),
        (lambda body, headers: headers.update({"X-TXC-SIGNATURE": "0" * 128}), 401, 10),
        (lambda body, headers: headers.update({"Content-Type": "text/plain"}), 400, 9),
    ],
)
async def test_server_checks_headers(
    session: aiohttp.ClientSession,
    whitepool_server: WhitePoolServer,
    mutate: Callable[[dict[str, Any], dict[str, str]], object],
    status: int,
    code: int,
) -> None:
    body = build_body(
        "/api/v4/mining/accounts", int(whitepool_server.clock() * 1000), {}
    )
    signed = sign(body, WHITEPOOL_SECRET)
    headers = {
        "Content-Type": "application/json",
        "X-TXC-APIKEY": WHITEPOOL_KEY,
        "X-TXC-PAYLOAD": signed.payload,
        "X-TXC-SIGNATURE": signed.signature,
    }
    mutate(body, headers)
    async with session.post(
        f"{whitepool_server.url}/api/v4/mining/accounts",
        data=signed.body,
        headers=headers,
    ) as response:
        assert response.status == status
        assert (await response.json())["code"] == code


async def test_server_checks_payload_and_request(
    session: aiohttp.ClientSession, whitepool_server: WhitePoolServer
) -> None:
    now_ms = int(whitepool_server.clock() * 1000)
    # The payload must be the exact body.
    signed = sign(build_body("/api/v4/mining/accounts", now_ms, {}), WHITEPOOL_SECRET)
    headers = {
        "Content-Type": "application/json",
        "X-TXC-APIKEY": WHITEPOOL_KEY,
        "X-TXC-PAYLOAD": signed.payload,
        "X-TXC-SIGNATURE": signed.signature,
    }
    async with session.post(
        f"{whitepool_server.url}/api/v4/mining/accounts",
        data=signed.body + b" ",
        headers=headers,
    ) as response:
        assert (response.status, (await response.json())["code"]) == (400, 9)
    # `request` must equal the path.
    status, _ = await _raw_post(
        session,
        whitepool_server,
        {**build_body("/api/v4/mining/rewards", now_ms + 1, {})},
    )
    assert status == 200
    wrong = build_body("/api/v4/mining/rewards", now_ms + 2, {})
    signed = sign(wrong, WHITEPOOL_SECRET)
    headers |= {"X-TXC-PAYLOAD": signed.payload, "X-TXC-SIGNATURE": signed.signature}
    async with session.post(
        f"{whitepool_server.url}/api/v4/mining/accounts",
        data=signed.body,
        headers=headers,
    ) as response:
        assert (response.status, (await response.json())["code"]) == (401, 10)
    for body, message in (
        ({"nonce": now_ms + 3}, "Request not provided."),
        ({"request": "/api/v4/mining/accounts"}, "Nonce not provided."),
        (
            {
                "request": "/api/v4/mining/accounts",
                "nonce": now_ms + 4,
                "nonceWindow": "yes",
            },
            "Invalid nonceWindow.",
        ),
    ):
        signed = sign(body, WHITEPOOL_SECRET)
        headers |= {
            "X-TXC-PAYLOAD": signed.payload,
            "X-TXC-SIGNATURE": signed.signature,
        }
        async with session.post(
            f"{whitepool_server.url}/api/v4/mining/accounts",
            data=signed.body,
            headers=headers,
        ) as response:
            assert response.status == 400
            assert (await response.json())["message"] == message


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error", "expected"),
    [
        (Fault.AUTH_DISABLED, WhitePoolAuthError, (403, 2)),
        (Fault.AUTH_PERMISSION, WhitePoolAuthError, (403, 4)),
        (Fault.AUTH_PAYLOAD, WhitePoolAuthError, (400, 9)),
        (Fault.AUTH_SIGNATURE, WhitePoolAuthError, (401, 10)),
        (Fault.VALIDATION, WhitePoolValidationError, (400, 0)),
        (Fault.TIMESTAMP, WhitePoolClockError, (422, 0)),
        (Fault.RATE_LIMIT, WhitePoolRateLimitError, (429, None)),
        (Fault.SERVER_ERROR, WhitePoolServerError, (500, 0)),
        (Fault.UNAVAILABLE, WhitePoolServerError, (503, None)),
    ],
)
async def test_error_classification(
    client: WhitePoolClient,
    whitepool_server: WhitePoolServer,
    fault: Fault,
    error: type[WhitePoolApiError],
    expected: tuple[int, int | None],
) -> None:
    whitepool_server.inject(None, fault, count=None)
    with pytest.raises(error) as err:
        await client.create_account("never_made")  # a write: never retried
    assert type(err.value) is error
    assert (err.value.status, err.value.code) == expected
    assert len(whitepool_server.requests) == 1
    if fault is Fault.VALIDATION:
        assert err.value.errors == {
            "account": ["miningPool.validation.accountNotFound"]
        }
    if fault is Fault.RATE_LIMIT:
        assert isinstance(err.value, WhitePoolRateLimitError)
        assert err.value.retry_after == 1.0


async def test_real_auth_failures(
    session: aiohttp.ClientSession, whitepool_server: WhitePoolServer
) -> None:
    wrong_secret = WhitePoolClient(
        session,
        WHITEPOOL_KEY,
        "wrong",
        base_url=whitepool_server.url,
        clock=whitepool_server.clock,
    )
    with pytest.raises(WhitePoolAuthError) as err:
        await wrong_secret.accounts()
    assert (err.value.status, err.value.code, err.value.message) == (
        401,
        10,
        "Unauthorized request.",
    )
    wrong_key = WhitePoolClient(
        session,
        "nope",
        WHITEPOOL_SECRET,
        base_url=whitepool_server.url,
        clock=whitepool_server.clock,
    )
    with pytest.raises(WhitePoolAuthError) as err:
        await wrong_key.accounts()
    assert err.value.code == 2
    skewed = WhitePoolClient(
        session,
        WHITEPOOL_KEY,
        WHITEPOOL_SECRET,
        base_url=whitepool_server.url,
        clock=lambda: whitepool_server.clock() - 60,
    )
    with pytest.raises(WhitePoolClockError, match="5 seconds"):
        await skewed.accounts()


async def test_invalid_json_and_empty_data(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    whitepool_server.inject(None, Fault.INVALID_JSON)
    with pytest.raises(WhitePoolInvalidReplyError):
        await client.accounts()
    whitepool_server.inject(None, Fault.EMPTY_DATA, count=4)
    assert await client.accounts() == ()
    assert (await client.hashrate(ACCOUNT)).points == ()
    assert (await client.rewards(ACCOUNT)).rewards == ()
    with pytest.raises(WhitePoolInvalidReplyError):
        await client.miners_info(ACCOUNT)


async def test_unknown_account_fault(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    whitepool_server.inject("/api/v4/mining/miners/info", Fault.UNKNOWN_ACCOUNT)
    whitepool_server.inject("/api/v4/mining/hashrate", Fault.UNKNOWN_ACCOUNT)
    with pytest.raises(WhitePoolValidationError) as err:
        await client.miners_info(ACCOUNT)
    assert err.value.errors == {"account": ["miningPool.validation.accountNotFound"]}
    assert (await client.hashrate(ACCOUNT)).points == ()
    assert (
        await client.miners_info(ACCOUNT)
    ).workers.total == 5  # the fault was used up


async def test_timeout(
    session: aiohttp.ClientSession, whitepool_server: WhitePoolServer
) -> None:
    client = WhitePoolClient(
        session,
        WHITEPOOL_KEY,
        WHITEPOOL_SECRET,
        base_url=whitepool_server.url,
        clock=whitepool_server.clock,
        timeout=0.2,
    )
    whitepool_server.inject(None, Fault.TIMEOUT)
    with pytest.raises(WhitePoolTimeoutError):
        await client.miners_info(ACCOUNT)


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    client = WhitePoolClient(
        session, "k", "s", base_url=f"http://127.0.0.1:{_closed_port()}"
    )
    with pytest.raises(WhitePoolConnectionError) as err:
        await client.accounts()
    assert not isinstance(err.value, WhitePoolTimeoutError)
    assert "s" not in repr(client).split("base_url")[0][:-1].replace(
        "WhitePoolClient", ""
    )


async def test_server_rate_limit(session: aiohttp.ClientSession) -> None:
    server = WhitePoolServer(
        WHITEPOOL_KEY, WHITEPOOL_SECRET, rate_limit=3, rate_window=10
    )
    await server.start()
    try:
        client = WhitePoolClient(
            session,
            WHITEPOOL_KEY,
            WHITEPOOL_SECRET,
            base_url=server.url,
            max_attempts=1,
        )
        for _ in range(3):
            await client.accounts()
        with pytest.raises(WhitePoolRateLimitError):
            await client.accounts()
        await client.miners_info(ACCOUNT)  # the limit is per endpoint
    finally:
        await server.stop()


# --- retries ---------------------------------------------------------------------------------


async def test_reads_retry_on_5xx_with_backoff(
    client: WhitePoolClient, whitepool_server: WhitePoolServer, sleeps: SleepRecorder
) -> None:
    whitepool_server.inject("/api/v4/mining/miners/info", Fault.SERVER_ERROR, count=2)
    info = await client.miners_info(ACCOUNT)
    assert info.workers.online == 3
    assert sleeps.delays == [0.5, 1.0]
    assert len(whitepool_server.requests) == 3
    nonces = [request.json()["nonce"] for request in whitepool_server.requests]
    assert len(set(nonces)) == 3  # each attempt is signed afresh


async def test_reads_retry_on_429_honouring_retry_after(
    client: WhitePoolClient, whitepool_server: WhitePoolServer, sleeps: SleepRecorder
) -> None:
    whitepool_server.inject(None, Fault.RATE_LIMIT, count=1)
    assert await client.btc_price() == Decimal("64123.45")
    assert sleeps.delays == [1.0]


async def test_reads_give_up_after_max_attempts(
    client: WhitePoolClient, whitepool_server: WhitePoolServer, sleeps: SleepRecorder
) -> None:
    whitepool_server.inject(None, Fault.UNAVAILABLE, count=None)
    with pytest.raises(WhitePoolServerError):
        await client.hashrate(ACCOUNT)
    assert len(whitepool_server.requests) == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_backoff_is_bounded(
    session: aiohttp.ClientSession,
    whitepool_server: WhitePoolServer,
    sleeps: SleepRecorder,
) -> None:
    client = WhitePoolClient(
        session,
        WHITEPOOL_KEY,
        WHITEPOOL_SECRET,
        base_url=whitepool_server.url,
        clock=whitepool_server.clock,
        sleep=sleeps,
        max_attempts=5,
        backoff=1.5,
        max_backoff=4.0,
    )
    whitepool_server.inject(None, Fault.SERVER_ERROR, count=4)
    await client.accounts()
    assert sleeps.delays == [1.5, 3.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "write",
    [
        lambda client: client.create_account("new_rig"),
        lambda client: client.set_payout_destination(ACCOUNT, "main_balance"),
        lambda client: client.create_watcher_link(
            [ACCOUNT], "view", ["dashboard"], "1h"
        ),
    ],
)
@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.RATE_LIMIT])
async def test_writes_are_never_retried(
    client: WhitePoolClient,
    whitepool_server: WhitePoolServer,
    sleeps: SleepRecorder,
    write: Callable[[WhitePoolClient], Coroutine[Any, Any, object]],
    fault: Fault,
) -> None:
    whitepool_server.inject(None, fault, count=1)
    with pytest.raises((WhitePoolServerError, WhitePoolRateLimitError)):
        await write(client)
    assert len(whitepool_server.requests) == 1
    assert sleeps.delays == []


# --- validation before sending ---------------------------------------------------------------

BAD_CALLS: list[
    tuple[str, Callable[[WhitePoolClient], Coroutine[Any, Any, object]]]
] = [
    ("name", lambda c: c.create_account("bad name")),
    ("name", lambda c: c.create_account("")),
    ("name", lambda c: c.create_account("x" * 256)),
    ("name", lambda c: c.create_account("ünïcode")),
    ("referralCode", lambda c: c.create_account("ok", referral_code="\n")),
    ("name", lambda c: c.accounts(name="a-b")),
    ("account", lambda c: c.rewards("a b")),
    ("limit", lambda c: c.rewards(limit=0)),
    ("limit", lambda c: c.rewards(limit=101)),
    ("limit", lambda c: c.rewards(limit=True)),  # type: ignore[arg-type]
    ("offset", lambda c: c.rewards(offset=-1)),
    ("offset", lambda c: c.rewards(offset=10001)),
    ("from", lambda c: c.rewards(start=200, end=100)),
    ("from", lambda c: c.rewards(start=datetime(2024, 1, 1))),  # noqa: DTZ001
    ("to", lambda c: c.rewards(end=-5)),
    ("max_pages", lambda c: c.all_rewards(max_pages=0)),
    ("interval", lambda c: c.hashrate(ACCOUNT, interval="1d")),
    ("account", lambda c: c.hashrate("")),
    ("accountName", lambda c: c.payout_destination("x/y")),
    ("destination", lambda c: c.set_payout_destination(ACCOUNT, "wallet")),
    ("address", lambda c: c.set_payout_destination(ACCOUNT, "external_address")),
    (
        "address",
        lambda c: c.set_payout_destination(
            ACCOUNT, "external_address", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"
        ),
    ),
    (
        "address",
        lambda c: c.set_payout_destination(
            ACCOUNT, "main_balance", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
        ),
    ),
    ("account", lambda c: c.miners_info("?")),
    ("limit", lambda c: c.worker_names(ACCOUNT, limit=500)),
    ("offset", lambda c: c.worker_names(ACCOUNT, offset=-1)),
    ("max_pages", lambda c: c.all_worker_names(ACCOUNT, max_pages=0)),
    ("worker", lambda c: c.worker_hashrate(ACCOUNT, "")),
    ("interval", lambda c: c.worker_hashrate(ACCOUNT, "w", interval="2h")),
    ("accounts", lambda c: c.create_watcher_link([], "n", ["dashboard"], "1h")),
    ("accounts", lambda c: c.create_watcher_link(ACCOUNT, "n", ["dashboard"], "1h")),
    (
        "accounts",
        lambda c: c.create_watcher_link(["bad name"], "n", ["dashboard"], "1h"),
    ),
    (
        "name",
        lambda c: c.create_watcher_link([ACCOUNT], "bad name", ["dashboard"], "1h"),
    ),
    ("permissions", lambda c: c.create_watcher_link([ACCOUNT], "n", [], "1h")),
    (
        "permissions",
        lambda c: c.create_watcher_link([ACCOUNT], "n", ["dashboard"] * 4, "1h"),
    ),
    (
        "permissions",
        lambda c: c.create_watcher_link([ACCOUNT], "n", ["rewards", "rewards"], "1h"),
    ),
    ("permissions", lambda c: c.create_watcher_link([ACCOUNT], "n", ["admin"], "1h")),
    ("permissions", lambda c: c.create_watcher_link([ACCOUNT], "n", "dashboard", "1h")),
    (
        "liveUntil",
        lambda c: c.create_watcher_link([ACCOUNT], "n", ["dashboard"], "30d"),
    ),
    ("account", lambda c: c.watcher_links("")),
    ("quote", lambda c: c.btc_price("usdt")),
]


@pytest.mark.parametrize(("field", "call"), BAD_CALLS)
async def test_validation_errors_send_nothing(
    client: WhitePoolClient,
    whitepool_server: WhitePoolServer,
    field: str,
    call: Callable[[WhitePoolClient], Coroutine[Any, Any, object]],
) -> None:
    with pytest.raises(WhitePoolValidationError) as err:
        await call(client)
    assert err.value.client_side
    assert field in err.value.errors
    assert isinstance(err.value, ValueError)
    assert whitepool_server.requests == []


# --- BTC addresses ---------------------------------------------------------------------------

VALID_ADDRESSES = [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", BtcAddressType.P2PKH),  # genesis
    ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", BtcAddressType.P2PKH),
    ("1111111111111111111114oLvT2", BtcAddressType.P2PKH),  # hash160 of zeros: valid
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", BtcAddressType.P2SH),
    ("bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", BtcAddressType.SEGWIT_V0),
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", BtcAddressType.SEGWIT_V0),  # BIP173
    (
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
        BtcAddressType.SEGWIT_V0,
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        BtcAddressType.TAPROOT,
    ),  # BIP350
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        BtcAddressType.SEGWIT_FUTURE,
    ),
    ("BC1SW50QGDZ25J", BtcAddressType.SEGWIT_FUTURE),  # BIP350, version 16
    (
        "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        BtcAddressType.SEGWIT_FUTURE,
    ),  # BIP350, version 2
]

INVALID_ADDRESSES = [
    "",
    " 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # checksum
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0",  # 0 is not base58
    "1111111111111111111114oLvT",  # truncated: not 25 bytes
    "1A1z",
    "1" * 30,  # 30 zero bytes
    "bc1qq1qqqqqqqqqqq",  # the last "1" makes "bc1qq" the human-readable part
    "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",  # testnet
    "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",  # testnet P2SH
    "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",  # testnet bech32
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # bech32 checksum
    "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",  # BIP350: bech32 checksum for version 2
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # BIP350: bech32m checksum for version 0
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # 'o' is not bech32
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # BIP350: padding
    "bc1pw5dgrnzv",  # BIP350: 1-byte program
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # BIP173: 16-byte version 0 program
    "bc1gmk9yu",  # BIP173: empty data
    "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",  # mixed case
    "bc1" + "q" * 90,  # too long
    "bc1qqqqq",  # checksum missing
    "bc1lw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",  # version 31
    "LTC1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9",
    "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
]


@pytest.mark.parametrize(("address", "kind"), VALID_ADDRESSES)
def test_valid_btc_addresses(address: str, kind: BtcAddressType) -> None:
    assert btc_address_type(address) is kind
    assert is_valid_btc_address(address)


@pytest.mark.parametrize("address", INVALID_ADDRESSES)
def test_invalid_btc_addresses(address: str) -> None:
    assert not is_valid_btc_address(address)
    with pytest.raises(InvalidBtcAddressError):
        btc_address_type(address)


def test_base58_wrong_version_byte() -> None:
    # Version 6 with a valid checksum encodes to a "3…" string: only the version is wrong.
    payload = b"\x06" + bytes(20)
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(payload + checksum, "big")
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = alphabet[digit] + text
    assert text == "3R2cuenjG5nFubqX9Wzuukdin2YfLYZyD1"
    with pytest.raises(InvalidBtcAddressError, match="version byte 6"):
        btc_address_type(text)


# --- reply parsing corner cases --------------------------------------------------------------


def test_timestamps_in_ms_iso_and_invalid() -> None:
    expected = datetime(2024, 3, 2, 0, 40, tzinfo=UTC)
    assert client_module._timestamp(1709340000, "t") == expected
    assert client_module._timestamp(1709340000000, "t") == expected
    assert client_module._timestamp("1709340000", "t") == expected
    assert client_module._timestamp("2024-03-02T00:40:00", "t") == expected
    assert client_module._timestamp("2024-03-02T01:40:00+01:00", "t") == expected
    for bad in ("yesterday", None, True, [], "1e400", 10**30):
        with pytest.raises(WhitePoolInvalidReplyError):
            client_module._timestamp(bad, "t")


def test_numbers() -> None:
    assert client_module._decimal("18446744073709551615.5", "x") == Decimal(
        "18446744073709551615.5"
    )
    assert client_module._decimal(0.1, "x") == Decimal("0.1")
    assert client_module._int("42", "x") == 42
    for bad in ("NaN", "abc", None, True, "Infinity"):
        with pytest.raises(WhitePoolInvalidReplyError):
            client_module._decimal(bad, "x")
    with pytest.raises(WhitePoolInvalidReplyError):
        client_module._int("1.5", "x")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, '{"code": 10, "message": "Unauthorized request."}', WhitePoolAuthError),
        (200, '{"success": false, "message": "boom", "params": []}', WhitePoolApiError),
        (
            400,
            '{"code": 0, "message": "Your nonce is more than 5 seconds lesser than the current nonce"}',
            WhitePoolClockError,
        ),
        (404, "Not Found", WhitePoolApiError),
        (
            418,
            '{"message": "teapot", "errors": {"x": "bad"}}',
            WhitePoolValidationError,
        ),
        (403, "", WhitePoolAuthError),
        (200, "", WhitePoolInvalidReplyError),
        (200, "[1, 2]", None),
        (429, '{"message": "Too many requests."}', WhitePoolRateLimitError),
    ],
)
def test_classify(status: int, body: str, error: type[Exception] | None) -> None:
    if error is None:
        assert client_module._classify("/p", status, body, None) == [1, 2]
        return
    with pytest.raises(error) as err:
        client_module._classify("/p", status, body, "soon")
    assert type(err.value) is error
    if isinstance(err.value, WhitePoolRateLimitError):
        assert err.value.retry_after is None
    if status == 418:
        assert isinstance(err.value, WhitePoolValidationError)
        assert err.value.errors == {"x": ["bad"]}


def test_reward_and_link_parsing_tolerate_variants() -> None:
    reward = client_module._parse_reward(
        {
            "miningAccountName": "a",
            "date": "2024-03-01",
            "status": "refunded",
            "totalReward": "1",
            "reward": "0.9",
            "payoutTime": 0,
            "fppsRate": "",
        }
    )
    assert reward.status is RewardStatus.UNKNOWN
    assert reward.payout_time is None
    assert reward.fpps_rate is None
    assert reward.fee == 0
    link = client_module._parse_watcher_link(
        {
            "id": 7,
            "link": "l",
            "liveUntil": None,
            "createdAt": 1,
            "permissions": ["dashboard", "admin"],
        }
    )
    assert link.id == "7"
    assert link.permissions == (WatcherPermission.DASHBOARD,)
    for bad in (
        {"id": None, "link": "l", "createdAt": 1},
        {"id": 1, "link": 5, "createdAt": 1},
        "x",
    ):
        with pytest.raises(WhitePoolInvalidReplyError):
            client_module._parse_watcher_link(bad)
    with pytest.raises(WhitePoolInvalidReplyError):
        client_module._parse_payout({"payoutDestination": "moon"})
    assert (
        client_module._parse_payout(
            {"data": {"payoutDestination": "main_balance"}}
        ).external_address
        is None
    )
    with pytest.raises(WhitePoolInvalidReplyError):
        client_module._list("x", "y")
    assert client_module._list({}, "y") == []


async def test_unexpected_shapes_from_a_fake_api(
    session: aiohttp.ClientSession,
) -> None:
    """Replies that are JSON but not objects, or lack fields, are invalid replies."""
    from aiohttp import web

    replies: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(replies.pop(0))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        client = WhitePoolClient(session, "k", "s", base_url=f"http://127.0.0.1:{port}")
        replies.extend(
            [
                [1],
                {"nope": 1},
                {"data": [{"name": "a"}]},
                {"data": {"fee": "1", "workers": "x"}},
            ]
        )
        with pytest.raises(WhitePoolInvalidReplyError):
            await client.accounts()
        with pytest.raises(WhitePoolInvalidReplyError):
            await client.accounts()
        with pytest.raises(WhitePoolInvalidReplyError):
            await client.accounts()
        with pytest.raises(WhitePoolInvalidReplyError):
            await client.miners_info("a")
        replies.append({"BTC_USDT": {"price": "1"}})
        with pytest.raises(WhitePoolInvalidReplyError):
            await client.btc_price()
        replies.append(
            {
                "data": {
                    "id": "x",
                    "link": "l",
                    "liveUntil": 5,
                    "createdAt": 1,
                    "accounts": ["a"],
                    "name": "n",
                    "permissions": ["workers"],
                }
            }
        )
        link = await client.create_watcher_link(["a"], "n", ["workers"], "1h")
        assert link.accounts == ("a",)
    finally:
        await runner.cleanup()


def test_error_hierarchy() -> None:
    for error in (
        WhitePoolAuthError,
        WhitePoolValidationError,
        WhitePoolRateLimitError,
        WhitePoolServerError,
        WhitePoolClockError,
    ):
        assert issubclass(error, WhitePoolApiError)
    assert issubclass(WhitePoolTimeoutError, WhitePoolConnectionError)
    assert issubclass(WhitePoolInvalidReplyError, WhitePoolError)
    assert str(WhitePoolApiError("x", status=500)) == "HTTP 500: x"


# --- CLI -------------------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


async def test_cli_commands(
    whitepool_server: WhitePoolServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI signs with the real clock; give the mock a real one too.
    whitepool_server.clock = time.time
    monkeypatch.setenv(cli.ENV_API_KEY, WHITEPOOL_KEY)
    monkeypatch.setenv(cli.ENV_API_SECRET, WHITEPOOL_SECRET)
    base = ["--base-url", whitepool_server.url]
    accounts = await cli.run(_parse([*base, "accounts"]))
    assert isinstance(accounts, tuple)
    assert accounts[0].name == ACCOUNT
    commands = [
        ["create-account", "cli_rig", "--referral-code", "ref"],
        ["accounts", "--name", ACCOUNT],
        [
            "rewards",
            "--account",
            ACCOUNT,
            "--limit",
            "2",
            "--from",
            "0",
            "--to",
            "2030-01-01T00:00:00",
        ],
        ["rewards", "--all"],
        ["rewards", "--from", "2024-01-01T00:00:00+00:00"],
        ["hashrate", ACCOUNT, "--interval", "5m"],
        ["payout", ACCOUNT],
        [
            "set-payout",
            ACCOUNT,
            "external_address",
            "--address",
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        ],
        ["miners", ACCOUNT],
        ["workers", ACCOUNT, "--limit", "2"],
        ["workers", ACCOUNT, "--all"],
        ["worker-hashrate", ACCOUNT, "my_miner_01.m50_01"],
        [
            "create-watcher-link",
            "cli_view",
            "--account",
            ACCOUNT,
            "--permission",
            "dashboard",
            "--live-until",
            "1h",
        ],
        ["watcher-links", ACCOUNT],
    ]
    for command in commands:
        assert await cli.run(_parse([*base, *command])) is not None, command
    price = await cli.run(_parse([*base, "price", "--quote", "EUR"]))
    assert price == {"market": "BTC_EUR", "last_price": Decimal("59010.10")}
    paths = {request.path for request in whitepool_server.requests}
    assert len(paths) == 12  # all 11 endpoints and the ticker


async def test_cli_needs_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli.ENV_API_KEY, raising=False)
    monkeypatch.delenv(cli.ENV_API_SECRET, raising=False)
    with pytest.raises(WhitePoolValidationError, match="WHITEPOOL_API_KEY"):
        await cli.run(_parse(["accounts"]))
    with pytest.raises(SystemExit):
        _parse(["rewards", "--from", "last week"])
    args = _parse(["--api-key", "k", "--api-secret", "s", "accounts"])
    args.command = "bogus"
    with pytest.raises(WhitePoolValidationError, match="bogus"):
        await cli.run(args)


def test_simulator_fault_specs() -> None:
    assert parse_fault("rate_limit:3@/api/v4/mining/hashrate") == (
        "/api/v4/mining/hashrate",
        Fault.RATE_LIMIT,
        3,
    )
    assert parse_fault("timeout") == (None, Fault.TIMEOUT, None)
    for bad in ("nope", "timeout:x"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_fault(bad)


def test_json_roundtrip_of_models_via_dispatcher_helper() -> None:
    """What the CLI prints: decimals as strings, so no precision is lost."""
    from custom_components.hashwatt.clients.__main__ import to_jsonable

    point = HashratePoint(
        timestamp=datetime(2024, 3, 2, tzinfo=UTC),
        hashrate=Decimal("1.5e14"),
        reject_rate=Decimal("0.01"),
    )
    assert json.loads(json.dumps(to_jsonable(point))) == {
        "timestamp": "2024-03-02T00:00:00+00:00",
        "hashrate": "1.5E+14",
        "reject_rate": "0.01",
    }


async def test_paid_rewards_stay_as_paid(
    client: WhitePoolClient, whitepool_server: WhitePoolServer
) -> None:
    """The mock pays each day what the account hashed that day, and never recomputes it."""
    worker = SimWorker("steady.one", hashrate=Decimal(100) * 10**12)
    # A day before any sample (paid by what it hashes when first asked), a day at
    # 100 TH/s sampled as the demo does, then two at 50 TH/s.
    account = whitepool_server.add_account(
        "steady", created_at=whitepool_server.clock() - 1.5 * DAY, workers=[worker]
    )
    sampled_day = datetime.fromtimestamp(whitepool_server.clock() // DAY * DAY, UTC)
    for _ in range(24):
        whitepool_server.sample()
        whitepool_server.clock.advance(DAY / 24)
    worker.hashrate = Decimal(50) * 10**12
    for _ in range(48):
        whitepool_server.sample()
        whitepool_server.clock.advance(DAY / 24)

    first = await client.rewards(account.name, limit=100)
    paid = [r for r in first.rewards if r.status is RewardStatus.SUCCESSFUL]
    assert paid
    worker.hashrate = Decimal(500) * 10**12
    again = await client.rewards(account.name, limit=100)

    assert [r for r in again.rewards if r.status is RewardStatus.SUCCESSFUL] == paid
    assert len(paid) == 3
    # The sampled day was mined at 100 TH/s, not at what the account hashes now.
    (day,) = [r for r in paid if r.date == sampled_day]
    assert Decimal(97) * 10**12 <= day.hashrate <= Decimal(103) * 10**12
