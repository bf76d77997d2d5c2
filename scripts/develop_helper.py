"""What scripts/develop does in Python: prepare config/, then wait for Home Assistant.

scripts/develop runs it with .venv's Python and the repository on PYTHONPATH:

    python scripts/develop_helper.py prepare CONFIG_DIR --username U --password P [demo options]
    python scripts/develop_helper.py wait URL PID --username U --password P

``prepare`` never wipes anything: files the user may edit (configuration.yaml,
automations, the database, the registries) are created once; what follows the demo is
brought up to date on every run: the custom component, dashboard and blueprint links,
the generated package (fleet totals, and a demo electricity price and grid power for
the blueprints), the Hashwatt config entries of the simulated miners (added when
missing, pointed at the miners' current addresses otherwise), and the demo phone (a
mobile app registration whose notifications go to the simulator's push service). It also installs the few
packages Home Assistant needs for this configuration and the test environment lacks (the
frontend), so Home Assistant itself runs with --skip-pip and never changes .venv behind
the tests' back.

``wait`` logs in as the demo user, waits until Home Assistant runs, and says how the
Hashwatt entries are doing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import homeassistant
from homeassistant import bootstrap, config_entries
from homeassistant.auth.providers import homeassistant as auth_provider
from homeassistant.components.http import (
    CONF_SERVER_HOST,
    config as http_config,
)
from homeassistant.components.onboarding import (
    STORAGE_KEY as ONBOARDING_KEY,
    STORAGE_VERSION as ONBOARDING_VERSION,
    const as onboarding_const,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_SCAN_INTERVAL,
    CONF_URL,
)
from homeassistant.helpers.device_registry import format_mac
from homeassistant.util.package import is_installed

from custom_components.hashwatt.config_flow import HashwattConfigFlow
from custom_components.hashwatt.const import (
    CONF_API,
    CONF_ENTRY_TYPE,
    CONF_READ_ONLY,
    CONF_V2_PORT,
    CONF_V3_PORT,
    DOMAIN,
    ENTRY_TYPE_WHATSMINER,
    MIN_SCAN_INTERVAL,
)
from simulator import demo

ROOT: Final = Path(__file__).resolve().parent.parent
HA_COMPONENTS: Final = Path(homeassistant.__file__).parent / "components"
DASHBOARD_FILE: Final = "hashwatt-dashboard.yaml"
PACKAGE_FILE: Final = "packages/hashwatt_demo.yaml"
DEMO_FILE: Final = ".hashwatt-demo.json"  # read by scripts/develop_hass.py
# What CONFIGURATION sets up besides Home Assistant's defaults (bootstrap.py).
CONFIGURED: Final = (
    "history",
    "logbook",
    "energy",
    "automation",
    "script",
    "scene",
    "logger",
    "lovelace",
    "template",
    "mobile_app",  # the demo phone the notification blueprint notifies
)
# Requirements that could not be installed (no wheel, no compiler): not retried every run.
FAILED_REQUIREMENTS: Final = ROOT / ".cache" / "develop" / "failed-requirements.txt"

CONFIGURATION: Final = """\
# Home Assistant configuration for scripts/develop (made once; yours to edit).
homeassistant:
  name: Hashwatt demo
  latitude: 52.37
  longitude: 4.9
  elevation: 0
  unit_system: metric
  currency: EUR
  country: NL
  time_zone: {time_zone}
  # packages/hashwatt_demo.yaml is rewritten on every run of scripts/develop.
  packages: !include_dir_named packages

# Not default_config: it also loads Bluetooth, USB, DHCP and zeroconf discovery, Assist,
# the cloud, go2rtc and the alerts feed, which want hardware, system packages or the
# internet. Home Assistant's defaults (automations, scripts, helpers...) load anyway;
# these add what a look at the mine needs.
history:
logbook:
energy:

automation: !include automations.yaml
script: !include scripts.yaml
scene: !include scenes.yaml

