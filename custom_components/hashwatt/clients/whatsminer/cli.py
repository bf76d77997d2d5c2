"""The ``whatsminer`` command line: read or drive one miner, whatever API it speaks.

python -m custom_components.hashwatt.clients whatsminer --host 192.0.2.10 fast
python -m custom_components.hashwatt.clients whatsminer --host 192.0.2.10 capture --redact > miner.json
WHATSMINER_PASSWORD=secret python -m … whatsminer --host 192.0.2.10 set_power_limit 3200

Everything goes through the facade (:class:`.client.Whatsminer`), so the same
commands work for API v2 and v3 miners. Reads need no password.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .capture import capture, capture_document
from .client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_REPLY_TIMEOUT,
    DEFAULT_V2_PORT,
    DEFAULT_V3_PORT,
    Whatsminer,
)
from .errors import WhatsminerValidationError
from .models import (
    ApiVersion,
    LedColor,
    LogServer,
    NetworkConfig,
    PoolConfig,
    PowerMode,
    PowerPercentMode,
)

PASSWORD_ENV: Final = "WHATSMINER_PASSWORD"
_SWITCH: Final = {"on": True, "off": False}

type _Call = Callable[[Whatsminer, argparse.Namespace], Awaitable[object]]
type _Argument = tuple[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Command:
    help: str
    call: _Call
    arguments: tuple[_Argument, ...] = ()
    write: bool = False  # reported as {"command": …, "result": …}


def _write(help_text: str, call: _Call, *arguments: _Argument) -> _Command:
    return _Command(help_text, call, arguments, write=True)


def _arg(*names: str, **options: Any) -> _Argument:  # noqa: ANN401
    return names, options


def _switch(name: str) -> _Argument:
    return _arg(name, choices=tuple(_SWITCH))


async def _read_all(miner: Whatsminer, _: argparse.Namespace) -> object:
    return {"fast": await miner.fetch_fast(), "slow": await miner.fetch_slow()}


async def _capture(_: Whatsminer, args: argparse.Namespace) -> object:
    exchanges = await capture(
        args.host,
        v2_port=args.port,
        v3_port=args.v3_port,
        connect_timeout=args.connect_timeout,
        reply_timeout=args.reply_timeout,
    )
    return capture_document(
        args.host,
        exchanges,
        v2_port=args.port,
        v3_port=args.v3_port,
        redacted=args.redact,
    )


async def _verify(miner: Whatsminer, _: argparse.Namespace) -> object:
    await miner.verify_password()
    return {"password": "ok"}


async def _set_led(miner: Whatsminer, args: argparse.Namespace) -> None:
    if args.color == "auto":
        if args.timing:
            raise WhatsminerValidationError("led", "auto takes no timing")
        await miner.set_led_auto()
        return
    if len(args.timing) != 3:  # noqa: PLR2004
        raise WhatsminerValidationError(
            "led", f"{args.color} needs PERIOD DURATION START (ms)"
        )
    period, duration, start = args.timing
    await miner.set_led(LedColor(args.color), period, duration, start)


async def _update_pools(miner: Whatsminer, args: argparse.Namespace) -> None:
    pools: list[PoolConfig] = []
    for values in args.pool:
        if not 2 <= len(values) <= 3:  # noqa: PLR2004
            raise WhatsminerValidationError(
                "pool", "give URL WORKER [PASSWORD] per --pool"
            )
        pools.append(PoolConfig(*values))
    await miner.update_pools(pools)


async def _set_network(miner: Whatsminer, args: argparse.Namespace) -> None:
    if args.mode == "dhcp":
        if args.settings:
            raise WhatsminerValidationError("network", "dhcp takes no settings")
        await miner.set_network(None)
        return
    if len(args.settings) != 5:  # noqa: PLR2004
        raise WhatsminerValidationError(
            "network", "static needs IP NETMASK GATEWAY DNS[,DNS] HOSTNAME"
        )
    ip, netmask, gateway, dns, hostname = args.settings
    await miner.set_network(
        NetworkConfig(ip, netmask, gateway, tuple(dns.split(",")), hostname)
    )


async def _download_logs(miner: Whatsminer, args: argparse.Namespace) -> object:
    logs = await miner.download_logs()
    output = Path(args.output)
    await asyncio.to_thread(output.write_bytes, logs)
    return {"file": str(output), "bytes": len(logs)}


async def _update_firmware(miner: Whatsminer, args: argparse.Namespace) -> None:
    image = await asyncio.to_thread(Path(args.file).read_bytes)
    await miner.update_firmware(image)


_COMMANDS: Final[dict[str, _Command]] = {
    # Reads.
    "read": _Command("fast and slow poll together", _read_all),
    "identify": _Command("who the miner is", lambda m, _: m.identify()),
    "fast": _Command(
        "hashrate, power, temperatures, fans", lambda m, _: m.fetch_fast()
    ),
    "slow": _Command(
        "firmware, network, PSU, errors, pools", lambda m, _: m.fetch_slow()
    ),
    "verify_password": _Command("check the admin password", _verify),
    "capture": _Command(
        "raw replies to every read, both APIs, for a bug report (docs/firmware.md)",
        _capture,
        (
            _arg(
                "--redact",
                action="store_true",
                help="replace MAC, serials, IPs, hostname, workers with stand-ins",
            ),
        ),
    ),
    # Writes.
    "power_on": _write("start mining", lambda m, _: m.power_on()),
    "power_off": _write("stop mining", lambda m, _: m.power_off()),
    "reboot": _write("reboot the control board", lambda m, _: m.reboot()),
    "restart_mining": _write(
        "restart the mining service", lambda m, _: m.restart_mining()
    ),
    "factory_reset": _write("restore factory settings", lambda m, _: m.factory_reset()),
    "set_power_limit": _write(
        "power ceiling in watts",
        lambda m, a: m.set_power_limit(a.watts),
        _arg("watts", type=int),
    ),
    "set_power_percent": _write(
        "scale power to a percentage (0-100)",
        lambda m, a: m.set_power_percent(
            a.percent, PowerPercentMode.FAST if a.fast else PowerPercentMode.NORMAL
        ),
        _arg("percent", type=int),
        _arg("--fast", action="store_true", help="fast mode (set_power_pct)"),
    ),
    "set_power_mode": _write(
        "low, normal or high power",
        lambda m, a: m.set_power_mode(PowerMode(a.mode)),
        _arg("mode", choices=[mode.value for mode in PowerMode]),
    ),
    "set_target_frequency": _write(
        "adjust the target frequency by a percentage (-100-100)",
        lambda m, a: m.set_target_frequency(a.percent),
        _arg("percent", type=int),
    ),
    "set_led": _write(
        "auto, or red|green PERIOD DURATION START (ms)",
        _set_led,
        _arg("color", choices=["auto", *(color.value for color in LedColor)]),
        _arg("timing", type=int, nargs="*", metavar="MS"),
    ),
    "update_pools": _write(
        "replace the pools (1-3)",
        _update_pools,
        _arg(
            "--pool",
            nargs="+",
            action="append",
            required=True,
            metavar="URL WORKER [PASSWORD]",
        ),
    ),
    "set_fast_boot": _write(
        "btminer fast boot",
        lambda m, a: m.set_fast_boot(_SWITCH[a.state]),
        _switch("state"),
    ),
    "set_web_pools": _write(
        "pool changes from the web page",
        lambda m, a: m.set_web_pools(_SWITCH[a.state]),
        _switch("state"),
    ),
    "set_hostname": _write(
        "hostname", lambda m, a: m.set_hostname(a.hostname), _arg("hostname")
    ),
    "set_timezone": _write(
        "time zone, e.g. CST-8 Asia/Shanghai",
        lambda m, a: m.set_timezone(a.timezone, a.zone_name),
        _arg("timezone"),
        _arg("zone_name"),
    ),
    "set_temperature_offset": _write(
        "target temperature offset (-30-0 °C)",
        lambda m, a: m.set_temperature_offset(a.offset),
        _arg("offset", type=int),
    ),
    "set_upfreq_speed": _write(
        "up-frequency speed (0-9)",
        lambda m, a: m.set_upfreq_speed(a.speed),
        _arg("speed", type=int),
    ),
    "set_poweroff_cool": _write(
        "keep cooling after mining stops",
        lambda m, a: m.set_poweroff_cool(_SWITCH[a.state]),
        _switch("state"),
    ),
    "set_fan_zero_speed": _write(
        "let the fans stop completely",
        lambda m, a: m.set_fan_zero_speed(_SWITCH[a.state]),
        _switch("state"),
    ),
    "pre_power_on": _write(
        "preheat a stopped miner / report progress", lambda m, _: m.pre_power_on()
    ),
    "change_password": _write(
        "change the admin password",
        lambda m, a: m.change_password(a.new_password),
        _arg("new_password"),
    ),
    "set_network": _write(
        "dhcp, or static IP NETMASK GATEWAY DNS[,DNS] HOSTNAME",
        _set_network,
        _arg("mode", choices=["dhcp", "static"]),
        _arg("settings", nargs="*"),
    ),
    "set_log_server": _write(
        "send logs to a syslog server",
        lambda m, a: m.set_log_server(LogServer(a.ip, a.log_port, a.protocol)),
        _arg("ip"),
        _arg("log_port", type=int, metavar="port"),  # "port" is the miner's
        _arg("protocol", choices=["tcp", "udp"]),
    ),
    "download_logs": _Command(
        "download the log archive to a file",
        _download_logs,
        (_arg("--output", required=True, help="file to write"),),
    ),
    "update_firmware": _write(
        "upload and install a firmware image", _update_firmware, _arg("file")
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the miner's address, credentials and the commands to ``parser``."""
    parser.add_argument("--host", required=True, help="the miner's IP address or name")
    parser.add_argument("--port", type=int, default=DEFAULT_V2_PORT, help="API v2 port")
    parser.add_argument(
        "--v3-port", type=int, default=DEFAULT_V3_PORT, help="API v3 port"
    )
    parser.add_argument(
        "--api",
        choices=[api.value for api in ApiVersion],
        help="skip detection and use this API",
    )
    parser.add_argument(
        "--password", help=f"admin password for writes (default: ${PASSWORD_ENV})"
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT
    )
    parser.add_argument("--reply-timeout", type=float, default=DEFAULT_REPLY_TIMEOUT)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in _COMMANDS.items():
        subparser = commands.add_parser(
            name, help=command.help, description=command.help
        )
        for names, options in command.arguments:
            subparser.add_argument(*names, **options)


async def run(args: argparse.Namespace) -> object:
    """Run one command against the miner and return a JSON-able result."""
    miner = Whatsminer(
        args.host,
        password=args.password or os.environ.get(PASSWORD_ENV) or None,
        api=ApiVersion(args.api) if args.api else None,
        v2_port=args.port,
        v3_port=args.v3_port,
        connect_timeout=args.connect_timeout,
        reply_timeout=args.reply_timeout,
    )
    command = _COMMANDS[args.command]
    try:
        result = await command.call(miner, args)
    finally:
        await miner.close()
    if command.write:
        return {"command": args.command, "result": "ok" if result is None else result}
    return result
