"""Tests of the simulated Whatsminer fleet, over raw sockets."""
