"""Actions of the Hashwatt integration, registered once in ``async_setup``.

Miner actions target one or more miner devices. All of them are resolved, and
every argument is validated, before anything is sent: a bad value or an unknown
device raises a translated ``ServiceValidationError`` and no miner hears of it.
The commands then run concurrently (farms have hundreds of miners), each miner's
failure reported under its own name.

Pool-account actions (below the miners'): WhiteBIT mining pool ("WhitePool")
actions target mining-account devices; creating an account targets the pool's
config entry. WebMinePool actions target the site's config entry. A pool action is
one request to one account, checked the same way before it is sent. Actions that
move money, share access or wipe every balance are for administrators only.

Client errors become translated errors through ``helpers.miner_command`` and
``helpers.pool_account_command`` (tables in errors.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Final, override

import probatio
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DEVICE_ID, CONF_HOST, CONF_PASSWORD
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import (
    async_get_config_entry,
    async_get_device_and_config_entry,
    async_register_admin_service,
)
from homeassistant.util import dt as dt_util, slugify
from homeassistant.util.json import JsonObjectType, JsonValueType

from .clients import whatsminer
from .clients.webminepool.client import MAX_AMOUNT
from .clients.whitepool import (
    PayoutDestination,
    Reward,
    WatcherLifetime,
    WatcherLink,
    WatcherPermission,
    hashrate_to_terahash,
    is_valid_btc_address,
)
from .const import CONF_ENTRY_TYPE, DOMAIN, ENTRY_TYPE_WHATSMINER, ENTRY_TYPE_WHITEPOOL
from .coordinator import (
    MinerConfigEntry,
    WebMinePoolConfigEntry,
    WebMinePoolRuntimeData,
    WhitePoolConfigEntry,
    WhitePoolRuntimeData,
    is_webminepool_entry,
    is_whitepool_entry,
)
from .entity import account_of_device
from .helpers import miner_command, pool_account_command

SERVICE_SET_POWER_LIMIT: Final = "set_power_limit"
SERVICE_SET_POWER_PERCENT: Final = "set_power_percent"
SERVICE_SET_POWER_MODE: Final = "set_power_mode"
SERVICE_SET_TARGET_FREQUENCY: Final = "set_target_frequency"
SERVICE_SET_LED: Final = "set_led"
SERVICE_UPDATE_POOLS: Final = "update_pools"
SERVICE_REBOOT: Final = "reboot"
SERVICE_RESTART_MINING: Final = "restart_mining"
SERVICE_SET_TEMPERATURE_OFFSET: Final = "set_temperature_offset"
SERVICE_SET_UPFREQ_SPEED: Final = "set_upfreq_speed"
SERVICE_PRE_POWER_ON: Final = "pre_power_on"
SERVICE_SET_HOSTNAME: Final = "set_hostname"
SERVICE_SET_TIMEZONE: Final = "set_timezone"
SERVICE_CHANGE_PASSWORD: Final = "change_password"
SERVICE_NETWORK_CONFIG: Final = "network_config"
SERVICE_DOWNLOAD_LOGS: Final = "download_logs"
SERVICE_UPDATE_FIRMWARE: Final = "update_firmware"
SERVICE_FACTORY_RESET: Final = "factory_reset"
SERVICE_SET_POWER: Final = "set_power"
# Settings API v2 cannot read back: actions, not switches that would guess.
SERVICE_SET_WEB_POOLS: Final = "set_web_pools"
SERVICE_SET_FAN_ZERO_SPEED: Final = "set_fan_zero_speed"
SERVICE_SET_POWEROFF_COOL: Final = "set_poweroff_cool"
SERVICE_SET_LOG_SERVER: Final = "set_log_server"

ATTR_COLOR: Final = "color"
ATTR_CONFIRM: Final = "confirm"
ATTR_DNS: Final = "dns"
ATTR_DURATION: Final = "duration"
ATTR_ENABLED: Final = "enabled"
ATTR_GATEWAY: Final = "gateway"
ATTR_HOSTNAME: Final = "hostname"
ATTR_IP: Final = "ip"
ATTR_MODE: Final = "mode"
ATTR_NETMASK: Final = "netmask"
ATTR_NEW_PASSWORD: Final = "new_password"
ATTR_OFFSET: Final = "offset"
ATTR_PATH: Final = "path"
ATTR_PERCENT: Final = "percent"
ATTR_PERIOD: Final = "period"
ATTR_PORT: Final = "port"
ATTR_POWER: Final = "power"
ATTR_PROTOCOL: Final = "protocol"
ATTR_POWER_LIMIT: Final = "power_limit"
ATTR_SPEED: Final = "speed"
ATTR_START: Final = "start"
ATTR_TIMEZONE: Final = "timezone"
ATTR_ZONE_NAME: Final = "zone_name"

V2_PASSWORD_MAX: Final = 8

LED_AUTO: Final = "auto"
NETWORK_DHCP: Final = "dhcp"
NETWORK_STATIC: Final = "static"

# Miners answering at once; a farm-wide action still finishes in a few rounds.
MAX_CONCURRENT_MINERS: Final = 32

LOGS_FOLDER: Final = ("hashwatt", "logs")
FIRMWARE_FOLDER: Final = ("hashwatt", "firmware")


def pool_field(number: int, part: str) -> str:
    """Name the field of one pool slot, e.g. ``pool_2_worker``."""
    return f"pool_{number}_{part}"


class ActionSchema(probatio.Schema):
    """A schema whose every failure reaches the user as a translated error.

    Home Assistant re-raises a failing schema's ``Invalid`` as it is: untranslated,
    and not a ``ServiceValidationError``.
    """

    @override
    def __call__(self, data: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(data, **kwargs)
        except probatio.Invalid as error:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_action_data",
                translation_placeholders={
                    "field": ".".join(str(part) for part in error.path),
                    "error": error.msg,
                },
            ) from error


def whole_number(bounds: tuple[int, int]) -> Callable[[Any], int]:
    """Validate a whole number within ``bounds``, never rounding one into range."""
    low, high = bounds

    def validate(value: object) -> int:
        if isinstance(value, bool):
            raise probatio.Invalid("expected a whole number")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise probatio.Invalid("expected a whole number") from None
        if not isinstance(value, int):
            raise probatio.Invalid("expected a whole number")
        if not low <= value <= high:
            raise probatio.Invalid(f"must be between {low} and {high}")
        return value

    return validate


def ipv4_address(value: object) -> str:
    """Validate an IPv4 address (a log server is reached by address, not by name)."""
    try:
        return str(ipaddress.IPv4Address(str(value).strip()))
    except ValueError:
        raise probatio.Invalid("expected an IPv4 address") from None


DEVICES = probatio.All(cv.ensure_list, [cv.string], probatio.Length(min=1))
ONE_DEVICE = probatio.All(cv.ensure_list, [cv.string], probatio.Length(min=1, max=1))

DEVICES_SCHEMA = ActionSchema({probatio.Required(ATTR_DEVICE_ID): DEVICES})


def _devices_schema(
    fields: Mapping[Any, Any], devices: probatio.All[list[str]] = DEVICES
) -> ActionSchema:
    return ActionSchema({probatio.Required(ATTR_DEVICE_ID): devices, **fields})


SET_POWER_LIMIT_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_POWER_LIMIT): whole_number(whatsminer.POWER_LIMIT_RANGE)}
)
SET_POWER_PERCENT_SCHEMA = _devices_schema(
    {
        probatio.Required(ATTR_PERCENT): whole_number(whatsminer.POWER_PERCENT_RANGE),
        probatio.Optional(
            ATTR_MODE, default=whatsminer.PowerPercentMode.NORMAL.value
        ): probatio.In([mode.value for mode in whatsminer.PowerPercentMode]),
    }
)
SET_POWER_MODE_SCHEMA = _devices_schema(
    {
        probatio.Required(ATTR_MODE): probatio.In(
            [mode.value for mode in whatsminer.PowerMode]
        )
    }
)
SET_TARGET_FREQUENCY_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_PERCENT): whole_number(whatsminer.TARGET_FREQUENCY_RANGE)}
)
SET_LED_SCHEMA = _devices_schema(
    {
        probatio.Required(ATTR_COLOR): probatio.In(
            [LED_AUTO, *(color.value for color in whatsminer.LedColor)]
        ),
        probatio.Optional(ATTR_PERIOD): whole_number(whatsminer.LED_PERIOD_RANGE),
        probatio.Optional(ATTR_DURATION): whole_number(
            (0, whatsminer.LED_PERIOD_RANGE[1])
        ),
        probatio.Optional(ATTR_START): whole_number(
            (0, whatsminer.LED_PERIOD_RANGE[1])
        ),
    }
)
UPDATE_POOLS_SCHEMA = _devices_schema(
    {
        marker(pool_field(number, part)): cv.string
        for number in range(1, whatsminer.MAX_POOLS + 1)
        for part, marker in (
            ("url", probatio.Required if number == 1 else probatio.Optional),
            ("worker", probatio.Required if number == 1 else probatio.Optional),
            ("password", probatio.Optional),
        )
    }
)
SET_TEMPERATURE_OFFSET_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_OFFSET): whole_number(whatsminer.TEMPERATURE_OFFSET_RANGE)}
)
# API v3's range; a speed beyond API v2's is refused for v2 miners by the command.
SET_UPFREQ_SPEED_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_SPEED): whole_number(whatsminer.UPFREQ_SPEED_RANGE_V3)}
)
SET_POWER_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_POWER): whole_number(whatsminer.POWER_RANGE)}
)
SET_ENABLED_SCHEMA = _devices_schema({probatio.Required(ATTR_ENABLED): cv.boolean})
SET_LOG_SERVER_SCHEMA = _devices_schema(
    {
        probatio.Required(ATTR_IP): ipv4_address,
        probatio.Required(ATTR_PORT): whole_number((1, 65535)),
        probatio.Optional(ATTR_PROTOCOL, default="udp"): probatio.In(["udp", "tcp"]),
    }
)
SET_HOSTNAME_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_HOSTNAME): cv.string}, devices=ONE_DEVICE
)
SET_TIMEZONE_SCHEMA = _devices_schema(
    {
        probatio.Required(ATTR_TIMEZONE): cv.string,
        probatio.Required(ATTR_ZONE_NAME): cv.string,
    }
)
CHANGE_PASSWORD_SCHEMA = _devices_schema(
    {
        # What API v3 accepts; API v2 takes at most V2_PASSWORD_MAX of them.
        probatio.Required(ATTR_NEW_PASSWORD): probatio.All(
            cv.string, probatio.Match(r"^[A-Za-z0-9_]{1,32}$")
        )
    }
)
NETWORK_CONFIG_SCHEMA = _devices_schema(
    {
        probatio.Required(ATTR_MODE): probatio.In([NETWORK_DHCP, NETWORK_STATIC]),
        probatio.Optional(ATTR_IP): cv.string,
        probatio.Optional(ATTR_NETMASK): cv.string,
        probatio.Optional(ATTR_GATEWAY): cv.string,
        probatio.Optional(ATTR_DNS): probatio.All(
            cv.ensure_list, [cv.string], probatio.Length(min=1, max=2)
        ),
        probatio.Optional(ATTR_HOSTNAME): cv.string,
    },
    devices=ONE_DEVICE,
)
UPDATE_FIRMWARE_SCHEMA = _devices_schema({probatio.Required(ATTR_PATH): cv.string})
FACTORY_RESET_SCHEMA = _devices_schema({probatio.Required(ATTR_CONFIRM): cv.boolean})


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _resolve_miners(call: ServiceCall) -> dict[str, MinerConfigEntry]:
    """Map each targeted device to its loaded miner entry, before anything is sent."""
    miners: dict[str, MinerConfigEntry] = {}
    for device_id in call.data[ATTR_DEVICE_ID]:
        device, entry = async_get_device_and_config_entry(call.hass, DOMAIN, device_id)
        if entry.data.get(CONF_ENTRY_TYPE) != ENTRY_TYPE_WHATSMINER:
            raise _invalid(
                "not_a_miner", device=device.name_by_user or device.name or device_id
            )
        if (other_mac := entry.runtime_data.slow.other_miner_mac) is not None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="unexpected_miner",
                translation_placeholders={
                    "host": entry.data[CONF_HOST],
                    "mac": other_mac,
                },
            )
        miners[device_id] = entry
    return miners


@miner_command
async def _async_send[R](
    entry: MinerConfigEntry,
    command: Callable[[MinerConfigEntry], Awaitable[R]],
) -> R:
    return await command(entry)


async def _async_send_all[R](
    miners: Mapping[str, MinerConfigEntry],
    command: Callable[[MinerConfigEntry], Awaitable[R]],
) -> dict[str, R]:
    """Send ``command`` to every miner at once; results by device ID.

    Each miner's command runs to its end whatever the others do. A failure on one
    miner is raised as it is; failures on several are summed up in one error.
    """
    slots = asyncio.Semaphore(MAX_CONCURRENT_MINERS)

    async def send(entry: MinerConfigEntry) -> R:
        async with slots:
            return await _async_send(entry, command)

    device_ids = list(miners)
    outcomes = await asyncio.gather(
        *(send(miners[device_id]) for device_id in device_ids), return_exceptions=True
    )
    results: dict[str, R] = {}
    failures: list[tuple[MinerConfigEntry, BaseException]] = []
    for device_id, outcome in zip(device_ids, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            failures.append((miners[device_id], outcome))
        else:
            results[device_id] = outcome
    if not failures:
        return results
    first_error = failures[0][1]
    if len(failures) == 1 or not isinstance(first_error, HomeAssistantError):
        raise first_error
    if all(isinstance(error, ServiceValidationError) for _, error in failures):
        raise first_error  # the same bad input, refused before any miner heard of it
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="failed_on_miners",
        translation_placeholders={
            "failed": str(len(failures)),
            "total": str(len(miners)),
            "miners": ", ".join(entry.title for entry, _ in failures),
            "error": str(first_error),
        },
    )


type MinerCommand = Callable[[MinerConfigEntry], Awaitable[Any]]
type Miners = Mapping[str, MinerConfigEntry]
type CommandBuilder = Callable[[ServiceCall, Miners], Awaitable[MinerCommand]]


@dataclass(frozen=True, kw_only=True)
class MinerAction:
    """One action: how it is checked, and what it asks of each targeted miner."""

    name: str
    schema: ActionSchema
    # Builds the per-miner command from the validated call and its miners,
    # raising ServiceValidationError for what the schema alone cannot judge.
    command_fn: CommandBuilder
    # Turns the per-miner results into the action's response, for actions that give one.
    response_fn: Callable[[dict[str, Any]], ServiceResponse] | None = None
    admin: bool = False


async def _led_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    if (color := call.data[ATTR_COLOR]) == LED_AUTO:
        return lambda entry: entry.runtime_data.client.set_led_auto()
    if (period := call.data.get(ATTR_PERIOD)) is None:
        raise _invalid("led_period_required")
    duration = call.data.get(ATTR_DURATION, period // 2)
    start = call.data.get(ATTR_START, 0)
    if duration > period or start > period:
        raise _invalid("led_pattern_exceeds_period", period=str(period))
    return lambda entry: entry.runtime_data.client.set_led(
        whatsminer.LedColor(color), period, duration, start
    )


async def _pools_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    pools: list[whatsminer.PoolConfig] = []
    for number in range(1, whatsminer.MAX_POOLS + 1):
        url = call.data.get(pool_field(number, "url"))
        worker = call.data.get(pool_field(number, "worker"))
        password = call.data.get(pool_field(number, "password"))
        if url is None and worker is None and password is None:
            continue
        # A password alone is no pool: dropping it would clear the slot unasked.
        if url is None or worker is None:
            raise _invalid("pool_incomplete", pool=str(number))
        pools.append(
            whatsminer.PoolConfig(url=url, worker=worker, password=password or "")
        )
    return lambda entry: entry.runtime_data.client.update_pools(pools)


def _v2_titles(miners: Miners) -> list[str]:
    return [
        entry.title
        for entry in miners.values()
        if entry.runtime_data.client.api is whatsminer.ApiVersion.V2
    ]


async def _power_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    # Only API v3 changes the power at run time: refuse before any miner hears of it.
    if v2_miners := _v2_titles(miners):
        raise _invalid("power_needs_v3", miners=", ".join(v2_miners))
    watts: int = call.data[ATTR_POWER]
    return lambda entry: entry.runtime_data.client.set_power(watts)


async def _upfreq_speed_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    speed: int = call.data[ATTR_SPEED]
    low, high = whatsminer.UPFREQ_SPEED_RANGE
    if not low <= speed <= high and (v2_miners := _v2_titles(miners)):
        raise _invalid(
            "invalid_action_data",
            field=ATTR_SPEED,
            error=f"API v2 miners ({', '.join(v2_miners)}) take {low} to {high}",
        )
    return lambda entry: entry.runtime_data.client.set_upfreq_speed(speed)


async def _log_server_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    server = whatsminer.LogServer(
        call.data[ATTR_IP], call.data[ATTR_PORT], call.data[ATTR_PROTOCOL]
    )
    return lambda entry: entry.runtime_data.client.set_log_server(server)


async def _change_password_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    new_password: str = call.data[ATTR_NEW_PASSWORD]
    # API v2 takes at most 8 characters: refuse before changing any miner.
    if len(new_password) > V2_PASSWORD_MAX and (v2_miners := _v2_titles(miners)):
        raise _invalid("password_too_long_for_v2", miners=", ".join(v2_miners))

    async def change(entry: MinerConfigEntry) -> None:
        await entry.runtime_data.client.change_password(new_password)
        # The miner now only takes the new password: keep it, or the next
        # start would fail and ask for reauthentication.
        call.hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_PASSWORD: new_password}
        )

    return change


async def _network_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    if call.data[ATTR_MODE] == NETWORK_DHCP:
        return lambda entry: entry.runtime_data.client.set_network(None)
    missing = [
        field
        for field in (ATTR_IP, ATTR_NETMASK, ATTR_GATEWAY, ATTR_DNS, ATTR_HOSTNAME)
        if field not in call.data
    ]
    if missing:
        raise _invalid("static_network_incomplete", fields=", ".join(missing))
    config = whatsminer.NetworkConfig(
        ip=call.data[ATTR_IP],
        netmask=call.data[ATTR_NETMASK],
        gateway=call.data[ATTR_GATEWAY],
        dns=tuple(call.data[ATTR_DNS]),
        hostname=call.data[ATTR_HOSTNAME],
    )

    async def configure(entry: MinerConfigEntry) -> None:
        await entry.runtime_data.client.set_network(config)
        # The miner restarts at its new address: follow it there.
        call.hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_HOST: config.ip}
        )
        call.hass.config_entries.async_schedule_reload(entry.entry_id)

    return configure


def _os_error(error: OSError) -> str:
    """Say what went wrong with a file, without the path (each message has its own)."""
    return error.strerror or type(error).__name__


async def _download_logs_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    hass = call.hass
    folder = Path(hass.config.path(*LOGS_FOLDER))
    # A folder that can't be made fails here, before any miner packs its logs.
    try:
        await hass.async_add_executor_job(
            partial(folder.mkdir, parents=True, exist_ok=True)
        )
    except OSError as error:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="logs_folder_failed",
            translation_placeholders={"path": str(folder), "error": _os_error(error)},
        ) from error

    async def download(entry: MinerConfigEntry) -> str:
        archive = await entry.runtime_data.client.download_logs()
        stamp = dt_util.now().strftime("%Y%m%d-%H%M%S")
        # The MAC keeps miners of the same name apart.
        mac = str(entry.unique_id).replace(":", "")
        path = folder / f"{slugify(entry.title)}_{mac}_{stamp}.tar.gz"
        try:
            await hass.async_add_executor_job(path.write_bytes, archive)
        except OSError as error:  # a full or read-only disk, say
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="logs_write_failed",
                translation_placeholders={
                    "miner": entry.title,
                    "path": str(path),
                    "error": _os_error(error),
                },
            ) from error
        return str(path)

    return download


def _read_firmware(hass: HomeAssistant, requested: str) -> bytes:
    """Read a firmware image from the firmware folder or an allow-listed one.

    Runs in the executor: it resolves symlinks and reads up to 512 MiB.
    """
    firmware_folder = Path(hass.config.path(*FIRMWARE_FOLDER)).resolve()
    # A relative path is taken in the firmware folder; an absolute one replaces it.
    path = (firmware_folder / requested).resolve()
    if not (
        path.is_relative_to(firmware_folder) or hass.config.is_allowed_path(str(path))
    ):
        raise _invalid("firmware_path_not_allowed", path=requested)
    if not path.is_file():
        raise _invalid("firmware_not_found", path=requested)
    try:
        size = path.stat().st_size
        firmware = (
            path.read_bytes() if 0 < size <= whatsminer.MAX_FIRMWARE_BYTES else None
        )
    except OSError as error:  # no permission to read it, say
        raise _invalid(
            "firmware_unreadable", path=requested, error=_os_error(error)
        ) from error
    if firmware is None:
        raise _invalid("firmware_size", path=requested)
    return firmware


async def _firmware_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    firmware = await call.hass.async_add_executor_job(
        _read_firmware, call.hass, call.data[ATTR_PATH]
    )
    return lambda entry: entry.runtime_data.client.update_firmware(firmware)


async def _factory_reset_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    if not call.data[ATTR_CONFIRM]:
        raise _invalid("factory_reset_not_confirmed")
    return lambda entry: entry.runtime_data.client.factory_reset()


def _schema_checked(
    command: Callable[[MinerConfigEntry, ServiceCall], Awaitable[Any]],
) -> CommandBuilder:
    """Wrap a command that needs nothing checked beyond the schema."""

    async def build(call: ServiceCall, miners: Miners) -> MinerCommand:
        return lambda entry: command(entry, call)

    return build


def _response_by_miner(key: str) -> Callable[[dict[str, Any]], ServiceResponse]:
    """Answer each miner's result under ``key``, next to its device ID."""

    def respond(results: dict[str, Any]) -> ServiceResponse:
        return {
            "miners": [
                {"device_id": device_id, key: value}
                for device_id, value in results.items()
            ]
        }

    return respond


