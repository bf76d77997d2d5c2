"""Bad input to every field of every miner action: refused, and nothing is sent.

The fields come from the actions Home Assistant registered (their schemas), so
an action or field added later without bad inputs here fails the coverage test.
Each bad input is a valid call with one field spoiled (out of range, of the
wrong type, unknown) or one target replaced; it must raise a translated
``ServiceValidationError`` that names that field, and neither of the two
targeted miners may receive anything at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hashwatt.const import (
    CONF_ENTRY_TYPE,
    DOMAIN,
    ENTRY_TYPE_WHITEPOOL,
)
from custom_components.hashwatt.entity import (
    whitepool_account_identifier,
    whitepool_service_identifier,
)
from custom_components.hashwatt.services import ACTIONS, POOL_ACCOUNT_ACTIONS
from simulator.webminepool import WebMinePoolServer
from simulator.whatsminer import SimulatedMiner
from simulator.whitepool import WhitePoolServer
from tests.conftest import WEBMINEPOOL_SECRET_KEY, WHITEPOOL_API_SECRET

from .conftest import SecretWatch
from .report import BAD_INPUT, CaseRecord

OUT_OF_RANGE: Final = "out of range"
WRONG_TYPE: Final = "wrong type"
UNKNOWN: Final = "unknown value"
MISSING: Final = "missing"

type BadValues = list[tuple[str, Any]]

POOL_URL = "stratum+tcp://pool.example.com:3333"

# A valid call of each action (besides its targets): every case spoils one part.
VALID: Final[dict[str, dict[str, Any]]] = {
    "set_power_limit": {"power_limit": 3000},
    "set_power_percent": {"percent": 80, "mode": "normal"},
    "set_power_mode": {"mode": "low"},
    "set_target_frequency": {"percent": -10},
    "set_led": {"color": "red", "period": 1000, "duration": 500, "start": 0},
    "update_pools": {
        f"pool_{number}_{part}": value
        for number in (1, 2, 3)
        for part, value in (
            ("url", POOL_URL),
            ("worker", f"acct.rig{number}"),
            ("password", "x"),
        )
    },
    "reboot": {},
    "restart_mining": {},
    "set_temperature_offset": {"offset": -5},
    "set_upfreq_speed": {"speed": 3},
    "pre_power_on": {},
    "set_hostname": {"hostname": "rack3-slot12"},
    "set_timezone": {"timezone": "CST-8", "zone_name": "Asia/Shanghai"},
    "change_password": {"new_password": "new_pw1"},
    "network_config": {
        "mode": "static",
        "ip": "192.168.1.50",
        "netmask": "255.255.255.0",
        "gateway": "192.168.1.1",
        "dns": ["192.168.1.1"],
        "hostname": "rack3-slot12",
    },
    "download_logs": {},
    "update_firmware": {"path": "M50.bin"},
    "factory_reset": {"confirm": True},
    "set_power": {"power": 2500},
    "set_web_pools": {"enabled": True},
    "set_fan_zero_speed": {"enabled": False},
    "set_poweroff_cool": {"enabled": True},
    "set_log_server": {"ip": "192.168.1.10", "port": 514, "protocol": "udp"},
}

# Actions for one miner only: a hostname or a static address belongs to one.
ONE_MINER: Final = frozenset({"set_hostname", "network_config"})

WHOLE_NUMBER_TYPES: BadValues = [
    (WRONG_TYPE, "lots"),
    (WRONG_TYPE, True),
    (WRONG_TYPE, 2.5),
    (WRONG_TYPE, None),
    (WRONG_TYPE, [1]),
    (WRONG_TYPE, {"value": 1}),
]
TEXT_TYPES: BadValues = [
    (WRONG_TYPE, ["text"]),
    (WRONG_TYPE, {"text": 1}),
    (WRONG_TYPE, None),
]


def _whole(low: int, high: int) -> BadValues:
    return [(OUT_OF_RANGE, low - 1), (OUT_OF_RANGE, high + 1), *WHOLE_NUMBER_TYPES]


def _pool(number: int) -> dict[str, BadValues]:
    return {
        f"pool_{number}_url": [
            (UNKNOWN, "pool.example.com:3333"),  # no scheme
            (UNKNOWN, "http://pool.example.com:80"),
            (UNKNOWN, "stratum+tcp://pool.example.com"),  # no port
            (UNKNOWN, "stratum+tcp://pool example.com:3333"),
            (OUT_OF_RANGE, ""),
            *TEXT_TYPES,
        ],
        f"pool_{number}_worker": [
            (UNKNOWN, "acct rig1"),
            (UNKNOWN, "acct.rig1\n"),
            (OUT_OF_RANGE, ""),
            (OUT_OF_RANGE, "w" * 256),
            *TEXT_TYPES,
        ],
        f"pool_{number}_password": [
            (UNKNOWN, "pass word"),
            (OUT_OF_RANGE, "p" * 256),
            *TEXT_TYPES,
        ],
    }


HOSTNAMES: BadValues = [
    (UNKNOWN, "rack 3!"),
    (UNKNOWN, "rack_3"),
    (UNKNOWN, "-rack3"),
    (OUT_OF_RANGE, ""),
    (OUT_OF_RANGE, "r" * 64),
    *TEXT_TYPES,
]
ADDRESSES: BadValues = [
    (OUT_OF_RANGE, "192.168.1.500"),
    (UNKNOWN, "not-an-address"),
    (UNKNOWN, "fe80::1"),
    (OUT_OF_RANGE, ""),
    *TEXT_TYPES,
]

# Bad values of every field but the targets, by action.
BAD_VALUES: Final[dict[str, dict[str, BadValues]]] = {
    "set_power_limit": {"power_limit": _whole(0, 99999)},
    "set_power_percent": {
        "percent": _whole(0, 100),
        "mode": [
            (UNKNOWN, "turbo"),
            (UNKNOWN, ""),
            (WRONG_TYPE, 1),
            (WRONG_TYPE, None),
        ],
    },
    "set_power_mode": {
        "mode": [
            (UNKNOWN, "turbo"),
            (UNKNOWN, "LOW "),
            (WRONG_TYPE, 2),
            (WRONG_TYPE, None),
        ]
    },
    "set_target_frequency": {"percent": _whole(-100, 100)},
    "set_led": {
        "color": [
            (UNKNOWN, "blue"),
            (UNKNOWN, ""),
            (WRONG_TYPE, 1),
            (WRONG_TYPE, None),
        ],
        "period": _whole(1, 60000),
        # Also longer than the period (1000 ms), which the schema alone cannot see.
        "duration": [(OUT_OF_RANGE, 1001), *_whole(0, 60000)],
        "start": [(OUT_OF_RANGE, 1001), *_whole(0, 60000)],
    },
    "update_pools": {**_pool(1), **_pool(2), **_pool(3)},
    "reboot": {},
    "restart_mining": {},
    "set_temperature_offset": {"offset": _whole(-30, 0)},
    "set_upfreq_speed": {"speed": _whole(0, 9)},
    "pre_power_on": {},
    "set_hostname": {"hostname": HOSTNAMES},
    "set_timezone": {
        "timezone": [
            (UNKNOWN, "CST 8"),
            (OUT_OF_RANGE, ""),
            (OUT_OF_RANGE, "T" * 256),
            *TEXT_TYPES,
        ],
        "zone_name": [
            (UNKNOWN, "Asia/ Shanghai"),
            (UNKNOWN, "Asia/Shanghai\x00"),
            (OUT_OF_RANGE, ""),
            *TEXT_TYPES,
        ],
    },
    "change_password": {
        "new_password": [
            (UNKNOWN, "no spaces"),
            (UNKNOWN, "pässwort"),
            (OUT_OF_RANGE, ""),
            # API v2 miners take 8 characters at most (one of the two targets is v2).
            (OUT_OF_RANGE, "nine_char"),
            (OUT_OF_RANGE, "x" * 33),
            *TEXT_TYPES,
        ]
    },
    "network_config": {
        "mode": [(UNKNOWN, "bridge"), (WRONG_TYPE, 1), (WRONG_TYPE, None)],
        "ip": ADDRESSES,
        "netmask": ADDRESSES,
        "gateway": ADDRESSES,
        "dns": [
            (OUT_OF_RANGE, []),
            (OUT_OF_RANGE, ["1.1.1.1", "8.8.8.8", "9.9.9.9"]),
            (UNKNOWN, ["dns.example.com"]),
            (OUT_OF_RANGE, "999.1.1.1"),
            (WRONG_TYPE, {"server": "1.1.1.1"}),
            (WRONG_TYPE, None),
        ],
        "hostname": HOSTNAMES,
    },
    "download_logs": {},
    "update_firmware": {
        "path": [
            (UNKNOWN, "../secrets.yaml"),
            (UNKNOWN, "/etc/hostname"),
            (UNKNOWN, "missing.bin"),
            (UNKNOWN, "empty.bin"),
            (OUT_OF_RANGE, ""),
            *TEXT_TYPES,
        ]
    },
    "factory_reset": {
        "confirm": [
            (OUT_OF_RANGE, False),
            (WRONG_TYPE, "maybe"),
            (WRONG_TYPE, None),
            (WRONG_TYPE, [True]),
        ]
    },
    "set_power": {"power": _whole(0, 99999)},
    **{
        action: {
            "enabled": [
                (WRONG_TYPE, "maybe"),
                (WRONG_TYPE, None),
                (WRONG_TYPE, [True]),
            ]
        }
        for action in ("set_web_pools", "set_fan_zero_speed", "set_poweroff_cool")
    },
    "set_log_server": {
        "ip": ADDRESSES,
        "port": _whole(1, 65535),
        "protocol": [(UNKNOWN, "sctp"), (WRONG_TYPE, 1), (WRONG_TYPE, None)],
    },
}

# Calls missing a field another one needs: (what is incomplete, fields left out).
CROSS_FIELD: Final[dict[str, list[tuple[str, set[str]]]]] = {
    "set_led": [("period", {"period"})],  # a red or green pattern needs one
    "update_pools": [
        *((f"pool_{n}_url", {f"pool_{n}_url"}) for n in (2, 3)),
        *((f"pool_{n}_worker", {f"pool_{n}_worker"}) for n in (2, 3)),
        # A password for a slot with no pool: dropping it silently would also
        # clear the slot on the miner.
        *(
            (f"pool_{n}_password", {f"pool_{n}_url", f"pool_{n}_worker"})
            for n in (2, 3)
        ),
    ],
    "network_config": [
        (field, {field}) for field in ("ip", "netmask", "gateway", "dns", "hostname")
    ],
}

# What a field is called in the client's own validation errors.
CLIENT_NAMES: Final = {
    **{f"pool_{n}_url": f"pool{n}" for n in (1, 2, 3)},
    **{f"pool_{n}_worker": f"worker{n}" for n in (1, 2, 3)},
    **{f"pool_{n}_password": f"passwd{n}" for n in (1, 2, 3)},
    "offset": "temperature_offset",
    "referral_code": "referralCode",
    "speed": "upfreq_speed",
}


@dataclass(frozen=True)
class BadInput:
    """One spoiled call: which part, how, and the data sent."""

    part: str
    kind: str
    data: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.part} ({self.kind}): {self.data!r}"


def schema_fields(action: str) -> set[str]:
    """Return the fields an action's schema takes (its targets included)."""
    (registered,) = [a for a in ACTIONS if a.name == action]
    return {str(key) for key in registered.schema.schema}