logger:
  default: warning
  logs:
    custom_components.hashwatt: info
    # Home Assistant's defaults load camera and ffmpeg support, which log errors when
    # libturbojpeg or the ffmpeg program is missing: nothing the demo uses.
    haffmpeg: critical
    homeassistant.components.camera.img_util: critical
    # Python's own zlib serves a demo well enough.
    aiohttp_fast_zlib: error

lovelace:
  dashboards:
    hashwatt-mine:
      mode: yaml
      title: Mine
      icon: mdi:pickaxe
      show_in_sidebar: true
      # A link to docs/dashboard.yaml in the repository: edit that file, then reload.
      filename: {dashboard}
"""

PACKAGE_HEADER: Final = """\
# Made by scripts/develop on every run: edits here are lost.
# The fleet totals docs/dashboard.yaml shows. In your own Home Assistant, make the sums in
# Settings > Devices & services > Helpers > Create helper > Group > Sensor group (Sum),
# and the efficiency (power / hashrate) with Create helper > Template > Sensor.
# For trying the blueprints: a demo electricity price (EUR/kWh, cheapest around solar
# noon and at night, dearest in the evening) and a demo grid power (W; negative while
# exporting: a 25 kWp roof in the sun, less the house and the fleet).
"""
BLUEPRINTS: Final = ROOT / "blueprints" / "automation" / "hashwatt"
# The electricity price over the day: an evening peak, a dip at solar noon. It crosses
# the demo fleet's break-even price (about 0.06 EUR/kWh) twice a day or more.
ELECTRICITY_PRICE: Final = (
    "{% set h = now().hour + now().minute / 60 %}"
    "{% set noon = (h - 13) / 2.5 %}"
    "{{ (0.08 + 0.05 * cos(2 * pi * (h - 19) / 24)"
    " - 0.06 * e ** (0 - noon * noon)) | round(4) }}"
)
# What the grid meter reads: the house (400 W) and the fleet, less a 25 kWp roof.
GRID_POWER: Final = (
    "{% set h = now().hour + now().minute / 60 %}"
    "{% set solar = 25000 * sin(pi * (h - 6) / 14) if 6 < h < 20 else 0 %}"
    "{{ (400 + states('sensor.fleet_power') | float(0) - solar) | round(0) }}"
)
PHONE_DEVICE_ID: Final = "hashwatt-demo-phone"
PHONE_APP_ID: Final = "io.homeassistant.companion.android"


def _fleet_sensor(
    name: str,
    entity_ids: list[str],
    unit: str,
    *,
    device_class: str | None = None,
    state_class: str = "measurement",
    every_miner: bool = False,
) -> dict[str, Any]:
    """A template sensor summing one sensor over the fleet, rounded for display.

    ``every_miner``: unavailable unless every miner answers. An energy total must not
    drop while a miner is away: statistics would read the drop as a meter reset.
    """
    ids = json.dumps(entity_ids)
    numbers = f"{ids} | map('states') | select('is_number')"
    sensor: dict[str, Any] = {
        "name": name,
        "unique_id": f"hashwatt_demo_{_slug(name)}",
        "unit_of_measurement": unit,
        "state_class": state_class,
        "state": f"{{{{ {numbers} | map('float') | sum | round(3) }}}}",
        "availability": f"{{{{ {numbers} | list | count "
        + (f"== {len(entity_ids)} }}}}" if every_miner else "> 0 }}"),
    }
    if device_class is not None:
        sensor["device_class"] = device_class
    return sensor


def fleet_package(miners: list[str]) -> dict[str, Any]:
    """Fleet hashrate, power, efficiency and energy over the named miners."""

    def ids(suffix: str) -> list[str]:
        return [f"sensor.{miner}_{suffix}" for miner in miners]

    efficiency = {
        "name": "Fleet efficiency",
        "unique_id": "hashwatt_demo_fleet_efficiency",
        "unit_of_measurement": "J/TH",
        "state_class": "measurement",
        "icon": "mdi:lightning-bolt-circle",
        "state": "{{ (states('sensor.fleet_power') | float"
        " / states('sensor.fleet_hashrate') | float) | round(2) }}",
        "availability": "{{ states('sensor.fleet_power') | is_number"
        " and states('sensor.fleet_hashrate') | float(0) > 0 }}",
    }
    demo_helpers = [
        {
            "name": "Demo electricity price",
            "unique_id": "hashwatt_demo_electricity_price",
            "unit_of_measurement": "EUR/kWh",
            "state_class": "measurement",
            "icon": "mdi:cash-clock",
            "state": ELECTRICITY_PRICE,
        },
        {
            "name": "Demo grid power",
            "unique_id": "hashwatt_demo_grid_power",
            "unit_of_measurement": "W",
            "device_class": "power",
            "state_class": "measurement",
            "state": GRID_POWER,
        },
    ]
    sensors = [
        *demo_helpers,
        _fleet_sensor("Fleet hashrate", ids("hashrate"), "TH/s"),
        _fleet_sensor("Fleet power", ids("power"), "W", device_class="power"),
        efficiency,
        _fleet_sensor(
            "Fleet energy",
            ids("energy"),
            "kWh",
            device_class="energy",
            state_class="total_increasing",
            every_miner=True,
        ),
    ]
    return {"template": [{"sensor": sensors}]}


def say(text: str) -> None:
    """Tell the user what is being done (scripts/develop's "==>" style)."""
    sys.stdout.write(f"==> {text}\n")
    sys.stdout.flush()


def _time_zone() -> str:
    """This machine's time zone, so the demo's clocks read like the user's own."""
    if (zone := os.environ.get("TZ", "").lstrip(":")) and "/" in zone:
        return zone
    localtime = Path("/etc/localtime").resolve()
    if "zoneinfo" in localtime.parts:
        return "/".join(localtime.parts[localtime.parts.index("zoneinfo") + 1 :])
    return "UTC"


def _slug(name: str) -> str:
    """The object ID Home Assistant makes of a device name (for the names the demo uses)."""
    return name.lower().replace("-", "_").replace(" ", "_")


def _write_if_missing(path: Path, text: str) -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        say(f"Created {path}")


def _link(link: Path, target: Path) -> None:
    """Point ``link`` at ``target``; leave a real file or folder there alone."""
    if link.is_symlink():
        if link.resolve() == target.resolve():
            return
        link.unlink()
    elif link.exists():
        say(f"Keeping {link} (not a link to {target}: yours)")
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent))
    say(f"Linked {link} -> {target}")


