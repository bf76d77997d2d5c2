"""Async, typed client for MicroBT Whatsminer miners (API v2 on 4028, API v3 on 4433).

Use :class:`.client.Whatsminer`; it detects the API and hides which one a miner speaks.
"""