async def _pre_power_on(entry: MinerConfigEntry, call: ServiceCall) -> str:
    try:
        state = await entry.runtime_data.client.pre_power_on()
    except whatsminer.WhatsminerCommandError as error:
        # A mining miner refuses (v2: "power off btminer before pre_power_on", v3:
        # "stop the mining service before pre power on"): say what to do instead.
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="pre_power_on_refused",
            translation_placeholders={"miner": entry.title, "error": error.message},
        ) from error
    return state.name.lower()


ACTIONS: Final[tuple[MinerAction, ...]] = (
    MinerAction(
        name=SERVICE_SET_POWER_LIMIT,
        schema=SET_POWER_LIMIT_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_power_limit(
                call.data[ATTR_POWER_LIMIT]
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_POWER_PERCENT,
        schema=SET_POWER_PERCENT_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_power_percent(
                call.data[ATTR_PERCENT],
                whatsminer.PowerPercentMode(call.data[ATTR_MODE]),
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_POWER_MODE,
        schema=SET_POWER_MODE_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_power_mode(
                whatsminer.PowerMode(call.data[ATTR_MODE])
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_TARGET_FREQUENCY,
        schema=SET_TARGET_FREQUENCY_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_target_frequency(
                call.data[ATTR_PERCENT]
            )
        ),
    ),
    MinerAction(name=SERVICE_SET_LED, schema=SET_LED_SCHEMA, command_fn=_led_command),
    MinerAction(
        name=SERVICE_UPDATE_POOLS, schema=UPDATE_POOLS_SCHEMA, command_fn=_pools_command
    ),
    MinerAction(
        name=SERVICE_REBOOT,
        schema=DEVICES_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.reboot()
        ),
    ),
    MinerAction(
        name=SERVICE_RESTART_MINING,
        schema=DEVICES_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.restart_mining()
        ),
    ),
    MinerAction(
        name=SERVICE_SET_TEMPERATURE_OFFSET,
        schema=SET_TEMPERATURE_OFFSET_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_temperature_offset(
                call.data[ATTR_OFFSET]
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_UPFREQ_SPEED,
        schema=SET_UPFREQ_SPEED_SCHEMA,
        command_fn=_upfreq_speed_command,
    ),
    MinerAction(
        name=SERVICE_SET_POWER, schema=SET_POWER_SCHEMA, command_fn=_power_command
    ),
    MinerAction(
        name=SERVICE_SET_WEB_POOLS,
        schema=SET_ENABLED_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_web_pools(
                call.data[ATTR_ENABLED]
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_FAN_ZERO_SPEED,
        schema=SET_ENABLED_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_fan_zero_speed(
                call.data[ATTR_ENABLED]
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_POWEROFF_COOL,
        schema=SET_ENABLED_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_poweroff_cool(
                call.data[ATTR_ENABLED]
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_LOG_SERVER,
        schema=SET_LOG_SERVER_SCHEMA,
        command_fn=_log_server_command,
    ),
    MinerAction(
        name=SERVICE_PRE_POWER_ON,
        schema=DEVICES_SCHEMA,
        command_fn=_schema_checked(_pre_power_on),
        response_fn=_response_by_miner("state"),
    ),
    MinerAction(
        name=SERVICE_SET_HOSTNAME,
        schema=SET_HOSTNAME_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_hostname(
                call.data[ATTR_HOSTNAME]
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_TIMEZONE,
        schema=SET_TIMEZONE_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_timezone(
                call.data[ATTR_TIMEZONE], call.data[ATTR_ZONE_NAME]
            )
        ),
    ),
    MinerAction(
        name=SERVICE_CHANGE_PASSWORD,
        schema=CHANGE_PASSWORD_SCHEMA,
        command_fn=_change_password_command,
        admin=True,
    ),
    MinerAction(
        name=SERVICE_NETWORK_CONFIG,
        schema=NETWORK_CONFIG_SCHEMA,
        command_fn=_network_command,
        admin=True,
    ),
    MinerAction(
        name=SERVICE_DOWNLOAD_LOGS,
        schema=DEVICES_SCHEMA,
        command_fn=_download_logs_command,
        response_fn=_response_by_miner("path"),
        admin=True,
    ),
    MinerAction(
        name=SERVICE_UPDATE_FIRMWARE,
        schema=UPDATE_FIRMWARE_SCHEMA,
        command_fn=_firmware_command,
        admin=True,
    ),
    MinerAction(
        name=SERVICE_FACTORY_RESET,
        schema=FACTORY_RESET_SCHEMA,
        command_fn=_factory_reset_command,
        admin=True,
    ),
)


def _handler(
    action: MinerAction,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def handle(call: ServiceCall) -> ServiceResponse:
        miners = _resolve_miners(call)
        command = await action.command_fn(call, miners)
        results = await _async_send_all(miners, command)
        if action.response_fn is None or not call.return_response:
            return None
        return action.response_fn(results)

    return handle


# --- Pool accounts ------------------------------------------------------------

SERVICE_CREATE_MINING_ACCOUNT: Final = "create_mining_account"
SERVICE_SET_PAYOUT_DESTINATION: Final = "set_payout_destination"
SERVICE_CREATE_WATCHER_LINK: Final = "create_watcher_link"
SERVICE_LIST_WATCHER_LINKS: Final = "list_watcher_links"
SERVICE_GET_REWARDS: Final = "get_rewards"
SERVICE_CREATE_USER: Final = "create_user"
SERVICE_DELETE_USER: Final = "delete_user"
SERVICE_WITHDRAW: Final = "withdraw"
SERVICE_RESET_USER_HASHES: Final = "reset_user_hashes"
SERVICE_RESET_ALL_USER_HASHES: Final = "reset_all_user_hashes"
SERVICE_CREATE_TOKEN: Final = "create_token"
SERVICE_CHECK_TOKEN: Final = "check_token"

ATTR_ADDRESS: Final = "address"
ATTR_AMOUNT: Final = "amount"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_DESTINATION: Final = "destination"
ATTR_END: Final = "end"
ATTR_HASHES: Final = "hashes"
ATTR_LIVE_UNTIL: Final = "live_until"
ATTR_NAME: Final = "name"
ATTR_PERMISSIONS: Final = "permissions"
ATTR_REFERRAL: Final = "referral"
ATTR_REFERRAL_CODE: Final = "referral_code"
ATTR_TOKEN_ID: Final = "token_id"
ATTR_UNSET: Final = "unset"
ATTR_USERNAME: Final = "username"

ENTRY = {probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
HASH_COUNT = whole_number((1, MAX_AMOUNT))

CREATE_MINING_ACCOUNT_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_NAME): cv.string,
        probatio.Optional(ATTR_REFERRAL_CODE): cv.string,
    }
)
SET_PAYOUT_DESTINATION_SCHEMA = ActionSchema(
    {
        probatio.Required(ATTR_DEVICE_ID): ONE_DEVICE,
        probatio.Required(ATTR_DESTINATION): probatio.In(
            [destination.value for destination in PayoutDestination]
        ),
        probatio.Optional(ATTR_ADDRESS): cv.string,
    }
)
CREATE_WATCHER_LINK_SCHEMA = ActionSchema(
    {
        probatio.Required(ATTR_DEVICE_ID): DEVICES,
        probatio.Required(ATTR_NAME): cv.string,
        probatio.Required(ATTR_PERMISSIONS): probatio.All(
            cv.ensure_list,
            [probatio.In([permission.value for permission in WatcherPermission])],
            probatio.Length(min=1),
        ),
        probatio.Required(ATTR_LIVE_UNTIL): probatio.In(
            [lifetime.value for lifetime in WatcherLifetime]
        ),
    }
)
LIST_WATCHER_LINKS_SCHEMA = ActionSchema(
    {probatio.Required(ATTR_DEVICE_ID): ONE_DEVICE}
)
GET_REWARDS_SCHEMA = ActionSchema(
    {
        probatio.Required(ATTR_DEVICE_ID): DEVICES,
        probatio.Required(ATTR_START): cv.datetime,
        probatio.Optional(ATTR_END): cv.datetime,
    }
)
USER_SCHEMA = ActionSchema({**ENTRY, probatio.Required(ATTR_USERNAME): cv.string})
CREATE_USER_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_USERNAME): cv.string,
        probatio.Optional(ATTR_REFERRAL): cv.string,
    }
)
WITHDRAW_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_USERNAME): cv.string,
        probatio.Required(ATTR_AMOUNT): HASH_COUNT,
    }
)
RESET_ALL_USER_HASHES_SCHEMA = ActionSchema(
    {**ENTRY, probatio.Required(ATTR_CONFIRM): cv.boolean}
)
CREATE_TOKEN_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_HASHES): HASH_COUNT,
        probatio.Optional(ATTR_USERNAME): cv.string,
    }
)
CHECK_TOKEN_SCHEMA = ActionSchema(
    {
        **ENTRY,
        probatio.Required(ATTR_TOKEN_ID): cv.string,
        probatio.Optional(ATTR_UNSET, default=False): cv.boolean,
    }
)


