"""The base of every client's exceptions.

Each client (whatsminer, whitepool, webminepool, mempool) raises its own small
hierarchy under its own base class, and each of those bases is a ``ClientError``:
code that calls any client can catch one class and still tell the clients apart
by the error's type (the integration's errors.py maps each client's classes to
messages).
"""

from __future__ import annotations


class ClientError(Exception):
    """Base class of every error a Hashwatt client raises."""
