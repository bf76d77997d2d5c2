"""The API v2 client against simulated miners over real TCP: every read, every write."""

import asyncio
import io
import json
import logging
import tarfile
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from custom_components.hashwatt.clients.whatsminer import (
    crypto,
    transport,
    v2 as v2_module,
)
from custom_components.hashwatt.clients.whatsminer.client import Whatsminer
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerConnectionError,
    WhatsminerError,
    WhatsminerInvalidReplyError,
    WhatsminerTimeoutError,
    WhatsminerTokenLimitError,
    WhatsminerUnsupportedError,
    WhatsminerValidationError,
    WhatsminerWriteDisabledError,
)
from custom_components.hashwatt.clients.whatsminer.models import (
    ApiVersion,
    LedColor,
    LogServer,
    NetworkConfig,
    PoolConfig,
    PowerMode,
    PowerPercentMode,
    PrePowerOnState,
)
from custom_components.hashwatt.clients.whatsminer.v2 import (
    MINER_INFO_FIELDS,
    TOKEN_REFRESH_AFTER,
    WhatsminerV2,
)
from simulator.whatsminer import Fault, SimulatedMiner

from .conftest import MINER_PASSWORD, Handler, MinerFactory, ServerFactory, v2_client

START = 1_800_000_000.0


class Clock:
    """A clock tests move by hand (for the miner's physics and token lifetimes)."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _commands(miner: SimulatedMiner) -> list[str | None]:
    return [request.command for request in miner.requests]


def _written(miner: SimulatedMiner, command: str) -> dict[str, Any]:
    """The parameters of the one authenticated request of ``command``."""
    matches = [r for r in miner.requests if r.command == command and r.authenticated]
    assert len(matches) == 1, _commands(miner)
    return dict(matches[0].params)


async def _raw_reply(miner: SimulatedMiner, command: str) -> bytes:
    """The bytes the miner sends for a plaintext command, untouched."""
    assert miner.v2_port is not None
    reader, writer = await asyncio.open_connection(miner.host, miner.v2_port)
    try:
        writer.write(json.dumps({"cmd": command}).encode())
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


# Reads.


async def test_identify(simulated_miner: SimulatedMiner, client: WhatsminerV2) -> None:
    """MAC, hostname, serial, full model string and firmware; three connections."""
    identity = await client.identify()
    state = simulated_miner.state
    assert identity.mac == state.mac.upper()
    assert identity.hostname == state.hostname
    assert identity.model == state.model.variant
    assert identity.serial_number == state.miner_sn
    assert identity.firmware_version == state.firmware_version
    assert identity.api is ApiVersion.V2
    assert sorted(map(str, _commands(simulated_miner))) == [
        "devdetails",
        "get_miner_info",
        "get_version",
    ]
    assert all(not request.authenticated for request in simulated_miner.requests)


async def test_fast_poll_reads_everything_in_two_connections(
    make_miner: MinerFactory,
) -> None:
    """summary+edevs joined, status beside it; figures as the miner computes them."""
    clock = Clock()
    miner = await make_miner(clock=clock)
    client = v2_client(miner)
    data = await client.fetch_fast()
    reading = miner.reading(clock.now)
    assert sorted(map(str, _commands(miner))) == ["status", "summary+edevs"]
    summary = data.summary
    assert summary.hashrate_realtime == pytest.approx(reading.hashrate_5m, abs=1e-5)
    assert summary.hashrate_average == pytest.approx(reading.hashrate_avg, abs=1e-5)
    assert summary.hashrate_factory == pytest.approx(reading.factory, abs=1e-3)
    assert summary.power == reading.power
    assert summary.power_limit == miner.state.power_limit
    assert summary.efficiency == pytest.approx(
        reading.power / reading.hashrate, abs=0.01
    )
    assert summary.power_mode is PowerMode.NORMAL
    assert summary.fan_speed_in == reading.fan_in
    assert summary.chip_temperature_max == reading.chip_max
    assert summary.mining_elapsed == reading.elapsed
    assert summary.system_uptime == reading.uptime
    assert summary.fast_boot is False
    assert data.mining is True
    assert len(data.boards) == miner.state.model.boards
    for board, expected in zip(data.boards, reading.boards, strict=True):
        assert board.index == expected.index
        assert board.hashrate_realtime == pytest.approx(expected.hashrate, abs=1e-5)
        assert board.hashrate_factory == pytest.approx(expected.factory, abs=1e-3)
        assert board.serial_number == miner.state.board_sns[expected.index]
        assert board.effective_chips == expected.effective_chips


async def test_slow_poll_reads_everything_in_five_connections(
    make_miner: MinerFactory,
) -> None:
    """Version, network info (all fields), PSU, errors, pools+devdetails joined."""
    clock = Clock()
    miner = await make_miner(clock=clock)
    miner.add_error(218, at=START - 3600)
    client = v2_client(miner)
    data = await client.fetch_slow()
    state = miner.state
    reading = miner.reading(clock.now)
    assert sorted(map(str, _commands(miner))) == [
        "get_error_code",
        "get_miner_info",
        "get_psu",
        "get_version",
        "pools+devdetails",
    ]
    info_request = next(r for r in miner.requests if r.command == "get_miner_info")
    assert info_request.params == {"info": MINER_INFO_FIELDS}
    assert data.identity.model == state.model.variant
    assert data.identity.mac == data.info.mac == state.mac.upper()
    assert data.version.firmware_version == state.firmware_version
    assert data.version.api_version == state.api_version
    assert data.info.miner_serial == state.miner_sn
    assert data.info.power_serial == state.psu_sn
    assert data.info.proto == "dhcp"
    assert data.psu is not None
    assert data.psu.model == state.model.psu_model
    assert data.psu.input_voltage == pytest.approx(reading.psu_vin, abs=0.01)
    assert data.psu.input_current == pytest.approx(reading.psu_iin, abs=0.001)
    assert data.psu.fan_speed == reading.psu_fan
    assert [error.code for error in data.errors] == [218]
    assert data.errors[0].reported_at is not None
    assert [(pool.url, pool.worker) for pool in data.pools] == [
        (pool.url, pool.worker) for pool in state.pools
    ]
    assert data.pools[0].stratum_active is True


async def test_stopped_miner_reads_as_not_mining(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """After power_off the fast poll says so (status, not guessed from the hashrate)."""
    await client.power_off()
    assert (await client.fetch_fast()).mining is False


async def test_old_status_and_unusable_status(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """Old firmware's btmineroff works like mineroff; a garbled status reads from the hashrate."""
    simulated_miner.inject(Fault.OLD_STATUS, commands={"status"})
    await client.power_off()
    assert (await client.fetch_fast()).mining is False
    simulated_miner.clear_faults()
    await client.power_on()
    simulated_miner.inject(Fault.GARBAGE, commands={"status"}, count=1)
    data = await client.fetch_fast()
    assert data.summary.hashrate_realtime
    assert data.mining is True


