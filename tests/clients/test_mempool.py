"""The mempool client: parsing real sample replies, and talking to the mock over real HTTP."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import given, strategies as st

from custom_components.hashwatt.clients.__main__ import main as cli_main
from custom_components.hashwatt.clients.mempool import (
    DEFAULT_BASE_URL,
    MempoolApiError,
    MempoolClient,
    MempoolConnectionError,
    MempoolInvalidReplyError,
    MempoolNotFoundError,
    MempoolRateLimitError,
    MempoolServerError,
    MempoolTimeoutError,
    MempoolValidationError,
    check_currency,
    cli,
    normalize_base_url,
)
from custom_components.hashwatt.clients.mempool.client import (
    _error_from,
    parse_difficulty_adjustment,
    parse_hashrate,
    parse_prices,
    parse_reward_stats,
    parse_tip_height,
)
from custom_components.hashwatt.clients.mempool.hashprice import (
    blocks_per_terahash_day,
    hashprice,
)
from custom_components.hashwatt.clients.mining_economics import (
    break_even_price,
    fleet_break_even_price,
    net_of_fee,
    stratum_host,
)
from simulator import mempool as simulator_mempool
from simulator.mempool import Fault, MempoolServer, parse_fault

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mempool"


def fixture(name: str) -> Any:  # noqa: ANN401
    """A stored sample reply, decoded as the client decodes it."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


# --- Real sample replies -----------------------------------------------------------------


def test_samples_parse() -> None:
    """Every sample in tests/fixtures/mempool reads as the units PROVENANCE states."""
    assert parse_tip_height((FIXTURES / "tip-height.txt").read_text()) == 698767
    hashrate = parse_hashrate(fixture("hashrate-3d.json"))
    assert hashrate.current_hashrate == Decimal(252033247355212300000)
    assert hashrate.current_difficulty == Decimal("31251101365711.12")
    stats = parse_reward_stats(fixture("reward-stats-100.json"))
    assert stats.block_count == 100
    assert stats.average_reward == Decimal("6.38117482540")
    assert stats.average_fees == Decimal("0.1311748254")
    prices = parse_prices(fixture("prices.json"))
    assert prices.prices["EUR"] == 40545
    assert set(prices.prices) == {"USD", "EUR", "GBP", "CAD", "CHF", "AUD", "JPY"}
    assert prices.time == datetime(2023, 12, 22, 13, 40, 11, tzinfo=UTC)


def test_difficulty_adjustment_in_ms_and_in_seconds() -> None:
    """The current server sends the retarget date in ms; older ones in seconds."""
    current = parse_difficulty_adjustment(fixture("difficulty-adjustment.json"))
    assert current.estimated_retarget_date == datetime(
        2024, 12, 29, 23, 27, 8, 279000, tzinfo=UTC
    )
    assert current.remaining_blocks == 1361
    assert current.next_retarget_height == 876960
    assert current.difficulty_change == Decimal("0.7843046881601534")
    older = parse_difficulty_adjustment(fixture("difficulty-adjustment-seconds.json"))
    assert older.estimated_retarget_date == datetime(
        2021, 7, 31, 20, 14, 38, tzinfo=UTC
    )
    assert older.difficulty_change == Decimal("98.45932018381687")


def test_hashprice_of_the_samples() -> None:
    """2022's figures: about 4.1 µBTC per TH/s per day (the hashprice of May 2022)."""
    difficulty = parse_hashrate(fixture("hashrate-3d.json")).current_difficulty
    reward = parse_reward_stats(fixture("reward-stats-100.json")).average_reward
    # Worked out by hand: 8.64e16 / (31251101365711.12 × 4294967296) × 6.3811748254
    assert float(hashprice(difficulty, reward)) == pytest.approx(4.1078e-6, rel=1e-4)


@given(
    difficulty=st.decimals(Decimal(1), Decimal("1e16"), places=2),
    reward=st.decimals(Decimal("0.1"), Decimal(50), places=8),
)
def test_hashprice_is_the_expected_share_of_blocks(
    difficulty: Decimal, reward: Decimal
) -> None:
    """A TH/s's share of a day's hashes at a difficulty, times a block's reward."""
    hashes_per_block = float(difficulty) * 2**32
    blocks = 1e12 * 86400 / hashes_per_block
    assert float(blocks_per_terahash_day(difficulty)) == pytest.approx(blocks)
    assert float(hashprice(difficulty, reward)) == pytest.approx(blocks * float(reward))


