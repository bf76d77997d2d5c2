"""Protocol clients for Whatsminer miners and mining pools (no Home Assistant imports)."""
