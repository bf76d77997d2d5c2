"""Tests for the integration's metadata files."""

import json
from importlib import resources
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.loader import async_get_integration
from packaging.requirements import Requirement

from custom_components.hashwatt.const import DOMAIN

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN


def _pins(lines: list[str]) -> dict[str, Requirement]:
    reqs = [Requirement(line) for line in lines]
    return {req.name.lower(): req for req in reqs}


async def test_home_assistant_reads_the_manifest(hass: HomeAssistant) -> None:
    """The manifest is the custom integration Home Assistant finds."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.name == "Hashwatt"
    assert integration.config_flow is True
    assert str(integration.version) == "0.1.0"
    assert integration.file_path == INTEGRATION


def test_manifest_keys_are_in_hassfest_order() -> None:
    """Domain and name first, then the other keys alphabetically."""
    keys = list(json.loads((INTEGRATION / "manifest.json").read_text()))
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_requirements_match_tests_and_home_assistant() -> None:
    """The manifest pins what the tests install, within Home Assistant's constraints."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    required = _pins(manifest["requirements"])
    tested = _pins(
        [
            line
            for line in (ROOT / "requirements_test.txt").read_text().splitlines()
            if line.strip() and not line.startswith(("#", "-"))
        ]
    )
    constraints_text = (
        resources.files("homeassistant") / "package_constraints.txt"
    ).read_text()
    constraints = [
        Requirement(line)
        for line in constraints_text.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name, req in required.items():
        assert str(req.specifier).startswith("=="), f"{name} must be pinned"
        assert tested[name].specifier == req.specifier, f"{name}: test pin differs"
        version = str(req.specifier)[2:]
        for constraint in constraints:
            if constraint.name.lower() == name:
                assert constraint.specifier.contains(version), (
                    f"{name}=={version} breaks Home Assistant's {constraint}"
                )


async def test_translations_load(hass: HomeAssistant) -> None:
    """Home Assistant loads translations/en.json."""
    translations = await async_get_translations(hass, "en", "config", [DOMAIN])
    strings = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    assert (
        translations[f"component.{DOMAIN}.config.error.cannot_connect"]
        == strings["config"]["error"]["cannot_connect"]
    )


def test_brand_icon_is_a_256_png() -> None:
    """brand/icon.png is a 256x256 PNG."""
    data = (INTEGRATION / "brand" / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20]) == 256
    assert int.from_bytes(data[20:24]) == 256


def test_counts_in_the_config_flow_take_plural_forms() -> None:
    """The frontend renders these strings as ICU messages: "1 miners" never shows."""
    config = json.loads((INTEGRATION / "translations" / "en.json").read_text())[
        "config"
    ]
    counted = {
        "step.scan_select.description": config["step"]["scan_select"]["description"],
        "progress.scan": config["progress"]["scan"],
        "create_entry.scan_added": config["create_entry"]["scan_added"],
    }
    for key, text in counted.items():
        assert "{count}" not in text, key
        assert "{count, plural, one {" in text, key
