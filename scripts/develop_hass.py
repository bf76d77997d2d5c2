"""Run Home Assistant for scripts/develop, with Hashwatt's pool clients on the demo's mocks.

    python scripts/develop_hass.py CONFIG_DIR [hass options]

The pool clients talk to whitebit.com and webminepool.com; the demo serves mocks on
this machine instead. scripts/develop_helper.py wrote their URLs to
CONFIG_DIR/.hashwatt-demo.json; this points the integration at them through the same
module attributes the tests patch, then runs Home Assistant as ``hass`` would.

Nothing of the repository is put on the import path: Home Assistant finds Hashwatt
in CONFIG_DIR/custom_components, as it finds any custom integration, and imports the
module loaded here from there.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

DEMO_FILE = ".hashwatt-demo.json"


def point_pools_at_mocks(config: Path) -> None:
    """Make the pool clients use the demo's WhitePool and WebMinePool mocks."""
    demo = json.loads((config / DEMO_FILE).read_text(encoding="utf-8"))
    # Home Assistant puts the configuration folder first on the path, too.
    sys.path.insert(0, str(config))
    try:
        pools = importlib.import_module("custom_components.hashwatt.coordinator")
    except ModuleNotFoundError:
        return  # a tree without the pool layer: nothing to point anywhere
    for region in pools.WHITEPOOL_URLS:
        pools.WHITEPOOL_URLS[region] = demo["whitepool"]["url"]
    pools.WEBMINEPOOL_API_URL = demo["webminepool"]["url"]


def main() -> int:
    """Point the pools at the mocks, then hand over to Home Assistant."""
    config = Path(sys.argv[1]).resolve()
    point_pools_at_mocks(config)
    from homeassistant.__main__ import main as hass_main  # noqa: PLC0415

    sys.argv = ["hass", "--config", str(config), *sys.argv[2:]]
    return hass_main()


if __name__ == "__main__":
    sys.exit(main())
