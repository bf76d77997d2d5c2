"""``python -m custom_components.hashwatt.clients whitepool …``: one API call, printed as JSON.

The key and secret come from ``--api-key``/``--api-secret`` or the ``WHITEPOOL_API_KEY`` and
``WHITEPOOL_API_SECRET`` environment variables (prefer the variables: options show up in
``ps``). ``price`` needs neither.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from typing import Final

import aiohttp

from .client import WhitePoolClient
from .errors import WhitePoolValidationError
from .models import (
    HashrateInterval,
    PayoutDestination,
    WatcherLifetime,
    WatcherPermission,
    WhitePoolRegion,
)

ENV_API_KEY: Final = "WHITEPOOL_API_KEY"
ENV_API_SECRET: Final = "WHITEPOOL_API_SECRET"  # noqa: S105  # a variable name


def _time(text: str) -> datetime | int:
    """Unix seconds, or an ISO 8601 date/time (UTC unless it says otherwise)."""
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not unix seconds or ISO 8601: {text!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()
    return parsed


def _add_range(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="start", type=_time, help="start (unix seconds or ISO 8601)"
    )
    parser.add_argument(
        "--to", dest="end", type=_time, help="end (unix seconds or ISO 8601)"
    )


def _add_interval(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval",
        choices=[item.value for item in HashrateInterval],
        default=HashrateInterval.HOUR.value,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the connection options and one subcommand per endpoint."""
    parser.add_argument(
        "--api-key", default=None, help=f"API key (default: ${ENV_API_KEY})"
    )
    parser.add_argument(
        "--api-secret", default=None, help=f"API secret (default: ${ENV_API_SECRET})"
    )
    parser.add_argument(
        "--region",
        choices=[region.name.lower() for region in WhitePoolRegion],
        default="com",
        help="whitebit.com or whitebit.eu",
    )
    parser.add_argument(
        "--base-url", default=None, help="override the host, e.g. a mock server"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per request"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create-account", help="create a mining account")
    create.add_argument("name")
    create.add_argument("--referral-code")

    accounts = commands.add_parser("accounts", help="list mining accounts")
    accounts.add_argument("--name", help="exact name filter")

    rewards = commands.add_parser("rewards", help="rewards, newest first")
    rewards.add_argument("--account")
    _add_range(rewards)
    rewards.add_argument("--limit", type=int, default=30)
    rewards.add_argument("--offset", type=int, default=0)
    rewards.add_argument("--all", action="store_true", help="fetch every page")

    hashrate = commands.add_parser(
        "hashrate", help="an account's hashrate series (H/s)"
    )
    hashrate.add_argument("account")
    _add_range(hashrate)
    _add_interval(hashrate)

    payout = commands.add_parser("payout", help="an account's payout destination")
    payout.add_argument("account")

    set_payout = commands.add_parser(
        "set-payout", help="change an account's payout destination"
    )
    set_payout.add_argument("account")
    set_payout.add_argument(
        "destination", choices=[item.value for item in PayoutDestination]
    )
    set_payout.add_argument("--address", help="BTC address, for external_address")

    miners = commands.add_parser("miners", help="fee, worker counts and stratum URLs")
    miners.add_argument("account")

    workers = commands.add_parser("workers", help="names of online workers")
    workers.add_argument("account")
    workers.add_argument("--offset", type=int, default=0)
    workers.add_argument("--limit", type=int, default=100)
    workers.add_argument("--all", action="store_true", help="fetch every page")

    worker_hashrate = commands.add_parser(
        "worker-hashrate", help="a worker's hashrate series (H/s)"
    )
    worker_hashrate.add_argument("account")
    worker_hashrate.add_argument("worker")
    _add_range(worker_hashrate)
    _add_interval(worker_hashrate)

    create_link = commands.add_parser(
        "create-watcher-link", help="create a read-only watcher link"
    )
    create_link.add_argument("name")
    create_link.add_argument(
        "--account", action="append", required=True, dest="accounts"
    )
    create_link.add_argument(
        "--permission",
        action="append",
        required=True,
        dest="permissions",
        choices=[item.value for item in WatcherPermission],
    )
    create_link.add_argument(
        "--live-until", required=True, choices=[item.value for item in WatcherLifetime]
    )

    links = commands.add_parser("watcher-links", help="an account's watcher links")
    links.add_argument("account")

    price = commands.add_parser("price", help="last BTC price from the public ticker")
    price.add_argument("--quote", default="USDT")


async def run(args: argparse.Namespace) -> object:
    """Run the chosen command and return its result (models; the dispatcher prints JSON)."""
    api_key = args.api_key or os.environ.get(ENV_API_KEY, "")
    api_secret = args.api_secret or os.environ.get(ENV_API_SECRET, "")
    if args.command != "price" and not (api_key and api_secret):
        raise WhitePoolValidationError.for_field(
            "api_key", f"set --api-key/--api-secret or ${ENV_API_KEY}/${ENV_API_SECRET}"
        )
    base_url = args.base_url or WhitePoolRegion[args.region.upper()].value
    async with aiohttp.ClientSession() as session:
        client = WhitePoolClient(
            session, api_key, api_secret, base_url=base_url, timeout=args.timeout
        )
        return await _dispatch(client, args)


async def _dispatch(client: WhitePoolClient, args: argparse.Namespace) -> object:
    match args.command:
        case "create-account":
            return await client.create_account(
                args.name, referral_code=args.referral_code
            )
        case "accounts":
            return await client.accounts(name=args.name)
        case "rewards" if args.all:
            return await client.all_rewards(
                args.account, start=args.start, end=args.end
            )
        case "rewards":
            return await client.rewards(
                args.account,
                start=args.start,
                end=args.end,
                limit=args.limit,
                offset=args.offset,
            )
        case "hashrate":
            return await client.hashrate(
                args.account, start=args.start, end=args.end, interval=args.interval
            )
        case "payout":
            return await client.payout_destination(args.account)
        case "set-payout":
            return await client.set_payout_destination(
                args.account, args.destination, args.address
            )
        case "miners":
            return await client.miners_info(args.account)
        case "workers" if args.all:
            return await client.all_worker_names(args.account)
        case "workers":
            return await client.worker_names(
                args.account, offset=args.offset, limit=args.limit
            )
        case "worker-hashrate":
            return await client.worker_hashrate(
                args.account,
                args.worker,
                start=args.start,
                end=args.end,
                interval=args.interval,
            )
        case "create-watcher-link":
            return await client.create_watcher_link(
                args.accounts, args.name, args.permissions, args.live_until
            )
        case "watcher-links":
            return await client.watcher_links(args.account)
        case "price":
            return {
                "market": f"BTC_{args.quote}",
                "last_price": await client.btc_price(args.quote),
            }
    raise WhitePoolValidationError.for_field(
        "command", f"unknown command {args.command!r}"
    )
