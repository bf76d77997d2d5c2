"""The API v3 client against the simulator's v3 listener, over real TCP on 127.0.0.1.

Every miner here runs on a frozen clock the test moves, so figures are exact and
a 300 s idle close can be shown without waiting.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.hashwatt.clients.whatsminer import transport_v3
from custom_components.hashwatt.clients.whatsminer.errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerConnectionError,
    WhatsminerError,
    WhatsminerPermissionError,
    WhatsminerTimeoutError,
    WhatsminerUnsupportedError,
    WhatsminerWriteDisabledError,
)
from custom_components.hashwatt.clients.whatsminer.models import (
    ApiVersion,
    HeatMode,
    LedColor,
    LogServer,
    MinerError,
    NetworkConfig,
    PoolConfig,
    PowerMode,
    PowerPercentMode,
    PrePowerOnState,
)
from custom_components.hashwatt.clients.whatsminer.v3 import WhatsminerV3
from simulator.whatsminer import (
    Fault,
    LedPattern,
    LogServer as SimulatedLogServer,
    SimulatedMiner,
)

from .conftest import MINER_PASSWORD, MinerFactory

START = 1_773_869_570.0


class FrozenClock:
    """The simulated miner's clock: still until a test moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Rig:
    """A simulated v3 miner, a client for it, and the connections the miner accepted."""

    miner: SimulatedMiner
    client: WhatsminerV3
    clock: FrozenClock
    accepted: list[object] = field(default_factory=list)

    @property
    def connections(self) -> int:
        return len(self.accepted)

    def commands(self) -> list[str | None]:
        return [
            request.command for request in self.miner.requests if request.api == "v3"
        ]

    def writes(self, command: str) -> list[Any]:
        return [
            r for r in self.miner.requests if r.api == "v3" and r.command == command
        ]


def v3_client(
    miner: SimulatedMiner, password: str | None = MINER_PASSWORD, **options: Any
) -> WhatsminerV3:
    """Return an API v3 client for a simulated miner, with short timeouts."""
    options.setdefault("connect_timeout", 2.0)
    options.setdefault("reply_timeout", 2.0)
    assert miner.v3_port is not None
    return WhatsminerV3(miner.host, port=miner.v3_port, password=password, **options)


