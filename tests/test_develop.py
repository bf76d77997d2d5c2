"""scripts/develop's configuration: the blueprints and what the demo gives them."""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from simulator.demo import Demo

ROOT = Path(__file__).parent.parent


def develop_helper() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "develop_helper", ROOT / "scripts" / "develop_helper.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_blueprints_and_demo_helpers_are_installed(tmp_path: Path) -> None:
    """Each blueprint is in config/blueprints; the package has a price and a grid power."""
    helper = develop_helper()
    description = Demo.build(miners=2, first_ip="127.0.78.1").describe()

    helper.write_files(tmp_path, description)

    installed = tmp_path / "blueprints" / "automation" / "hashwatt"
    shipped = sorted((ROOT / "blueprints" / "automation" / "hashwatt").glob("*.yaml"))
    assert sorted(path.name for path in installed.iterdir()) == [
        path.name for path in shipped
    ]
    for path in shipped:
        assert (installed / path.name).read_text() == path.read_text()
    package = (tmp_path / helper.PACKAGE_FILE).read_text()
    sensors = json.loads(package[package.index("{") :])["template"][0]["sensor"]
    by_name = {sensor["name"]: sensor for sensor in sensors}
    assert by_name["Demo electricity price"]["unit_of_measurement"] == "EUR/kWh"
    assert by_name["Demo grid power"]["device_class"] == "power"
    assert by_name["Demo grid power"]["unit_of_measurement"] == "W"


def test_the_demo_phone_pushes_to_the_simulator() -> None:
    """The phone's notifications go to the demo's push service."""
    helper = develop_helper()
    description = Demo.build(miners=1, first_ip="127.0.78.1").describe()

    phone = helper.phone_entry(description)

    assert phone.domain == "mobile_app"
    assert phone.data["app_data"]["push_url"] == description["phone"]["push_url"]
    entry = helper._new_entry(phone)  # noqa: SLF001
    assert entry["domain"] == "mobile_app"
    assert entry["source"] == "registration"