def required_fields(action: str) -> set[str]:
    """Return the fields an action cannot do without."""
    (registered,) = [a for a in ACTIONS if a.name == action]
    return {
        str(key)
        for key in registered.schema.schema
        if type(key).__name__ == "Required" and str(key) != ATTR_DEVICE_ID
    }


def bad_inputs(action: str, targets: dict[str, Any]) -> list[BadInput]:
    """Every spoiled call of an action: each field, each extra, each target."""
    valid = VALID[action]
    good_targets = targets["miners"][:1] if action in ONE_MINER else targets["miners"]
    base = {ATTR_DEVICE_ID: good_targets, **valid}
    cases = [
        BadInput(field, kind, {**base, field: value})
        for field, values in BAD_VALUES[action].items()
        for kind, value in values
    ]
    cases += [
        BadInput(field, MISSING, {k: v for k, v in base.items() if k != field})
        for field in sorted(required_fields(action))
    ]
    cases += [
        BadInput(part, MISSING, {k: v for k, v in base.items() if k not in gone})
        for part, gone in CROSS_FIELD.get(action, ())
    ]
    cases.append(BadInput("an unknown field", UNKNOWN, {**base, "turbo": True}))
    cases += [
        BadInput(ATTR_DEVICE_ID, kind, {**valid, ATTR_DEVICE_ID: target})
        for kind, target in (
            (UNKNOWN, "not-a-device"),
            (UNKNOWN, [*good_targets, "not-a-device"]),
            (UNKNOWN, targets["other_integration"]),
            (UNKNOWN, [*good_targets, targets["not_a_miner"]]),
            (OUT_OF_RANGE, []),
            (WRONG_TYPE, None),
            (WRONG_TYPE, {"id": good_targets[0]}),
            (MISSING, None),
        )
    ]
    if action in ONE_MINER:
        cases.append(
            BadInput(
                ATTR_DEVICE_ID,
                OUT_OF_RANGE,
                {**base, ATTR_DEVICE_ID: targets["miners"]},
            )
        )
    # A missing target means no device_id key at all.
    return [
        case
        if not (case.part == ATTR_DEVICE_ID and case.kind == MISSING)
        else BadInput(case.part, MISSING, dict(valid))
        for case in cases
    ]


