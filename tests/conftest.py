"""Shared fixtures for the Hashwatt tests."""

# Import the repo's package first: Home Assistant's test harness puts its own
# testing config dir (with its own `custom_components`) on sys.path.
import custom_components  # noqa: F401  # isort: skip

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""