async def test_truncated_join_reads_what_arrived(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """A joined reply cut short gives the boards that arrived, none invented; joins go on."""
    full = await client.fetch_fast()
    simulated_miner.inject(Fault.TRUNCATE, commands={"summary+edevs"}, count=1)
    cut = await client.fetch_fast()
    assert len(cut.boards) < len(full.boards)
    assert [board.index for board in cut.boards] == list(range(len(cut.boards)))
    simulated_miner.requests.clear()
    await client.fetch_fast()
    assert "summary+edevs" in _commands(simulated_miner)


async def test_compatibility_layer_of_new_firmware(make_miner: MinerFactory) -> None:
    """New firmware on 4028: MH/s summary in Msg, the model from get_version, still read."""
    clock = Clock()
    miner = await make_miner(api="v3", clock=clock)
    client = v2_client(miner)
    identity = await client.identify()
    # devdetails says 132 "This command is deprecated."; get_version names the model
    # as miner_type (captured: compat/tether__M7BS_VM30__get_version.raw).
    assert identity.model == miner.state.model.variant
    assert identity.firmware_version == miner.state.firmware_version
    data = await client.fetch_fast()
    reading = miner.reading(clock.now)
    # The compat summary's HS RT is the sum of its boards' (captured:
    # compat/pulse__M60S__summary.raw and __edevs.raw).
    assert data.summary.hashrate_realtime == pytest.approx(
        sum(board.hashrate for board in reading.boards), abs=1e-3
    )
    assert data.summary.hashrate_average == pytest.approx(
        reading.hashrate_avg, abs=1e-3
    )
    assert data.boards[0].hashrate_realtime == pytest.approx(
        reading.boards[0].hashrate, abs=0.01
    )
    slow = await client.fetch_slow()
    assert slow.identity.model == miner.state.model.variant
    assert slow.pools
    # Refused joins are not asked for again: one request per command from now on.
    miner.requests.clear()
    await client.fetch_fast()
    await client.fetch_slow()
    assert "summary+edevs" not in _commands(miner)
    assert "pools+devdetails" not in _commands(miner)


@pytest.mark.parametrize(
    ("fault", "command", "signature"),
    [
        (Fault.NUL_TERMINATED, "summary", b"}\x00"),
        (Fault.TRAILING_COMMA, "get_version", b",}"),
        (Fault.OBJECT_JOIN, "pools", b"}{"),
        (Fault.LIST_LEADING_COMMA, "pools", b"[,{"),
        (Fault.PSU_TEMP0_COMMA, "get_psu", b'""temp0"'),
        (Fault.ERROR_CODE_LIST, "get_error_code", b'["329":"'),
        (Fault.QUOTED_FIRMWARE, "status", b"\"'2023"),
        (Fault.BAD_UTF8, "get_version", b"\xff\xfe"),
        (Fault.OLD_STATUS, "status", b'"btmineroff"'),
        (Fault.API_VER_TEXT, "get_version", b'"whatsminer v1.4.0"'),
    ],
)
async def test_firmware_quirks_read_like_clean_replies(
    make_miner: MinerFactory, fault: Fault, command: str, signature: bytes
) -> None:
    """Every quirk on every reply: the polls read the same as from a clean miner."""
    clock = Clock()
    clean = await make_miner(clock=clock, seed=3)
    quirky = await make_miner(clock=clock, seed=3)
    clean.add_error(329, at=START - 60)
    quirky.add_error(329, at=START - 60)
    quirky.inject(fault)
    assert signature in await _raw_reply(quirky, command)  # the quirk is really there
    expected_fast = await v2_client(clean).fetch_fast()
    expected_slow = await v2_client(clean).fetch_slow()
    client = v2_client(quirky)
    assert await client.fetch_fast() == expected_fast
    slow = await client.fetch_slow()
    assert slow.psu == expected_slow.psu
    assert slow.errors == expected_slow.errors
    assert slow.pools == expected_slow.pools
    assert slow.info == expected_slow.info
    assert slow.identity == expected_slow.identity
    if fault is Fault.API_VER_TEXT:
        assert slow.version.api_version == "1.4.0"
    else:
        assert slow.version == expected_slow.version


async def test_unknown_power(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """Power -1 is None, and so is the efficiency computed from it."""
    simulated_miner.inject(Fault.POWER_UNKNOWN)
    summary = (await client.fetch_fast()).summary
    assert summary.power is None


async def test_truncated_reply_keeps_what_is_complete(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """A reply cut in half still gives the fields that arrived whole."""
    simulated_miner.inject(Fault.TRUNCATE, commands={"get_miner_info"}, count=1)
    identity = await client.identify()
    assert identity.api is ApiVersion.V2
    assert identity.firmware_version == simulated_miner.state.firmware_version


async def test_large_reply(make_miner: MinerFactory) -> None:
    """Thousands of error codes (over 64 KiB, parsed off the event loop) all arrive."""
    clock = Clock()
    miner = await make_miner(clock=clock)
    for number in range(4000):
        miner.add_error(100 + number, at=START - number)
    assert (
        len(await _raw_reply(miner, "get_error_code")) > v2_module.PARSE_IN_THREAD_FROM
    )
    errors = (await v2_client(miner).fetch_slow()).errors
    assert [error.code for error in errors] == list(range(100, 4100))


async def test_psu_failures(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """An unreadable PSU reply gives psu=None; losing the connection fails the poll."""
    simulated_miner.inject(Fault.GARBAGE, commands={"get_psu"}, count=1)
    assert (await client.fetch_slow()).psu is None
    simulated_miner.inject(Fault.RESET, commands={"get_psu"}, count=1)
    with pytest.raises(WhatsminerConnectionError):
        await client.fetch_slow()


async def test_refused_command_is_unsupported(client: WhatsminerV2) -> None:
    """A read the firmware lacks (code 14 "Invalid command") is WhatsminerUnsupportedError."""
    with pytest.raises(WhatsminerUnsupportedError) as caught:
        await client._read("stats")  # noqa: SLF001  # no public read of a missing command
    assert caught.value.code == 14


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.REFUSE, WhatsminerConnectionError),
        (Fault.HANG, WhatsminerTimeoutError),
        (Fault.RESET, WhatsminerConnectionError),
        (Fault.GARBAGE, WhatsminerInvalidReplyError),
    ],
)
async def test_broken_miners_raise_our_errors(
    simulated_miner: SimulatedMiner, fault: Fault, error: type[WhatsminerError]
) -> None:
    """Refused, silent, reset or garbage: one of our errors, nothing lingers."""
    simulated_miner.inject(fault)
    client = v2_client(simulated_miner, reply_timeout=0.3, connect_timeout=0.5)
    with pytest.raises(error):
        await client.fetch_fast()
    with pytest.raises(error):
        await client.fetch_slow()


async def test_slow_miner_within_the_timeout(simulated_miner: SimulatedMiner) -> None:
    """A miner that takes its time but answers within the reply timeout is fine."""
    simulated_miner.inject(Fault.SLOW, delay=0.2)
    client = v2_client(simulated_miner, reply_timeout=2.0)
    assert (await client.fetch_fast()).summary.power is not None


# Writes: each checked by what the miner received and what it did.


async def test_power_off_and_on(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """power_off asks the miner to answer first; power_on starts mining again."""
    await client.power_off()
    assert _written(simulated_miner, "power_off") == {"respbefore": "true"}
    assert simulated_miner.state.mining is False
    await client.power_on()
    assert _written(simulated_miner, "power_on") == {}
    assert simulated_miner.state.mining is True


async def test_restart_mining_and_reboot(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """restart_btminer restarts hashing; reboot takes the miner down."""
    await client.restart_mining()
    assert _written(simulated_miner, "restart_btminer") == {}
    await client.reboot()
    assert _written(simulated_miner, "reboot") == {}
    assert simulated_miner.is_down()


@pytest.mark.parametrize(
    "command", ["reboot", "restart_btminer", "power_on", "power_off"]
)
async def test_commands_that_may_never_answer_count_as_sent(
    simulated_miner: SimulatedMiner, command: str
) -> None:
    """Silence after reboot, restart_btminer, power_on or power_off is not an error."""
    simulated_miner.inject(Fault.HANG, commands={command})
    client = v2_client(simulated_miner, reply_timeout=0.3)
    method = {
        "reboot": client.reboot,
        "restart_btminer": client.restart_mining,
        "power_on": client.power_on,
        "power_off": client.power_off,
    }[command]
    await method()
    assert _written(simulated_miner, command) is not None


async def test_silence_after_other_writes_is_an_error(
    simulated_miner: SimulatedMiner,
) -> None:
    """Any other write must answer: silence is a timeout."""
    simulated_miner.inject(Fault.HANG, commands={"adjust_power_limit"})
    client = v2_client(simulated_miner, reply_timeout=0.3)
    with pytest.raises(WhatsminerTimeoutError):
        await client.set_power_limit(3000)


async def test_factory_reset(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """factory_reset restores the factory password and switches the write API off."""
    simulated_miner.state.hostname = "rack-7"
    await client.factory_reset()
    assert _written(simulated_miner, "factory_reset") == {}
    assert simulated_miner.state.hostname == "WhatsMiner"
    assert simulated_miner.state.password == "admin"


@pytest.mark.parametrize(
    ("mode", "command", "printed"),
    [
        (PowerMode.LOW, "set_low_power", "Low"),
        (PowerMode.NORMAL, "set_normal_power", "Normal"),
        (PowerMode.HIGH, "set_high_power", "High"),
    ],
)
async def test_power_modes(
    simulated_miner: SimulatedMiner,
    client: WhatsminerV2,
    mode: PowerMode,
    command: str,
    printed: str,
) -> None:
    """set_low_power / set_normal_power / set_high_power, without the vendor text's stray space."""
    simulated_miner.state.power_mode = (
        "Normal" if mode is not PowerMode.NORMAL else "High"
    )
    await client.set_power_mode(mode)
    assert _written(simulated_miner, command) == {}
    assert simulated_miner.state.power_mode == printed
    assert (await client.fetch_fast()).summary.power_mode is mode


async def test_power_limit(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """Numbers go as strings, as the vendor text shows; 99999 W for big hydro miners."""
    await client.set_power_limit(3100)
    assert _written(simulated_miner, "adjust_power_limit") == {"power_limit": "3100"}
    assert simulated_miner.state.power_limit == 3100


@pytest.mark.parametrize(
    ("mode", "command"),
    [
        (PowerPercentMode.FAST, "set_power_pct"),
        (PowerPercentMode.NORMAL, "set_power_pct_v2"),
    ],
)
async def test_power_percent(
    simulated_miner: SimulatedMiner,
    client: WhatsminerV2,
    mode: PowerPercentMode,
    command: str,
) -> None:
    """Fast is set_power_pct, normal set_power_pct_v2."""
    await client.set_power_percent(80, mode)
    assert _written(simulated_miner, command) == {"percent": "80"}
    assert simulated_miner.state.power_percent == 80
    assert simulated_miner.state.power_percent_mode == mode.value


async def test_target_frequency(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """Underclocking works; overclocking a fan-cooled miner is the miner's own error."""
    await client.set_target_frequency(-10)
    assert _written(simulated_miner, "set_target_freq") == {"percent": "-10"}
    assert simulated_miner.state.target_freq == -10
    with pytest.raises(WhatsminerCommandError) as caught:
        await client.set_target_frequency(10)
    assert caught.value.code == 132
    assert "fan-cooled" in caught.value.message
    assert not isinstance(caught.value, WhatsminerUnsupportedError)


async def test_led(simulated_miner: SimulatedMiner, client: WhatsminerV2) -> None:
    """Manual blinking with integer timings, then back to auto."""
    await client.set_led(LedColor.RED, 1000, 500, 0)
    assert _written(simulated_miner, "set_led") == {
        "color": "red",
        "period": 1000,
        "duration": 500,
        "start": 0,
    }
    pattern = simulated_miner.state.led
    assert not isinstance(pattern, str)
    assert (pattern[0].color, pattern[0].period, pattern[0].duration) == (
        "red",
        1000,
        500,
    )
    simulated_miner.requests.clear()
    await client.set_led_auto()
    assert _written(simulated_miner, "set_led") == {"param": "auto"}
    assert simulated_miner.state.led == "auto"


async def test_update_pools(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """Empty slots are sent as "", never null."""
    await client.update_pools(
        (
            PoolConfig("stratum+tcp://pool.example.com:3333", "acct.rig1", "x"),
            PoolConfig("stratum+tcp://backup.example.com:443", "acct.rig1"),
        )
    )
    assert _written(simulated_miner, "update_pools") == {
        "pool1": "stratum+tcp://pool.example.com:3333",
        "worker1": "acct.rig1",
        "passwd1": "x",
        "pool2": "stratum+tcp://backup.example.com:443",
        "worker2": "acct.rig1",
        "passwd2": "",
        "pool3": "",
        "worker3": "",
        "passwd3": "",
    }
    assert [pool.url for pool in simulated_miner.state.pools] == [
        "stratum+tcp://pool.example.com:3333",
        "stratum+tcp://backup.example.com:443",
    ]
    pools = (await client.fetch_slow()).pools
    assert [pool.worker for pool in pools] == ["acct.rig1", "acct.rig1"]


@pytest.mark.parametrize(
    ("call", "command", "params", "check"),
    [
        (
            lambda c: c.set_fast_boot(True),
            "enable_btminer_fast_boot",
            {},
            lambda s: s.fast_boot is True,
        ),
        (
            lambda c: c.set_fast_boot(False),
            "disable_btminer_fast_boot",
            {},
            lambda s: s.fast_boot is False,
        ),
        (
            lambda c: c.set_web_pools(True),
            "enable_web_pools",
            {},
            lambda s: s.web_pools is True,
        ),
        (
            lambda c: c.set_web_pools(False),
            "disable_web_pools",
            {},
            lambda s: s.web_pools is False,
        ),
        (
            lambda c: c.set_hostname("rack-07"),
            "set_hostname",
            {"hostname": "rack-07"},
            lambda s: s.hostname == "rack-07",
        ),
        (
            lambda c: c.set_timezone("CET-1CEST", "Europe/Berlin"),
            "set_zone",
            {"timezone": "CET-1CEST", "zonename": "Europe/Berlin"},
            lambda s: (s.timezone, s.zonename) == ("CET-1CEST", "Europe/Berlin"),
        ),
        (
            lambda c: c.set_temperature_offset(-5),
            "set_temp_offset",
            {"temp_offset": "-5"},
            lambda s: s.temp_offset == -5,
        ),
        (
            lambda c: c.set_upfreq_speed(7),
            "adjust_upfreq_speed",
            {"upfreq_speed": "7"},
            lambda s: s.upfreq_speed == 7,
        ),
        (
            lambda c: c.set_poweroff_cool(False),
            "set_poweroff_cool",
            {"poweroff_cool": "0"},
            lambda s: s.poweroff_cool is False,
        ),
        (
            lambda c: c.set_fan_zero_speed(True),
            "set_fan_zero_speed",
            {"fan_zero_speed": "1"},
            lambda s: s.fan_zero_speed is True,
        ),
        (
            lambda c: c.set_log_server(LogServer("192.0.2.7", 514, "udp")),
            "load_log",
            {"ip": "192.0.2.7", "port": "514", "proto": "udp"},
            lambda s: (
                (s.log_server.ip, s.log_server.port, s.log_server.proto)
                == ("192.0.2.7", "514", "udp")
            ),
        ),
    ],
)
async def test_settings_writes(  # noqa: PLR0917  # parametrized
    simulated_miner: SimulatedMiner,
    client: WhatsminerV2,
    call: Callable[[WhatsminerV2], Any],
    command: str,
    params: dict[str, str],
    check: Callable[[Any], bool],
) -> None:
    """Each settings write sends the vendor's command and parameters, and takes effect."""
    await call(client)
    assert _written(simulated_miner, command) == params
    assert check(simulated_miner.state)


async def test_pre_power_on(make_miner: MinerFactory) -> None:
    """Waiting, continuing, complete, as the miner preheats."""
    clock = Clock()
    miner = await make_miner(clock=clock)
    client = v2_client(miner)
    await client.power_off()
    assert await client.pre_power_on() is PrePowerOnState.WAITING
    clock.now += 10
    assert await client.pre_power_on() is PrePowerOnState.CONTINUING
    clock.now += 600
    assert await client.pre_power_on() is PrePowerOnState.COMPLETE


async def test_change_password(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """update_pwd sends old and new; afterwards the new password (and a new token) is used."""
    await client.change_password("New_pw8")
    assert _written(simulated_miner, "update_pwd") == {
        "old": MINER_PASSWORD,
        "new": "New_pw8",
    }
    assert simulated_miner.state.password == "New_pw8"
    tokens_before = simulated_miner.tokens_issued
    await client.set_hostname("after-change")
    assert simulated_miner.state.hostname == "after-change"
    assert simulated_miner.tokens_issued == tokens_before + 1


async def test_network(simulated_miner: SimulatedMiner, client: WhatsminerV2) -> None:
    """Static settings with space-separated DNS servers; DHCP as param=dhcp."""
    await client.set_network(
        NetworkConfig(
            "192.0.2.50",
            "255.255.255.0",
            "192.0.2.1",
            ("192.0.2.1", "1.1.1.1"),
            "rig-50",
        )
    )
    assert _written(simulated_miner, "net_config") == {
        "ip": "192.0.2.50",
        "mask": "255.255.255.0",
        "gate": "192.0.2.1",
        "dns": "192.0.2.1 1.1.1.1",
        "host": "rig-50",
    }
    network = simulated_miner.state.network
    assert (network.proto, network.ip, network.dns) == (
        "static",
        "192.0.2.50",
        "192.0.2.1 1.1.1.1",
    )
    simulated_miner.state.down_until = 0.0  # back from the restart at once
    simulated_miner.requests.clear()
    await client.set_network(None)
    assert _written(simulated_miner, "net_config") == {"param": "dhcp"}
    assert simulated_miner.state.network.proto == "dhcp"


async def test_download_logs(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """The two-phase download: JSON head with logfilelen, then the archive itself."""
    logs = await client.download_logs()
    with tarfile.open(fileobj=io.BytesIO(logs), mode="r:gz") as archive:
        member = archive.extractfile("btminer.log")
        assert member is not None
        text = member.read().decode()
    assert simulated_miner.state.model.variant in text
    assert _written(simulated_miner, "download_logs") == {}


async def test_update_firmware(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """One connection: request, "ready", 4-byte little-endian size, image; then it reboots."""
    image = bytes(range(256)) * 4096 + b"tail"
    await client.update_firmware(image)
    assert simulated_miner.state.firmware_uploads == [len(image)]
    assert _written(simulated_miner, "update_firmware") == {}
    assert simulated_miner.is_down()


# Tokens.


async def test_token_is_reused_until_shortly_before_it_expires(
    make_miner: MinerFactory,
) -> None:
    """One get_token for many writes; a new one after 28 minutes."""
    clock = Clock()
    miner = await make_miner(clock=clock)
    client = v2_client(miner, clock=clock)
    await client.set_hostname("one")
    await client.set_hostname("two")
    await client.verify_password()
    assert miner.tokens_issued == 1
    clock.now += TOKEN_REFRESH_AFTER - 1
    await client.set_hostname("three")
    assert miner.tokens_issued == 1
    clock.now += 2
    await client.set_hostname("four")
    assert miner.tokens_issued == 2


async def test_concurrent_writes_share_one_token(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """50 writes at once: one get_token."""
    await asyncio.gather(*(client.set_upfreq_speed(n % 10) for n in range(50)))
    assert simulated_miner.tokens_issued == 1
    assert _commands(simulated_miner).count("get_token") == 1
    assert _commands(simulated_miner).count("adjust_upfreq_speed") == 50


async def test_concurrent_writes_share_one_failure(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """50 writes at once while tokens are exhausted: one get_token, 50 token-limit errors."""
    simulated_miner.inject(Fault.TOKEN_LIMIT)
    results = await asyncio.gather(
        *(client.set_upfreq_speed(1) for _ in range(50)), return_exceptions=True
    )
    assert all(isinstance(result, WhatsminerTokenLimitError) for result in results)
    assert _commands(simulated_miner).count("get_token") == 1
    simulated_miner.clear_faults()
    await client.set_upfreq_speed(2)  # the failure is not cached
    assert simulated_miner.state.upfreq_speed == 2


async def test_cancelled_token_fetch_is_taken_over(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """If the writer fetching the token is cancelled, a waiting writer fetches it instead."""
    simulated_miner.inject(Fault.SLOW, commands={"get_token"}, count=1, delay=0.3)
    first = asyncio.create_task(client.set_upfreq_speed(3))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(client.set_upfreq_speed(4))
    await asyncio.sleep(0.05)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert simulated_miner.state.upfreq_speed == 4


async def test_cancelled_waiter_leaves_the_fetch_alone(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """A writer cancelled while waiting for the shared token does not cancel the fetch."""
    simulated_miner.inject(Fault.SLOW, commands={"get_token"}, count=1, delay=0.3)
    first = asyncio.create_task(client.set_upfreq_speed(5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(client.set_upfreq_speed(6))
    await asyncio.sleep(0.05)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    await first
    assert simulated_miner.state.upfreq_speed == 5
    assert simulated_miner.tokens_issued == 1


async def test_token_of_a_replaced_password_is_not_kept(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """A password replaced while a token is fetched: that token is not used afterwards."""
    simulated_miner.inject(Fault.SLOW, commands={"get_token"}, count=1, delay=0.3)
    write = asyncio.create_task(client.set_upfreq_speed(3))
    await asyncio.sleep(0.1)
    client.set_password("Other_1")
    await write  # sent with the token it fetched
    with pytest.raises(WhatsminerAuthError):
        await client.set_upfreq_speed(4)  # a new token, keyed to the new password
    assert simulated_miner.tokens_issued == 2
    assert simulated_miner.state.upfreq_speed == 3


async def test_check_token_error_refreshes_once(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """Code 135: a new token and one retry; twice in a row is the miner's error."""
    await client.set_hostname("warm-up")
    simulated_miner.inject(Fault.TOKEN_CHECK_ERROR, count=1)
    await client.set_hostname("after-135")
    assert simulated_miner.state.hostname == "after-135"
    assert simulated_miner.tokens_issued == 2
    simulated_miner.inject(Fault.TOKEN_CHECK_ERROR, count=2)
    with pytest.raises(WhatsminerCommandError) as caught:
        await client.set_hostname("never")
    assert caught.value.code == 135
    assert simulated_miner.state.hostname == "after-135"


async def test_concurrent_check_token_errors_share_one_new_token(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """Two writes rejected with 135 at once: each retries, with one new token between them."""
    await client.set_hostname("warm-up")
    simulated_miner.inject(Fault.TOKEN_CHECK_ERROR, count=2)
    await asyncio.gather(client.set_upfreq_speed(1), client.set_temperature_offset(-1))
    assert (simulated_miner.state.upfreq_speed, simulated_miner.state.temp_offset) == (
        1,
        -1,
    )
    assert simulated_miner.tokens_issued == 2


async def test_check_token_error_on_two_phase_commands(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """download_logs and update_firmware retry once after 135 too."""
    simulated_miner.inject(Fault.TOKEN_CHECK_ERROR, count=1, commands={"download_logs"})
    assert await client.download_logs()
    simulated_miner.inject(
        Fault.TOKEN_CHECK_ERROR, count=1, commands={"update_firmware"}
    )
    await client.update_firmware(b"image")
    assert simulated_miner.state.firmware_uploads == [5]


async def test_token_limit(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """136 "over max connect" is WhatsminerTokenLimitError."""
    simulated_miner.inject(Fault.TOKEN_LIMIT)
    with pytest.raises(WhatsminerTokenLimitError):
        await client.verify_password()


async def test_real_token_limit_of_the_miner(simulated_miner: SimulatedMiner) -> None:
    """Clients that fetch a token per write run into the miner's 32 tokens per IP."""
    for _ in range(32):
        await v2_client(simulated_miner).set_upfreq_speed(1)
    with pytest.raises(WhatsminerTokenLimitError):
        await v2_client(simulated_miner).set_upfreq_speed(1)


async def test_verify_password(
    simulated_miner: SimulatedMiner, client: WhatsminerV2
) -> None:
    """verify_password is an encrypted read of get_version: it changes nothing."""
    await client.verify_password()
    assert _written(simulated_miner, "get_version") == {}


async def test_wrong_password(simulated_miner: SimulatedMiner) -> None:
    """The miner cannot decrypt: code 23 "enc json load err" is WhatsminerAuthError."""
    client = v2_client(simulated_miner, password="wrong_1")
    with pytest.raises(WhatsminerAuthError, match="password is wrong"):
        await client.verify_password()
    with pytest.raises(WhatsminerAuthError):
        await client.set_hostname("x")
    assert simulated_miner.state.hostname == "WhatsMiner"


async def test_no_password(simulated_miner: SimulatedMiner) -> None:
    """Without a password a write fails before anything is sent; set_password fixes it."""
    client = v2_client(simulated_miner, password=None)
    with pytest.raises(WhatsminerAuthError, match="needs the miner's admin password"):
        await client.set_hostname("x")
    assert simulated_miner.requests == []
    client.set_password(MINER_PASSWORD)
    await client.set_hostname("with-password")
    assert simulated_miner.state.hostname == "with-password"


async def test_write_disabled(make_miner: MinerFactory) -> None:
    """A disabled write API ("can't access write cmd") fails checks and writes alike."""
    miner = await make_miner(write_enabled=False)
    client = v2_client(miner)
    with pytest.raises(WhatsminerWriteDisabledError):
        await client.verify_password()
    with pytest.raises(WhatsminerWriteDisabledError):
        await client.power_off()
    assert miner.state.mining is True


# The facade on top, with the API given.


async def test_facade_with_api_v2(simulated_miner: SimulatedMiner) -> None:
    """The facade drives the v2 backend; validation stops bad arguments before any request."""
    assert simulated_miner.v2_port is not None
    miner = Whatsminer(
        simulated_miner.host,
        password=MINER_PASSWORD,
        api=ApiVersion.V2,
        v2_port=simulated_miner.v2_port,
        reply_timeout=2.0,
    )
    for bad in (
        miner.set_power_limit(100_000),
        miner.set_power_percent(101),
        miner.set_target_frequency(-101),
        miner.set_temperature_offset(1),
        miner.set_upfreq_speed(10),
        miner.set_hostname("bad name"),
        miner.set_led(LedColor.GREEN, 0, 0, 0),
        miner.update_pools([]),
        miner.change_password("too_long_pw"),
        miner.set_log_server(LogServer("192.0.2.1", 70000, "udp")),
    ):
        with pytest.raises(WhatsminerValidationError):
            await bad
    assert simulated_miner.requests == []
    assert (await miner.fetch_fast()).mining is True
    await miner.set_power_limit(3200)
    assert simulated_miner.state.power_limit == 3200
    await miner.change_password("Fresh_1")
    await miner.set_hostname("via-facade")
    assert simulated_miner.state.hostname == "via-facade"
    await miner.close()


# Secrets.


async def test_password_never_in_errors_reprs_or_logs(
    make_miner: MinerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Every error path, with a distinctive password: not in str(), repr() or the log."""
    caplog.set_level(logging.DEBUG)
    miner = await make_miner()
    failures: list[BaseException] = []

    async def collect(call: Any) -> None:
        try:
            await call
        except WhatsminerError as err:
            failures.append(err)

    client = v2_client(miner)
    await collect(client.set_target_frequency(50))  # command error
    await collect(v2_client(miner, password="Wrong_pw").verify_password())  # auth
    miner.inject(Fault.TOKEN_CHECK_ERROR, count=2)
    await collect(client.set_hostname("x"))  # 135 twice
    miner.clear_faults()
    miner.inject(Fault.TOKEN_LIMIT, count=1)
    await collect(v2_client(miner).set_hostname("x"))  # token limit
    miner.state.write_enabled = False
    await collect(client.set_hostname("x"))  # write disabled
    miner.state.write_enabled = True
    miner.inject(Fault.GARBAGE, count=1)
    await collect(client.set_hostname("x"))  # invalid reply
    miner.inject(Fault.HANG, count=1)
    await collect(v2_client(miner, reply_timeout=0.2).set_hostname("x"))  # timeout
    miner.inject(Fault.RESET, count=1)
    await collect(client.set_hostname("x"))  # reset
    await collect(v2_client(miner, password=None).set_hostname("x"))  # no password
    # The new password must not leak either when the change fails.
    miner.state.password = "Other_pw"
    await collect(
        v2_client(miner, password="Other_pw").change_password(MINER_PASSWORD + "x")
    )
    assert len(failures) == 10
    for failure in failures:
        assert MINER_PASSWORD not in str(failure)
        assert MINER_PASSWORD not in repr(failure)
    assert MINER_PASSWORD not in repr(client)
    assert MINER_PASSWORD not in repr(client._token)  # noqa: SLF001
    assert MINER_PASSWORD not in caplog.text
    assert "Pw_7rq9Z" not in caplog.text


def test_repr_and_defaults() -> None:
    """The client describes itself without secrets and needs no connection to exist."""
    client = WhatsminerV2("192.0.2.9", password=MINER_PASSWORD)
    assert repr(client) == "WhatsminerV2(host='192.0.2.9', port=4028)"
    assert client.api is ApiVersion.V2
    assert v2_module.DEFAULT_PORT == 4028


async def test_close_is_harmless(client: WhatsminerV2) -> None:
    """Nothing is kept open; close() can be called any time."""
    await client.close()
    await client.identify()
    await client.close()


# Replies no simulated miner sends: a scripted miner with the real token and AES.

SCRIPT_SALT = "BQ5hoXV9"  # the reference example's salt, newsalt and time
SCRIPT_NEWSALT = "jbzkfQls"
SCRIPT_TIME = "5626"
type Script = Callable[
    [asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]
]


def _scripted_miner(
    scripts: dict[str, Script], token_message: dict[str, str] | None = None
) -> Handler:
    """A miner that hands out tokens and answers each encrypted command by script."""
    aes_key = crypto.v2_aes_key(crypto.v2_key(MINER_PASSWORD, SCRIPT_SALT))
    token = {"time": SCRIPT_TIME, "salt": SCRIPT_SALT, "newsalt": SCRIPT_NEWSALT}

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        buffer = b""
        while transport.json_object_end(buffer) is None:
            buffer += await reader.read(4096)
        request = json.loads(buffer)
        if request.get("cmd") == "get_token":
            message = token if token_message is None else token_message
            writer.write(
                json.dumps({"STATUS": "S", "Code": 134, "Msg": message}).encode()
            )
            return
        command = json.loads(crypto.aes_decrypt(aes_key, request["data"]))
        assert command["token"] == crypto.v2_sign(
            crypto.v2_key(MINER_PASSWORD, SCRIPT_SALT), SCRIPT_TIME, SCRIPT_NEWSALT
        )
        await scripts[command["cmd"]](reader, writer, aes_key)

    return handler


def _encrypted(aes_key: bytes, reply: dict[str, Any]) -> bytes:
    return json.dumps(
        {"enc": crypto.aes_encrypt(aes_key, json.dumps(reply).encode())}
    ).encode()


def _answer(body: bytes | Callable[[bytes], bytes]) -> Script:
    async def script(
        _reader: asyncio.StreamReader, writer: asyncio.StreamWriter, aes_key: bytes
    ) -> None:
        writer.write(body(aes_key) if callable(body) else body)
        await writer.drain()

    return script


async def _scripted_client(raw_server: ServerFactory, handler: Handler) -> WhatsminerV2:
    port = await raw_server(handler)
    return WhatsminerV2(
        "127.0.0.1", port=port, password=MINER_PASSWORD, reply_timeout=1.0
    )


async def test_scripted_miner_speaks_like_the_reference(
    raw_server: ServerFactory,
) -> None:
    """The scripted miner itself: a write answered in ciphertext goes through."""
    ok = {"STATUS": "S", "Code": 131, "Msg": "API command OK"}
    client = await _scripted_client(
        raw_server,
        _scripted_miner({"set_hostname": _answer(lambda key: _encrypted(key, ok))}),
    )
    await client.set_hostname("scripted")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b'{"enc": 5}', "holds no ciphertext"),
        (b'{"enc": "not base64!"}', "does not decrypt"),
        (b'{"enc": "AAAA"}', "does not decrypt"),
    ],
)
async def test_encrypted_replies_that_are_not(
    raw_server: ServerFactory, body: bytes, match: str
) -> None:
    """An "enc" reply that holds no usable ciphertext is an invalid reply."""
    client = await _scripted_client(
        raw_server, _scripted_miner({"set_hostname": _answer(body)})
    )
    with pytest.raises(WhatsminerInvalidReplyError, match=match):
        await client.set_hostname("x")


async def test_token_reply_without_salts(raw_server: ServerFactory) -> None:
    """A get_token reply without time, salt and newsalt is an invalid reply."""
    client = await _scripted_client(
        raw_server, _scripted_miner({}, token_message={"time": "1234"})
    )
    with pytest.raises(
        WhatsminerInvalidReplyError, match="without time, salt and newsalt"
    ):
        await client.verify_password()


async def test_firmware_refused_before_upload(raw_server: ServerFactory) -> None:
    """A miner that answers anything but "ready" gets no image."""
    busy = {"STATUS": "S", "Code": 131, "Msg": "busy"}
    client = await _scripted_client(
        raw_server,
        _scripted_miner(
            {"update_firmware": _answer(lambda key: _encrypted(key, busy))}
        ),
    )
    with pytest.raises(WhatsminerCommandError, match="busy"):
        await client.update_firmware(b"image")


@pytest.mark.parametrize(
    ("final", "error"),
    [
        ({"STATUS": "S", "Code": 131, "Msg": "upgrading"}, None),
        ({"STATUS": "E", "Code": 132, "Msg": "bad image"}, WhatsminerCommandError),
    ],
)
async def test_firmware_final_reply_is_judged(
    raw_server: ServerFactory,
    final: dict[str, Any],
    error: type[WhatsminerError] | None,
) -> None:
    """A miner that answers after the upload is taken at its word."""
    received: list[bytes] = []

    async def upgrade(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, aes_key: bytes
    ) -> None:
        writer.write(_encrypted(aes_key, {"STATUS": "S", "Code": 131, "Msg": "ready"}))
        await writer.drain()
        size = int.from_bytes(await reader.readexactly(4), "little")
        received.append(await reader.readexactly(size))
        writer.write(_encrypted(aes_key, final))

    client = await _scripted_client(
        raw_server, _scripted_miner({"update_firmware": upgrade})
    )
    if error is None:
        await client.update_firmware(b"\x7fELF image")
    else:
        with pytest.raises(error, match="bad image"):
            await client.update_firmware(b"\x7fELF image")
    assert received == [b"\x7fELF image"]


async def test_oversized_log_announcement(raw_server: ServerFactory) -> None:
    """A log size over 64 MiB is refused before any of it is read."""
    head = {"STATUS": "S", "Code": 131, "Msg": {"logfilelen": str(2**31)}}
    client = await _scripted_client(
        raw_server,
        _scripted_miner({"download_logs": _answer(lambda key: _encrypted(key, head))}),
    )
    with pytest.raises(WhatsminerInvalidReplyError, match="over 67108864"):
        await client.download_logs()
