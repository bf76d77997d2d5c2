"""Tests of the protocol clients against their mock servers."""