@pool_account_command
async def _async_send_to_pool_account[
    RT: WhitePoolRuntimeData | WebMinePoolRuntimeData,
    R,
](entry: ConfigEntry[RT], request: Callable[[], Awaitable[R]]) -> R:
    return await request()


# --- Resolving targets (before anything is sent) ---------------------------------------


def _whitepool_entry(call: ServiceCall) -> WhitePoolConfigEntry:
    entry = async_get_config_entry(call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID])
    if not is_whitepool_entry(entry):
        raise _invalid("not_a_whitepool_entry", entry=entry.title)
    return entry


def _webminepool_entry(call: ServiceCall) -> WebMinePoolConfigEntry:
    entry = async_get_config_entry(call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID])
    if not is_webminepool_entry(entry):
        raise _invalid("not_a_webminepool_entry", entry=entry.title)
    return entry


def _account(call: ServiceCall, device_id: str) -> tuple[WhitePoolConfigEntry, str]:
    device, entry = async_get_device_and_config_entry(call.hass, DOMAIN, device_id)
    account = (
        account_of_device(device)
        if entry.data[CONF_ENTRY_TYPE] == ENTRY_TYPE_WHITEPOOL
        else None
    )
    if account is None:
        raise _invalid(
            "not_a_mining_account",
            device=device.name_by_user or device.name or device_id,
        )
    return entry, account


