"""A fleet of simulated miners, each on its own loopback address (127.0.x.y).

Linux routes all of 127.0.0.0/8 to the loopback interface, so every miner can use
the real ports 4028 and 4433 on its own address, as miners on a LAN do.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import resource
import secrets
from collections.abc import Iterator, Sequence

from .hardware import FLEET_MODELS, MAC_PREFIXES, MODELS
from .miner import Clock, SimulatedMiner, wall_clock
from .personas import PERSONAS

FLEET_APIS = ("v2", "v3", "mixed")
START_BATCH = 200  # miners started concurrently


def fleet_addresses(first_ip: str, count: int) -> Iterator[str]:
    """Yield ``count`` loopback addresses from ``first_ip``, skipping .0 and .255."""
    address = ipaddress.IPv4Address(first_ip)
    if not address.is_loopback:
        msg = f"{first_ip} is not a loopback address (127.0.0.0/8)"
        raise ValueError(msg)
    last = ipaddress.IPv4Address("127.255.255.255")
    produced = 0
    while produced < count:
        if address > last:
            msg = "the fleet does not fit in 127.0.0.0/8 from there"
            raise ValueError(msg)
        if address.packed[-1] not in (0, 255):
            yield str(address)
            produced += 1
        address += 1


def fleet_mac(address: str, port: int, mac_key: int) -> str:
    """Return a locally administered MAC for a miner at ``address``:``port``.

    The last three octets are the address's low 24 bits mixed with ``mac_key`` and
    the port: distinct for every address of a fleet (XOR with a constant is a
    bijection), and different between runs with different keys, so miners added to
    Home Assistant from two runs never share a name (which ends with the MAC).
    """
    mixer = int.from_bytes(
        hashlib.blake2b(f"{mac_key}:{port}".encode(), digest_size=3).digest(), "big"
    )
    tail = (int(ipaddress.IPv4Address(address)) & 0xFFFFFF) ^ mixer
    prefix = MAC_PREFIXES[mac_key % len(MAC_PREFIXES)]
    return f"{prefix}:{tail >> 16:02X}:{(tail >> 8) & 0xFF:02X}:{tail & 0xFF:02X}"


def run_mac_key() -> int:
    """Return a fresh random MAC key, for a run whose MACs no earlier run used."""
    return secrets.randbits(32)


def _raise_file_limit(needed: int) -> None:
    # Each listener is a file descriptor; a fleet of 1000 v3 miners needs 2000 of them.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class MinerFleet:
    """``count`` simulated miners on consecutive loopback addresses.

    ``personas`` (names of ``personas.PERSONAS``) gives the miners those firmware
    families in turn, overriding ``api``. ``api="mixed"`` alternates old-firmware (v2)
    and new-firmware (v3) miners; without
    ``model`` the models are drawn from :data:`MODELS` by the seed. Each miner gets its
    own seed (``seed * 100_000 + index``) and a MAC unique within the fleet, made from
    its address and ``mac_key`` (default: the seed, so a seed gives the same MACs; pass
    :func:`run_mac_key` for MACs no other run has).
    """

    def __init__(  # noqa: PLR0913
        self,
        count: int,
        first_ip: str = "127.0.10.1",
        api: str = "v2",
        password: str | None = None,
        seed: int = 1,
        *,
        model: str | None = None,
        clock: Clock = wall_clock,
        write_enabled: bool = True,
        v2_port: int = 4028,
        v3_port: int = 4433,
        mac_key: int | None = None,
        personas: Sequence[str] = (),
    ) -> None:
        if count < 1:
            msg = "a fleet needs at least one miner"
            raise ValueError(msg)
        if api not in FLEET_APIS:
            msg = f"api must be one of {', '.join(FLEET_APIS)}, not {api!r}"
            raise ValueError(msg)
        unknown = [name for name in personas if name not in PERSONAS]
        if unknown:
            msg = f"unknown persona {unknown[0]!r}; known: {', '.join(PERSONAS)}"
            raise ValueError(msg)
        if model is not None and model not in MODELS:
            msg = f"unknown model {model!r}; known: {', '.join(MODELS)}"
            raise ValueError(msg)
        self.addresses = list(fleet_addresses(first_ip, count))
        self.v2_port = v2_port
        self.v3_port = v3_port
        names = sorted(FLEET_MODELS)
        self.miners: list[SimulatedMiner] = []
        for index in range(count):
            miner_seed = seed * 100_000 + index
            persona: str | None = None
            miner_api: str | None
            if personas:
                # Firmware families in turn; each brings its own model unless one is given.
                persona, miner_api = personas[index % len(personas)], None
                miner_model = model
            else:
                miner_api = (
                    ("v2" if index % 2 == 0 else "v3") if api == "mixed" else api
                )
                miner_model = model or names[(miner_seed * 7919) % len(names)]
            self.miners.append(
                SimulatedMiner(
                    model=miner_model,
                    api=miner_api,
                    persona=persona,
                    password=password,
                    seed=miner_seed,
                    write_enabled=write_enabled,
                    clock=clock,
                    mac=fleet_mac(
                        self.addresses[index],
                        v2_port,
                        seed if mac_key is None else mac_key,
                    ),
                )
            )

    def __iter__(self) -> Iterator[SimulatedMiner]:
        return iter(self.miners)

    def __len__(self) -> int:
        return len(self.miners)

    async def start(self) -> None:
        """Start every miner; on failure the ones already started are stopped."""
        _raise_file_limit(2 * len(self.miners) + 256)
        try:
            for first in range(0, len(self.miners), START_BATCH):
                batch = zip(
                    self.miners[first : first + START_BATCH],
                    self.addresses[first : first + START_BATCH],
                    strict=True,
                )
                await asyncio.gather(
                    *(
                        miner.start(
                            host=address, v2_port=self.v2_port, v3_port=self.v3_port
                        )
                        for miner, address in batch
                    )
                )
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop every miner."""
        await asyncio.gather(*(miner.stop() for miner in self.miners))