def _read_store(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return stored


def _write_store(
    path: Path, key: str, version: int, minor_version: int, data: dict[str, Any]
) -> None:
    """Write a Home Assistant storage file the way its Store does (private: 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {"version": version, "minor_version": minor_version, "key": key}
    stored["data"] = data
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)


def write_files(config: Path, description: dict[str, Any]) -> None:
    """Create the configuration once; rewrite the generated package every time."""
    config.mkdir(parents=True, exist_ok=True)
    _write_if_missing(
        config / "configuration.yaml",
        CONFIGURATION.format(time_zone=_time_zone(), dashboard=DASHBOARD_FILE),
    )
    for name in ("automations.yaml", "scripts.yaml", "scenes.yaml"):
        _write_if_missing(config / name, "[]\n" if name != "scripts.yaml" else "{}\n")
    _link(config / "custom_components" / DOMAIN, ROOT / "custom_components" / DOMAIN)
    _link(config / DASHBOARD_FILE, ROOT / "docs" / "dashboard.yaml")
    # The blueprints, installed as by hand; file by file, as Home Assistant does
    # not look into a linked folder.
    for blueprint in sorted(BLUEPRINTS.glob("*.yaml")):
        _link(
            config / "blueprints" / "automation" / "hashwatt" / blueprint.name,
            blueprint,
        )

    # What the demo serves, for scripts/develop_hass.py (the pools' URLs).
    demo_file = config / DEMO_FILE
    demo_file.write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    demo_file.chmod(0o600)

    miners = [_slug(miner["name"]) for miner in description["miners"]]
    package = config / PACKAGE_FILE
    package.parent.mkdir(parents=True, exist_ok=True)
    # JSON is YAML: no YAML library needed to write it.
    package.write_text(
        PACKAGE_HEADER + json.dumps(fleet_package(miners), indent=2) + "\n",
        encoding="utf-8",
    )


@dataclass(frozen=True, slots=True)
class WantedEntry:
    """A config entry the demo needs: what its config flow would store."""

    unique_id: str
    title: str
    data: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    domain: str = DOMAIN
    source: str = config_entries.SOURCE_USER


def miner_entries(description: dict[str, Any]) -> list[WantedEntry]:
    """The miners' entries, as config_flow._miner_entry_data makes them."""
    return [
        WantedEntry(
            unique_id=format_mac(miner["mac"]),
            title=miner["name"],
            data={
                CONF_ENTRY_TYPE: ENTRY_TYPE_WHATSMINER,
                CONF_HOST: miner["host"],
                CONF_PASSWORD: miner["password"],
                CONF_V2_PORT: miner["v2_port"],
                CONF_V3_PORT: miner["v3_port"],
                CONF_API: miner["api"],
                CONF_READ_ONLY: False,
            },
            # Poll every 10 s rather than 30: the demo should look alive.
            options={CONF_SCAN_INTERVAL: MIN_SCAN_INTERVAL},
        )
        for miner in description["miners"]
    ]


def pool_entries(description: dict[str, Any]) -> list[WantedEntry]:
    """The WhiteBIT mining pool and WebMinePool entries, as config_flow makes them."""
    # The pool layer is younger than the miners': a tree without it gets no pool entries.
    try:
        from custom_components.hashwatt.clients.whitepool.models import (  # noqa: PLC0415
            MiningAccount,
        )
        from custom_components.hashwatt.config_flow import (  # noqa: PLC0415
            WEBMINEPOOL_TITLE,
            whitepool_title,
        )
        from custom_components.hashwatt.const import (  # noqa: PLC0415
            CONF_API_SECRET,
            CONF_REGION,
            CONF_SECRET_KEY,
            ENTRY_TYPE_WEBMINEPOOL,
            ENTRY_TYPE_WHITEPOOL,
            REGION_COM,
        )
        from custom_components.hashwatt.coordinator import (  # noqa: PLC0415
            key_fingerprint,
        )
    except ImportError:
        return []
    whitepool, webminepool = description["whitepool"], description["webminepool"]
    accounts = tuple(
        MiningAccount(
            account["name"], datetime.fromtimestamp(account["created_at"], UTC)
        )
        for account in whitepool["accounts"]
    )
    return [
        WantedEntry(
            unique_id=key_fingerprint(ENTRY_TYPE_WHITEPOOL, whitepool["api_key"]),
            title=whitepool_title(accounts),
            data={
                CONF_ENTRY_TYPE: ENTRY_TYPE_WHITEPOOL,
                CONF_API_KEY: whitepool["api_key"],
                CONF_API_SECRET: whitepool["api_secret"],
                # The mock stands in for whitebit.com (see scripts/develop_hass.py).
                CONF_REGION: REGION_COM,
            },
        ),
        WantedEntry(
            unique_id=key_fingerprint(
                ENTRY_TYPE_WEBMINEPOOL, webminepool["secret_key"]
            ),
            title=WEBMINEPOOL_TITLE,
            data={
                CONF_ENTRY_TYPE: ENTRY_TYPE_WEBMINEPOOL,
                CONF_SECRET_KEY: webminepool["secret_key"],
            },
        ),
    ]


def network_entries(description: dict[str, Any]) -> list[WantedEntry]:
    """The Bitcoin-network entry, pointed at the demo's mempool.space mock."""
    # The network entry is younger still: a tree without it gets none.
    try:
        from custom_components.hashwatt.config_flow import (  # noqa: PLC0415
            BITCOIN_NETWORK_TITLE,
            network_unique_id,
        )
        from custom_components.hashwatt.const import (  # noqa: PLC0415
            ENTRY_TYPE_BITCOIN_NETWORK,
        )
    except ImportError:
        return []
    if "mempool" not in description:
        return []
    url = description["mempool"]["url"]
    return [
        WantedEntry(
            unique_id=network_unique_id(url),
            # The mock stands in for mempool.space: the public instance's title.
            title=BITCOIN_NETWORK_TITLE,
            data={CONF_ENTRY_TYPE: ENTRY_TYPE_BITCOIN_NETWORK, CONF_URL: url},
        )
    ]


def phone_entry(description: dict[str, Any]) -> WantedEntry:
    """The demo phone: what the mobile app integration stores for a registered app.

    Its notifications go to the simulator's push service, which prints them.
    """
    return WantedEntry(
        unique_id=f"{PHONE_APP_ID}-{PHONE_DEVICE_ID}",
        title="Demo phone",
        data={
            "app_data": {
                "push_token": "hashwatt-demo-push-token",
                "push_url": description["phone"]["push_url"],
            },
            "app_id": PHONE_APP_ID,
            "app_name": "Home Assistant",
            "app_version": "2026.10.0",
            "device_id": PHONE_DEVICE_ID,
            "device_name": "Demo phone",
            "manufacturer": "Hashwatt",
            "model": "Simulated phone",
            "os_name": "Android",
            "os_version": "16",
            "secret": "hashwatt-demo-phone-secret",
            "supports_encryption": False,
            # No user of this Home Assistant: the app counts as local-only.
            "user_id": "hashwatt-demo-phone",
            "webhook_id": "hashwatt-demo-phone-webhook",
        },
        domain="mobile_app",
        source="registration",
    )


def _new_entry(wanted: WantedEntry) -> dict[str, Any]:
    # Home Assistant's own class writes the entry, so its fields match this version.
    hashwatt = wanted.domain == DOMAIN
    entry = config_entries.ConfigEntry(
        data=wanted.data,
        discovery_keys=MappingProxyType({}),
        domain=wanted.domain,
        minor_version=HashwattConfigFlow.MINOR_VERSION if hashwatt else 1,
        options=wanted.options,
        source=wanted.source,
        subentries_data=None,
        title=wanted.title,
        unique_id=wanted.unique_id,
        version=HashwattConfigFlow.VERSION if hashwatt else 1,
    )
    return entry.as_dict()


def update_entries(storage: Path, wanted_entries: list[WantedEntry]) -> list[str]:
    """Add the entries the demo needs, or point existing ones at it; say what changed."""
    path = storage / config_entries.STORAGE_KEY
    stored = _read_store(path)
    entries: list[dict[str, Any]] = stored["data"]["entries"] if stored else []
    by_unique_id = {(entry["domain"], entry["unique_id"]): entry for entry in entries}
    changes: list[str] = []
    for wanted in wanted_entries:
        if (entry := by_unique_id.get((wanted.domain, wanted.unique_id))) is None:
            entries.append(_new_entry(wanted))
            changes.append(f"added {wanted.title}")
            continue
        # Whether a miner was added read-only is the integration's business.
        updates = {
            key: value
            for key, value in wanted.data.items()
            if key != CONF_READ_ONLY and entry["data"].get(key) != value
        }
        if updates:
            entry["data"] = {**entry["data"], **updates}
            entry["modified_at"] = datetime.now(UTC).isoformat()
            changes.append(f"updated {entry['title']}: {', '.join(sorted(updates))}")
    if changes or stored is None:
        _write_store(
            path,
            config_entries.STORAGE_KEY,
            stored["version"] if stored else config_entries.STORAGE_VERSION,
            stored["minor_version"] if stored else config_entries.STORAGE_VERSION_MINOR,
            {"entries": entries},
        )
    return changes


def listen_locally(storage: Path) -> None:
    """Serve on 127.0.0.1:8123 only: the demo login is no secret.

    Home Assistant keeps its HTTP settings in storage now (Settings > System >
    Network); an http: block in YAML would only raise a repair issue.
    """
    path = storage / http_config.STORAGE_KEY
    if path.exists():
        return
    stable = http_config.HTTP_STORAGE_SCHEMA({CONF_SERVER_HOST: ["127.0.0.1"]})
    stable |= {
        http_config.HTTP_CONFIG_CREATED_AT: datetime.now(UTC).isoformat(),
        http_config.HTTP_CONFIG_ERROR: None,
        http_config.HTTP_CONFIG_ERROR_MESSAGE: None,
    }
    _write_store(
        path,
        http_config.STORAGE_KEY,
        http_config.STORAGE_VERSION,
        http_config.STORAGE_MINOR_VERSION,
        {
            http_config.KEY_STABLE: stable,
            http_config.KEY_PENDING: None,
            http_config.KEY_YAML_MIGRATION_DONE: True,
        },
    )


def mark_onboarded(storage: Path) -> None:
    """Skip onboarding: the demo comes configured, and its user is made below."""
    path = storage / ONBOARDING_KEY
    if not path.exists():
        _write_store(
            path,
            ONBOARDING_KEY,
            ONBOARDING_VERSION,
            1,
            {"done": list(onboarding_const.STEPS)},
        )


def has_user(storage: Path, username: str) -> bool:
    """Tell whether Home Assistant's own login provider knows ``username``."""
    stored = _read_store(storage / auth_provider.STORAGE_KEY)
    users: Iterable[dict[str, Any]] = stored["data"]["users"] if stored else ()
    return any(user.get("username") == username for user in users)


def add_user(config: Path, username: str, password: str) -> None:
    """Add the login with Home Assistant's own script (it hashes the password)."""
    say(f"Adding the Home Assistant user {username!r}")
    subprocess.run(
        [
            str(Path(sys.executable).with_name("hass")),
            "--script",
            "auth",
            "--config",
            str(config),
            "add",
            username,
            password,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _manifest(domain: str) -> dict[str, Any]:
    custom = ROOT / "custom_components" / domain / "manifest.json"
    path = custom if custom.exists() else HA_COMPONENTS / domain / "manifest.json"
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def missing_requirements() -> dict[str, set[str]]:
    """What this configuration loads needs and .venv lacks: requirement -> integrations."""
    pending = {*bootstrap.CORE_INTEGRATIONS, *bootstrap.DEFAULT_INTEGRATIONS}
    pending.update(CONFIGURED, {DOMAIN})
    seen: set[str] = set()
    missing: dict[str, set[str]] = {}
    while pending:
        domain = pending.pop()
        seen.add(domain)
        manifest = _manifest(domain)
        for requirement in manifest.get("requirements", ()):
            if not is_installed(requirement):
                missing.setdefault(requirement, set()).add(domain)
        pending.update(set(manifest.get("dependencies", ())) - seen)
    return missing


def _uv_install(requirements: Iterable[str]) -> str | None:
    """Install within Home Assistant's constraints, as it would; return uv's error, if any."""
    constraints = Path(homeassistant.__file__).parent / "package_constraints.txt"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            sys.executable,
            "--constraint",
            str(constraints),
            *requirements,
        ],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "UV_LINK_MODE": "copy"},
    )
    if result.returncode == 0:
        return None
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    return errors[0] if errors else result.stderr.strip() or "uv failed"