def _accounts(call: ServiceCall) -> tuple[WhitePoolConfigEntry, list[str]]:
    """Map the targeted devices (one at least) to mining accounts of one API key."""
    resolved = [_account(call, device_id) for device_id in call.data[ATTR_DEVICE_ID]]
    entry = resolved[0][0]
    if any(other.entry_id != entry.entry_id for other, _ in resolved):
        raise _invalid("accounts_of_different_keys")
    return entry, [account for _, account in resolved]


# --- Responses ---------------------------------------------------------------------------


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _reward(reward: Reward) -> JsonObjectType:
    return {
        "date": _time(reward.date),
        "status": reward.status.value,
        "currency": reward.currency,
        "reward": float(reward.reward),
        "total_reward": float(reward.total_reward),
        "fee": float(reward.fee),
        "fpps_rate": _float(reward.fpps_rate),
        "hashrate": float(hashrate_to_terahash(reward.hashrate)),  # TH/s
        "payout_destination": reward.payout_destination,
        "payout_address": reward.payout_address,
        "payout_transaction_hash": reward.payout_transaction_hash,
        "payout_time": _time(reward.payout_time),
    }


def _watcher_link(link: WatcherLink) -> JsonObjectType:
    return {
        "id": link.id,
        "link": link.link,
        "name": link.name,
        "accounts": list(link.accounts),
        "permissions": [permission.value for permission in link.permissions],
        "live_until": _time(link.live_until),
        "created_at": _time(link.created_at),
    }