@pytest.fixture(autouse=True)
def tcp_on_loopback(socket_enabled: None) -> None:
    """Let these tests open TCP sockets (the harness still allows only 127.0.0.1)."""


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    """An M50 on new firmware (API v3) with write access and ``MINER_PASSWORD``."""
    clock = FrozenClock()
    miner = SimulatedMiner(
        "M50", api="v3", password=MINER_PASSWORD, seed=7, clock=clock
    )
    accepted: list[object] = []
    serve = miner._on_v3

    async def counting(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        accepted.append(writer.get_extra_info("peername"))
        await serve(reader, writer)

    miner._on_v3 = counting  # type: ignore[method-assign]
    await miner.start()
    client = v3_client(miner)
    try:
        yield Rig(miner, client, clock, accepted)
    finally:
        await client.close()
        await miner.stop()


# Reads


async def test_identify(rig: Rig):
    identity = await rig.client.identify()
    state = rig.miner.state
    assert identity.api is ApiVersion.V3
    assert identity.mac == state.mac
    assert identity.hostname == "WhatsMiner"
    assert identity.model == "M50VH50"  # v2's spelling, not v3's "M50_VH50"
    assert identity.serial_number == state.miner_sn
    assert identity.firmware_version == state.firmware_version
    assert rig.commands() == ["get.device.info"]


async def test_fast_poll_reports_what_the_miner_measures(rig: Rig):
    fast = await rig.client.fetch_fast()
    reading = rig.miner.reading()
    summary = fast.summary
    assert fast.mining is True
    assert summary.hashrate_realtime == round(reading.hashrate, 3)
    assert summary.hashrate_average == round(reading.hashrate_avg, 3)
    assert summary.hashrate_factory == round(reading.factory, 3)
    assert summary.power == reading.power
    assert summary.power_limit == rig.miner.state.power_limit
    assert summary.efficiency == pytest.approx(
        reading.power / reading.hashrate, abs=1e-3
    )
    assert summary.power_mode is PowerMode.NORMAL
    assert summary.environment_temperature == reading.env_temp
    assert summary.chip_temperature_max == reading.chip_max
    assert (summary.fan_speed_in, summary.fan_speed_out) == (
        reading.fan_in,
        reading.fan_out,
    )
    assert summary.mining_elapsed == reading.elapsed
    assert summary.system_uptime == reading.uptime
    # API v3 pools carry no share counters (captured:
    # v3/asic-rs__M60S_VK40__get.miner.status.pools.raw).
    assert summary.accepted_shares is None
    assert summary.rejected_shares is None
    assert summary.frequency_avg == reading.frequency_avg
    assert summary.fast_boot is False
    assert len(fast.boards) == len(reading.boards) == 3
    for board, measured, serial in zip(
        fast.boards, reading.boards, rig.miner.state.board_sns, strict=True
    ):
        assert board.index == measured.index
        assert board.temperature == measured.temperature
        assert board.hashrate_realtime == round(measured.hashrate, 3)
        assert board.chip_frequency == measured.frequency
        assert board.effective_chips == measured.effective_chips
        assert board.serial_number == serial


async def test_fast_poll_takes_two_requests_on_one_kept_connection(rig: Rig):
    await rig.client.fetch_fast()
    # The first poll also reads the power mode once.
    assert rig.commands() == [
        "get.miner.status",
        "get.device.info",
        "get.miner.setting",
    ]
    status = rig.miner.requests[0]
    assert status.params == {"param": "summary+pools+edevs"}
    for _ in range(3):
        rig.miner.requests.clear()
        await rig.client.fetch_fast()
        assert rig.commands() == ["get.miner.status", "get.device.info"]
    assert rig.connections == 1
    assert rig.client.connections_opened == 1


async def test_slow_poll(rig: Rig):
    state = rig.miner.state
    rig.miner.add_error(531, at=START - 3600, reason="Slot1 not found.")
    state.temp_offset, state.poweroff_cool, state.fan_zero_speed = -5, False, True
    state.upfreq_speed, state.target_freq, state.web_pools = 4, -10, False
    await rig.client.fetch_fast()
    rig.miner.requests.clear()

    slow = await rig.client.fetch_slow()

    assert rig.commands() == [
        "get.device.info",
        "get.miner.status",
        "get.miner.setting",
        "get.fan.setting",
    ]
    assert rig.connections == 1
    assert slow.identity == await rig.client.identify()
    assert slow.version.api_version == "3.0.2"
    assert slow.version.firmware_version == state.firmware_version
    assert slow.version.firmware_date is not None
    assert slow.version.firmware_date.isoformat() == "2025-02-14"
    assert slow.info.mac == state.mac
    assert slow.info.ip == rig.miner.host
    assert slow.info.miner_serial == state.miner_sn
    assert slow.info.power_serial == state.psu_sn
    assert slow.psu is not None
    assert slow.psu.serial_number == state.psu_sn
    assert slow.psu.input_voltage == round(rig.miner.reading().psu_vin, 1)
    shanghai = datetime.fromtimestamp(START - 3600, ZoneInfo("Asia/Shanghai"))
    assert slow.errors == (MinerError(531, shanghai.replace(tzinfo=None)),)
    assert [(pool.url, pool.worker) for pool in slow.pools] == [
        (pool.url, pool.worker) for pool in state.pools
    ]
    assert slow.pools[0].stratum_active
    settings = slow.settings
    assert settings.temperature_offset == -5
    assert settings.poweroff_cool is False
    assert settings.fan_zero_speed is True
    assert settings.upfreq_speed == 4
    assert settings.target_frequency == -10
    # No capture shows "web-pool" in get.device.info (v3/asic-rs__M60S_VK40__
    # get.device.info.raw, v3/controller__M64_VL40__get.device.info.raw), and no
    # other read is known to report it: MinerSettings has no such field.
    assert not hasattr(settings, "web_pools")
    assert settings.power_percent == 100


async def test_a_stopped_miner_is_not_mining(rig: Rig):
    await rig.client.power_off()
    fast = await rig.client.fetch_fast()
    assert fast.mining is False
    assert not fast.summary.hashrate_realtime


async def test_a_status_refused_while_stopped_still_reads(rig: Rig):
    """Firmware that refuses get.miner.status with btminer stopped: not mining, no figures."""
    from simulator.whatsminer.v3 import V3Error

    answer_status = rig.miner._v3._reads["get.miner.status"]

    def refuse_while_stopped(param: object, now: float) -> object:
        if not rig.miner.state.mining or rig.miner.state.extra.get("refuse"):
            raise V3Error(-1, "btminer is not running")
        return answer_status(param, now)

    rig.miner._v3._reads["get.miner.status"] = refuse_while_stopped
    rig.miner.state.mining = False
    fast = await rig.client.fetch_fast()
    assert fast.mining is False
    assert fast.boards == ()
    assert fast.summary.hashrate_realtime is None

    # While mining, a refused status is an error, not an idle miner.
    rig.miner.state.mining = True
    rig.miner.state.extra["refuse"] = True
    with pytest.raises(WhatsminerCommandError, match="not running"):
        await rig.client.fetch_fast()


async def test_unknown_power_is_none(rig: Rig):
    rig.miner.inject(Fault.POWER_UNKNOWN, api="v3")
    fast = await rig.client.fetch_fast()
    assert fast.summary.power is None
    assert fast.summary.hashrate_realtime


async def test_firmware_without_fan_settings_is_asked_once(rig: Rig):
    del rig.miner._v3._reads["get.fan.setting"]
    first = await rig.client.fetch_slow()
    second = await rig.client.fetch_slow()
    assert first.settings.temperature_offset is None
    assert second.settings.poweroff_cool is None
    assert first.settings.upfreq_speed == 0  # get.miner.setting still answers
    assert rig.commands().count("get.fan.setting") == 1


async def test_polls_share_the_connection_when_run_together(rig: Rig):
    fast, slow, identity = await asyncio.gather(
        rig.client.fetch_fast(), rig.client.fetch_slow(), rig.client.identify()
    )
    assert fast.mining
    assert slow.identity == identity
    assert rig.connections == 1


async def test_download_logs(rig: Rig):
    logs = await rig.client.download_logs()
    assert logs == rig.miner.log_archive(rig.clock.now)
    assert logs[:2] == b"\x1f\x8b"  # a gzip archive
    # The archive ends the connection's framing: the next request opens a new one.
    assert (await rig.client.fetch_fast()).mining
    assert rig.connections == 2


# Writes


@dataclass(frozen=True)
class Write:
    """One write through the client, the command it sends, and what it changes."""

    call: Callable[[WhatsminerV3], Awaitable[object]]
    command: str
    param: object
    check: Callable[[SimulatedMiner], bool]
    prepare: Callable[[SimulatedMiner], None] = lambda _miner: None


def _blinking(miner: SimulatedMiner) -> None:
    miner.state.led = (LedPattern("green", 500, 250, 0),)


WRITES = {
    "power_off": Write(
        lambda c: c.power_off(),
        "set.miner.service",
        "stop",
        lambda m: not m.state.mining,
    ),
    "set_power_mode": Write(
        lambda c: c.set_power_mode(PowerMode.HIGH),
        "set.miner.power_mode",
        "high",
        lambda m: m.state.power_mode == "High",
    ),
    "set_power_limit": Write(
        lambda c: c.set_power_limit(3000),
        "set.miner.power_limit",
        3000,
        lambda m: m.state.power_limit == 3000,
    ),
    "set_power_percent_fast": Write(
        lambda c: c.set_power_percent(80, PowerPercentMode.FAST),
        "set.miner.power_percent",
        {"percent": "80", "mode": "fast"},
        lambda m: (m.state.power_percent, m.state.power_percent_mode) == (80, "fast"),
    ),
    "set_power_percent_normal": Write(
        lambda c: c.set_power_percent(70, PowerPercentMode.NORMAL),
        "set.miner.power_percent",
        {"percent": "70", "mode": "normal"},
        lambda m: (m.state.power_percent, m.state.power_percent_mode) == (70, "normal"),
    ),
    "set_target_frequency": Write(
        lambda c: c.set_target_frequency(-15),
        "set.miner.target_freq",
        -15,
        lambda m: m.state.target_freq == -15,
    ),
    "set_led": Write(
        lambda c: c.set_led(LedColor.RED, 1000, 400, 100),
        "set.system.led",
        [{"color": "red", "period": 1000, "duration": 400, "start": 100}],
        lambda m: m.state.led == (LedPattern("red", 1000, 400, 100),),
    ),
    "set_led_auto": Write(
        lambda c: c.set_led_auto(),
        "set.system.led",
        "auto",
        lambda m: m.state.led == "auto",
        _blinking,
    ),
    "update_pools": Write(
        lambda c: c.update_pools(
            (
                PoolConfig("stratum+tcp://pool.example.com:3333", "acct.w1", "x"),
                PoolConfig("stratum+ssl://backup.example.com:443", "acct.w1"),
            )
        ),
        "set.miner.pools",
        [
            {
                "pool": "stratum+tcp://pool.example.com:3333",
                "worker": "acct.w1",
                "passwd": "x",
            },
            {
                "pool": "stratum+ssl://backup.example.com:443",
                "worker": "acct.w1",
                "passwd": "",
            },
        ],
        lambda m: (
            [(p.url, p.worker, p.password) for p in m.state.pools]
            == [
                ("stratum+tcp://pool.example.com:3333", "acct.w1", "x"),
                ("stratum+ssl://backup.example.com:443", "acct.w1", ""),
            ]
        ),
    ),
    "set_fast_boot": Write(
        lambda c: c.set_fast_boot(True),
        "set.miner.fastboot",
        "enable",
        lambda m: m.state.fast_boot,
    ),
    "set_web_pools": Write(
        lambda c: c.set_web_pools(False),
        "set.system.webpools",
        "disable",
        lambda m: not m.state.web_pools,
    ),
    "set_hostname": Write(
        lambda c: c.set_hostname("rack4-m50"),
        "set.system.hostname",
        {"hostname": "rack4-m50"},
        lambda m: m.state.hostname == "rack4-m50",
    ),
    "set_timezone": Write(
        lambda c: c.set_timezone("CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Berlin"),
        "set.system.timezone",
        {"timezone": "CET-1CEST,M3.5.0,M10.5.0/3", "zonename": "Europe/Berlin"},
        lambda m: (
            (m.state.timezone, m.state.zonename)
            == ("CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Berlin")
        ),
    ),
    "set_temperature_offset": Write(
        lambda c: c.set_temperature_offset(-7),
        "set.fan.temp_offset",
        -7,
        lambda m: m.state.temp_offset == -7,
    ),
    "set_upfreq_speed": Write(
        lambda c: c.set_upfreq_speed(6),
        "set.miner.upfreq_speed",
        6,
        lambda m: m.state.upfreq_speed == 6,
    ),
    "set_power": Write(
        lambda c: c.set_power(2400),
        "set.miner.power",
        2400,
        lambda m: m.state.power_target == 2400,
    ),
    "set_upfreq_speed_10": Write(
        lambda c: c.set_upfreq_speed(10),
        "set.miner.upfreq_speed",
        10,
        lambda m: m.state.upfreq_speed == 10,
    ),
    "set_poweroff_cool": Write(
        lambda c: c.set_poweroff_cool(False),
        "set.fan.poweroff_cool",
        0,
        lambda m: not m.state.poweroff_cool,
    ),
    "set_fan_zero_speed": Write(
        lambda c: c.set_fan_zero_speed(True),
        "set.fan.zero_speed",
        1,
        lambda m: m.state.fan_zero_speed,
    ),
    "set_log_server": Write(
        lambda c: c.set_log_server(LogServer("192.0.2.5", 514, "udp")),
        "set.log.upload",
        {"ip": "192.0.2.5", "port": "514", "proto": "udp"},
        lambda m: m.state.log_server == SimulatedLogServer("192.0.2.5", "514", "udp"),
    ),
}


@pytest.mark.parametrize("name", WRITES)
async def test_write(rig: Rig, name: str):
    write = WRITES[name]
    write.prepare(rig.miner)
    assert not write.check(rig.miner)
    assert await write.call(rig.client) is None
    assert write.check(rig.miner)
    (request,) = rig.writes(write.command)
    assert request.authenticated
    assert request.params["param"] == write.param
    assert request.params["account"] == "super"
    assert isinstance(request.params["ts"], int)
    # Commands that restart btminer get a connection of their own (see below).
    assert rig.connections == (2 if write.command == "set.miner.service" else 1)


async def test_power_on_and_restart(rig: Rig):
    await rig.client.power_off()
    await rig.client.power_on()
    assert rig.miner.state.mining
    rig.clock.advance(3600)
    await rig.client.restart_mining()
    assert rig.miner.state.mining_since == rig.clock.now
    assert [r.params["param"] for r in rig.writes("set.miner.service")] == [
        "stop",
        "start",
        "restart",
    ]


async def test_power_mode_set_here_shows_in_the_fast_poll(rig: Rig):
    await rig.client.fetch_fast()
    await rig.client.set_power_mode(PowerMode.LOW)
    assert (await rig.client.fetch_fast()).summary.power_mode is PowerMode.LOW
    # Changed elsewhere: the slow poll brings it in.
    rig.miner.state.power_mode = "High"
    await rig.client.fetch_slow()
    assert (await rig.client.fetch_fast()).summary.power_mode is PowerMode.HIGH


async def test_pools_travel_encrypted(rig: Rig):
    """The miner only gets the pools by decrypting them with the token's digest."""
    sent: list[bytes] = []
    handle = rig.miner._v3.handle

    def spy(raw: bytes, client_ip: str, now: float) -> object:
        sent.append(raw)
        return handle(raw, client_ip, now)

    rig.miner._v3.handle = spy
    await rig.client.update_pools(
        (PoolConfig("stratum+tcp://secret.example:3333", "acct.w", "poolpw"),)
    )
    (wire,) = [raw for raw in sent if b"set.miner.pools" in raw]
    assert b"secret.example" not in wire
    assert b"poolpw" not in wire
    assert rig.miner.state.pools[0].password == "poolpw"


async def test_change_password(rig: Rig):
    await rig.client.change_password("N3w_super_password")
    assert rig.miner.state.accounts["super"] == "N3w_super_password"
    (request,) = rig.writes("set.user.change_passwd")
    assert request.params["param"] == {
        "account": "super",
        "new": "N3w_super_password",
        "old": MINER_PASSWORD,
    }
    # Later writes use the new password.
    await rig.client.set_power_limit(3100)
    assert rig.miner.state.power_limit == 3100


async def test_heat_mode_on_a_liquid_cooled_miner(make_miner: MinerFactory):
    miner = await make_miner(api="v3", model="M63S")
    client = v3_client(miner)
    try:
        assert (await client.fetch_slow()).settings.heat_mode is HeatMode.NORMAL
        await client.set_heat_mode(HeatMode.ANTI_FREEZING)
        assert miner.state.heat_mode == "anti-freezing"
        assert (await client.fetch_slow()).settings.heat_mode is HeatMode.ANTI_FREEZING
    finally:
        await client.close()


async def test_heat_mode_on_an_air_cooled_miner(rig: Rig):
    assert (await rig.client.fetch_slow()).settings.heat_mode is None
    with pytest.raises(WhatsminerCommandError, match="liquid-cooled"):
        await rig.client.set_heat_mode(HeatMode.HEATING)


async def test_pre_power_on(rig: Rig):
    with pytest.raises(WhatsminerCommandError, match="stop the mining service"):
        await rig.client.pre_power_on()
    await rig.client.power_off()
    assert await rig.client.pre_power_on() is PrePowerOnState.WAITING
    rig.clock.advance(30)
    assert await rig.client.pre_power_on() is PrePowerOnState.CONTINUING
    rig.clock.advance(120)
    assert await rig.client.pre_power_on() is PrePowerOnState.COMPLETE


async def test_reboot(rig: Rig):
    await rig.client.fetch_fast()
    await rig.client.reboot()
    assert rig.miner.is_down()
    assert len(rig.writes("set.system.reboot")) == 1
    rig.clock.advance(rig.miner.reboot_downtime + 1)
    assert (await rig.client.fetch_fast()).mining
    assert rig.connections == 3  # poll, reboot on a fresh one, poll after the reboot


async def test_factory_reset(rig: Rig):
    await rig.client.factory_reset()
    state = rig.miner.state
    assert rig.miner.is_down()
    assert state.accounts["super"] == "super"
    assert not state.write_enabled
    assert len(rig.writes("set.system.factory_reset")) == 1


async def test_static_network(rig: Rig):
    config = NetworkConfig(
        "192.0.2.20",
        "255.255.255.0",
        "192.0.2.1",
        ("192.0.2.1", "1.1.1.1"),
        "rack4-m50",
    )
    await rig.client.set_network(config)
    state = rig.miner.state
    assert state.hostname == "rack4-m50"
    assert (state.network.proto, state.network.ip) == ("static", "192.0.2.20")
    assert (state.network.netmask, state.network.gateway) == (
        "255.255.255.0",
        "192.0.2.1",
    )
    assert state.network.dns == "192.0.2.1 1.1.1.1"
    assert rig.miner.is_down()
    assert rig.commands()[-2:] == ["set.system.hostname", "set.system.net_config"]


async def test_dhcp(rig: Rig):
    rig.miner.state.network.proto = "static"
    await rig.client.set_network(None)
    assert rig.miner.state.network.proto == "dhcp"
    (request,) = rig.writes("set.system.net_config")
    assert request.params["param"] == "dhcp"


async def test_update_firmware(rig: Rig):
    image = bytes(range(256)) * 800
    await rig.client.update_firmware(image)
    assert rig.miner.state.firmware_uploads == [len(image)]
    assert rig.miner.is_down()


async def test_update_firmware_refused(rig: Rig):
    rig.miner.state.write_enabled = False
    with pytest.raises(WhatsminerWriteDisabledError):
        await rig.client.update_firmware(b"image")
    assert rig.miner.state.firmware_uploads == []


# Salt and password


async def test_salt_is_fetched_once(rig: Rig):
    await rig.client.set_power_limit(3000)
    await rig.client.set_upfreq_speed(3)
    salt_requests = [r for r in rig.miner.requests if r.params.get("param") == "salt"]
    assert len(salt_requests) == 1


async def test_writes_at_the_same_time_share_one_salt_fetch(rig: Rig):
    await asyncio.gather(
        rig.client.set_power_limit(3000), rig.client.set_upfreq_speed(3)
    )
    assert (rig.miner.state.power_limit, rig.miner.state.upfreq_speed) == (3000, 3)
    assert len([r for r in rig.miner.requests if r.params.get("param") == "salt"]) == 1


async def test_salt_from_device_info_is_used(rig: Rig):
    await rig.client.fetch_slow()
    await rig.client.set_power_limit(3000)
    assert not [r for r in rig.miner.requests if r.params.get("param") == "salt"]


async def test_a_changed_salt_is_fetched_again_once(rig: Rig):
    await rig.client.set_power_limit(3000)
    rig.miner.state.v3_salt = "n3wSalt."
    await rig.client.set_power_limit(3200)
    assert rig.miner.state.power_limit == 3200
    attempts = rig.writes("set.miner.power_limit")
    assert [r.authenticated for r in attempts] == [True, False, True]
    assert len([r for r in rig.miner.requests if r.params.get("param") == "salt"]) == 2


async def test_wrong_password(rig: Rig, caplog: pytest.LogCaptureFixture):
    client = v3_client(rig.miner, password="Wrong_pw_1")
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(WhatsminerAuthError) as caught:
            await client.set_power_limit(3000)
    finally:
        await client.close()
    assert rig.miner.state.power_limit != 3000
    assert "Wrong_pw_1" not in str(caught.value)
    assert "Wrong_pw_1" not in caplog.text
    # Fresh salt, refused; no second attempt with the same salt.
    assert [r.authenticated for r in rig.writes("set.miner.power_limit")] == [False]


async def test_no_password_sends_nothing(rig: Rig):
    client = v3_client(rig.miner, password=None)
    try:
        with pytest.raises(WhatsminerAuthError):
            await client.power_off()
    finally:
        await client.close()
    assert rig.miner.requests == []
    client.set_password(MINER_PASSWORD)


async def test_set_password(rig: Rig):
    client = v3_client(rig.miner, password="Wrong_pw_1")
    try:
        client.set_password(MINER_PASSWORD)
        await client.set_upfreq_speed(2)
    finally:
        await client.close()
    assert rig.miner.state.upfreq_speed == 2


async def test_writes_switched_off(rig: Rig):
    rig.miner.state.write_enabled = False
    with pytest.raises(WhatsminerWriteDisabledError, match="WhatsMinerTool"):
        await rig.client.set_power_limit(3000)
    with pytest.raises(WhatsminerWriteDisabledError):
        await rig.client.verify_password()


async def test_set_power_keeps_mining(rig: Rig):
    """set.miner.power lowers the draw at once without restarting btminer."""
    mining_since = rig.miner.state.mining_since
    await rig.client.set_power(2000)
    rig.clock.advance(30)
    fast = await rig.client.fetch_fast()
    assert fast.mining
    assert fast.summary.power is not None
    assert abs(fast.summary.power - 2000) < 100
    assert rig.miner.state.mining_restarts == 0
    assert rig.miner.state.mining_since == mining_since


async def test_a_limited_account_signs_with_its_name(rig: Rig):
    """user1 writes what super granted it; anything else is refused by name."""
    rig.miner.state.permissions["user1"] = frozenset({"set.miner.power"})
    client = v3_client(rig.miner, password="user1", account="user1")
    try:
        await client.verify_password()  # may not run the probe: the token passed
        await client.set_power(2200)
        assert rig.miner.state.power_target == 2200
        limit = rig.miner.state.power_limit
        with pytest.raises(WhatsminerPermissionError) as refused:
            await client.set_power_limit(2200)
        assert refused.value.command == "set.miner.power_limit"
        assert refused.value.account == "user1"
        assert str(refused.value) == (
            "set.miner.power_limit refused by the miner (code -4): "
            "account user1 may not run set.miner.power_limit"
        )
        assert rig.miner.state.power_limit == limit
    finally:
        await client.close()
    (request,) = rig.writes("set.miner.power")
    assert request.params["account"] == "user1"
    # A wrong password is still a wrong password.
    client = v3_client(rig.miner, password="Wrong_pw_1", account="user1")
    try:
        with pytest.raises(WhatsminerAuthError):
            await client.verify_password()
    finally:
        await client.close()


async def test_a_limited_account_tells_a_switched_off_write_api(rig: Rig):
    """No permission to user1 means its rights, unless device info says writes are off."""
    client = v3_client(rig.miner, password="user1", account="user1")
    try:
        await client.verify_password()
        rig.miner.state.write_enabled = False
        with pytest.raises(WhatsminerWriteDisabledError):
            await client.verify_password()
    finally:
        await client.close()


async def test_a_limited_account_changes_its_own_password(rig: Rig):
    rig.miner.state.permissions["user2"] = frozenset({"set.user.change_passwd"})
    client = v3_client(rig.miner, password="user2", account="user2")
    try:
        await client.change_password("ha_user2")
    finally:
        await client.close()
    assert rig.miner.state.accounts["user2"] == "ha_user2"
    assert rig.miner.state.accounts["super"] == MINER_PASSWORD


async def test_super_without_write_access_is_still_write_disabled(rig: Rig):
    """Only super's "no permission" means the write API is off."""
    rig.miner.state.write_enabled = False
    with pytest.raises(WhatsminerWriteDisabledError) as refused:
        await rig.client.set_power(2000)
    assert not isinstance(refused.value, WhatsminerPermissionError)


async def test_verify_password(rig: Rig):
    await rig.client.verify_password()
    (request,) = rig.writes("set.miner.report")
    assert request.params["param"] == {"gap": 0}
    client = v3_client(rig.miner, password="Wrong_pw_1")
    try:
        with pytest.raises(WhatsminerAuthError):
            await client.verify_password()
    finally:
        await client.close()


async def test_verify_password_without_report_command(rig: Rig):
    """Firmware without set.miner.report: its fast-boot setting is written back unchanged."""
    del rig.miner._v3._writes["set.miner.report"]
    rig.miner.state.fast_boot = True
    await rig.client.verify_password()
    (request,) = rig.writes("set.miner.fastboot")
    assert request.authenticated
    assert request.params["param"] == "enable"
    assert rig.miner.state.fast_boot is True

    client = v3_client(rig.miner, password="Wrong_pw_1")
    try:
        with pytest.raises(WhatsminerAuthError):
            await client.verify_password()
    finally:
        await client.close()


async def test_verify_password_reads_any_refusal_as_the_password(rig: Rig):
    """The probe changes nothing, so a plain -1 can only be the token."""
    from simulator.whatsminer.v3 import V3Error

    def refuse(_param: object, _now: float) -> None:
        raise V3Error(-1, "failed")

    rig.miner._v3._writes["set.miner.report"] = refuse
    with pytest.raises(WhatsminerAuthError):
        await rig.client.verify_password()


async def test_unsupported_command(rig: Rig):
    del rig.miner._v3._writes["set.miner.pre_power_on"]
    with pytest.raises(WhatsminerUnsupportedError) as caught:
        await rig.client.pre_power_on()
    assert caught.value.code == -2
    assert caught.value.command == "set.miner.pre_power_on"


# The kept connection


async def test_reconnects_after_the_miner_closed_an_idle_connection(rig: Rig):
    await rig.client.fetch_fast()
    rig.clock.advance(301)  # the miner dropped the connection after 300 s idle
    fast = await rig.client.fetch_fast()
    assert fast.mining
    assert rig.connections == 2


async def test_a_connection_the_miner_closed_is_replaced_before_a_write(rig: Rig):
    await rig.client.fetch_fast()
    await rig.miner.change_address()  # drops every open connection
    await asyncio.sleep(0.05)  # the close reaches the client
    await rig.client.set_power_limit(3000)
    assert rig.miner.state.power_limit == 3000
    assert len(rig.writes("set.miner.power_limit")) == 1
    assert rig.connections == 2


async def test_an_idle_kept_connection_is_replaced_before_the_miner_closes_it(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
):
    await rig.client.fetch_slow()  # the salt comes with it
    monkeypatch.setattr(transport_v3, "IDLE_REUSE_SECONDS", 0.0)
    await asyncio.sleep(0.01)
    await rig.client.set_power_limit(3000)
    assert rig.connections == 2
    assert len(rig.writes("set.miner.power_limit")) == 1


async def test_a_read_is_sent_again_when_the_kept_connection_dies(rig: Rig):
    await rig.client.fetch_fast()
    rig.miner.inject(Fault.RESET, count=1, commands={"get.miner.status"}, api="v3")
    assert (await rig.client.fetch_fast()).mining
    assert rig.commands().count("get.miner.status") == 3
    assert rig.connections == 2


async def test_a_read_on_a_new_connection_is_not_retried(rig: Rig):
    rig.miner.inject(Fault.RESET, count=1, commands={"get.miner.status"}, api="v3")
    with pytest.raises(WhatsminerConnectionError):
        await rig.client.fetch_fast()
    assert rig.commands() == ["get.miner.status"]


async def test_a_write_whose_reply_is_lost_is_never_sent_twice(rig: Rig):
    await rig.client.fetch_fast()
    rig.miner.inject(Fault.RESET, count=1, commands={"set.miner.power_limit"}, api="v3")
    with pytest.raises(WhatsminerConnectionError):
        await rig.client.set_power_limit(3000)
    assert len(rig.writes("set.miner.power_limit")) == 1
    assert rig.miner.state.power_limit == 3000  # it did run, once


async def test_a_restart_after_a_long_pause_is_not_lost(rig: Rig):
    """The kept connection may be closed for idling: a restart goes on a new one."""
    await rig.client.fetch_fast()
    rig.clock.advance(3600)
    await rig.client.power_off()
    assert not rig.miner.state.mining
    assert len(rig.writes("set.miner.service")) == 1


@pytest.mark.parametrize("fault", [Fault.RESET, Fault.HANG])
async def test_a_restart_that_goes_quiet_counts_as_sent(rig: Rig, fault: Fault):
    client = v3_client(rig.miner, reply_timeout=0.3)
    try:
        rig.miner.inject(fault, count=1, commands={"set.miner.service"}, api="v3")
        await client.power_off()
    finally:
        await client.close()
    assert not rig.miner.state.mining
    assert len(rig.writes("set.miner.service")) == 1


async def test_timeout(rig: Rig):
    client = v3_client(rig.miner, reply_timeout=0.3)
    try:
        rig.miner.inject(Fault.HANG, count=1, commands={"get.miner.status"}, api="v3")
        with pytest.raises(WhatsminerTimeoutError):
            await client.fetch_fast()
        assert (await client.fetch_fast()).mining  # a new connection afterwards
    finally:
        await client.close()


async def test_garbage(rig: Rig):
    rig.miner.inject(Fault.GARBAGE, count=1, commands={"get.device.info"}, api="v3")
    with pytest.raises(WhatsminerError):
        await rig.client.identify()
    assert (await rig.client.identify()).mac == rig.miner.state.mac


async def test_refused(rig: Rig):
    rig.miner.inject(Fault.REFUSE, api="v3")
    with pytest.raises(WhatsminerConnectionError) as caught:
        await rig.client.fetch_fast()
    assert not isinstance(caught.value, WhatsminerTimeoutError)
    assert str(rig.miner.v3_port) in str(caught.value)


async def test_connect_timeout(rig: Rig, monkeypatch: pytest.MonkeyPatch):
    async def never(*_args: object, **_kwargs: object) -> None:
        await asyncio.sleep(10)

    monkeypatch.setattr(asyncio, "open_connection", never)
    client = v3_client(rig.miner, connect_timeout=0.05)
    with pytest.raises(WhatsminerTimeoutError, match="did not accept"):
        await client.identify()


async def test_close_is_idempotent(rig: Rig):
    await rig.client.fetch_fast()
    await rig.client.close()
    await rig.client.close()
    assert (await rig.client.fetch_fast()).mining
    assert rig.connections == 2


async def test_cancelled_request_does_not_leave_a_stale_reply(rig: Rig):
    rig.miner.inject(
        Fault.SLOW, count=1, commands={"get.miner.status"}, api="v3", delay=0.3
    )
    task = asyncio.ensure_future(rig.client.fetch_fast())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The late reply to the cancelled request must not answer this one.
    identity = await rig.client.identify()
    assert identity.mac == rig.miner.state.mac


def test_repr_has_no_password():
    client = WhatsminerV3(
        "192.0.2.9",
        port=4433,
        password=MINER_PASSWORD,
        connect_timeout=1,
        reply_timeout=1,
    )
    assert MINER_PASSWORD not in repr(client)
    assert "192.0.2.9" in repr(client)
    assert MINER_PASSWORD not in repr(client._connection)


async def test_heartbeats_before_a_reply_are_skipped():
    connection = transport_v3.V3Connection(
        "192.0.2.9", 4433, connect_timeout=1, reply_timeout=1
    )
    reader = asyncio.StreamReader()
    reader.feed_data(b"\x00\x00\x00\x00" * 3 + transport_v3.encode_frame({"code": 0}))
    assert await connection._read_frame(reader) == b'{"code":0}'


async def test_only_heartbeats_is_no_reply():
    connection = transport_v3.V3Connection(
        "192.0.2.9", 4433, connect_timeout=1, reply_timeout=1
    )
    reader = asyncio.StreamReader()
    reader.feed_data(b"\x00\x00\x00\x00" * 20)
    with pytest.raises(WhatsminerError, match="heartbeats"):
        await connection._read_frame(reader)


async def test_an_oversized_reply_is_refused_unread():
    connection = transport_v3.V3Connection(
        "192.0.2.9", 4433, connect_timeout=1, reply_timeout=1
    )
    reader = asyncio.StreamReader()
    reader.feed_data((transport_v3.MAX_REPLY_BYTES + 1).to_bytes(4, "little"))
    with pytest.raises(WhatsminerError, match="limit"):
        await connection._read_frame(reader)


async def test_a_dead_kept_connection_is_noticed_when_sending(rig: Rig):
    """The miner reset the connection just before we wrote: nothing went out, so resend."""
    await rig.client.fetch_slow()
    rig.miner.reboot(rig.clock.now, 0)  # resets every connection, back at once
    # One turn of the loop: the reset reaches our socket, not yet our transport.
    await asyncio.sleep(0)
    await rig.client.set_upfreq_speed(5)
    assert rig.miner.state.upfreq_speed == 5
    assert len(rig.writes("set.miner.upfreq_speed")) == 1
    assert rig.connections == 2


async def test_a_download_cut_short(rig: Rig):
    class Announced(bytes):
        """An archive the miner announces 100 bytes longer than it sends."""

        def __len__(self) -> int:
            return super().__len__() + 100

    archive = rig.miner.log_archive
    rig.miner.log_archive = lambda now: Announced(archive(now))  # type: ignore[method-assign]
    with pytest.raises(WhatsminerConnectionError, match="while moving"):
        await rig.client.download_logs()


async def test_a_download_refused(rig: Rig):
    rig.miner.inject(Fault.TRUNCATE, count=1, commands={"get.log.download"}, api="v3")
    with pytest.raises(WhatsminerConnectionError):
        await rig.client.download_logs()


async def test_firmware_taken_but_not_confirmed(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
):
    """A miner that goes quiet after the image arrived: it may be flashing; not an error."""
    from simulator.whatsminer import v3 as simulated_v3

    monkeypatch.setattr(
        simulated_v3, "MAX_FIRMWARE_BYTES", 10
    )  # it drops bigger images
    await rig.client.update_firmware(b"x" * 100)
    assert len(rig.writes("set.system.update_firmware")) == 1


async def test_firmware_refused_before_the_upload_is_an_error(rig: Rig):
    rig.miner.inject(
        Fault.RESET, count=1, commands={"set.system.update_firmware"}, api="v3"
    )
    with pytest.raises(WhatsminerConnectionError):
        await rig.client.update_firmware(b"image")
    assert rig.miner.state.firmware_uploads == []


async def test_status_unknown_to_the_firmware_is_an_error(rig: Rig):
    del rig.miner._v3._reads["get.miner.status"]
    with pytest.raises(WhatsminerUnsupportedError):
        await rig.client.fetch_fast()
    slow = await rig.client.fetch_slow()  # the slow poll does without pools
    assert slow.pools == ()


async def test_settings_refused_for_now_are_asked_again(rig: Rig):
    from simulator.whatsminer.v3 import V3Error

    answer = rig.miner._v3._reads["get.fan.setting"]
    calls = []

    def busy_once(param: object, now: float) -> object:
        calls.append(now)
        if len(calls) == 1:
            raise V3Error(-1, "busy")
        return answer(param, now)

    rig.miner._v3._reads["get.fan.setting"] = busy_once
    assert (await rig.client.fetch_slow()).settings.poweroff_cool is None
    assert (await rig.client.fetch_slow()).settings.poweroff_cool is True


async def test_verify_password_needs_some_write_it_can_repeat(rig: Rig):
    del rig.miner._v3._writes["set.miner.report"]
    answer = rig.miner._v3._reads["get.device.info"]

    def without_fast_boot(param: object, now: float) -> object:
        info = answer(param, now)
        if param == "miner":
            del info["miner"]["fast-boot"]
        return info

    rig.miner._v3._reads["get.device.info"] = without_fast_boot
    with pytest.raises(WhatsminerUnsupportedError):
        await rig.client.verify_password()


async def test_verify_password_passes_other_refusals_on(rig: Rig):
    from simulator.whatsminer.v3 import V3Error

    def refuse(_param: object, _now: float) -> None:
        raise V3Error(-3, "invalid json item")

    rig.miner._v3._writes["set.miner.report"] = refuse
    with pytest.raises(WhatsminerCommandError) as caught:
        await rig.client.verify_password()
    assert not isinstance(caught.value, WhatsminerAuthError)
    assert caught.value.code == -3


@pytest.mark.parametrize(
    ("device", "off"),
    [
        ({"system": {"apiswitch": "0"}}, True),
        ({"apiswitch": 0}, True),  # the section alone, as param "system" may give it
        ({"system": {"apiswitch": "1"}}, False),
        ({"system": "garbled"}, False),
        ("garbled", False),
        (None, False),
    ],
)
def test_write_api_switch_in_device_info(device: object, off: bool):
    from custom_components.hashwatt.clients.whatsminer.v3 import _write_api_off

    assert _write_api_off(device) is off
