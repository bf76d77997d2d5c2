"""Constants for the Hashwatt integration."""

from typing import Final

DOMAIN: Final = "hashwatt"
