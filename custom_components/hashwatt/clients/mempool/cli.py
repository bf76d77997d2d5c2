"""``python -m custom_components.hashwatt.clients mempool …``: the Bitcoin network's figures as JSON.

``hashprice`` reads everything the Bitcoin-network entry shows: hashprice in BTC and
in a currency per TH/s per day, network hashrate, difficulty and its next change,
average fees per block.
"""

from __future__ import annotations

import argparse
from typing import Any

import aiohttp

from .client import (
    DEFAULT_BASE_URL,
    DEFAULT_REWARD_BLOCKS,
    MempoolClient,
    check_currency,
)
from .errors import MempoolValidationError
from .hashprice import blocks_per_terahash_day
from .models import PRICE_CURRENCIES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the connection options and one subcommand per figure."""
    parser.add_argument(
        "--url", default=DEFAULT_BASE_URL, help=f"API root (default {DEFAULT_BASE_URL})"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per request"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    hashprice = commands.add_parser(
        "hashprice", help="hashprice and the network figures it comes from"
    )
    hashprice.add_argument("--currency", default="USD", choices=PRICE_CURRENCIES)
    hashprice.add_argument("--blocks", type=int, default=DEFAULT_REWARD_BLOCKS)
    commands.add_parser("tip", help="the newest block's height")
    commands.add_parser("hashrate", help="network hashrate (H/s) and difficulty")
    commands.add_parser("difficulty", help="the difficulty epoch and its next change")
    rewards = commands.add_parser("rewards", help="rewards of the last blocks (sat)")
    rewards.add_argument("--blocks", type=int, default=DEFAULT_REWARD_BLOCKS)
    commands.add_parser("prices", help="BTC price in each currency mempool quotes")


async def run(args: argparse.Namespace) -> object:
    """Run the chosen command and return its result (the dispatcher prints JSON)."""
    async with aiohttp.ClientSession() as session:
        client = MempoolClient(session, args.url, timeout=args.timeout)
        match args.command:
            case "hashprice":
                return await _hashprice(
                    client, check_currency(args.currency), args.blocks
                )
            case "tip":
                return {"height": await client.tip_height()}
            case "hashrate":
                return await client.hashrate()
            case "difficulty":
                return await client.difficulty_adjustment()
            case "rewards":
                return await client.reward_stats(args.blocks)
            case "prices":
                return await client.prices()
    raise MempoolValidationError(f"unknown command {args.command!r}")


async def _hashprice(
    client: MempoolClient, currency: str, blocks: int
) -> dict[str, Any]:
    figures = await client.network_figures(blocks)
    prices = await client.prices()
    price = prices.prices.get(currency)
    hashprice = figures.hashprice
    return {
        "tip_height": figures.tip_height,
        "difficulty": figures.hashrate.current_difficulty,
        "network_hashrate": figures.hashrate.current_hashrate,
        "blocks_per_terahash_day": blocks_per_terahash_day(
            figures.hashrate.current_difficulty
        ),
        "reward_blocks": figures.rewards.block_count,
        "average_reward_per_block": figures.rewards.average_reward,
        "average_fees_per_block": figures.rewards.average_fees,
        "hashprice_btc": hashprice,
        "btc_price": price,
        "currency": currency,
        "hashprice": None if price is None else hashprice * price,
        "difficulty_change_percent": figures.adjustment.difficulty_change,
        "difficulty_retarget": figures.adjustment.estimated_retarget_date,
        "remaining_blocks": figures.adjustment.remaining_blocks,
    }