# --- WhitePool ---------------------------------------------------------------------------


async def _create_mining_account(call: ServiceCall) -> ServiceResponse:
    entry = _whitepool_entry(call)
    runtime = entry.runtime_data
    account = await _async_send_to_pool_account(
        entry,
        lambda: runtime.client.create_account(
            call.data[ATTR_NAME], referral_code=call.data.get(ATTR_REFERRAL_CODE)
        ),
    )
    # The new account's device and sensors appear with this poll.
    await runtime.coordinator.async_refresh_after_write()
    return {"name": account.name, "created_at": _time(account.created_at)}


async def _set_payout_destination(call: ServiceCall) -> ServiceResponse:
    entry, (account,) = _accounts(call)
    destination = PayoutDestination(call.data[ATTR_DESTINATION])
    address: str | None = call.data.get(ATTR_ADDRESS)
    if destination is PayoutDestination.EXTERNAL_ADDRESS:
        if not address:
            raise _invalid("payout_address_required")
        address = address.strip()
        if not is_valid_btc_address(address):
            raise _invalid("invalid_btc_address", address=address)
    elif address:
        raise _invalid("payout_address_not_allowed")
    else:
        address = None
    runtime = entry.runtime_data
    await _async_send_to_pool_account(
        entry,
        lambda: runtime.client.set_payout_destination(account, destination, address),
    )
    await runtime.coordinator.async_refresh_after_write()
    return None


