"""Tests for the Hashwatt integration."""
