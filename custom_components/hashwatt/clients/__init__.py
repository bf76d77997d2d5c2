"""Protocol clients: Whatsminer miners, mining pools, the Bitcoin network (no HA imports)."""

from .errors import ClientError

__all__ = ["ClientError"]