async def _create_watcher_link(call: ServiceCall) -> ServiceResponse:
    entry, accounts = _accounts(call)
    client = entry.runtime_data.client
    link = await _async_send_to_pool_account(
        entry,
        lambda: client.create_watcher_link(
            accounts,
            call.data[ATTR_NAME],
            call.data[ATTR_PERMISSIONS],
            call.data[ATTR_LIVE_UNTIL],
        ),
    )
    return _watcher_link(link)


async def _list_watcher_links(call: ServiceCall) -> ServiceResponse:
    entry, (account,) = _accounts(call)
    client = entry.runtime_data.client
    links = await _async_send_to_pool_account(
        entry, lambda: client.watcher_links(account)
    )
    return {"links": [_watcher_link(link) for link in links]}


async def _get_rewards(call: ServiceCall) -> ServiceResponse:
    entry, accounts = _accounts(call)
    start = dt_util.as_utc(call.data[ATTR_START])
    end = dt_util.as_utc(call.data.get(ATTR_END) or dt_util.utcnow())
    if start > end:
        raise _invalid("start_after_end")
    client = entry.runtime_data.client
    result: list[JsonValueType] = []
    for account in accounts:
        rewards = await _async_send_to_pool_account(
            entry, partial(client.all_rewards, account, start=start, end=end)
        )
        result.append(
            {
                "account": account,
                "reward": float(sum((reward.reward for reward in rewards), Decimal(0))),
                "rewards": [_reward(reward) for reward in rewards],
            }
        )
    return {"accounts": result}