def mentions(error: ServiceValidationError, field: str) -> bool:
    """Tell whether a translated validation error is about ``field``."""
    placeholders = error.translation_placeholders or {}
    if "field" not in placeholders:
        return True  # a rule across fields (pattern, pool slots, targets) says which
    named = placeholders["field"]
    return named in {field, CLIENT_NAMES.get(field), "turbo"} or named.startswith(
        f"{field}."
    )


def _device_of(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, str(entry.unique_id)), entry.entry_id
    )
    assert device is not None
    return device.id


@pytest.fixture
def targets(
    hass: HomeAssistant, init_integration: MockConfigEntry, bystander: MockConfigEntry
) -> dict[str, Any]:
    """Two miners (API v2 and v3), a device of another integration, a pool account."""
    other = MockConfigEntry(domain="other_integration")
    other.add_to_hass(hass)
    pool = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: ENTRY_TYPE_WHITEPOOL})
    pool.add_to_hass(hass)
    registry = dr.async_get(hass)
    return {
        "miners": [_device_of(hass, init_integration), _device_of(hass, bystander)],
        "other_integration": registry.async_get_or_create(
            config_entry_id=other.entry_id, identifiers={("other_integration", "x")}
        ).id,
        "not_a_miner": registry.async_get_or_create(
            config_entry_id=pool.entry_id, identifiers={(DOMAIN, "pool account")}
        ).id,
    }


