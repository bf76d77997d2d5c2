"""Fleet-scale benchmark and pyasic cross-check (``scripts/bench``, ``scripts/pyasic-check``).

Development tooling: not shipped with the integration, not collected by the tests.
"""