def install(missing: dict[str, set[str]]) -> None:
    """Install what is missing; remember what can't be, rather than retry every run."""
    failed_before = set()
    if FAILED_REQUIREMENTS.exists():
        failed_before = set(FAILED_REQUIREMENTS.read_text(encoding="utf-8").split())
    todo = sorted(set(missing) - failed_before)
    if skipped := sorted(set(missing) & failed_before):
        say(
            f"Not installing {' '.join(skipped)}: it failed before "
            f"(delete {FAILED_REQUIREMENTS.relative_to(ROOT)} to try again)"
        )
    if not todo:
        return
    say(f"Installing into .venv what Home Assistant needs here: {' '.join(todo)}")
    say("(the first time only; packages without a wheel are built: a minute or two)")
    if _uv_install(todo) is None:
        return
    failed: list[str] = []
    for requirement in todo:  # one by one, to keep all that can be installed
        if (error := _uv_install([requirement])) is not None:
            say(f"Could not install {requirement}: {error}")
            failed.append(requirement)
    FAILED_REQUIREMENTS.parent.mkdir(parents=True, exist_ok=True)
    FAILED_REQUIREMENTS.write_text(
        "\n".join(sorted(failed_before | set(failed))) + "\n", encoding="utf-8"
    )
    domains = sorted(
        {domain for requirement in failed for domain in missing[requirement]}
    )
    say(
        f"Home Assistant can't set up {', '.join(domains)} (nor what depends on them) "
        "and its frontend may not load: fix the error above, then delete "
        f"{FAILED_REQUIREMENTS.relative_to(ROOT)} to try again"
    )


