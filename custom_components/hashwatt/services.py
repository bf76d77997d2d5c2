"""Actions of the Hashwatt integration, registered once in ``async_setup``.

Every action targets one or more miner devices. All of them are resolved, and
every argument is validated, before anything is sent: a bad value or an unknown
device raises a translated ``ServiceValidationError`` and no miner hears of it.
The commands then run concurrently (farms have hundreds of miners), each miner's
failure reported under its own name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final, override

import probatio
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
    async_get_device_and_config_entry,
    async_register_admin_service,
)
from homeassistant.util import dt as dt_util, slugify

from .clients.whatsminer.client import (
    LED_PERIOD_RANGE,
    MAX_FIRMWARE_BYTES,
    MAX_POOLS,
    POWER_LIMIT_RANGE,
    POWER_PERCENT_RANGE,
    TARGET_FREQUENCY_RANGE,
    TEMPERATURE_OFFSET_RANGE,
    UPFREQ_SPEED_RANGE,
)
from .clients.whatsminer.errors import WhatsminerCommandError
from .clients.whatsminer.models import (
    ApiVersion,
    LedColor,
    NetworkConfig,
    PoolConfig,
    PowerMode,
    PowerPercentMode,
)
from .const import CONF_ENTRY_TYPE, DOMAIN, ENTRY_TYPE_WHATSMINER
from .coordinator import HashwattConfigEntry
from .helpers import miner_command

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

ATTR_COLOR: Final = "color"
ATTR_CONFIRM: Final = "confirm"
ATTR_DNS: Final = "dns"
ATTR_DURATION: Final = "duration"
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


DEVICES = probatio.All(cv.ensure_list, [cv.string], probatio.Length(min=1))
ONE_DEVICE = probatio.All(cv.ensure_list, [cv.string], probatio.Length(min=1, max=1))

DEVICES_SCHEMA = ActionSchema({probatio.Required(ATTR_DEVICE_ID): DEVICES})


def _devices_schema(
    fields: Mapping[Any, Any], devices: probatio.All[list[str]] = DEVICES
) -> ActionSchema:
    return ActionSchema({probatio.Required(ATTR_DEVICE_ID): devices, **fields})


SET_POWER_LIMIT_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_POWER_LIMIT): whole_number(POWER_LIMIT_RANGE)}
)
SET_POWER_PERCENT_SCHEMA = _devices_schema(
    {
        probatio.Required(ATTR_PERCENT): whole_number(POWER_PERCENT_RANGE),
        probatio.Optional(
            ATTR_MODE, default=PowerPercentMode.NORMAL.value
        ): probatio.In([mode.value for mode in PowerPercentMode]),
    }
)
SET_POWER_MODE_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_MODE): probatio.In([mode.value for mode in PowerMode])}
)
SET_TARGET_FREQUENCY_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_PERCENT): whole_number(TARGET_FREQUENCY_RANGE)}
)
SET_LED_SCHEMA = _devices_schema(
    {
        probatio.Required(ATTR_COLOR): probatio.In(
            [LED_AUTO, *(color.value for color in LedColor)]
        ),
        probatio.Optional(ATTR_PERIOD): whole_number(LED_PERIOD_RANGE),
        probatio.Optional(ATTR_DURATION): whole_number((0, LED_PERIOD_RANGE[1])),
        probatio.Optional(ATTR_START): whole_number((0, LED_PERIOD_RANGE[1])),
    }
)
UPDATE_POOLS_SCHEMA = _devices_schema(
    {
        marker(pool_field(number, part)): cv.string
        for number in range(1, MAX_POOLS + 1)
        for part, marker in (
            ("url", probatio.Required if number == 1 else probatio.Optional),
            ("worker", probatio.Required if number == 1 else probatio.Optional),
            ("password", probatio.Optional),
        )
    }
)
SET_TEMPERATURE_OFFSET_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_OFFSET): whole_number(TEMPERATURE_OFFSET_RANGE)}
)
SET_UPFREQ_SPEED_SCHEMA = _devices_schema(
    {probatio.Required(ATTR_SPEED): whole_number(UPFREQ_SPEED_RANGE)}
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


def _resolve_miners(call: ServiceCall) -> dict[str, HashwattConfigEntry]:
    """Map each targeted device to its loaded miner entry, before anything is sent."""
    miners: dict[str, HashwattConfigEntry] = {}
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
    entry: HashwattConfigEntry,
    command: Callable[[HashwattConfigEntry], Awaitable[R]],
) -> R:
    return await command(entry)


async def _async_send_all[R](
    miners: Mapping[str, HashwattConfigEntry],
    command: Callable[[HashwattConfigEntry], Awaitable[R]],
) -> dict[str, R]:
    """Send ``command`` to every miner at once; results by device ID.

    Each miner's command runs to its end whatever the others do. A failure on one
    miner is raised as it is; failures on several are summed up in one error.
    """
    slots = asyncio.Semaphore(MAX_CONCURRENT_MINERS)

    async def send(entry: HashwattConfigEntry) -> R:
        async with slots:
            return await _async_send(entry, command)

    device_ids = list(miners)
    outcomes = await asyncio.gather(
        *(send(miners[device_id]) for device_id in device_ids), return_exceptions=True
    )
    results: dict[str, R] = {}
    failures: list[tuple[HashwattConfigEntry, BaseException]] = []
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


type MinerCommand = Callable[[HashwattConfigEntry], Awaitable[Any]]
type Miners = Mapping[str, HashwattConfigEntry]
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
        LedColor(color), period, duration, start
    )


async def _pools_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    pools: list[PoolConfig] = []
    for number in range(1, MAX_POOLS + 1):
        url = call.data.get(pool_field(number, "url"))
        worker = call.data.get(pool_field(number, "worker"))
        password = call.data.get(pool_field(number, "password"))
        if url is None and worker is None and password is None:
            continue
        # A password alone is no pool: dropping it would clear the slot unasked.
        if url is None or worker is None:
            raise _invalid("pool_incomplete", pool=str(number))
        pools.append(PoolConfig(url=url, worker=worker, password=password or ""))
    return lambda entry: entry.runtime_data.client.update_pools(pools)


async def _change_password_command(call: ServiceCall, miners: Miners) -> MinerCommand:
    new_password: str = call.data[ATTR_NEW_PASSWORD]
    # API v2 takes at most 8 characters: refuse before changing any miner.
    if len(new_password) > V2_PASSWORD_MAX and (
        v2_miners := [
            entry.title
            for entry in miners.values()
            if entry.runtime_data.client.api is ApiVersion.V2
        ]
    ):
        raise _invalid("password_too_long_for_v2", miners=", ".join(v2_miners))

    async def change(entry: HashwattConfigEntry) -> None:
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
    config = NetworkConfig(
        ip=call.data[ATTR_IP],
        netmask=call.data[ATTR_NETMASK],
        gateway=call.data[ATTR_GATEWAY],
        dns=tuple(call.data[ATTR_DNS]),
        hostname=call.data[ATTR_HOSTNAME],
    )

    async def configure(entry: HashwattConfigEntry) -> None:
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

    async def download(entry: HashwattConfigEntry) -> str:
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
        firmware = path.read_bytes() if 0 < size <= MAX_FIRMWARE_BYTES else None
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
    command: Callable[[HashwattConfigEntry, ServiceCall], Awaitable[Any]],
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


async def _pre_power_on(entry: HashwattConfigEntry, call: ServiceCall) -> str:
    try:
        state = await entry.runtime_data.client.pre_power_on()
    except WhatsminerCommandError as error:
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
                call.data[ATTR_PERCENT], PowerPercentMode(call.data[ATTR_MODE])
            )
        ),
    ),
    MinerAction(
        name=SERVICE_SET_POWER_MODE,
        schema=SET_POWER_MODE_SCHEMA,
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_power_mode(
                PowerMode(call.data[ATTR_MODE])
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
        command_fn=_schema_checked(
            lambda entry, call: entry.runtime_data.client.set_upfreq_speed(
                call.data[ATTR_SPEED]
            )
        ),
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


async def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    for action in ACTIONS:
        supports_response = (
            SupportsResponse.NONE
            if action.response_fn is None
            else SupportsResponse.OPTIONAL
        )
        if action.admin:
            async_register_admin_service(
                hass,
                DOMAIN,
                action.name,
                _handler(action),
                schema=action.schema,
                supports_response=supports_response,
            )
        else:
            hass.services.async_register(
                DOMAIN,
                action.name,
                _handler(action),
                schema=action.schema,
                supports_response=supports_response,
            )
