"""What the pool and mempool mocks share: an aiohttp app on a real port, and faults.

Each mock builds its own app (``_build_app``) and its own replies; this class runs the
app on a real TCP port, keeps the faults a test or ``--fault`` injected, and releases
the requests it holds hanging (a ``timeout`` fault) when it stops.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web


@dataclass
class _Injection[F: StrEnum]:
    where: str | None  # what requests are told apart by: a path, or a method
    fault: F
    remaining: int | None  # None: forever


class MockHttpServer[F: StrEnum]:
    """An aiohttp app on ``host``:``port`` that answers injected faults first."""

    def __init__(self, fault_type: type[F]) -> None:
        self._fault_type = fault_type
        self._faults: list[_Injection[F]] = []
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    def _build_app(self) -> web.Application:
        """The mock's routes and middlewares."""
        raise NotImplementedError

    def inject(self, where: str | None, fault: F | str, count: int | None = 1) -> None:
        """Answer ``fault`` for the next ``count`` requests to ``where`` (None: any).

        ``where`` is an endpoint path, or a method where the API has one path;
        a ``count`` of None: forever.
        """
        self._faults.append(_Injection(where, self._fault_type(fault), count))

    def clear_faults(self) -> None:
        """Forget every injected fault."""
        self._faults.clear()

    def _take_fault(self, where: str) -> F | None:
        """The fault injected for a request to ``where``, counted as used; None if none."""
        for injection in self._faults:
            if injection.where not in (None, where):
                continue
            if injection.remaining is not None:
                injection.remaining -= 1
                if injection.remaining <= 0:
                    self._faults.remove(injection)
            return injection.fault
        return None

    async def _hang(self) -> None:
        """Hold a request until the server stops (a client's timeout fault)."""
        await self._stopping.wait()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host``:``port`` (0: any free port)."""
        app = self._build_app()
        self._stopping.clear()
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # noqa: SLF001  # the only way to learn the bound port
        sockets = getattr(server, "sockets", None) or []
        self.host = host
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        """Release hanging requests and stop listening."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
