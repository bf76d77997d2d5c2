"""``python -m custom_components.hashwatt.clients webminepool …``: one API call, printed as JSON.

The secret key comes from ``--secret-key`` or the ``WEBMINEPOOL_SECRET_KEY`` environment
variable (prefer the variable: options show up in ``ps``).
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal
from typing import Final

import aiohttp

from .client import DEFAULT_BASE_URL, WebMinePoolClient
from .errors import WebMinePoolValidationError

ENV_SECRET_KEY: Final = "WEBMINEPOOL_SECRET_KEY"  # noqa: S105  # a variable name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the connection options and one subcommand per API method."""
    parser.add_argument(
        "--secret-key", default=None, help=f"secret key (default: ${ENV_SECRET_KEY})"
    )
    parser.add_argument(
        "--base-url", default=DEFAULT_BASE_URL, help="API root, e.g. a mock server"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per request"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    set_token = commands.add_parser("set-token", help="create a hashes goal")
    set_token.add_argument("hashes_amount", type=int)
    set_token.add_argument("--username")
    get_token = commands.add_parser("get-token", help="check a token")
    get_token.add_argument("token_id")
    get_token.add_argument(
        "--unset", action="store_true", help="delete it once verified"
    )

    users = commands.add_parser("users", help="users active in the last 3 days")
    users.add_argument("--threshold", type=int)
    create_user = commands.add_parser("create-user", help="create a user")
    create_user.add_argument("username")
    create_user.add_argument("--referral")
    for name, help_text in (
        ("delete-user", "delete a user"),
        ("user-hashes", "a user's hash balance"),
        ("reset-user-hashes", "set a user's balance to zero"),
    ):
        commands.add_parser(name, help=help_text).add_argument("username")
    withdraw = commands.add_parser("withdraw", help="take hashes from a user")
    withdraw.add_argument("username")
    withdraw.add_argument("amount", type=int)
    commands.add_parser(
        "reset-all-user-hashes", help="set every user's balance to zero"
    )
    commands.add_parser("balance", help="the site's balance in WMC")
    commands.add_parser("hashes", help="the site's unpaid hashes")
    for name in ("wmc-rate", "hash-rate", "hash-rate-cli"):
        rate = commands.add_parser(name, help="convert to satoshi")
        rate.add_argument("amount", nargs="?", type=Decimal)


async def run(args: argparse.Namespace) -> object:
    """Run the chosen command and return its result (the dispatcher prints JSON)."""
    secret_key = args.secret_key or os.environ.get(ENV_SECRET_KEY, "")
    if not secret_key:
        raise WebMinePoolValidationError(
            "secret_key", f"set --secret-key or ${ENV_SECRET_KEY}"
        )
    async with aiohttp.ClientSession() as session:
        client = WebMinePoolClient(
            session, secret_key, base_url=args.base_url, timeout=args.timeout
        )
        return await _dispatch(client, args)


def _whole(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    if amount != amount.to_integral_value():
        raise WebMinePoolValidationError("amount", "must be a whole number of hashes")
    return int(amount)


async def _dispatch(client: WebMinePoolClient, args: argparse.Namespace) -> object:
    match args.command:
        case "set-token":
            return {
                "token_id": await client.set_token(args.hashes_amount, args.username)
            }
        case "get-token":
            return await client.get_token(args.token_id, unset=args.unset)
        case "users":
            return await client.users(args.threshold)
        case "create-user":
            return {"message": await client.create_user(args.username, args.referral)}
        case "delete-user":
            return {"message": await client.delete_user(args.username)}
        case "user-hashes":
            return {"hashes": await client.user_hashes(args.username)}
        case "withdraw":
            return await client.withdraw(args.username, args.amount)
        case "reset-user-hashes":
            return {"message": await client.reset_user_hashes(args.username)}
        case "reset-all-user-hashes":
            return {"message": await client.reset_all_user_hashes()}
        case "balance":
            return {"balance": await client.balance()}
        case "hashes":
            return {"hashes": await client.hashes()}
        case "wmc-rate":
            return {"satoshi": await client.wmc_rate(args.amount)}
        case "hash-rate":
            return {"satoshi": await client.hash_rate(_whole(args.amount))}
        case "hash-rate-cli":
            return {"satoshi": await client.hash_rate_cli(_whole(args.amount))}
    raise WebMinePoolValidationError("command", f"unknown command {args.command!r}")