@pytest.mark.parametrize(
    ("reply", "parse"),
    [
        ([], parse_hashrate),
        ({"currentHashrate": 1}, parse_hashrate),
        ({"currentHashrate": 1, "currentDifficulty": 0}, parse_hashrate),
        ({"currentHashrate": True, "currentDifficulty": 1}, parse_hashrate),
        ({"currentHashrate": "x", "currentDifficulty": 1}, parse_hashrate),
        ({"currentHashrate": "NaN", "currentDifficulty": 1}, parse_hashrate),
        ({"progressPercent": 1}, parse_difficulty_adjustment),
        (
            {
                "progressPercent": 1,
                "difficultyChange": 1,
                "estimatedRetargetDate": "1e30",
                "remainingBlocks": 1,
            },
            parse_difficulty_adjustment,
        ),
        (
            {
                "progressPercent": 1,
                "difficultyChange": 1,
                "estimatedRetargetDate": 1,
                "remainingBlocks": Decimal("1.5"),
            },
            parse_difficulty_adjustment,
        ),
        (
            {"startBlock": 2, "endBlock": 1, "totalReward": "1", "totalFee": "0"},
            parse_reward_stats,
        ),
        (
            {"startBlock": 1, "endBlock": 1, "totalReward": "0", "totalFee": "0"},
            parse_reward_stats,
        ),
        ({"USD": 1}, parse_prices),
        ("prices", parse_prices),
    ],
)
def test_garbled_replies_are_refused(reply: Any, parse: Any) -> None:  # noqa: ANN401
    """A reply that is not the documented shape raises, never a wrong figure."""
    with pytest.raises(MempoolInvalidReplyError):
        parse(reply)


def test_prices_without_a_price_yet() -> None:
    """Mempool answers -1 for a currency it has no price for yet: no price, not -1."""
    prices = parse_prices({"time": 0, "USD": 91000, "EUR": -1})
    assert dict(prices.prices) == {"USD": 91000}


def test_tip_height_must_be_a_number() -> None:
    """The tip is text/plain; an HTML page in its place is garbage."""
    assert parse_tip_height(" 925000\n") == 925000
    with pytest.raises(MempoolInvalidReplyError):
        parse_tip_height("<html>")


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://mempool.space/api", "https://mempool.space/api"),
        (" https://mempool.space/api/ ", "https://mempool.space/api"),
        ("http://umbrel.local:3006/api", "http://umbrel.local:3006/api"),
    ],
)
def test_base_urls(url: str, normalized: str) -> None:
    """An API root is an http(s) URL with a host, kept without its trailing slash."""
    assert normalize_base_url(url) == normalized


@pytest.mark.parametrize(
    "url",
    [
        "mempool.space/api",
        "ftp://mempool.space/api",
        "https://",
        "https://user:pw@mempool.space/api",
        "https://mempool.space/api?x=1",
        "https://mempool.space:port/api",
        "http://[::1/api",
    ],
)
def test_bad_base_urls(url: str) -> None:
    """Anything else is refused before anything is sent."""
    with pytest.raises(MempoolValidationError):
        normalize_base_url(url)


def test_currencies() -> None:
    """Only the currencies /api/v1/prices quotes."""
    assert check_currency("CHF") == "CHF"
    with pytest.raises(MempoolValidationError):
        check_currency("USDT")


# --- Break-even arithmetic ---------------------------------------------------------------


def test_fleet_break_even_weighs_each_miner_by_its_hashrate() -> None:
    """Two miners on different pools: what the fleet earns over what it uses."""
    # 100 TH/s at 20 J/TH earning 0.05 a TH/s-day; 50 TH/s at 30 J/TH earning 0.04.
    earned = 100 * 0.05 + 50 * 0.04
    kwh = (100 * 20 + 50 * 30) * 24 / 1000
    assert fleet_break_even_price(
        [(100, 20, Decimal("0.05")), (50, 30, Decimal("0.04")), (0, 20, Decimal(1))]
    ) == pytest.approx(earned / kwh)
    # One miner: its own break-even price.
    assert fleet_break_even_price([(7, 25, Decimal("0.05"))]) == pytest.approx(
        break_even_price(Decimal("0.05"), 25)
    )
    assert fleet_break_even_price([]) is None