@pytest.fixture
def firmware_folder(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A configuration folder with one good image, one empty, and a secret outside."""
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "hashwatt" / "firmware"
    folder.mkdir(parents=True)
    (folder / "M50.bin").write_bytes(b"\x7fIMG" * 256)
    (folder / "empty.bin").write_bytes(b"")
    (tmp_path / "secrets.yaml").write_text("password: hunter2\n")
    return folder


def test_every_field_has_bad_inputs() -> None:
    """The table covers every action Home Assistant registers, and each of its fields."""
    assert set(BAD_VALUES) == {action.name for action in ACTIONS} == set(VALID)
    for action, fields in BAD_VALUES.items():
        assert set(fields) | {ATTR_DEVICE_ID} == schema_fields(action), action


@pytest.mark.parametrize("action", [action.name for action in ACTIONS])
@pytest.mark.parametrize("miner_api", ["v3"])  # and the bystander speaks v2
async def test_bad_input_is_refused_before_sending(  # noqa: PLR0917  # fixtures
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    bystander_miner: SimulatedMiner,
    targets: dict[str, Any],
    firmware_folder: Path,
    secret_watch: SecretWatch,
    record_case: Callable[[CaseRecord], None],
    action: str,
) -> None:
    """Every spoiled call of one action raises ServiceValidationError; no miner hears of it."""
    (registered,) = [a for a in ACTIONS if a.name == action]
    # The valid call passes the schema: each case fails for its spoiled part only.
    registered.schema({ATTR_DEVICE_ID: targets["miners"][:1], **VALID[action]})
    cases = bad_inputs(action, targets)
    problems: list[str] = []
    refused = sent = 0
    for case in cases:
        before = (len(simulated_miner.requests), len(bystander_miner.requests))
        try:
            await hass.services.async_call(DOMAIN, action, case.data, blocking=True)
        except ServiceValidationError as error:
            secret_watch.saw(error)
            refused += 1
            if not error.translation_key or not mentions(error, case.part):
                problems.append(f"{case}: refused for something else: {error!r}")
        except Exception as error:  # noqa: BLE001  # any other outcome is the finding
            secret_watch.saw(error)
            problems.append(f"{case}: raised {type(error).__name__}: {error}")
        else:
            problems.append(f"{case}: accepted")
        await hass.async_block_till_done()
        after = (len(simulated_miner.requests), len(bystander_miner.requests))
        if after != before:
            sent += 1
            problems.append(f"{case}: reached a miner")

    record_case(
        CaseRecord(
            section=BAD_INPUT,
            case=action,
            fault="bad input",
            target=action,
            facts={"inputs": len(cases), "refused": refused, "sent": sent},
        )
    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("service", "entity_id", "data"),
    [
        (
            "number.set_value",
            "number.miner_1_power_limit_restarts_mining",
            {"value": -1},
        ),
        (
            "number.set_value",
            "number.miner_1_power_limit_restarts_mining",
            {"value": 100000},
        ),
        (
            "select.select_option",
            "select.miner_1_power_mode_restarts_mining",
            {"option": "turbo"},
        ),
    ],
)
async def test_bad_entity_values_are_refused_before_sending(  # noqa: PLR0917  # fixtures
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    secret_watch: SecretWatch,
    record_case: Callable[[CaseRecord], None],
    service: str,
    entity_id: str,
    data: dict[str, Any],
) -> None:
    """A control's value outside what it offers is refused by Home Assistant; nothing is sent."""
    domain, name = service.split(".")
    before = len(simulated_miner.requests)

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            domain, name, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
        )
    secret_watch.saw(raised.value)
    await hass.async_block_till_done()

    sent = len(simulated_miner.requests) - before
    record_case(
        CaseRecord(
            section=BAD_INPUT,
            case=f"{service}-{data}",
            fault="bad input",
            target=f"{service} {entity_id}: {data}",
            facts={"inputs": 1, "refused": 1, "sent": sent},
        )
    )
    assert sent == 0