# --- WebMinePool -------------------------------------------------------------------------


async def _webminepool_write[R](
    call: ServiceCall,
    request: Callable[[WebMinePoolConfigEntry], Awaitable[R]],
) -> R:
    """Send a request that changes users or hashes, then poll to show the change."""
    entry = _webminepool_entry(call)
    result = await _async_send_to_pool_account(entry, lambda: request(entry))
    await entry.runtime_data.coordinator.async_request_refresh()
    return result


async def _create_user(call: ServiceCall) -> ServiceResponse:
    await _webminepool_write(
        call,
        lambda entry: entry.runtime_data.client.create_user(
            call.data[ATTR_USERNAME], call.data.get(ATTR_REFERRAL)
        ),
    )
    return None


async def _delete_user(call: ServiceCall) -> ServiceResponse:
    await _webminepool_write(
        call,
        lambda entry: entry.runtime_data.client.delete_user(call.data[ATTR_USERNAME]),
    )
    return None


async def _withdraw(call: ServiceCall) -> ServiceResponse:
    result = await _webminepool_write(
        call,
        lambda entry: entry.runtime_data.client.withdraw(
            call.data[ATTR_USERNAME], call.data[ATTR_AMOUNT]
        ),
    )
    return {"message": result.message, "balance": result.balance}


async def _reset_user_hashes(call: ServiceCall) -> ServiceResponse:
    await _webminepool_write(
        call,
        lambda entry: entry.runtime_data.client.reset_user_hashes(
            call.data[ATTR_USERNAME]
        ),
    )
    return None