def test_net_of_fee() -> None:
    """A 2 % fee leaves 98 %."""
    assert net_of_fee(Decimal(100), Decimal(2)) == 98
    with pytest.raises(ValueError, match="fee_percent"):
        net_of_fee(Decimal(1), Decimal(101))


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("stratum+tcp://pool.whitebit.com:3333", "pool.whitebit.com"),
        ("stratum+tcp://worker:pw@Pool.WhiteBIT.com:3333", "pool.whitebit.com"),
        ("btc.viabtc.io:3333", "btc.viabtc.io"),
        ("stratum2+tcp://v2.stratum.braiins.com/abc", "v2.stratum.braiins.com"),
        ("", None),
        ("stratum+tcp://[::1:3333", None),
    ],
)
def test_stratum_host(url: str, host: str | None) -> None:
    """A pool is told apart by its URL's host, whatever the scheme and credentials."""
    assert stratum_host(url) == host


# --- Against the mock over real HTTP -----------------------------------------------------


class FakeClock:
    """Time the mock server goes by."""

    def __init__(self) -> None:
        self.now = 1_796_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[MempoolServer]:
    """The mock, finding blocks only by hand."""
    mock = MempoolServer(clock=FakeClock(), block_interval=None, retry_after=1)
    await mock.start()
    try:
        yield mock
    finally:
        await mock.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session of the test's own."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def client_of(
    server: MempoolServer, session: aiohttp.ClientSession, **kwargs: Any
) -> tuple[MempoolClient, list[float]]:
    """A client of the mock that records its waits instead of waiting."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return MempoolClient(session, server.url, sleep=sleep, **kwargs), slept


async def test_network_figures(
    server: MempoolServer, session: aiohttp.ClientSession
) -> None:
    """The four reads give what the mock serves; hashprice matches its own figure."""
    client, _ = client_of(server, session)
    figures = await client.network_figures()
    assert figures.tip_height == server.height
    assert figures.rewards.block_count == 144
    assert figures.rewards.average_reward == Decimal("3.15")
    assert figures.hashrate.current_difficulty == server.network.difficulty
    assert float(figures.hashprice) == pytest.approx(float(server.expected_hashprice()))
    assert figures.adjustment.remaining_blocks == 2016 - server.height % 2016
    server.mine_block()
    assert await client.tip_height() == figures.tip_height + 1
    prices = await client.prices()
    assert prices.prices["EUR"] == server.network.prices["EUR"]
    assert repr(client) == f"MempoolClient(base_url={server.url!r})"
    assert client.base_url == server.url


async def test_retries_honour_retry_after(
    server: MempoolServer, session: aiohttp.ClientSession
) -> None:
    """A 429 with a short Retry-After is waited for and retried; 5xx too."""
    client, slept = client_of(server, session)
    server.inject("/api/v1/prices", Fault.RATE_LIMIT, 1)
    server.inject("/api/v1/prices", Fault.SERVER_ERROR, 1)
    assert (await client.prices()).prices
    assert slept == [1.0, 1.0]  # Retry-After 1 s, then the backoff's second step
    assert server.requests_to("/api/v1/prices") == 3


async def test_long_retry_after_is_left_to_the_caller(
    server: MempoolServer, session: aiohttp.ClientSession
) -> None:
    """A Retry-After longer than the backoff is raised at once, with its seconds."""
    server.retry_after = 120
    client, slept = client_of(server, session)
    server.inject(None, Fault.RATE_LIMIT, None)
    with pytest.raises(MempoolRateLimitError) as raised:
        await client.tip_height()
    assert raised.value.retry_after == 120
    assert raised.value.status == 429
    assert slept == []
    assert server.requests_to("/api/blocks/tip/height") == 1


async def test_failures_are_told_apart(
    server: MempoolServer, session: aiohttp.ClientSession
) -> None:
    """5xx after the retries, garbage, a hang, a wrong path, a closed port."""
    client, slept = client_of(server, session, timeout=0.5)
    server.inject(None, Fault.UNAVAILABLE, None)
    with pytest.raises(MempoolServerError, match="503"):
        await client.difficulty_adjustment()
    assert len(slept) == 2
    server.clear_faults()
    server.inject(None, Fault.GARBAGE, 2)
    with pytest.raises(MempoolInvalidReplyError):
        await client.hashrate()
    with pytest.raises(MempoolInvalidReplyError):
        await client.tip_height()
    server.inject(None, Fault.TIMEOUT, 1)
    with pytest.raises(MempoolTimeoutError):
        await client.reward_stats()
    wrong = MempoolClient(session, server.url.removesuffix("/api"))
    with pytest.raises(MempoolNotFoundError):
        await wrong.prices()
    with pytest.raises(MempoolApiError, match="400"):
        await client._get_json("/v1/mining/reward-stats/x")  # noqa: SLF001
    port = server.port
    await server.stop()
    closed = MempoolClient(session, f"http://127.0.0.1:{port}/api")
    with pytest.raises(MempoolConnectionError):
        await closed.prices()


async def test_arguments_are_checked_before_sending(
    server: MempoolServer, session: aiohttp.ClientSession
) -> None:
    """A bad block count or period sends nothing."""
    client, _ = client_of(server, session)
    with pytest.raises(MempoolValidationError):
        await client.reward_stats(0)
    with pytest.raises(MempoolValidationError):
        await client.hashrate("5y")
    assert server.requests == []
    with pytest.raises(MempoolValidationError):
        MempoolClient(session, "mempool.space")


def test_default_url_is_the_public_instance() -> None:
    """Without a URL, the public mempool.space."""
    assert DEFAULT_BASE_URL == "https://mempool.space/api"


# --- The command line --------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


async def test_cli_commands(server: MempoolServer) -> None:
    """Every subcommand answers from the mock; hashprice in the chosen currency."""
    base = ["--url", server.url]
    figures = await cli.run(_parse([*base, "hashprice", "--currency", "EUR"]))
    assert isinstance(figures, dict)
    assert figures["currency"] == "EUR"
    assert figures["hashprice"] == figures["hashprice_btc"] * 79000
    assert float(figures["hashprice_btc"]) == pytest.approx(
        float(server.expected_hashprice())
    )
    assert await cli.run(_parse([*base, "tip"])) == {"height": server.height}
    for command in (
        ["hashrate"],
        ["difficulty"],
        ["rewards", "--blocks", "6"],
        ["prices"],
    ):
        assert await cli.run(_parse([*base, *command])) is not None
    args = _parse([*base, "tip"])
    args.command = "bogus"
    with pytest.raises(MempoolValidationError, match="bogus"):
        await cli.run(args)


async def test_cli_prints_json(
    server: MempoolServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m custom_components.hashwatt.clients mempool --url URL hashprice``."""
    # The CLI runs its own event loop: in a thread, while the mock serves from this one.
    argv = ["mempool", "--url", server.url, "hashprice", "--currency", "CHF"]
    assert await asyncio.to_thread(cli_main, argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["currency"] == "CHF"
    assert printed["tip_height"] == server.height
    assert Decimal(printed["hashprice"]) == Decimal(printed["hashprice_btc"]) * 74000
    port = server.port
    await server.stop()
    argv = ["mempool", "--url", f"http://127.0.0.1:{port}/api", "tip"]
    assert await asyncio.to_thread(cli_main, argv) == 1
    assert "MempoolConnectionError" in capsys.readouterr().err


def test_simulator_fault_parsing() -> None:
    """``--fault rate_limit:3@/api/v1/prices``."""
    assert parse_fault("rate_limit:3@/api/v1/prices") == (
        "/api/v1/prices",
        Fault.RATE_LIMIT,
        3,
    )
    assert parse_fault("garbage") == (None, Fault.GARBAGE, None)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_fault("boom")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_fault("timeout:x")


def test_hashprice_needs_a_positive_difficulty() -> None:
    """Difficulty 0 would be infinite blocks: refused."""
    with pytest.raises(ValueError, match="difficulty"):
        blocks_per_terahash_day(Decimal(0))


@pytest.mark.parametrize(
    ("header", "seconds"), [("30", 30.0), ("soon", None), ("-5", None), (None, None)]
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    """Retry-After in seconds is kept; an HTTP date or nonsense is not guessed at."""
    error = _error_from("/v1/prices", 429, "Too Many Requests", header)
    assert isinstance(error, MempoolRateLimitError)
    assert error.retry_after == seconds


async def test_python_m_simulator_mempool_serves_until_cancelled(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m simulator mempool --fault …``: says where it listens, injects, stops."""
    parser = argparse.ArgumentParser()
    simulator_mempool.add_arguments(parser)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = parser.parse_args(
        ["--port", str(port), "--fault", "garbage:1@/api/v1/prices"]
    )
    task = asyncio.create_task(simulator_mempool.serve(args))
    try:
        async with asyncio.timeout(10):
            while "listening" not in capsys.readouterr().out:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        async with aiohttp.ClientSession() as session:
            client = MempoolClient(session, f"http://127.0.0.1:{port}/api")
            with pytest.raises(MempoolInvalidReplyError):
                await client.prices()
            assert (await client.prices()).prices["USD"] > 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
