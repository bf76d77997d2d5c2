"""Tests for the Whatsminer client."""