def _request(
    url: str,
    *,
    form: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    token: str | None = None,
) -> Any:  # noqa: ANN401  # whatever JSON Home Assistant answers
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response)


def _log_in(url: str, username: str, password: str) -> dict[str, Any]:
    """Log in the way the frontend does; return the tokens."""
    client_id = f"{url}/"
    flow = _request(
        f"{url}/auth/login_flow",
        body={
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": client_id,
        },
    )
    result = _request(
        f"{url}/auth/login_flow/{flow['flow_id']}",
        body={"client_id": client_id, "username": username, "password": password},
    )
    if result.get("type") != "create_entry":
        msg = f"Home Assistant refused the login {username!r}: {result.get('errors')}"
        raise RuntimeError(msg)
    tokens: dict[str, Any] = _request(
        f"{url}/auth/token",
        form={
            "grant_type": "authorization_code",
            "code": result["result"],
            "client_id": client_id,
        },
    )
    return tokens


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_up(url: str, pid: int, username: str, password: str) -> bool:
    """Wait until Home Assistant (process ``pid``) runs; report the Hashwatt entries."""
    started = time.monotonic()
    tokens: dict[str, Any] | None = None
    while _running(pid):
        try:
            tokens = tokens or _log_in(url, username, password)
            config = _request(f"{url}/api/config", token=tokens["access_token"])
        except RuntimeError as err:  # the demo login changed: nothing to look at
            say(str(err))
            return False
        # Not answering yet, or not with JSON (URLError and HTTPError are OSErrors).
        except OSError, ValueError:
            pass
        else:
            if config.get("state") == "RUNNING":
                break
        time.sleep(1)
    else:
        return False
    assert tokens is not None  # noqa: S101  # the loop only breaks once logged in
    say(f"Home Assistant is up ({time.monotonic() - started:.0f} s)")
    entries = _request(
        f"{url}/api/config/config_entries/entry?domain={DOMAIN}",
        token=tokens["access_token"],
    )
    for entry in sorted(entries, key=lambda entry: entry["title"]):
        say(f"  Hashwatt entry {entry['title']}: {entry['state']}")
    # The login was only to look: don't leave a refresh token behind per run.
    revoke = urllib.request.Request(  # noqa: S310
        f"{url}/auth/revoke",
        data=urllib.parse.urlencode({"token": tokens["refresh_token"]}).encode(),
    )
    urllib.request.urlopen(revoke, timeout=10).close()  # noqa: S310
    return True


def main() -> int:
    """Prepare CONFIG_DIR, or wait for Home Assistant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="prepare the configuration")
    prepare.add_argument("config", type=Path)
    demo.add_fleet_arguments(prepare)
    wait = commands.add_parser("wait", help="wait until Home Assistant runs")
    wait.add_argument("url")
    wait.add_argument("pid", type=int)
    for command in (prepare, wait):
        command.add_argument("--username", required=True)
        command.add_argument("--password", required=True)
    args = parser.parse_args()
    if args.command == "wait":
        return (
            0 if wait_until_up(args.url, args.pid, args.username, args.password) else 1
        )

    description = demo.Demo.from_args(args).describe()
    if missing := missing_requirements():
        install(missing)
    config: Path = args.config.resolve()
    storage = config / ".storage"
    write_files(config, description)
    wanted = [
        *miner_entries(description),
        *pool_entries(description),
        *network_entries(description),
        phone_entry(description),
    ]
    for change in update_entries(storage, wanted):
        say(f"Config entry {change}")
    listen_locally(storage)
    mark_onboarded(storage)
    if not has_user(storage, args.username):
        add_user(config, args.username, args.password)
    return 0


if __name__ == "__main__":
    sys.exit(main())
