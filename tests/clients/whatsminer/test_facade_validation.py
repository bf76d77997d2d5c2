"""The facade refuses bad arguments before it sends anything to the miner."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from custom_components.hashwatt.clients.whatsminer.client import Whatsminer
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerUnsupportedError,
    WhatsminerValidationError,
)
from custom_components.hashwatt.clients.whatsminer.models import (
    ApiVersion,
    LogServer,
    NetworkConfig,
    PowerMode,
)
from simulator.whatsminer import SimulatedMiner

from .conftest import MINER_PASSWORD

type Call = Callable[[Whatsminer], Awaitable[Any]]

_STATIC = NetworkConfig(
    ip="192.168.1.20",
    netmask="255.255.255.0",
    gateway="192.168.1.1",
    dns=(),
    hostname="miner-20",
)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m: m.set_power_limit(3500.5), "power_limit"),
        (lambda m: m.set_power_limit(True), "power_limit"),
        (lambda m: m.set_power_mode("turbo"), "mode"),
        (lambda m: m.set_power_percent(50, "slow"), "mode"),
        (lambda m: m.set_led("blue", 1000, 500, 0), "color"),
        (lambda m: m.set_network(_STATIC), "dns"),
        (lambda m: m.set_log_server(LogServer("10.0.0.5", 514, "sctp")), "protocol"),
        (lambda m: m.update_firmware(b""), "firmware"),
    ],
)
async def test_bad_argument_sends_nothing(
    simulated_miner: SimulatedMiner, call: Call, field: str
) -> None:
    assert simulated_miner.v2_port is not None
    miner = Whatsminer(
        simulated_miner.host,
        password=MINER_PASSWORD,
        api=ApiVersion.V2,
        v2_port=simulated_miner.v2_port,
    )
    with pytest.raises(WhatsminerValidationError) as caught:
        await call(miner)
    assert caught.value.field == field
    assert simulated_miner.requests == []
    # The same facade still works with a good value: nothing was left half-done.
    await miner.set_power_mode(PowerMode.LOW)
    assert [request.command for request in simulated_miner.requests][-1] == (
        "set_low_power"
    )


async def test_upfreq_speed_10_is_for_api_v3_only(make_miner: Any) -> None:
    """API v3 documents 0..10; API v2 stops at 9 and hears nothing of a 10."""
    v2 = await make_miner()
    v3 = await make_miner(api="v3", password=MINER_PASSWORD)
    old = Whatsminer(
        v2.host, password=MINER_PASSWORD, api=ApiVersion.V2, v2_port=v2.v2_port
    )
    new = Whatsminer(
        v3.host, password=MINER_PASSWORD, api=ApiVersion.V3, v3_port=v3.v3_port
    )
    try:
        with pytest.raises(WhatsminerValidationError, match="between 0 and 9"):
            await old.set_upfreq_speed(10)
        assert v2.requests == []
        await new.set_upfreq_speed(10)
        assert v3.state.upfreq_speed == 10
        with pytest.raises(WhatsminerValidationError, match="between 0 and 10"):
            await new.set_upfreq_speed(11)
    finally:
        await old.close()
        await new.close()


async def test_power_at_run_time_needs_api_v3(simulated_miner: SimulatedMiner) -> None:
    miner = Whatsminer(
        simulated_miner.host,
        password=MINER_PASSWORD,
        api=ApiVersion.V2,
        v2_port=simulated_miner.v2_port,
    )
    with pytest.raises(WhatsminerValidationError):
        await miner.set_power(-1)
    with pytest.raises(WhatsminerUnsupportedError):
        await miner.set_power(2000)
    assert simulated_miner.requests == []


def test_unknown_account_is_refused() -> None:
    with pytest.raises(WhatsminerValidationError) as caught:
        Whatsminer("127.0.0.1", account="admin")
    assert caught.value.field == "account"
    assert Whatsminer("127.0.0.1", account="user3").account == "user3"