# --- Pool actions ------------------------------------------------------------------------------

POOL_VALID: Final[dict[str, dict[str, Any]]] = {
    "create_mining_account": {"name": "new_account_1", "referral_code": "REF123"},
    "set_payout_destination": {"destination": "main_balance"},
    "create_watcher_link": {
        "name": "friends",
        "permissions": ["dashboard"],
        "live_until": "24h",
    },
    "list_watcher_links": {},
    "get_rewards": {
        "start": "2024-03-01T00:00:00+00:00",
        "end": "2024-03-02T00:00:00+00:00",
    },
    "create_user": {"username": "dave", "referral": "alice"},
    "delete_user": {"username": "alice"},
    "withdraw": {"username": "alice", "amount": 1000},
    "reset_user_hashes": {"username": "alice"},
    "reset_all_user_hashes": {"confirm": True},
    "create_token": {"hashes": 1000, "username": "alice"},
    "check_token": {"token_id": "tok_1", "unset": False},
}
# What each pool action targets: a WhiteBIT mining account's device, or an entry.
POOL_TARGET: Final = {
    "create_mining_account": ("config_entry_id", "whitepool"),
    "set_payout_destination": (ATTR_DEVICE_ID, "account"),
    "create_watcher_link": (ATTR_DEVICE_ID, "account"),
    "list_watcher_links": (ATTR_DEVICE_ID, "account"),
    "get_rewards": (ATTR_DEVICE_ID, "account"),
    **dict.fromkeys(
        (
            "create_user",
            "delete_user",
            "withdraw",
            "reset_user_hashes",
            "reset_all_user_hashes",
            "create_token",
            "check_token",
        ),
        ("config_entry_id", "webminepool"),
    ),
}

ACCOUNT_NAMES: BadValues = [
    (UNKNOWN, "bad name!"),
    (UNKNOWN, "naïve"),
    (OUT_OF_RANGE, ""),
    (OUT_OF_RANGE, "n" * 256),
    *TEXT_TYPES,
]
# WebMinePool puts user names in the URL's path: no slash, query or control characters.
USER_NAMES: BadValues = [
    (UNKNOWN, "a/b"),
    (UNKNOWN, "a?b"),
    (UNKNOWN, "a#b"),
    (UNKNOWN, "tab\there"),
    (OUT_OF_RANGE, ""),
    (OUT_OF_RANGE, "u" * 256),
    *TEXT_TYPES,
]
HASH_COUNTS: BadValues = [
    (OUT_OF_RANGE, 0),
    (OUT_OF_RANGE, -5),
    (OUT_OF_RANGE, 10**18 + 1),
    *WHOLE_NUMBER_TYPES,
]
DATES: BadValues = [
    (UNKNOWN, "yesterday"),
    (UNKNOWN, "2024-02-30T00:00:00"),
    (WRONG_TYPE, None),
    (WRONG_TYPE, ["2024-03-01"]),
]