async def _reset_all_user_hashes(call: ServiceCall) -> ServiceResponse:
    if not call.data[ATTR_CONFIRM]:
        raise _invalid("reset_all_not_confirmed")
    await _webminepool_write(
        call, lambda entry: entry.runtime_data.client.reset_all_user_hashes()
    )
    return None


async def _create_token(call: ServiceCall) -> ServiceResponse:
    entry = _webminepool_entry(call)
    client = entry.runtime_data.client
    token_id = await _async_send_to_pool_account(
        entry,
        lambda: client.set_token(call.data[ATTR_HASHES], call.data.get(ATTR_USERNAME)),
    )
    return {"token_id": token_id}


async def _check_token(call: ServiceCall) -> ServiceResponse:
    entry = _webminepool_entry(call)
    client = entry.runtime_data.client
    unset: bool = call.data[ATTR_UNSET]
    state = await _async_send_to_pool_account(
        entry, lambda: client.get_token(call.data[ATTR_TOKEN_ID], unset=unset)
    )
    if unset and state.verified:
        # A verified token is deleted with its user: the user's sensor goes.
        await entry.runtime_data.coordinator.async_request_refresh()
    return {
        "verified": state.verified,
        "end_hashes": state.end_hashes,
        "done_at": _time(state.done_at),
    }


# --- Registration ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PoolAccountAction:
    """One pool action: its schema, its handler, and who may call it."""

    name: str
    schema: ActionSchema
    handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]
    supports_response: SupportsResponse = SupportsResponse.NONE
    admin: bool = False


POOL_ACCOUNT_ACTIONS: Final[tuple[PoolAccountAction, ...]] = (
    PoolAccountAction(
        name=SERVICE_CREATE_MINING_ACCOUNT,
        schema=CREATE_MINING_ACCOUNT_SCHEMA,
        handler=_create_mining_account,
        supports_response=SupportsResponse.OPTIONAL,
    ),
    PoolAccountAction(
        name=SERVICE_SET_PAYOUT_DESTINATION,
        schema=SET_PAYOUT_DESTINATION_SCHEMA,
        handler=_set_payout_destination,
        admin=True,
    ),
    PoolAccountAction(
        name=SERVICE_CREATE_WATCHER_LINK,
        schema=CREATE_WATCHER_LINK_SCHEMA,
        handler=_create_watcher_link,
        supports_response=SupportsResponse.OPTIONAL,
        admin=True,
    ),
    PoolAccountAction(
        name=SERVICE_LIST_WATCHER_LINKS,
        schema=LIST_WATCHER_LINKS_SCHEMA,
        handler=_list_watcher_links,
        supports_response=SupportsResponse.ONLY,
    ),
    PoolAccountAction(
        name=SERVICE_GET_REWARDS,
        schema=GET_REWARDS_SCHEMA,
        handler=_get_rewards,
        supports_response=SupportsResponse.ONLY,
    ),
    PoolAccountAction(
        name=SERVICE_CREATE_USER,
        schema=CREATE_USER_SCHEMA,
        handler=_create_user,
    ),
    PoolAccountAction(
        name=SERVICE_DELETE_USER,
        schema=USER_SCHEMA,
        handler=_delete_user,
    ),
    PoolAccountAction(
        name=SERVICE_WITHDRAW,
        schema=WITHDRAW_SCHEMA,
        handler=_withdraw,
        supports_response=SupportsResponse.OPTIONAL,
        admin=True,
    ),
    PoolAccountAction(
        name=SERVICE_RESET_USER_HASHES,
        schema=USER_SCHEMA,
        handler=_reset_user_hashes,
    ),
    PoolAccountAction(
        name=SERVICE_RESET_ALL_USER_HASHES,
        schema=RESET_ALL_USER_HASHES_SCHEMA,
        handler=_reset_all_user_hashes,
        admin=True,
    ),
    PoolAccountAction(
        name=SERVICE_CREATE_TOKEN,
        schema=CREATE_TOKEN_SCHEMA,
        handler=_create_token,
        supports_response=SupportsResponse.OPTIONAL,
    ),
    PoolAccountAction(
        name=SERVICE_CHECK_TOKEN,
        schema=CHECK_TOKEN_SCHEMA,
        handler=_check_token,
        # Also a write, when told to delete a verified token.
        supports_response=SupportsResponse.OPTIONAL,
    ),
)


def _pool_account_action_handler(
    action: PoolAccountAction,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Answer only callers that asked for a response (an optional one may be unwanted)."""

    async def handle(call: ServiceCall) -> ServiceResponse:
        response = await action.handler(call)
        return response if call.return_response else None

    return handle


def _register(
    hass: HomeAssistant,
    name: str,
    handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
    schema: ActionSchema,
    supports_response: SupportsResponse,
    *,
    admin: bool,
) -> None:
    if admin:
        async_register_admin_service(
            hass,
            DOMAIN,
            name,
            handler,
            schema=schema,
            supports_response=supports_response,
        )
    else:
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )


async def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions: the miners' and the pool accounts'."""
    for action in ACTIONS:
        _register(
            hass,
            action.name,
            _handler(action),
            action.schema,
            SupportsResponse.NONE
            if action.response_fn is None
            else SupportsResponse.OPTIONAL,
            admin=action.admin,
        )
    for pool_action in POOL_ACCOUNT_ACTIONS:
        _register(
            hass,
            pool_action.name,
            _pool_account_action_handler(pool_action),
            pool_action.schema,
            pool_action.supports_response,
            admin=pool_action.admin,
        )
