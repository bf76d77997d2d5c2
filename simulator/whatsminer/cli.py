"""``python -m simulator miners``: serve simulated Whatsminers until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .faults import Fault
from .fleet import FLEET_APIS, MinerFleet, run_mac_key
from .hardware import MODELS
from .miner import SimulatedMiner
from .personas import PERSONAS


def _fault_epilog() -> str:
    width = max(len(fault.value) for fault in Fault)
    lines = [f"  {fault.value:<{width}}  {fault.description}" for fault in Fault]
    persona_width = max(len(name) for name in PERSONAS)
    persona_lines = [
        f"  {name:<{persona_width}}  {persona.title}"
        for name, persona in PERSONAS.items()
    ]
    return (
        "firmware families (--persona):\n"
        + "\n".join(persona_lines)
        + "\n\nfault kinds (--fault, repeatable; armed on every miner until the simulator stops):\n"
        + "\n".join(lines)
        + "\n\nEach miner listens on its own loopback address (Linux routes all of "
        "127.0.0.0/8 to lo):\nv2 miners on 4028, v3 miners on 4433 plus the "
        "compatibility layer on 4028."
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``miners`` options."""
    parser.description = "Simulated MicroBT Whatsminer miners speaking API v2 and v3."
    parser.epilog = _fault_epilog()
    parser.add_argument(
        "--count", type=int, default=1, help="number of miners (default 1)"
    )
    parser.add_argument(
        "--first-ip",
        default="127.0.10.1",
        help="loopback address of the first miner; the others follow (default 127.0.10.1)",
    )
    parser.add_argument(
        "--api",
        choices=FLEET_APIS,
        default="v2",
        help="v2: old firmware (4028 only); v3: new firmware (4433 and the 4028 "
        "compatibility layer); mixed: alternating (default v2)",
    )
    parser.add_argument(
        "--persona",
        action="append",
        default=[],
        choices=[*PERSONAS, "all"],
        metavar="NAME",
        help="firmware family to play (repeatable: the miners take them in turn; "
        "'all': every family; overrides --api). Families below",
    )
    parser.add_argument(
        "--password",
        default=None,
        help="v2 admin password, also the v3 'super' password "
        "(default: factory, 'admin' / 'super')",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=[fault.value for fault in Fault],
        metavar="KIND",
        help="arm a fault on every miner (kinds below)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed for serials, models, noise"
    )
    parser.add_argument(
        "--mac-key",
        type=int,
        default=None,
        help="number the MACs are made from, with each miner's address and port "
        "(default: random, so every run has MACs of its own)",
    )
    parser.add_argument(
        "--model",
        choices=list(MODELS),
        default=None,
        help="hardware model for every miner (default: a mix chosen by the seed)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="v2 port of a single miner (--count 1 only; default 4028)",
    )
    parser.add_argument(
        "--v3-port",
        type=int,
        default=None,
        help="v3 port of a single miner (--count 1 only; default 4433)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="start with the write API switched off",
    )
    parser.add_argument(
        "--grant",
        action="append",
        default=[],
        type=_grant,
        metavar="USER=CMD[,CMD..]",
        help="API v3: the commands user1..user3 may run, as set.user.permission "
        "grants them (e.g. user1=set.miner.power,set.miner.service)",
    )


def _grant(text: str) -> tuple[str, frozenset[str]]:
    user, _, commands = text.partition("=")
    if user not in {"user1", "user2", "user3"} or not commands:
        msg = f"expected user1..user3=command[,command..], not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return user, frozenset(c.strip() for c in commands.split(",") if c.strip())


def listener_lines(miners: list[SimulatedMiner]) -> list[str]:
    """Describe every listener: address, port, API, model, MAC."""
    lines: list[str] = []
    for miner in miners:
        persona = miner.persona.name
        lines.append(
            f"{miner.host}:{miner.v2_port}  v2"
            f"{' (compat)' if miner.persona.v2_dialect == 'compat' else ''}"
            f"  {miner.model}  {miner.state.mac}  {persona}"
        )
        if miner.v3_port is not None:
            lines.append(
                f"{miner.host}:{miner.v3_port}  v3  {miner.model}  {miner.state.mac}"
                f"  {persona}"
            )
    return lines


async def serve(args: argparse.Namespace) -> None:
    """Start the miners, print their listeners, and serve until cancelled."""
    if args.count != 1 and (args.port is not None or args.v3_port is not None):
        msg = "--port and --v3-port need --count 1"
        raise SystemExit(msg)
    fleet = MinerFleet(
        count=args.count,
        first_ip=args.first_ip,
        api=args.api,
        password=args.password,
        seed=args.seed,
        model=args.model,
        write_enabled=not args.read_only,
        v2_port=4028 if args.port is None else args.port,
        v3_port=4433 if args.v3_port is None else args.v3_port,
        mac_key=run_mac_key() if args.mac_key is None else args.mac_key,
        personas=list(PERSONAS) if "all" in args.persona else args.persona,
    )
    for miner in fleet:
        for kind in args.fault:
            miner.inject(Fault(kind))
        miner.state.permissions.update(args.grant)
    await fleet.start()
    try:
        sys.stdout.write("\n".join(listener_lines(fleet.miners)) + "\n")
        sys.stdout.flush()
        await asyncio.Event().wait()
    finally:
        await fleet.stop()