POOL_BAD_VALUES: Final[dict[str, dict[str, BadValues]]] = {
    "create_mining_account": {
        "name": ACCOUNT_NAMES,
        "referral_code": [
            (UNKNOWN, "ref\n123"),
            (OUT_OF_RANGE, "r" * 256),
            *TEXT_TYPES,
        ],
    },
    "set_payout_destination": {
        "destination": [(UNKNOWN, "wallet"), (WRONG_TYPE, 1), (WRONG_TYPE, None)],
        # An address is only for an external destination.
        "address": [(UNKNOWN, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")],
    },
    "create_watcher_link": {
        "name": ACCOUNT_NAMES,
        "permissions": [
            (OUT_OF_RANGE, []),
            (UNKNOWN, ["admin"]),
            (UNKNOWN, ["dashboard", "withdraw"]),
            (WRONG_TYPE, None),
            (WRONG_TYPE, {"dashboard": True}),
        ],
        "live_until": [
            (UNKNOWN, "forever"),
            (UNKNOWN, "2d"),
            (WRONG_TYPE, 24),
            (WRONG_TYPE, None),
        ],
    },
    "list_watcher_links": {},
    "get_rewards": {
        "start": [*DATES, (OUT_OF_RANGE, "2024-03-03T00:00:00+00:00")],  # after the end
        "end": [
            *DATES,
            (OUT_OF_RANGE, "2024-02-28T00:00:00+00:00"),
        ],  # before the start
    },
    "create_user": {"username": USER_NAMES, "referral": USER_NAMES[:4]},
    "delete_user": {"username": USER_NAMES},
    "withdraw": {"username": USER_NAMES, "amount": HASH_COUNTS},
    "reset_user_hashes": {"username": USER_NAMES},
    "reset_all_user_hashes": {
        "confirm": [(OUT_OF_RANGE, False), (WRONG_TYPE, "maybe"), (WRONG_TYPE, None)]
    },
    "create_token": {"hashes": HASH_COUNTS, "username": USER_NAMES[:4]},
    "check_token": {
        "token_id": [(UNKNOWN, "a/b"), (OUT_OF_RANGE, ""), *TEXT_TYPES],
        "unset": [(WRONG_TYPE, "maybe"), (WRONG_TYPE, [True])],
    },
}
POOL_CROSS_FIELD: Final[dict[str, list[tuple[str, dict[str, Any]]]]] = {
    # An external destination needs a valid Bitcoin address.
    "set_payout_destination": [
        ("address", {"destination": "external_address"}),
        ("address", {"destination": "external_address", "address": "not-an-address"}),
        (
            "address",
            {
                "destination": "external_address",
                "address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyY",  # bad checksum
            },
        ),
    ],
}


def pool_schema(action: str) -> Any:
    (registered,) = [a for a in POOL_ACCOUNT_ACTIONS if a.name == action]
    return registered.schema


def pool_bad_inputs(action: str, targets: dict[str, Any]) -> list[BadInput]:
    """Every spoiled call of a pool action: each field, each extra, each target."""
    valid = POOL_VALID[action]
    key, kind_of_target = POOL_TARGET[action]
    target = targets[kind_of_target]
    base = {key: target, **valid}
    schema = pool_schema(action)
    required = {
        str(k)
        for k in schema.schema
        if type(k).__name__ == "Required" and str(k) != key
    }
    cases = [
        BadInput(field, kind, {**base, field: value})
        for field, values in POOL_BAD_VALUES[action].items()
        for kind, value in values
    ]
    cases += [
        BadInput(field, MISSING, {k: v for k, v in base.items() if k != field})
        for field in sorted(required)
    ]
    cases += [
        BadInput(part, MISSING, {**base, **changes})
        for part, changes in POOL_CROSS_FIELD.get(action, ())
    ]
    cases.append(BadInput("an unknown field", UNKNOWN, {**base, "turbo": True}))
    if key == ATTR_DEVICE_ID:
        wrong_targets: list[tuple[str, Any]] = [
            (UNKNOWN, "not-a-device"),
            (UNKNOWN, targets["other_integration"]),
            (UNKNOWN, targets["pool_service_device"]),  # the pool, not an account
            (UNKNOWN, targets["miner"]),
            (OUT_OF_RANGE, []),
            (WRONG_TYPE, None),
        ]
    else:
        other_pool = "webminepool" if kind_of_target == "whitepool" else "whitepool"
        wrong_targets = [
            (UNKNOWN, "not-an-entry"),
            (UNKNOWN, targets[other_pool]),  # an entry of the other kind
            (UNKNOWN, targets["miner_entry"]),
            (WRONG_TYPE, None),
            (WRONG_TYPE, [target]),
        ]
    cases += [
        BadInput(key, kind, {**valid, key: value}) for kind, value in wrong_targets
    ]
    cases.append(BadInput(key, MISSING, dict(valid)))
    return cases


@pytest.fixture
def pool_targets(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    init_whitepool: MockConfigEntry,
    init_webminepool: MockConfigEntry,
) -> dict[str, Any]:
    """The pool entries, the account's device, and things that are no target."""
    registry = dr.async_get(hass)
    other = MockConfigEntry(domain="other_integration")
    other.add_to_hass(hass)
    account = registry.async_get_device_by_identifier(
        whitepool_account_identifier("my_miner_01"), init_whitepool.entry_id
    )
    service = registry.async_get_device_by_identifier(
        whitepool_service_identifier(init_whitepool), init_whitepool.entry_id
    )
    assert account is not None
    assert service is not None
    return {
        "whitepool": init_whitepool.entry_id,
        "webminepool": init_webminepool.entry_id,
        "account": [account.id],
        "pool_service_device": [service.id],
        "miner": [_device_of(hass, init_integration)],
        "miner_entry": init_integration.entry_id,
        "other_integration": registry.async_get_or_create(
            config_entry_id=other.entry_id, identifiers={("other_integration", "x")}
        ).id,
    }


def test_every_pool_field_has_bad_inputs() -> None:
    """The pool table covers every pool action and each of its fields."""
    names = {action.name for action in POOL_ACCOUNT_ACTIONS}
    assert set(POOL_BAD_VALUES) == names == set(POOL_VALID) == set(POOL_TARGET)
    for action, fields in POOL_BAD_VALUES.items():
        key = POOL_TARGET[action][0]
        assert set(fields) | {key} == {str(k) for k in pool_schema(action).schema}


@pytest.mark.parametrize("action", [action.name for action in POOL_ACCOUNT_ACTIONS])
async def test_bad_pool_input_is_refused_before_sending(  # noqa: PLR0917  # fixtures
    hass: HomeAssistant,
    simulated_miner: SimulatedMiner,
    whitepool_mock: WhitePoolServer,
    webminepool_mock: WebMinePoolServer,
    pool_targets: dict[str, Any],
    secret_watch: SecretWatch,
    record_case: Callable[[CaseRecord], None],
    action: str,
) -> None:
    """Every spoiled call of one pool action is refused; no pool (or miner) hears of it."""
    secret_watch.add("WhiteBIT API secret", WHITEPOOL_API_SECRET)
    secret_watch.add("WebMinePool secret key", WEBMINEPOOL_SECRET_KEY)
    key, kind_of_target = POOL_TARGET[action]
    # The valid call passes the schema: each case fails for its spoiled part only.
    pool_schema(action)({key: pool_targets[kind_of_target], **POOL_VALID[action]})
    cases = pool_bad_inputs(action, pool_targets)

    def sent() -> tuple[int, int, int]:
        return (
            len(whitepool_mock.requests),
            len(webminepool_mock.calls),
            len(simulated_miner.requests),
        )

    problems: list[str] = []
    refused = reached = 0
    for case in cases:
        before = sent()
        try:
            await hass.services.async_call(DOMAIN, action, case.data, blocking=True)
        except ServiceValidationError as error:
            secret_watch.saw(error)
            refused += 1
            if not error.translation_key or not mentions(error, case.part):
                problems.append(f"{case}: refused for something else: {error!r}")
        except Exception as error:  # noqa: BLE001  # any other outcome is the finding
            secret_watch.saw(error)
            problems.append(f"{case}: raised {type(error).__name__}: {error}")
        else:
            problems.append(f"{case}: accepted")
        await hass.async_block_till_done()
        if sent() != before:
            reached += 1
            problems.append(f"{case}: reached a pool or a miner")

    record_case(
        CaseRecord(
            section=BAD_INPUT,
            case=action,
            fault="bad input",
            target=action,
            facts={"inputs": len(cases), "refused": refused, "sent": reached},
        )
    )
    assert not problems, "\n".join(problems)
