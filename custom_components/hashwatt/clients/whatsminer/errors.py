"""The Whatsminer client's exceptions. Messages never contain the password."""

from __future__ import annotations

from custom_components.hashwatt.clients.errors import ClientError


class WhatsminerError(ClientError):
    """Base class of every error the Whatsminer client raises."""


class WhatsminerConnectionError(WhatsminerError):
    """The miner could not be reached, or closed the connection early."""


class WhatsminerTimeoutError(WhatsminerConnectionError):
    """The miner did not connect or answer in time."""


class WhatsminerAuthError(WhatsminerError):
    """The admin password is wrong (v2: code 23 "enc json load err"; v3: code -1/-4)."""


class WhatsminerWriteDisabledError(WhatsminerError):
    """The miner's write API is disabled ("can't access write cmd")."""


class WhatsminerTokenLimitError(WhatsminerError):
    """The miner has handed out too many tokens (code 136, "over max connect")."""


class WhatsminerCommandError(WhatsminerError):
    """The miner refused a command (e.g. codes 14, 45, 132) with its own message."""

    def __init__(self, command: str, code: int | None, message: str) -> None:
        """Keep the command, the miner's code and its message."""
        super().__init__(f"{command} refused by the miner (code {code}): {message}")
        self.command = command
        self.code = code
        self.message = message


class WhatsminerUnsupportedError(WhatsminerCommandError):
    """The miner's API or firmware has no such command (e.g. v3 code -2)."""


class WhatsminerPermissionError(WhatsminerCommandError):
    """A limited API v3 account (user1..user3) may not run this command (code -4).

    The missing right is the command itself: the ``super`` account grants
    ``user1``..``user3`` a list of commands with ``set.user.permission``.
    """

    def __init__(self, command: str, account: str, code: int | None = -4) -> None:
        """Keep the command (the right that is missing) and the account."""
        super().__init__(command, code, f"account {account} may not run {command}")
        self.account = account


class WhatsminerInvalidReplyError(WhatsminerError):
    """The miner answered something that cannot be repaired into a valid reply."""


class WhatsminerValidationError(WhatsminerError, ValueError):
    """An argument is out of range; raised before anything is sent to the miner."""

    def __init__(self, field: str, message: str) -> None:
        """Keep the offending field's name for translated error messages."""
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
