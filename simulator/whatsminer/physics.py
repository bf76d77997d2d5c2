"""Hashrate, power, temperatures and fans of a simulated miner at a given time.

Everything is a pure function of the state, the miner's seed and the time asked
about, so a frozen clock gives the same figures on every request and nothing has
to run between requests. Noise comes from hashing (seed, channel, time bucket).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from .state import MinerState

WARMUP_SECONDS = 600.0  # up-frequency time at upfreq speed 0
FAST_BOOT_WARMUP = 20.0
PREHEATED_WARMUP = 90.0
THERMAL_TAU = 150.0  # seconds for the boards to get ~63 % of the way
MIN_POWER_FRACTION = 0.25  # below this the boards cannot hash stably
POOL_DIFFICULTY = 65536.0
SHARES_PER_TH_SECOND = 1e12 / (POOL_DIFFICULTY * 2**32)
PRE_POWER_ON_SECONDS = 120.0  # preheating before "adjust complete"
NORMAL_PERCENT_RAMP = 180.0  # set_power_pct_v2 / mode "normal" takes minutes

# (power factor, hashrate factor) against the normal mode.
MODE_FACTORS = {"Low": (0.82, 0.88), "Normal": (1.0, 1.0), "High": (1.12, 1.08)}


def noise(seed: int, channel: str, now: float, period: float = 5.0) -> float:
    """Return a reproducible value in [-1, 1] for one channel and time bucket."""
    bucket = math.floor(now / period)
    digest = hashlib.blake2b(
        f"{seed}:{channel}:{bucket}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


@dataclass(frozen=True, slots=True)
class BoardReading:
    """One hashboard at one moment."""

    index: int
    alive: bool
    hashrate: float  # TH/s realtime
    hashrate_avg: float  # TH/s since mining started
    factory: float  # TH/s
    temperature: float
    chip_min: float
    chip_max: float
    chip_avg: float
    frequency: int
    effective_chips: int


@dataclass(frozen=True, slots=True)
class Reading:
    """The whole miner at one moment (TH/s, W, °C, RPM, s)."""

    running: bool
    elapsed: int
    uptime: int
    hashrate: float
    hashrate_avg: float
    hashrate_1m: float
    hashrate_5m: float
    hashrate_15m: float
    factory: float
    target_hashrate: float
    power: int
    power_5min: float
    frequency_avg: int
    target_frequency: int
    env_temp: float
    chip_min: float
    chip_max: float
    chip_avg: float
    fan_in: int
    fan_out: int
    psu_vin: float  # V
    psu_iin: float  # A
    psu_fan: int
    psu_temp: float
    accepted: int
    rejected: int
    hash_stable: bool
    upfreq_complete: bool
    boards: tuple[BoardReading, ...]


def running(state: MinerState, now: float) -> bool:
    """Tell whether the boards hash at this moment."""
    return state.mining and now >= state.mining_since


def effective_percent(state: MinerState, now: float) -> float:
    """Return the power percentage in force, following a slow (normal mode) ramp."""
    progress = min(1.0, max(0.0, (now - state.percent_since) / state.percent_ramp))
    return state.percent_from + (state.power_percent - state.percent_from) * progress


def operating_point(state: MinerState, now: float) -> tuple[float, float, float]:
    """Return the settled (power W, hashrate TH/s, frequency MHz) the settings ask for."""
    model = state.model
    power_factor, hash_factor = MODE_FACTORS.get(state.power_mode, (1.0, 1.0))
    freq_factor = max(0.05, 1.0 + state.target_freq / 100.0)
    nominal_power = model.power * power_factor * freq_factor**1.3
    nominal_hash = model.hashrate * hash_factor * freq_factor
    power = nominal_power * effective_percent(state, now) / 100.0
    if state.power_limit > 0:
        power = min(power, float(state.power_limit))
    if state.power_target > 0:
        power = min(power, float(state.power_target))
    power = max(power, model.power * MIN_POWER_FRACTION)
    ratio = power / nominal_power
    hashrate = nominal_hash * ratio**0.8
    frequency = model.frequency * freq_factor * ratio**0.5
    return power, hashrate, frequency


def load(state: MinerState, now: float) -> float:
    """Return the thermal load the settings ask for, relative to normal power."""
    power, _, _ = operating_point(state, now)
    return power / state.model.power


def heat_at(state: MinerState, now: float) -> float:
    """Return the thermal state (0 cold, ~1 full normal load) at a time."""
    heat, since = state.heat, state.heat_time
    if state.mining and state.mining_since > since and now > state.mining_since:
        # Cooled down until mining (re)started, then heats up.
        heat *= math.exp(-(state.mining_since - since) / THERMAL_TAU)
        since = state.mining_since
    target = load(state, now) if running(state, now) else 0.0
    if now <= since:
        return heat
    return target + (heat - target) * math.exp(-(now - since) / THERMAL_TAU)


def settle(state: MinerState, now: float) -> None:
    """Anchor the thermal state before a setting changes, so history stays continuous."""
    state.heat = heat_at(state, now)
    state.heat_time = now


def warmup_seconds(state: MinerState) -> float:
    """Return how long hashing takes to reach its target after a (re)start."""
    if state.fast_boot:
        return FAST_BOOT_WARMUP
    if state.preheated:
        return PREHEATED_WARMUP
    return WARMUP_SECONDS / (1.0 + 0.5 * state.upfreq_speed)


def read(state: MinerState, seed: int, now: float) -> Reading:  # noqa: PLR0914
    """Compute every figure the APIs report, at one moment."""
    model = state.model
    is_running = running(state, now)
    heat = heat_at(state, now)
    power_target, hash_target, freq_target = operating_point(state, now)
    elapsed = now - state.mining_since if is_running else 0.0
    warmup = warmup_seconds(state)
    ramp = min(1.0, elapsed / warmup) if is_running else 0.0
    # Average of the ramp since start: integral of min(1, t / warmup) over elapsed.
    if not is_running or elapsed <= 0:
        average_ramp = 0.0
    elif elapsed < warmup:
        average_ramp = elapsed / (2 * warmup)
    else:
        average_ramp = 1.0 - warmup / (2 * elapsed)

    def jitter(channel: str, spread: float, period: float = 5.0) -> float:
        return 1.0 + spread * noise(seed, channel, now, period)

    hashrate = hash_target * ramp * jitter("hash", 0.02)
    hashrate_avg = hash_target * average_ramp * jitter("hash-av", 0.003, 60.0)
    if is_running:
        power = model.idle_power + (power_target - model.idle_power) * (
            0.4 + 0.6 * ramp
        )
        power *= jitter("power", 0.006)
    else:
        power = model.idle_power * jitter("power-idle", 0.1, 10.0)
    env_temp = (34.0 if model.hydro else 25.0) + 2.5 * noise(seed, "env", now, 120.0)
    board_target = 50.0 if model.hydro else 68.0 + state.temp_offset * 0.3
    board_temp_base = env_temp + heat * (board_target - env_temp)

    fans_running = state.air_cooled and (
        is_running or (state.poweroff_cool and heat > 0.05) or not state.fan_zero_speed
    )
    if not state.air_cooled or not fans_running:
        fan = 0
    elif is_running:
        fan = int(3200 + 2600 * min(heat, 1.2) - 60 * state.temp_offset)
    elif state.poweroff_cool and heat > 0.05:
        fan = int(1200 + 2400 * heat)
    else:
        fan = 600  # minimum speed when zero speed is not allowed
    if fan:
        fan = max(0, int(fan * jitter("fan", 0.01)))

    boards: list[BoardReading] = []
    shares = [
        1.0 + 0.03 * noise(seed, f"board-share-{i}", 0.0, 1.0)
        for i in range(model.boards)
    ]
    total_share = sum(shares)
    for index, share in enumerate(shares):
        fraction = share / total_share
        temperature = board_temp_base + 1.5 * noise(seed, f"board-temp-{index}", now)
        chip_avg = temperature + heat * (
            17.0 + 2.0 * noise(seed, f"chip-avg-{index}", now)
        )
        boards.append(
            BoardReading(
                index=index,
                alive=is_running,
                hashrate=hashrate * fraction * jitter(f"board-hash-{index}", 0.01),
                hashrate_avg=hashrate_avg * fraction,
                factory=model.hashrate * fraction,
                temperature=round(temperature, 2),
                chip_min=round(chip_avg - heat * 9.0, 2),
                chip_max=round(chip_avg + heat * 8.0, 2),
                chip_avg=round(chip_avg, 2),
                frequency=int(freq_target * (0.98 + 0.02 * ramp)) if is_running else 0,
                effective_chips=model.chips_per_board if is_running else 0,
            )
        )
    vin = 224.0 + 3.0 * noise(seed, "vin", now, 30.0)
    accepted = int(elapsed * hash_target * average_ramp * SHARES_PER_TH_SECOND)
    return Reading(
        running=is_running,
        elapsed=int(elapsed),
        uptime=max(0, int(now - state.boot_time)),
        hashrate=hashrate,
        hashrate_avg=hashrate_avg,
        hashrate_1m=hash_target * ramp * jitter("hash-1m", 0.012, 15.0),
        hashrate_5m=hash_target * ramp * jitter("hash-5m", 0.006, 60.0),
        hashrate_15m=hash_target * ramp * jitter("hash-15m", 0.004, 180.0),
        factory=model.hashrate,
        target_hashrate=hash_target,
        power=round(power),
        power_5min=round(power * jitter("power-5m", 0.003, 60.0), 3),
        frequency_avg=int(freq_target * (0.98 + 0.02 * ramp)) if is_running else 0,
        target_frequency=int(freq_target),
        env_temp=round(env_temp, 2),
        chip_min=min(board.chip_min for board in boards),
        chip_max=max(board.chip_max for board in boards),
        chip_avg=round(sum(board.chip_avg for board in boards) / len(boards), 2),
        fan_in=fan,
        fan_out=int(fan * 1.02) if fan else 0,
        psu_vin=round(vin, 2),
        psu_iin=round(power / vin / 0.96, 3),
        psu_fan=int(2800 + 3600 * min(power / model.power, 1.2)),
        psu_temp=round(env_temp + 14.0 * power / model.power, 1),
        accepted=accepted,
        rejected=accepted // 600,
        hash_stable=is_running and ramp >= 1.0,
        upfreq_complete=is_running and ramp >= 1.0,
        boards=tuple(boards),
    )
