"""Import Hashwatt's client library without the Home Assistant integration around it.

``custom_components/hashwatt/__init__.py`` is the integration and imports Home
Assistant; the client library under ``clients/`` imports nothing of it. A worker
that measures the client registers the parent package as a bare namespace, so the
peak RSS it reports is the client's, not Home Assistant's.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def use_client_library_alone() -> None:
    """Make ``custom_components.hashwatt`` a bare package (its ``__init__`` unrun)."""
    if "custom_components.hashwatt" in sys.modules:
        return
    import custom_components  # noqa: F401, PLC0415  # the real (empty) parent package

    package = types.ModuleType("custom_components.hashwatt")
    package.__path__ = [str(REPO / "custom_components" / "hashwatt")]
    sys.modules["custom_components.hashwatt"] = package


def assert_no_home_assistant() -> None:
    """Fail loudly if anything pulled Home Assistant into the worker after all."""
    if "homeassistant" in sys.modules:
        raise RuntimeError("the client library imported Home Assistant")
